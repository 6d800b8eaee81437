"""Migration 0018 on a populated database (SQLite and PostgreSQL): a community seeded under 0016 with
courtyards, members, tickets and audit entries keeps them; FAQ entries and outside parties are copied
from the config once, by the sync `steward db upgrade` runs, and not again."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import create_engine, func, select, text

from bot.services.community import reference
from bot.services.community.sync import sync_from_config
from bot.services.uow.steward import Steward
from bot.storage import db
from bot.storage.migrate import upgrade
from bot.storage.models import AuditEntry, Community, CourtyardRow, FaqRow, OutsidePartyRow, Ticket
from tests.conftest import blank_db_url


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def seeded_0016(request, tmp_path):
    """A database at 0016 whose directory was seeded: a community, two courtyards, a ticket, an audit entry."""
    url = blank_db_url(request.param, tmp_path)
    upgrade(url, "0016")
    engine = create_engine(url)
    with engine.begin() as c:
        c.execute(text("INSERT INTO communities (id, name, created_at) VALUES (1, '育英街社区', CURRENT_TIMESTAMP)"))
        for key, name in (("c3", "粮食局家属院"), ("c5", "育英街5号院")):
            c.execute(text("INSERT INTO courtyards (community_id, key, name, aliases, active, created_at) "
                           "VALUES (1, :k, :n, '[]', true, CURRENT_TIMESTAMP)"), {"k": key, "n": name})
        c.execute(text("INSERT INTO tickets (ref, category, courtyard_id, text, urgent, confidence, status, "
                       "resident_openid, dispatch_attempt, reopen_count, callback_missing, published, created_at, "
                       "last_activity_at) VALUES ('R1001', 'repair', 'c3', '灯坏了', false, 1.0, 'received', "
                       "'o-res-1', 0, 0, false, false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        c.execute(text("INSERT INTO audit_log (at, actor, action, target) "
                       "VALUES (CURRENT_TIMESTAMP, 'cli', 'courtyard_update', '楼院 c3')"))
    engine.dispose()
    yield url
    db.dispose_all()


def test_upgrading_a_seeded_database_then_copying_faq_and_outside_parties(seeded_0016, config, redis_client):
    url = seeded_0016
    upgrade(url)
    with db.session_scope(url) as s:
        assert s.get(Community, 1).reference_seeded is False
        assert [y.name for y in s.scalars(select(CourtyardRow).order_by(CourtyardRow.id))] == ["粮食局家属院",
                                                                                             "育英街5号院"]
        assert s.scalars(select(Ticket.ref)).all() == ["R1001"]
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == 1
        assert s.scalar(select(func.count()).select_from(FaqRow)) == 0
    st = Steward(replace(config, database_url=url))
    assert st.config.faq == config.faq  # not copied yet: the config answers
    first = sync_from_config(st)  # copied now (the courtyards already there differ from the config's)
    assert not [d for d in first if d.startswith(("常见问题", "外部单位"))] and any("楼院 c3" in d for d in first)
    with db.session_scope(url) as s:
        assert s.get(Community, 1).reference_seeded is True
        assert s.scalar(select(func.count()).select_from(FaqRow)) == len(config.faq)
        assert {p.key for p in s.scalars(select(OutsidePartyRow))} == set(config.outside_parties)
    assert st.config.faq == config.faq and st.config.outside_parties == config.outside_parties
    assert [y.name for y in st.config.courtyards] == ["粮食局家属院", "育英街5号院"]
    with st.session() as s:  # never twice, even after every entry was removed
        for row in reference.list_faq(s, st.file_config):
            reference.remove_faq(s, st.file_config, row.id)
    sync_from_config(st)
    with db.session_scope(url) as s:
        assert s.scalar(select(func.count()).select_from(FaqRow)) == 0
    assert st.config.faq == ()
    assert len([d for d in sync_from_config(st) if d.startswith("常见问题")]) == len(config.faq)


def test_downgrade_and_upgrade_again(seeded_0016):
    upgrade(seeded_0016)
    from bot.storage.migrate import downgrade
    downgrade(seeded_0016, "0016")
    upgrade(seeded_0016)
    with db.session_scope(seeded_0016) as s:
        assert s.get(Community, 1).reference_seeded is False
        assert s.scalar(select(func.count()).select_from(CourtyardRow)) == 2  # nothing cascaded away
