"""`steward sandbox`: the fake WeChat API on its own, without the webhook or the workbench."""

from __future__ import annotations

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
