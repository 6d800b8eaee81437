"""Conversations written as chat transcripts, played through the real webhook, a real RQ worker
(in-process SimpleWorker) and the sandbox's record of what each person received.

    chat.play('''
        居民: 电梯里关着人呢！快点！ 3号院2号楼
          < 96333 … 紧急           the passive reply holds these, in this order (… separates)
          <! 报修                  … and not this
        维修 << 【紧急】            a push this person received since the last message
        员工 << 紧急
        组长 <<!                   nothing at all for this person since the last message
        ~ 16                       16 minutes pass (the clock moves; the sweep and the worker run)
        居民: [照片]                a photo; [语音] 三号院… is a voice message with that recognition
        维修: [录音] 灯泡换好了       a voice as WeChat sends it today (no recognition): the sandbox
                                   records those words and its ASR hears them (needs the ASR overrides,
                                   `sandbox_asr` below)
    ''')

People: 居民 / 邻居 / 老伴 are residents; 组长 / 维修 / 备岗 are c3's council (chair, fixer, backup),
理事会 any member of it;
员工 / 员工2 are the community staff; any member's name from the config works too. A failed line
prints the whole conversation so far, as the people in it saw it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

import requests
from sqlalchemy import select

from bot.domain import clock
from bot.sandbox import state as sbx
from bot.sandbox import window as sbx_window
from bot.services.push.send import ensure_member_row
from bot.services.sweep import sweep
from bot.services.uow.steward import Steward
from bot.storage.models import Resident, Ticket
from tests.fixtures_dispatch import drain
from tests.wechat_client import WeChatTestClient

ROSTER = {
    "居民": "o-conv-resident-0001", "邻居": "o-conv-resident-0002", "老伴": "o-conv-resident-0003",
    "组长": "o-sample-c3-1", "维修": "o-sample-c3-2", "备岗": "o-sample-c3-3",
}
MAX_REPLY_BYTES = 2048


def sandbox_asr(web_port: int) -> dict:
    """Config overrides for voice heard by the sandbox's ASR (for `[录音]` lines)."""
    return {"dispatch.retry_intervals": [0, 0, 0], "voice.transcriber": "tencent",
            "voice.tencent_endpoint": f"127.0.0.1:{web_port}/sandbox/asr", "voice.tencent_scheme": "http",
            "voice.tencent_secret_id": "sandbox-id", "voice.tencent_secret_key": "sandbox-key"}

PHONE_SCREEN_LINES = 14  # what fits on a phone without scrolling, at the font elderly people use
_SAYS = re.compile(r"^(?P<who>[^\s:：<~]+)[:：]\s?(?P<what>.*)$")
_GETS = re.compile(r"^(?P<who>[^\s:：<~]+)\s+<<(?P<neg>!?)\s*(?P<what>.*)$")


def push_text(message: dict) -> str:
    """What a person reads of a sandbox message: the text, or the template's field values."""
    if message.get("text"):
        return str(message["text"])
    data = message.get("data") or {}
    values = [str(v.get("value", "")) if isinstance(v, dict) else str(v) for v in data.values()]
    return "｜".join(v for v in values if v)


