"""转办 from the ticket page: staff refer a ticket that is not the community's business to a configured
outside party (12345, the property company, the power or water company). The service closes it as
非本社区职责（已转办）, keeps the referral, and after the commit hands it over (Open311, webhook, or a
note to phone it through); the periodic sweep retries a hand-over that failed."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user

from bot import runtime
from bot.services.civic import georeport, referrals
from bot.services.tickets.lifecycle import TransitionError, get_by_ref
from bot.web.auth import ensure_can_see, require_login

bp = Blueprint("referrals", __name__, url_prefix="/staff/t")
require_login(bp)

DONE = {"sent": "已转办并送达对方", "pending": "已转办，等待送达（电话转交的请按时间线上的电话联系）",
        "failed": "已转办，但送达失败，请电话联系对方"}


@bp.post("/<ref>/refer")
def refer(ref: str):  # noqa: ANN201
    if not current_user.is_staff:
        abort(403)
    steward = runtime.current()
    party = request.form.get("party", "")
    try:
        with steward.session() as s:
            ticket = get_by_ref(s, ref)
            if ticket is None:
                abort(404)
            ensure_can_see(ticket)
            row = referrals.refer(s, steward.config, ticket, party, current_user.username, current_user.name,
                                  (request.form.get("note") or "").strip()[:500] or None)
            rid = row.id
    except (TransitionError, georeport.Open311Error) as exc:
        flash(getattr(exc, "description", None) or str(exc), "error")
        return redirect(url_for("ticket.show", ref=ref))
    flash(DONE.get(referrals.deliver(steward, rid), "已转办"), "ok")
    return redirect(url_for("ticket.show", ref=ref))


@bp.post("/<ref>/referral_ref")
def outside_ref(ref: str):  # noqa: ANN201
    """The outside reference of a referral handed over by phone."""
    if not current_user.is_staff:
        abort(403)
    steward = runtime.current()
    try:
        with steward.session() as s:
            ticket = get_by_ref(s, ref)
            if ticket is None:
                abort(404)
            ensure_can_see(ticket)
            msg = referrals.record_ref(s, ticket, request.form.get("outside_ref", ""), current_user.username,
                                       current_user.name)
        flash(msg, "ok")
    except georeport.Open311Error as exc:
        flash(exc.description, "error")
    return redirect(url_for("ticket.show", ref=ref))
