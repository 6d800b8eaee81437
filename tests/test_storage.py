"""Models, migrations and the ticket lifecycle on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from bot.domain.clock import utcnow
from bot.services.tickets import lifecycle as tickets
from bot.storage import db
from bot.storage.models import Event, InboundMessage, Registration, Ticket, TicketEvent


def test_migration_creates_every_table(any_db_url):
    names = set(inspect(db.engine_for(any_db_url)).get_table_names())
    assert {"residents", "tickets", "ticket_events", "inbound_messages", "council_members", "events",
            "registrations", "pushes", "media", "staff_users", "labelled_examples"} <= names


def test_migration_matches_models(any_db_url):
    """Autogenerate finds nothing to do: the migration and the models agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from bot.storage.models import Base

    with db.engine_for(any_db_url).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_ticket_and_first_event_in_one_transaction(any_db_url):
    with db.session_scope(any_db_url) as s:
        t = tickets.create_ticket(s, category="repair", text="楼道灯坏了", courtyard="c3", resident_openid="o1")
        ref = t.ref
    with db.session_scope(any_db_url) as s:
        t = tickets.get_by_ref(s, ref.lower())
        assert t is not None and t.status == "received"
        assert [e.kind for e in t.events] == ["received"]
    # A failure before commit leaves neither the ticket nor its event.
    with pytest.raises(RuntimeError), db.session_scope(any_db_url) as s:
        tickets.create_ticket(s, category="repair", text="x", courtyard="c3")
        raise RuntimeError("boom")
    with db.session_scope(any_db_url) as s:
        assert len(s.scalars(select(Ticket)).all()) == 1
        assert len(s.scalars(select(TicketEvent)).all()) == 1


def test_new_ticket_is_a_loaded_persistent_row(any_db_url):
    """create_ticket writes the row, its ref and its first event in the statements it runs
    (one on PostgreSQL) and hands back an attached Ticket with every column loaded: reading it
    costs no query, and changing it is flushed like any other persistent object."""
    from sqlalchemy import event

    engine = db.engine_for(any_db_url)
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        with db.session_scope(any_db_url) as s:
            s.connection()  # the transaction has begun: only create_ticket's statements count below
            statements.clear()
            t = tickets.create_ticket(s, category="repair", text="楼道灯坏了", courtyard="c3", urgent=True,
                                      resident_openid="o1", actor="o1")
            written = len(statements)
            seen = (t.id, t.ref, t.status, t.urgent, t.dispatch_attempt, t.reopen_count, t.callback_missing,
                    t.published, t.created_at, t.assignee_openid)
            assert len(statements) == written  # nothing lazy-loaded
            t.courtyard_id = "c5"  # a change to the returned object is written at commit
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert written == (1 if any_db_url.startswith("postgresql") else 3)
    assert seen[1] == tickets.ref_for(seen[0]) and seen[2:8] == ("received", True, 0, 0, False, False)
    assert seen[8] is not None and seen[9] is None
    with db.session_scope(any_db_url) as s:
        t = tickets.get_by_ref(s, seen[1])
        assert t.courtyard_id == "c5" and t.urgent is True
        (first,) = t.events
        assert (first.kind, first.to_status, first.actor, first.from_status) == ("received", "received", "o1", None)
        assert first.data == {"category": "repair", "subcategory": None, "courtyard": "c3", "urgent": True}


def test_refs_are_short_ascii_and_unique(any_db_url):
    with db.session_scope(any_db_url) as s:
        refs = [tickets.create_ticket(s, category="repair", text=str(i), courtyard="c1").ref for i in range(20)]
    assert len(set(refs)) == 20
    assert all(r.isascii() and r.isalnum() and len(r) <= 8 for r in refs)


def test_full_lifecycle_writes_an_event_per_transition(any_db_url):
    S = tickets.S
    with db.session_scope(any_db_url) as s:
        t = tickets.create_ticket(s, category="repair", text="灯", courtyard="c3")
        tickets.transition(s, t, S.dispatched, "dispatched")
        tickets.transition(s, t, S.accepted, "accepted", actor="o-member")
        tickets.transition(s, t, S.awaiting_callback, "finished", note="已更换灯泡")
        tickets.transition(s, t, S.dispatched, "reopened")
        tickets.transition(s, t, S.accepted, "accepted")
        tickets.transition(s, t, S.awaiting_callback, "finished")
        tickets.close(s, t, "resolved")
        ref = t.ref
    with db.session_scope(any_db_url) as s:
        t = tickets.get_by_ref(s, ref)
        assert t.status == "closed" and t.close_reason == "resolved" and t.closed_at is not None
        kinds = [e.kind for e in t.events]
        assert kinds == ["received", "dispatched", "accepted", "finished", "reopened", "accepted", "finished",
                         "closed"]
        assert [e.to_status for e in t.events][-1] == "closed"


def test_illegal_transition_refused_in_chinese(any_db_url):
    with db.session_scope(any_db_url) as s:
        t = tickets.create_ticket(s, category="repair", text="灯", courtyard="c3")
        with pytest.raises(tickets.TransitionError, match="不能"):
            tickets.transition(s, t, tickets.S.awaiting_callback, "finished")


def test_close_reasons_need_their_details(any_db_url):
    with db.session_scope(any_db_url) as s:
        a = tickets.create_ticket(s, category="grievance", text="噪音", courtyard="c5")
        b = tickets.create_ticket(s, category="grievance", text="噪音", courtyard="c5")
        with pytest.raises(tickets.TransitionError):
            tickets.close(s, a, "not_responsible")
        with pytest.raises(tickets.TransitionError):
            tickets.close(s, a, "duplicate", duplicate_of="R999999")
        tickets.close(s, a, "duplicate", duplicate_of=b.ref)
        tickets.close(s, b, "not_responsible", referral="市供热公司")
        assert a.duplicate_of == b.ref and b.referral == "市供热公司"


