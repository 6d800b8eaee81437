"""The Flask application factory (flaskr style): one blueprint per area."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from sqlalchemy import text
from sqlalchemy.orm import configure_mappers

from bot import config as config_mod
from bot.config import logs
from bot.entrypoints import member_page, webhook, wx_oauth
from bot.sandbox import views as sandbox_views
from bot.services.uow.steward import Steward
from bot.web import blueprints as web
from bot.web import metrics
from handlers.classify import classify


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app. `test_config` may hold `STEWARD_CONFIG` (a loaded Config or a path),
    `STEWARD_OVERRIDES` ({"section.key": value}) and any Flask settings."""
    app = Flask(__name__, instance_relative_config=False)
    test_config = dict(test_config or {})
    cfg = test_config.pop("STEWARD_CONFIG", None)
    if not isinstance(cfg, config_mod.Config):
        cfg = config_mod.load(cfg, test_config.pop("STEWARD_OVERRIDES", None))
    # gunicorn and `steward serve` refuse sample secrets and the sandbox; `steward dev` and tests may.
    config_mod.ensure_deployable(cfg)
    if not cfg.secret_key:
        raise config_mod.ConfigError(source=cfg.source, problems=[config_mod.Problem(
            "web.secret_key", "未设置：会话和理事会链接需要它", "is not set: sessions and council links need it")])
    app.config.update(
        SECRET_KEY=cfg.secret_key,
        MAX_CONTENT_LENGTH=None,  # the webhook enforces its own 64 KB limit with a 413
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SANDBOX=cfg.sandbox.enabled,
    )
    app.config.update(test_config)
    logs.setup(cfg.log.json_lines)

    steward = Steward(cfg)
    steward.init_app(app)

    app.register_blueprint(webhook.bp)
    app.register_blueprint(member_page.bp)  # /m/ticket/<token>: the council's action page
    app.register_blueprint(wx_oauth.bp)  # /m/oauth: WeChat's web authorisation comes back here
    if app.config["SANDBOX"]:
        app.register_blueprint(sandbox_views.bp)

    if cfg.metrics.enabled:
        app.register_blueprint(metrics.bp)  # /metrics: Prometheus, behind a token or an address
    web.init_app(app)  # workbench, public board, JSON API; CSRF for every form (after the above)

    @app.get("/")
    def index():  # noqa: ANN202
        from flask import redirect, url_for

        return redirect(url_for("queues.index"))

    @app.get("/healthz")
    def healthz() -> tuple[str, int]:
        """Liveness: the process answers (a restart would not help a database outage)."""
        return "ok", 200

    @app.get("/readyz")
    def readyz() -> tuple[dict[str, str], int]:
        """Readiness: 503 while the database or Redis cannot be reached (take this instance out of rotation)."""
        return readiness(app.extensions["steward"])

    return app


def readiness(steward: Steward) -> tuple[dict[str, str], int]:
    checks = {"database": "ok", "redis": "ok"}
    try:
        with steward.session() as s:
            s.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 — any failure means not ready
        checks["database"] = "unreachable"
    try:
        steward.redis.ping()
    except Exception:  # noqa: BLE001
        checks["redis"] = "unreachable"
    ready = all(v == "ok" for v in checks.values())
    return {"status": "ready" if ready else "not ready", **checks}, 200 if ready else 503


def warm_up(app: Flask) -> None:
    """Before a web worker takes its first request: import the database driver, make the engine,
    load the classifier, open a first database and Redis connection, set up the ORM. Each gunicorn worker's first message used to pay
    ~0.1–0.2 s for these; at 50 messages/s, four of them queue a second of messages behind.
    Best effort: the app must start while the database or Redis is down."""
    steward: Steward = app.extensions["steward"]
    configure_mappers()  # the ORM's first-use set-up (every model's attributes), done now
    classify("楼道灯坏了")  # loads the classifier's model file (~0.1 s, else on the first message)
    try:
        with steward.session() as s:
            s.execute(text("SELECT 1"))
        steward.redis.ping()
        steward.redis_raw.ping()
    except Exception as exc:  # noqa: BLE001 — any failure only means a cold first request
        logging.getLogger(__name__).warning("warm-up incomplete (%s); the first request pays for it",
                                            type(exc).__name__)
