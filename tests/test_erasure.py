"""Issue 23, item 13: a resident erased on request — by openid or phone, from the command line and
from the admin's workbench page (CSRF, a confirmation step). Afterwards no row, file or Redis key
holds their name, phone, unit, words, raw messages, voice or photos; their tickets stay, anonymised,
and the month's rates are what they were. Media in files (`[media] store = "directory"`); SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli.main import main
from bot.domain.clock import utcnow
from bot.services.inbound import dialogue_lock, intake, receive, staff_intake
from bot.services.media import store as media_store
from bot.services.privacy import erasure
from bot.services.rates.cache import month_rates
from bot.services.tickets import lifecycle as tickets
from bot.storage import spool
from bot.storage.models import (
    AuditEntry,
    Event,
    Handoff,
    InboundMessage,
    LabelledExample,
    Media,
    MediaBlob,
    Push,
    Registration,
    Resident,
    Ticket,
    TicketEvent,
    TicketIntake,
)
from tests.workbench_helpers import ADMIN, STAFF, csrf_from, login

ROOT = Path(__file__).resolve().parents[1]
WHO, NEIGHBOUR = "o-erase-resident-0001", "o-erase-neighbour-0002"
PHONE, NAME, UNIT = "13800138000", "王建国", "3号楼2单元501"
REPORT = "育英街3号院3号楼楼道灯坏了，我是王建国，电话13800138000"
THANKS = "修好了，谢谢师傅，王建国"
WALK_IN = "王大爷来电：单元门禁坏了"


@pytest.fixture
def db_url(any_db_url):
    return any_db_url


@pytest.fixture
def overrides(tmp_path):
    return {"media.store": "directory", "spool.dir": str(tmp_path / "spool")}


def _setup(steward, wechat) -> dict:
    """A resident with a report (through the webhook), a closed and rated ticket, a photo in a file,
    a sign-up with a guest and a remembered dialogue; a neighbour with a report of their own."""
    assert wechat.text(WHO, REPORT).text
    assert wechat.text(NEIGHBOUR, "育英街3号院5号楼下水道堵了").text
    assert wechat.text(WHO, "楼道").text  # a second message: the dialogue keeps state for it
    now = utcnow()
    with steward.session() as s:
        res = s.scalars(select(Resident).where(Resident.openid == WHO)).one()
        res.name, res.phone, res.unit = NAME, PHONE, UNIT
        t = s.scalars(select(Ticket).where(Ticket.resident_openid == WHO)).first()
        t.status, t.rating, t.solved, t.closed_at, t.close_reason = "closed", 5, True, now, "resolved"
        tickets.add_event(s, t, "callback", actor=WHO, note=THANKS, data={"solved": True, "rating": 5})
        media = Media(ticket_id=t.id, openid=WHO, kind="image", media_id="m-erase-1", status="stored")
        s.add(media)
        s.flush()
        blob = media_store.put(s, steward.config, media.id, "2026", media_store.ORIGINAL, b"\xff\xd8 photo", "image/jpeg")
        ev = Event(title="重阳节包饺子", starts_at=now + timedelta(days=3), place="社区活动室")
        s.add(ev)
        s.flush()
        s.add_all([Registration(event_id=ev.id, openid=WHO, name=NAME, phone=PHONE),
                   Registration(event_id=ev.id, openid=WHO, name="李长顺", guest="李长顺")])
        s.add(Push(ticket_id=t.id, openid=WHO, kind="callback", client_msg_id="erase-test-push-1",
                   payload={"text": REPORT}))
        s.add(Handoff(openid=WHO, said="我要找人，我是王建国", until=now + timedelta(hours=2)))
        s.add_all([LabelledExample(text=REPORT, category="repair", created_by="liu"),
                   LabelledExample(text="别人的话：路灯不亮", category="repair", created_by="liu")])
        ref, month = t.ref, (now.year, now.month)
    with steward.session() as s:  # a phone call to the office: a walk-in ticket with a phone in another writing
        walk_in = staff_intake.open_ticket(s, steward.config, staff_intake.Report(
            channel=staff_intake.CHANNELS[0], courtyard="c3", category="repair", text=WALK_IN,
            resident_name=NAME, resident_phone="138 0013 8000"), actor="liu", actor_name="刘芳").ref
    file = Path(steward.config.media.dir) / blob.path
    assert file.is_file()
    steward.redis.set(intake.DIALOGUE_KEY.format(WHO), '{"pending": null}')  # present whatever the dialogue did
    # messages that came while the database was away, one set aside by replay
    spooled = spool.save(steward.config, f"msg:{WHO}:61", f"<xml>{REPORT}</xml>")
    broken = spool.save(steward.config, f"msg:{WHO}:62", f"<xml>{THANKS}</xml>")
    broken = spool.set_aside(broken)
    kept = spool.save(steward.config, f"msg:{NEIGHBOUR}:63", "<xml>下水道</xml>")
    with steward.session() as s:
        before = {k: r.to_dict() for k, r in month_rates(s, steward.config, *month).items()}
    return {"ref": ref, "walk_in": walk_in, "file": file, "month": month, "rates": before,
            "spooled": (spooled, broken), "kept": kept}


def _assert_erased(steward, seen: dict) -> None:
    with steward.session() as s:
        assert s.scalars(select(Resident).where(Resident.openid == WHO)).first() is None
        assert s.scalars(select(Resident).where(Resident.openid == NEIGHBOUR)).one()  # the neighbour untouched
        t = s.scalars(select(Ticket).where(Ticket.ref == seen["ref"])).one()
        assert t.text == erasure.PLACEHOLDER and t.resident_openid.startswith("erased-")
        assert (t.status, t.rating, t.category, t.courtyard_id) == ("closed", 5, "repair", "c3")
        assert not s.scalars(select(Ticket).where(Ticket.resident_openid == WHO)).first()
        walk_in = s.scalars(select(Ticket).where(Ticket.ref == seen["walk_in"])).one()
        assert walk_in.text == erasure.PLACEHOLDER and walk_in.resident_openid == t.resident_openid
        intake_row = s.get(TicketIntake, walk_in.id)
        assert (intake_row.resident_name, intake_row.resident_phone, intake_row.channel) == (None, None,
                                                                                          staff_intake.CHANNELS[0])
        assert not s.scalars(select(Handoff)).first()
        assert list(s.scalars(select(LabelledExample.text))) == ["别人的话：路灯不亮"]
        assert s.scalars(select(Ticket).where(Ticket.resident_openid == NEIGHBOUR)).one().text != erasure.PLACEHOLDER
        every_word = " ".join(
            [str(v) for row in s.execute(select(TicketEvent.note, TicketEvent.actor, TicketEvent.actor_name)) for v in row]
            + [str(v) for row in s.execute(select(Ticket.text, Ticket.resident_openid)) for v in row]
            + [str(v) for row in s.execute(select(Registration.openid, Registration.name, Registration.phone,
                                                  Registration.guest)) for v in row]
            + [r for r in s.scalars(select(InboundMessage.raw))] + [str(p) for p in s.scalars(select(Push.payload))])
        for secret in (WHO, PHONE, NAME, "李长顺", "王建国", "楼道灯坏了", THANKS, WALK_IN, "138 0013 8000"):
            assert secret not in every_word, secret
        assert s.scalars(select(InboundMessage).where(InboundMessage.openid == WHO)).first() is None
        assert s.scalars(select(InboundMessage).where(InboundMessage.openid == NEIGHBOUR)).first() is not None
        assert s.scalars(select(Media).where(Media.openid == WHO)).first() is None
        assert s.scalars(select(MediaBlob)).first() is None
        assert s.scalars(select(Push).where(Push.openid == WHO)).first() is None
        regs = list(s.scalars(select(Registration)))
        assert len(regs) == 2 and all(r.name is None and r.phone is None for r in regs)
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "resident_erase")).one()
        assert entry.after["tickets"] == 2 and entry.after["media"] == 1 and WHO not in str(entry.after)
        after = {k: r.to_dict() for k, r in month_rates(s, steward.config, *seen["month"]).items()}
    assert after == seen["rates"]
    assert not seen["file"].exists()
    assert not any(p.exists() for p in seen["spooled"]) and seen["kept"].is_file()
    assert not steward.redis.exists(intake.DIALOGUE_KEY.format(WHO))
    assert not list(steward.redis.scan_iter(match=f"steward:seen:msg:{WHO}:*"))
    assert list(steward.redis.scan_iter(match=f"steward:seen:msg:{NEIGHBOUR}:*"))


def _cli(config, tmp_path: Path, *args: str):
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    text = text.replace('store = "database"', 'store = "directory"').replace(
        'dir = "var/media"', f'dir = "{config.media.dir}"').replace('dir = "var/spool"', f'dir = "{config.spool_dir}"')
    path = tmp_path / "erase-config.toml"
    path.write_text(text, encoding="utf-8")
    env = {"STEWARD_DATABASE_URL": config.database_url, "STEWARD_REDIS_URL": config.redis_url}
    return CliRunner().invoke(main, ["--config", str(path), *args], env=env)


def test_the_keys_are_those_of_the_inbound_stage():
    assert erasure.REDIS_KEYS == (intake.DIALOGUE_KEY, dialogue_lock.LOCK_KEY)
    assert all(p.startswith(receive.SEEN_KEY.format("")) for p in erasure.REDIS_PATTERNS)


@pytest.mark.parametrize("by", ["openid", "phone"])
def test_erase_from_the_command_line(by, steward, wechat, config, tmp_path):
    seen = _setup(steward, wechat)
    assert list(steward.redis.scan_iter(match=f"steward:seen:msg:{WHO}:*"))
    refused = _cli(config, tmp_path, "resident", "erase", WHO)
    assert refused.exit_code == 1 and "已取消" in refused.output  # asks first; nothing was confirmed
    with steward.session() as s:
        assert s.scalars(select(Resident).where(Resident.openid == WHO)).one().phone == PHONE
    result = _cli(config, tmp_path, "resident", "erase", WHO if by == "openid" else "+86 138-0013-8000", "--yes")
    assert result.exit_code == 0, result.output
    assert "工单 2 件已匿名" in result.output and "照片和语音 1 个" in result.output
    _assert_erased(steward, seen)
    again = _cli(config, tmp_path, "resident", "erase", WHO, "--yes")
    assert again.exit_code == 1 and "没有找到这位居民" in again.output


def test_erase_from_the_workbench_with_a_confirmation_step(steward, wechat, client, app):
    seen = _setup(steward, wechat)
    staff = app.test_client()
    login(staff, STAFF)
    assert staff.get("/admin/residents/erase").status_code == 403  # admins only
    login(client, ADMIN)
    token = csrf_from(client, "/admin/residents/erase")
    assert client.post("/admin/residents/erase", data={"who": WHO, "confirm": "yes"}).status_code == 400  # no CSRF
    page = client.post("/admin/residents/erase", data={"who": PHONE, "csrf_token": token})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="erase-confirm"' in text and "匿名化工单 2 件" in text
    with steward.session() as s:  # the first step only shows what will go
        assert s.scalars(select(Resident).where(Resident.openid == WHO)).one().name == NAME
        assert not s.scalars(select(AuditEntry).where(AuditEntry.action == "resident_erase")).first()
    assert seen["file"].exists()
    done = client.post("/admin/residents/erase", data={"who": PHONE, "confirm": "yes", "csrf_token": token})
    assert done.status_code == 302
    assert "已删除居民信息" in client.get("/admin/residents/erase").get_data(as_text=True)
    _assert_erased(steward, seen)
    with steward.session() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "resident_erase")).one()
        assert entry.actor == "staff:admin" and entry.address == "127.0.0.1"
    missing = client.post("/admin/residents/erase", data={"who": "o-nobody-at-all", "csrf_token": token})
    assert missing.status_code == 404 and "没有找到这位居民" in missing.get_data(as_text=True)
    assert "删除居民信息" in client.get("/admin/audit/?action=resident_erase").get_data(as_text=True)
    blank = client.post("/admin/residents/erase", data={"who": " ", "csrf_token": token})
    assert blank.status_code == 400 and "请给出居民的" in blank.get_data(as_text=True)
