"""Migration 0020 on a populated database (SQLite and PostgreSQL): today's one-community deployment
becomes community 1 in place — every ticket, event, resident, push, staff account and token is
community 1's, the admin sees every community, and nothing is lost; downgrading and upgrading
again keeps it. On PostgreSQL the row-level security policies refuse another community's rows to
a role that does not own the tables."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, func, select, text

from bot.storage import db, tenancy
from bot.storage.migrate import downgrade, upgrade
from bot.storage.models import (
    ApiToken,
    AuditEntry,
    Community,
    CourtyardRow,
    Push,
    Resident,
    StaffUser,
    Ticket,
    TicketEvent,
)
from tests.conftest import blank_db_url


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def seeded_0019(request, tmp_path):
    """A database at 0019 in use: a community with a courtyard, a resident, a ticket with an event and a
    push, an admin, a staff account and a token."""
    url = blank_db_url(request.param, tmp_path)
    upgrade(url, "0019")
    engine = create_engine(url)
    with engine.begin() as c:
        c.execute(text("INSERT INTO communities (id, name, created_at) VALUES (1, '育英街社区', CURRENT_TIMESTAMP)"))
        c.execute(text("INSERT INTO courtyards (community_id, key, name, aliases, active, created_at) "
                       "VALUES (1, 'c3', '粮食局家属院', '[]', true, CURRENT_TIMESTAMP)"))
        c.execute(text("INSERT INTO residents (openid, courtyard_id, subscribed, created_at) "
                       "VALUES ('o-res-1', 'c3', true, CURRENT_TIMESTAMP)"))
        c.execute(text("INSERT INTO tickets (ref, category, courtyard_id, text, urgent, confidence, status, "
                       "resident_openid, dispatch_attempt, reopen_count, callback_missing, published, created_at, "
                       "last_activity_at) VALUES ('R1001', 'repair', 'c3', '灯坏了', false, 1.0, 'dispatched', "
                       "'o-res-1', 1, 0, false, false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        tid = c.execute(text("SELECT id FROM tickets")).scalar()
        c.execute(text("INSERT INTO ticket_events (ticket_id, at, kind, actor) "
                       "VALUES (:t, CURRENT_TIMESTAMP, 'received', 'o-res-1')"), {"t": tid})
        c.execute(text("INSERT INTO pushes (ticket_id, openid, kind, channel, client_msg_id, status, attempts, "
                       "created_at, updated_at) VALUES (:t, 'o-m-1', 'task', 'template', 'cm-1', 'sent', 1, "
                       "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
                  {"t": tid})
        for name, role in (("admin", "admin"), ("liu", "staff")):
            c.execute(text("INSERT INTO staff_users (username, name, password_hash, role, active, created_at, "
                           "session_version) VALUES (:u, :u, 'x', :r, true, CURRENT_TIMESTAMP, 0)"),
                      {"u": name, "r": role})
        c.execute(text("INSERT INTO api_tokens (name, token_hash, role, created_at) "
                       "VALUES ('old', 'h', 'read', CURRENT_TIMESTAMP)"))
        c.execute(text("INSERT INTO audit_log (at, actor, action, target) "
                       "VALUES (CURRENT_TIMESTAMP, 'cli', 'courtyard_update', '楼院 c3')"))
    engine.dispose()
    yield url
    db.dispose_all()


def _all_in_community_one(url: str) -> None:
    with db.session_scope(url) as s:
        assert s.get(Community, 1).key == "1"
        for model in (Resident, Ticket, TicketEvent, Push, AuditEntry, CourtyardRow):
            assert set(s.scalars(select(model.community_id))) == {1}, model.__name__
        assert dict(s.execute(select(StaffUser.username, StaffUser.community_id)).tuples().all()) == {
            "admin": None, "liu": 1}
        assert s.scalars(select(ApiToken.community_id)).all() == [1]
        assert s.scalars(select(Ticket.ref)).all() == ["R1001"]


def test_a_deployment_in_use_becomes_community_one(seeded_0019):
    upgrade(seeded_0019)
    _all_in_community_one(seeded_0019)
    downgrade(seeded_0019, "0019")
    with db.session_scope(seeded_0019) as s:
        assert s.execute(text("SELECT count(*) FROM tickets")).scalar() == 1
        assert s.execute(text("SELECT count(*) FROM courtyards")).scalar() == 1  # nothing cascaded away
    db.dispose_all()
    upgrade(seeded_0019)
    _all_in_community_one(seeded_0019)


def test_a_scoped_session_reads_and_stamps_its_community_only(seeded_0019):
    upgrade(seeded_0019)
    factory = db.session_factory(seeded_0019)
    with factory() as s:
        s.add(Community(id=2, name="新华路社区", key="xinhua"))
        s.commit()
    with factory() as s:
        tenancy.scope(s, 2, (2,))
        assert s.scalars(select(Ticket)).all() == []  # community 1's ticket is not seen
        assert s.scalar(select(func.count()).select_from(Ticket)) == 0
        s.add(Resident(openid="o-xinhua-1"))
        s.commit()
    with factory() as s:
        assert s.scalar(select(Resident.community_id).where(Resident.openid == "o-xinhua-1")) == 2
        tenancy.scope(s, 1, (1,))
        assert s.scalar(select(Resident.id).where(Resident.openid == "o-xinhua-1")) is None


@pytest.mark.pg
def test_row_level_security_refuses_another_community_to_the_app_role(seeded_0019):
    if not seeded_0019.startswith("postgresql"):
        pytest.skip("row-level security is PostgreSQL's")
    upgrade(seeded_0019)
    role = f"steward_app_{uuid.uuid4().hex[:8]}"
    owner = create_engine(seeded_0019)
    with owner.begin() as c:
        c.execute(text(f"CREATE ROLE {role} LOGIN"))
        c.execute(text(f"GRANT USAGE ON SCHEMA public TO {role}"))
        c.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"))
        c.execute(text(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}"))
        c.execute(text("INSERT INTO communities (id, name, key, created_at, reference_seeded) VALUES (2, '新华路社区', 'xinhua', CURRENT_TIMESTAMP, true)"))
        c.execute(text("INSERT INTO residents (openid, subscribed, created_at, community_id) "
                       "VALUES ('o-xinhua-1', true, CURRENT_TIMESTAMP, 2)"))
    app_url = seeded_0019.replace("postgres@", f"{role}@", 1)
    app = create_engine(app_url)
    try:
        factory = db.sessionmaker(app)
        with factory() as s:  # no scope said: the policies show nothing at all
            assert s.execute(text("SELECT count(*) FROM residents")).scalar() == 0
        with factory() as s:
            tenancy.scope(s, 1, (1,), rls=True)
            # raw SQL, past the ORM's filter: the database itself refuses community 2's rows
            assert s.execute(text("SELECT openid FROM residents")).scalars().all() == ["o-res-1"]
        with factory() as s:
            tenancy.scope(s, None, None, rls=True)  # the deployment: everything
            assert s.execute(text("SELECT count(*) FROM residents")).scalar() == 2
    finally:
        app.dispose()
        with owner.begin() as c:
            c.execute(text(f"REASSIGN OWNED BY {role} TO postgres"))
            c.execute(text(f"DROP OWNED BY {role}"))
            c.execute(text(f"DROP ROLE {role}"))
        owner.dispose()
