"""Issue 23, item 13: retention. `[retention] media_days` and `raw_message_days` (default 180): the
periodic sweep removes photos' and voices' bytes (files or rows) and inbound raw text older than
that, keeps what is younger, keeps the ticket's own words, and writes the run to the audit log.
The clock is moved (bot.domain.clock.shift); SQLite and PostgreSQL, media in the database and in files."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.domain import clock
from bot.services.media import store as media_store
from bot.services.sweep import RETENTION_KEY
from bot.services.sweep import sweep as periodic
from bot.storage.models import AuditEntry, InboundMessage, Media, MediaBlob, Ticket

OLD, NEW = "o-retention-old-0001", "o-retention-new-0002"
REPORT = "育英街3号院3号楼楼道灯坏了，电话13800138000"


@pytest.fixture
def db_url(any_db_url):
    return any_db_url


@pytest.fixture(params=["directory", "database"])
def overrides(request):
    return {"media.store": request.param}


def sweep(steward) -> dict[str, int]:
    """The periodic sweep, as if an hour had passed since the last retention run (it runs hourly)."""
    steward.redis.delete(RETENTION_KEY)
    return periodic(steward)


def _photo(steward, openid: str) -> tuple[int, Path | None]:
    with steward.session() as s:
        t = s.scalars(select(Ticket).where(Ticket.resident_openid == openid)).first()
        m = Media(ticket_id=t.id, openid=openid, kind="image", media_id=f"m-{openid}", status="stored",
                  created_at=clock.utcnow())
        s.add(m)
        s.flush()
        blob = media_store.put(s, steward.config, m.id, "photos", media_store.ORIGINAL, b"\xff\xd8 jpeg", "image/jpeg")
        return m.id, (Path(steward.config.media.dir) / blob.path) if blob.path else None


def _state(steward, media_id: int) -> tuple[str, bool, str]:
    with steward.session() as s:
        m = s.get(Media, media_id)
        raw = s.scalars(select(InboundMessage.raw).where(InboundMessage.openid == m.openid)).one()
        has_bytes = media_store.get(s, steward.config, media_id) is not None
        return m.status, has_bytes, raw


def test_the_sweep_removes_old_media_bytes_and_raw_text_and_keeps_the_rest(steward, wechat):
    assert steward.config.retention.media_days == 180 and steward.config.retention.raw_message_days == 180
    assert wechat.text(OLD, REPORT).text
    old_media, old_file = _photo(steward, OLD)
    clock.shift(timedelta(days=100).total_seconds())
    assert wechat.text(NEW, "育英街5号院下水道堵了").text
    new_media, new_file = _photo(steward, NEW)
    assert (steward.config.media.store == "directory") == (old_file is not None and old_file.is_file())

    clock.shift(timedelta(days=79).total_seconds())  # 179 days: nothing is due yet
    assert sweep(steward)["retention_removed"] == 0
    assert _state(steward, old_media) == ("stored", True, _state(steward, old_media)[2])
    assert "楼道灯坏了" in _state(steward, old_media)[2]

    clock.shift(timedelta(days=2).total_seconds())  # 181 days for the first, 81 for the second
    assert sweep(steward)["retention_removed"] == 2  # one photo, one raw message
    assert _state(steward, old_media) == ("expired", False, "")
    status, kept, raw = _state(steward, new_media)
    assert status == "stored" and kept and "下水道" in raw
    if old_file is not None:
        assert not old_file.exists() and new_file is not None and new_file.is_file()
    with steward.session() as s:
        assert s.scalars(select(MediaBlob).where(MediaBlob.media_row_id == old_media)).first() is None
        assert "楼道灯坏了" in s.scalars(select(Ticket.text).where(Ticket.resident_openid == OLD)).one()
        entries = list(s.scalars(select(AuditEntry).where(AuditEntry.action == "retention")))
        assert len(entries) == 1 and entries[0].after["media"] == 1 and entries[0].after["messages"] == 1
    assert sweep(steward)["retention_removed"] == 0  # done once; an idle run leaves no entry
    clock.shift(timedelta(days=100).total_seconds())  # the second photo and message are due now ...
    assert periodic(steward)["retention_removed"] == 0  # ... but within the hour retention does not run again
    assert sweep(steward)["retention_removed"] == 2
    with steward.session() as s:
        assert len(list(s.scalars(select(AuditEntry).where(AuditEntry.action == "retention")))) == 2


@pytest.mark.parametrize("overrides", [{"retention.media_days": 7, "retention.raw_message_days": 30}])
def test_the_days_come_from_the_config(steward, wechat):
    assert wechat.text(OLD, REPORT).text
    media_id, _ = _photo(steward, OLD)
    clock.shift(timedelta(days=8).total_seconds())
    assert sweep(steward)["retention_removed"] == 1
    status, kept, raw = _state(steward, media_id)
    assert status == "expired" and not kept and "楼道灯坏了" in raw
    clock.shift(timedelta(days=23).total_seconds())
    assert sweep(steward)["retention_removed"] == 1
    assert _state(steward, media_id)[2] == ""
