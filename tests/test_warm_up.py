"""A web worker's start-up work happens before its first request (`bot.app.warm_up`, called by
`bot.wsgi`): the classifier's model, the ORM's set-up and first connections — and a database that
is down at start only costs a warning."""

from __future__ import annotations

import logging
import socket
from dataclasses import replace

from bot.app import create_app, warm_up
from bot.storage import db as db_mod
from handlers import classify


def test_warm_up_loads_the_model_and_opens_a_database_connection(app):
    classify._reset_default()
    engine = db_mod.engine_for(app.extensions["steward"].config.database_url)
    engine.dispose()
    warm_up(app)
    assert classify._state["model"] is not None
    assert engine.pool.checkedin() == 1  # open, back in the pool for the first request


def test_warm_up_with_the_database_down_only_warns(config, redis_client, caplog):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]  # nothing listens here once the socket is closed
    down = replace(config, database_url=f"postgresql+psycopg://postgres@127.0.0.1:{closed}/steward?connect_timeout=2")
    app = create_app({"STEWARD_CONFIG": down, "TESTING": True})
    with caplog.at_level(logging.WARNING, logger="bot.app"):
        warm_up(app)
    assert "warm-up incomplete (OperationalError)" in caplog.text
