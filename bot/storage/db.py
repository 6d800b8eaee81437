"""Engine and sessions; one engine per app/worker process, created from the config's URL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
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
        kwargs.update(pool_pre_ping=True, pool_size=5, max_overflow=10)
    engine = create_engine(url, **kwargs)
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