def test_inbound_dedup_key_is_unique(any_db_url):
    with db.session_scope(any_db_url) as s:
        s.add(InboundMessage(dedup_key="msg:1", openid="o", msg_type="text", raw="<xml/>"))
    with pytest.raises(IntegrityError), db.session_scope(any_db_url) as s:
        s.add(InboundMessage(dedup_key="msg:1", openid="o", msg_type="text", raw="<xml/>"))


def test_one_registration_per_resident_and_event(any_db_url):
    with db.session_scope(any_db_url) as s:
        ev = Event(title="健康讲座", starts_at=utcnow(), place="会议室", capacity=1)
        s.add(ev)
        s.flush()
        s.add(Registration(event_id=ev.id, openid="o1"))
    with pytest.raises(IntegrityError), db.session_scope(any_db_url) as s:
        ev_id = s.scalars(select(Event.id)).one()
        s.add(Registration(event_id=ev_id, openid="o1"))


def test_downgrade_and_upgrade_again(any_db_url):
    from bot.storage.migrate import downgrade, upgrade

    downgrade(any_db_url, "base")
    assert "tickets" not in inspect(db.engine_for(any_db_url)).get_table_names()
    db.dispose_all()
    upgrade(any_db_url)
    assert "tickets" in inspect(db.engine_for(any_db_url)).get_table_names()


def test_check_constraints_take_every_enum_value_and_refuse_others(any_db_url):
    """A new status or kind in bot.domain.vocabulary needs a migration that widens the CHECK: this
    test inserts every value through the migrated schema, so it fails until the migration exists."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import IntegrityError

    from bot.domain.vocabulary import CloseReason, EventKind, EventStatus, PushKind, PushStatus, TicketStatus

    engine = create_engine(any_db_url)
    ticket = ("INSERT INTO tickets (ref, status, category, text, urgent, reopen_count, dispatch_attempt, "
              "callback_missing, created_at, last_activity_at, close_reason, confidence, published) VALUES "
              "(:ref, :status, 'repair', 'x', false, 0, 0, false, '2026-12-01', '2026-12-01', :reason, 1.0, false)")
    event = ("INSERT INTO ticket_events (ticket_id, at, kind, actor, from_status, to_status) "
             "VALUES (:tid, '2026-12-01', :kind, 'system', 'received', 'received')")
    push = ("INSERT INTO pushes (openid, kind, channel, client_msg_id, status, attempts, created_at, updated_at) "
            "VALUES ('o', :kind, 'template', :cmid, :status, 0, '2026-12-01', '2026-12-01')")
    activity = ("INSERT INTO events (title, starts_at, place, capacity, description, reminder_sent, created_at, status) "
                "VALUES ('x', '2026-12-01', 'y', 1, '', false, '2026-12-01', :status)")
    with engine.begin() as conn:
        for status in EventStatus:
            conn.execute(text(activity), {"status": status.value})
        for i, status in enumerate(TicketStatus):
            conn.execute(text(ticket), {"ref": f"S{i}", "status": status.value, "reason": None})
        for i, reason in enumerate(CloseReason):
            conn.execute(text(ticket), {"ref": f"C{i}", "status": "closed", "reason": reason.value})
        tid = conn.execute(text("SELECT min(id) FROM tickets")).scalar_one()
        for kind in EventKind:
            conn.execute(text(event), {"tid": tid, "kind": kind.value})
        for i, (kind, status) in enumerate((k, s) for k in PushKind for s in PushStatus):
            conn.execute(text(push), {"kind": kind.value, "cmid": f"m{i}", "status": status.value})
    for statement, values in ((ticket, {"ref": "X1", "status": "bogus", "reason": None}),
                              (ticket, {"ref": "X2", "status": "closed", "reason": "bogus"}),
                              (event, {"tid": tid, "kind": "bogus"}),
                              (push, {"kind": "bogus", "cmid": "x1", "status": "pending"}),
                              (push, {"kind": "task", "cmid": "x2", "status": "bogus"}),
                              (activity, {"status": "bogus"})):
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text(statement), values)
    engine.dispose()


@pytest.mark.pg
def test_a_connection_idle_for_seconds_is_pinged_and_a_dead_one_replaced(monkeypatch, tmp_path):
    """No pool_pre_ping round trip for a connection used a moment ago (issue 24); one idle longer than
    PING_AFTER_S is pinged, and a dead one is replaced before the caller sees it."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    from tests.conftest import blank_db_url

    url = blank_db_url("pg", tmp_path)
    engine = db.engine_for(url)
    pings = []
    real = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda c: pings.append(1) or real(c))
    try:
        with engine.connect() as conn:
            pid = conn.scalar(text("SELECT pg_backend_pid()"))
        with engine.connect() as conn:  # used a moment ago: no ping
            assert conn.scalar(text("SELECT pg_backend_pid()")) == pid
        assert pings == []
        killer = create_engine(url, poolclass=NullPool)
        with killer.connect() as other:
            assert other.scalar(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        monkeypatch.setattr(db, "PING_AFTER_S", -1.0)  # as if idle for long
        with engine.connect() as conn:  # pinged, found dead, replaced: the statement succeeds
            assert conn.scalar(text("SELECT pg_backend_pid()")) != pid
        assert len(pings) >= 1
    finally:
        db.dispose_all()