@dataclass
class Chat:
    wechat: WeChatTestClient
    steward: Steward
    people: dict[str, str] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)
    reply: str = ""
    got: dict[str, list[str]] = field(default_factory=dict)  # openid → what arrived since the last step
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _seen: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        cfg = self.steward.config
        self.people = {**ROSTER, **{m.name: m.openid for m in cfg.members}, **self.people}
        self.groups.setdefault("理事会", tuple(m.name for m in cfg.council("c3")))  # any of c3's council
        for i, openid in enumerate(cfg.staff_openids):
            self.people.setdefault("员工" if i == 0 else f"员工{i + 1}", openid)
        self._active_on_wechat([m.openid for m in cfg.council("c3")] + list(cfg.staff_openids))

    def _active_on_wechat(self, openids: list[str]) -> None:
        """The council and staff use the account every day: each wrote to it within the last 48 hours,
        so what reaches them is a customer-service text while WeChat's quota allows (else a template,
        as the platform decides)."""
        now = clock.utcnow()
        with self.steward.session() as s:
            for openid in openids:
                if self.steward.config.member(openid) is not None:
                    ensure_member_row(s, self.steward.config, openid).last_message_at = now
                elif s.scalars(select(Resident).where(Resident.openid == openid)).first() is None:
                    s.add(Resident(openid=openid, last_message_at=now))
        for openid in openids:
            sbx_window.note_user_message(self.steward.redis, openid)

    def openid(self, who: str) -> str:
        if who not in self.people:
            raise AssertionError(f"unknown person {who!r} in the transcript")
        return self.people[who]

    def lives(self, who: str, courtyard: str) -> Chat:
        """`who` is a resident already bound to `courtyard` (as after answering the greeting)."""
        with self.steward.session() as s:
            openid = self.openid(who)
            row = s.scalars(select(Resident).where(Resident.openid == openid)).first()
            if row is None:
                s.add(Resident(openid=openid, courtyard_id=courtyard))
            else:
                row.courtyard_id = courtyard
        return self

    def tickets(self, who: str) -> list[Ticket]:
        with self.steward.session() as s:
            return list(s.scalars(select(Ticket).where(Ticket.resident_openid == self.openid(who)).order_by(Ticket.id)))

    # --- one step ---------------------------------------------------------------------------------

    def say(self, who: str, what: str) -> str:
        """`who` sends `what` ([照片], [语音] words, else text); the worker runs; returns the reply."""
        openid = self.openid(who)
        self.log.append(f"{who}: {what}")
        if what.startswith("[照片]"):
            ex = self.wechat.image(openid, media_id=f"photo-{len(self.log)}")
        elif what.startswith("[录音]"):
            words = what.removeprefix("[录音]").strip()
            public = self.steward.config.public_url
            resp = requests.post(f"{public}/sandbox/voice", json={"words": words}, timeout=5)
            assert resp.status_code == 200, self._fail(f"sandbox voice upload: HTTP {resp.status_code}")
            ex = self.wechat.voice(openid, "", media_id=resp.json()["media_id"])
        elif what.startswith("[扫码]"):  # a scan of a QR code with this scene (SCAN, EventKey = scene)
            ex = self.wechat.event(openid, "SCAN", what.removeprefix("[扫码]").strip())
        elif what.startswith("[关注扫码]"):  # a first follow through the QR code (subscribe, qrscene_ + scene)
            ex = self.wechat.event(openid, "subscribe", "qrscene_" + what.removeprefix("[关注扫码]").strip())
        elif what.startswith("[语音]"):
            ex = self.wechat.voice(openid, what.removeprefix("[语音]").strip(), media_id=f"voice-{len(self.log)}")
        else:
            ex = self.wechat.text(openid, what)
        assert ex.status == 200, self._fail(f"HTTP {ex.status}")
        self.reply = ex.text
        assert len(self.reply.encode("utf-8")) <= MAX_REPLY_BYTES, self._fail("reply over 2048 bytes")
        assert self.reply.count("\n") < PHONE_SCREEN_LINES, self._fail("reply longer than a phone screen")
        if self.reply:
            self.log.append("    ↩ " + self.reply.replace("\n", "\n      "))
        self.settle()
        return self.reply

    def wait(self, minutes: float) -> None:
        """Time passes: the clock moves, the periodic sweep and the worker run."""
        self.log.append(f"~ {minutes:g} 分钟后")
        clock.shift(timedelta(minutes=minutes).total_seconds())
        sweep(self.steward)
        self.settle()

    def settle(self) -> None:
        drain(self.steward)
        self.got = {}  # by openid: a person may have two names here (组长 and 刘秀兰)
        for who, openid in self.people.items():
            if openid in self.got:
                continue
            new = sbx.messages(self.steward.redis, openid, after=self._seen.get(openid, 0))
            self.got[openid] = [push_text(m) for m in new]
            too_long = [m for m in new if len(str(m.get("text") or "").encode("utf-8")) > MAX_REPLY_BYTES]
            assert not too_long, self._fail(f"a message to {who} is over 2048 bytes")
            if new:
                self._seen[openid] = new[-1]["seq"]
                self.log += [f"    ⇒ {who}: {t}" for t in self.got[openid]]

    # --- the transcript -----------------------------------------------------------------------------

    def play(self, script: str) -> Chat:
        for raw in script.strip().splitlines():
            line = raw.split("  #", 1)[0].strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("<!"):
                bad = line[2:].strip()
                assert bad not in self.reply, self._fail(f"the reply should not say {bad!r}")
            elif line.startswith("<"):
                self.expect_reply(line[1:].strip())
            elif line.startswith("~"):
                self.wait(float(line[1:].strip()))
            elif m := _GETS.match(line):
                self.expect_push(m["who"], m["what"].strip(), negate=bool(m["neg"]))
            elif m := _SAYS.match(line):
                self.say(m["who"], m["what"].strip())
            else:
                raise AssertionError(f"cannot read transcript line {line!r}")
        return self

    def expect_reply(self, pattern: str) -> None:
        if pattern in ("(无)", "(none)"):
            assert not self.reply, self._fail("expected no reply")
            return
        assert _in_order(self.reply, pattern), self._fail(f"the reply should say {pattern!r}")

    def expect_push(self, who: str, pattern: str, negate: bool = False) -> None:
        names = self.groups.get(who, (who,))
        texts = []
        for name in names:
            texts += self.got.get(self.openid(name), [])
        if negate:
            hit = [t for t in texts if not pattern or _in_order(t, pattern)]
            assert not hit, self._fail(f"{who} should not have received {pattern or 'anything'!r}")
        else:
            assert any(_in_order(t, pattern) for t in texts), self._fail(f"{who} should have received {pattern!r}")

    def _fail(self, why: str) -> str:
        return f"{why}\n--- the conversation so far ---\n" + "\n".join(self.log)


def _in_order(text: str, pattern: str) -> bool:
    """Every …-separated fragment of `pattern` in `text`, in that order; `|` inside one means either."""
    at = 0
    for fragment in (f.strip() for f in pattern.split("…")):
        if not fragment:
            continue
        found = [(i, len(alt)) for alt in fragment.split("|") if (i := text.find(alt, at)) >= 0]
        if not found:
            return False
        i, n = min(found)
        at = i + n
    return True
