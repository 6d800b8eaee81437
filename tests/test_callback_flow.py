"""The whole loop with a real worker PROCESS, real Redis and the sandbox over HTTP:
repair in c3 → task to the c3 member with 维修 → 接单 → resident told → 办结 → callback → "5" → closed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.domain import clock
from bot.services.casework.council import apply_callback_answer, apply_council_command
from bot.services.uow.steward import Steward
from bot.storage.models import Ticket
from tests.fixtures_dispatch import *  # noqa: F403
from tests.fixtures_dispatch import C3_FIXER, RESIDENT, drain, events_of, new_ticket, pushes_to, ticket_of

ROOT = Path(__file__).resolve().parent.parent


def wait_for(cond: Callable[[], object], timeout: float = 20.0, what: str = "") -> object:
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what or cond}")


@pytest.fixture
def worker_process(steward_live: Steward) -> Iterator[subprocess.Popen]:
    """`workers.run.run_worker` in its own process (forking RQ Worker + scheduler), same config."""
    cfg = steward_live.config
    env = dict(os.environ)
    env.update(
        STEWARD_CONFIG=str(ROOT / "config.example.toml"),
        STEWARD_DATABASE_URL=cfg.database_url,
        STEWARD_REDIS_URL=cfg.redis_url,
        STEWARD_WECHAT_API_BASE_URL=cfg.wechat.api_base_url,
        STEWARD_SECRET_KEY=cfg.secret_key,
    )
    code = ("from bot.runtime import for_worker; from workers.run import run_worker; "
            "run_worker(for_worker(), burst=False)")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    yield proc
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def _say_member(st: Steward, openid: str, verb: str, ref: str, note: str = ""):
    with st.session() as s:  # exactly what the webhook's executor does inside its session
        return apply_council_command(s, st.config, openid, verb, ref, note)


def _say_resident(st: Steward, ref: str, solved, rating):
    with st.session() as s:
        return apply_callback_answer(s, st.config, RESIDENT, ref, solved, rating, "")


def test_end_to_end_with_a_worker_process(steward_live, wechat, worker_process):
    st = steward_live
    # 1. the resident writes through the real, signed webhook
    reply = wechat.text(RESIDENT, "我是粮食局家属院的，3号楼2单元楼道灯坏了，晚上黑乎乎的")
    assert reply.status == 200
    with st.session() as s:
        t = s.scalars(select(Ticket).where(Ticket.resident_openid == RESIDENT)).one()
        tid, ref = t.id, t.ref
    assert ref in reply.text and t.courtyard_id == "c3" and t.category == "repair"
    # 2. the worker process pushes the task to the c3 member with 维修, seen at the sandbox
    [task] = wait_for(lambda: pushes_to(st, C3_FIXER), what="task push")
    assert task["kind"] == "template" and ref in str(task["data"])
    assert "维修" in st.config.member(C3_FIXER).skills
    # 3. 接单 → the resident is told
    out = _say_member(st, C3_FIXER, "accept", ref)
    assert out.ok, out.message
    wait_for(lambda: any("已接单" in str(m) for m in pushes_to(st, RESIDENT)), what="accepted notice")
    # 4. 办结 REF 已更换灯泡 → the callback question
    out = _say_member(st, C3_FIXER, "finish", ref, "已更换灯泡")
    assert out.ok, out.message
    question = wait_for(lambda: [m for m in pushes_to(st, RESIDENT) if "打分" in str(m)], what="callback question")
    assert ref in str(question[0])
    # 5. "5" → closed with rating 5
    out = _say_resident(st, ref, True, 5)
    assert out.ok, out.message
    t = ticket_of(st, tid)
    assert t.status == "closed" and t.rating == 5 and t.solved is True and t.close_reason == "resolved"
    assert events_of(st, tid) == ["received", "dispatched", "accepted", "finished", "callback", "closed"]


def test_end_to_end_through_the_webhook(steward_live, wechat):
    st = steward_live
    wechat.text(RESIDENT, "我是粮食局家属院的，3号楼2单元楼道灯坏了，晚上黑乎乎的")
    drain(st)
    with st.session() as s:
        t = s.scalars(select(Ticket).where(Ticket.resident_openid == RESIDENT)).one()
        tid, ref = t.id, t.ref
    assert pushes_to(st, C3_FIXER)
    assert wechat.text(C3_FIXER, f"接单 {ref}").status == 200
    assert ticket_of(st, tid).status == "accepted"
    drain(st)
    wechat.text(C3_FIXER, f"办结 {ref} 已更换灯泡")
    drain(st)
    assert ticket_of(st, tid).status == "awaiting_callback"
    assert pushes_to(st, RESIDENT), "the resident was told about the accept and the finish"
    wechat.text(RESIDENT, "5")
    t = ticket_of(st, tid)
    assert t.status == "closed" and t.rating == 5
    assert events_of(st, tid) == ["received", "dispatched", "accepted", "finished", "callback", "closed"]


def test_not_solved_reopens_and_redispatches_to_the_same_member(steward_live):
    st = steward_live
    tid = new_ticket(st)
    drain(st)
    ref = ticket_of(st, tid).ref
    assert _say_member(st, C3_FIXER, "finish", ref, "已更换灯泡").ok  # finish without 接单 takes it first
    drain(st)
    out = _say_resident(st, ref, False, None)
    assert out.ok and out.data["reopened"]
    drain(st)
    t = ticket_of(st, tid)
    assert t.status == "dispatched" and t.reopen_count == 1 and t.dispatch_attempt == 2
    assert t.assignee_openid == C3_FIXER and t.solved is False
    assert events_of(st, tid)[-3:] == ["callback", "reopened", "dispatched"]
    assert len(pushes_to(st, C3_FIXER)) == 2  # 重办 is a new task push
    assert "重办" in str(pushes_to(st, C3_FIXER)[-1])


def test_no_answer_within_callback_days_closes_with_callback_missing(steward_live):
    st = steward_live
    tid = new_ticket(st)
    drain(st)
    ref = ticket_of(st, tid).ref
    assert _say_member(st, C3_FIXER, "accept", ref).ok
    assert _say_member(st, C3_FIXER, "finish", ref, "已疏通").ok
    drain(st)
    from bot.services.sweep import sweep

    assert sweep(st)["callbacks_closed"] == 0
    clock.shift(timedelta(days=st.config.callback_days, minutes=1).total_seconds())
    assert sweep(st)["callbacks_closed"] == 1
    t = ticket_of(st, tid)
    assert t.status == "closed" and t.callback_missing is True and t.rating is None
    assert events_of(st, tid)[-2:] == ["callback_missing", "closed"]
    # The resident hears that it was closed without their word, and how to reopen it — once, even
    # when the sweep runs again.
    drain(st)
    closed = [p for p in pushes_to(st, RESIDENT) if "已按“已解决”结案" in str(p)]
    assert len(closed) == 1 and ref in str(closed[0]) and "留言" in str(closed[0])
    assert sweep(st)["callbacks_closed"] == 0
    drain(st)
    assert len([p for p in pushes_to(st, RESIDENT) if "已按“已解决”结案" in str(p)]) == 1


def test_callback_answer_checks(steward_live):
    st = steward_live
    tid = new_ticket(st)
    drain(st)
    ref = ticket_of(st, tid).ref
    assert not _say_resident(st, ref, True, 5).ok  # not finished yet
    _say_member(st, C3_FIXER, "finish", ref, "好了")
    with st.session() as s:
        assert not apply_callback_answer(s, st.config, "o-somebody-else", ref, True, 5).ok
        assert "1 到 5" in apply_callback_answer(s, st.config, RESIDENT, ref, True, 9).message
    assert _say_resident(st, None, None, 4).ok  # no ref: their ticket awaiting callback; a rating means solved
    assert ticket_of(st, tid).rating == 4


def test_closed_missing_notice_wording(steward_live):
    """The text form (sent inside the 48-hour window) and the template fields both carry the reason
    and the way back; the text says each once."""
    from types import SimpleNamespace

    from bot.domain import texts

    ticket = SimpleNamespace(ref="R1234", text="楼道灯坏了", subcategory="照明", category="repair")
    content, text = texts.notice_closed_missing(steward_live.config, ticket)
    days = f"{steward_live.config.callback_days:g}"
    assert text.startswith("您的工单 R1234：") and f"办结后 {days} 天没有收到您的回复" in text
    assert text.count("请直接留言") == 1 and text.count("结案") == 1
    assert content["ref"] == "R1234" and "请直接留言" in content["how"] and "结案" in content["how"]
