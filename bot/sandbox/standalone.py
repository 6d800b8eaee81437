"""`steward sandbox`: the fake WeChat API on its own, without the webhook or the workbench."""

from __future__ import annotations

import logging

from flask import Flask, redirect
from werkzeug.wrappers import Response

from bot.config import Config
from bot.sandbox.views import bp
from bot.services.uow.steward import Steward


def create_sandbox_app(config: Config) -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY=config.secret_key, SANDBOX=True)
    Steward(config).init_app(app)

    app.register_blueprint(bp)

    @app.get("/")
    def index() -> Response:
        return redirect("/sandbox/")

    @app.get("/healthz")
    def healthz() -> tuple[str, int]:
        return "ok", 200

    return app


def warm_up(app: Flask) -> None:
    """Load the account's config (the database driver, the directory) and open a Redis connection
    before the first call. Best effort: the sandbox must start while the database is down."""
    steward: Steward = app.extensions["steward"]
    try:
        steward.config.wechat  # noqa: B018 — the directory read is the point
        steward.redis.ping()
    except Exception as exc:  # noqa: BLE001 — any failure only means a cold first call
        logging.getLogger(__name__).warning("sandbox warm-up incomplete (%s)", type(exc).__name__)
