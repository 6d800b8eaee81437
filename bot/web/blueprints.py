"""Registering the workbench, public board and JSON API on the app: CSRF, logins, one blueprint per area.

`init_app(app)` is the only thing `bot.app.create_app` calls; call it after the webhook and sandbox
blueprints are registered, so their CSRF exemptions can be applied.
"""


from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from bot.web import (
    api,
    api_docs,
    audit_page,
    auth,
    council_admin,
    erasure_page,
    errors,
    events_admin,
    handoffs,
    health,
    inputs,
    intake,
    ledger,
    public,
    queues,
    rates,
    reference_admin,
    referrals_page,
    sample_banner,
    staff_admin,
    street,
    ticket_page,
)
from bot.web import calendar as calendar_page
from bot.web import digest as digest_page
from bot.web import filters as web_filters
from bot.web.open311 import views as open311

csrf = CSRFProtect()

# Machine-to-machine endpoints: WeChat's webhook, the sandbox's fake WeChat API, and the
# bearer-token JSON API. Everything else that takes a form needs `{{ csrf_token() }}`.

CSRF_EXEMPT_BLUEPRINTS = ("webhook", "sandbox", "api", "open311")


def init_app(app: Flask) -> None:
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 8 * 3600)  # a working day on one page
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
    steward = app.extensions["steward"]
    if steward.config.public_url.startswith("https://"):
        app.config.setdefault("SESSION_COOKIE_SECURE", True)
        app.config.setdefault("REMEMBER_COOKIE_SECURE", True)
    errors.init_app(app)
    inputs.init_app(app)  # before CSRF: nothing reads a value that is not checked
    csrf.init_app(app)
    auth.init_app(app)
    web_filters.init_app(app)
    sample_banner.init_app(app)
    for module in (auth, queues, intake, ticket_page, ledger, rates, events_admin, handoffs, calendar_page, digest_page,
                   health, council_admin, reference_admin, staff_admin, audit_page, erasure_page, public, api,
                   api_docs, open311, referrals_page, street):
        app.register_blueprint(module.bp)
    for name, bp in app.blueprints.items():
        if name in CSRF_EXEMPT_BLUEPRINTS:
            csrf.exempt(bp)
