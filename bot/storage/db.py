"""Engine and sessions; one engine per app/worker process, created from the config's URL."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.orm import Session, sessionmaker

_engines: dict[str, Engine] = {}


def engine_for(url: str) -> Engine:
    """A cached engine per URL; SQLite gets WAL and a busy timeout so web and workers can share it."""
    if url in _engines:
        return _engines[url]
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    # hide_parameters: SQL errors and logs name the statement, never the openids, phones and message
    # texts bound to it.
    kwargs: dict = {"future": True, "hide_parameters": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
    else:
        kwargs.update(pool_size=5, max_overflow=10)  # pinged on checkout by `_ping_when_idle`, not pool_pre_ping
    engine = create_engine(url, **kwargs)
    if not url.startswith("sqlite"):
        _ping_when_idle(engine)
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _pragmas(conn, _record) -> None:  # noqa: ANN001
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

    _engines[url] = engine
    return engine


PING_AFTER_S = 2.0
_USED = "steward_used_at"


def _ping_when_idle(engine: Engine) -> None:
    """pool_pre_ping, but only for a connection idle for more than PING_AFTER_S: one a worker handed
    back a moment ago is used again without the round trip (issue 24: the ping was one of the
    webhook's ~9 PostgreSQL round trips a message; bench/webhook_cpu.py). A server that went away in
    those seconds fails the first statement instead: SQLAlchemy then invalidates the pool and the
    webhook keeps the message as `failed` (or spooled) for `steward replay`, as for any outage."""

    @event.listens_for(engine, "connect")
    def _fresh(_conn, record) -> None:  # noqa: ANN001 — just connected: known good
        record.info[_USED] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _used(_conn, record) -> None:  # noqa: ANN001
        record.info[_USED] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(conn, record, _proxy) -> None:  # noqa: ANN001
        if time.monotonic() - record.info.get(_USED, 0.0) <= PING_AFTER_S:
            return
        try:
            ok = engine.dialect.do_ping(conn)
        except engine.dialect.loaded_dbapi.Error as err:
            if not engine.dialect.is_disconnect(err, conn, None):
                raise
            ok = False
        if not ok:  # as pool_pre_ping: every older pooled connection is suspect too
            raise exc.InvalidatePoolError()


def _after_fork_in_child() -> None:
    # A forked child (gunicorn --preload, RQ's work horse) must not use its parent's pooled
    # connections: it starts new ones and leaves the parent's sockets alone (SQLAlchemy's advice).
    for engine in _engines.values():
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_after_fork_in_child)


def describe_error(exc: BaseException, limit: int = 300) -> str:
    """The exception's class and the first line of its message: fit for logs above DEBUG and for
    `inbound_messages.error`. SQL parameters are hidden by the engine; the database's DETAIL lines
    ("Key (openid)=(…)", "Failing row contains (…)") and the SQL text start on later lines."""
    first = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first}"[:limit]


def dispose_all() -> None:
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()


def session_factory(url: str) -> sessionmaker[Session]:
    return sessionmaker(engine_for(url), expire_on_commit=False)


@contextmanager
def session_scope(url: str) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    session = session_factory(url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
