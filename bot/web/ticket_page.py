"""One ticket: text, photos, voice transcript, the event log as a timeline, pushes with delivery
status, and the staff actions (each a small POST form with a CSRF token)."""

from __future__ import annotations

from datetime import UTC

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from bot import runtime
from bot.domain.clock import utcnow
from bot.domain.vocabulary import CLOSE_REASONS
from bot.services.casework import staff as act
from bot.services.civic import referrals
from bot.services.inbound import intake, staff_intake
from bot.services.media import store as media_store
from bot.services.media.store import ORIGINAL, PLAYABLE
from bot.services.tickets.lifecycle import TransitionError, get_by_ref
from bot.storage.models import Media, Push, Ticket, TicketEvent
from bot.web import scope
from bot.web.auth import ensure_can_see, require_login
from handlers.classify import SUBCATEGORIES
from handlers.state import RatingAsked

bp = Blueprint("ticket", __name__, url_prefix="/staff/t")
require_login(bp)


@bp.before_request
def _the_ticket_s_community() -> None:
    """A street or admin account looking at every community opens a ticket as its community: its
    directory for a reassignment, its account for what the resident and the member are sent."""
    ref = (request.view_args or {}).get("ref")
    if ref:
        scope.enter_ticket(str(ref))

PUSH_STATUS = {"pending": "待发送", "sent": "已发送", "delivered": "已送达", "failed": "发送失败"}
STAFF_ONLY = {"reclassify", "move", "duplicate", "publish", "dispatch", "summary", "phone_callback"}
ACTIONS = ("reclassify", "dispatch", "move", "reassign", "note", "reply", "duplicate", "close", "reopen", "publish",
           "summary", "phone_callback")


def _load(session, ref: str) -> Ticket:  # noqa: ANN001
    ticket = get_by_ref(session, ref)
    if ticket is None:
        abort(404)
    ensure_can_see(ticket)
    return ticket


@bp.get("/<ref>")
def show(ref: str):  # noqa: ANN201
    steward = runtime.current()
    cfg = steward.config
    with steward.session() as s:
        ticket = _load(s, ref)
        events = list(s.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)))
        pushes = list(s.scalars(select(Push).where(Push.ticket_id == ticket.id).order_by(Push.id)))
        media = list(s.scalars(select(Media).where(Media.ticket_id == ticket.id).order_by(Media.id)))
        intake = staff_intake.intake_of(s, ticket.id)
        referred = referrals.of_ticket(s, ticket.id)
        s.expunge_all()
    transcripts = [e.data.get("recognition") for e in events if e.data and e.data.get("recognition")]
    return render_template(
        "web/ticket.html",
        t=ticket,
        events=events,
        pushes=pushes,
        media=media,
        intake=intake,
        referred=referred,
        transcripts=transcripts,
        push_status=PUSH_STATUS,
        members=cfg.council(ticket.courtyard_id) if ticket.courtyard_id else [],
        close_reasons={k: v for k, v in CLOSE_REASONS.items() if k not in ("resolved", "duplicate")},
        subcategories=SUBCATEGORIES,
        can_staff=current_user.is_staff,
        parties={k: p["name"] for k, p in cfg.outside_parties.items()},
    )


@bp.post("/<ref>/<action>")
def do(ref: str, action: str):  # noqa: ANN201
    if action not in ACTIONS:
        abort(404)
    if action in STAFF_ONLY and not current_user.is_staff:
        abort(403)
    steward = runtime.current()
    cfg, f = steward.config, request.form
    try:
        with steward.session() as s:
            ticket = _load(s, ref)
            resident, tref = ticket.resident_openid, ticket.ref
            if action == "reclassify":
                msg = act.reclassify(s, ticket, current_user, cfg, f.get("category", ""), f.get("subcategory"))
                if f.get("then_dispatch"):
                    msg += "；" + act.dispatch(s, ticket, current_user)
            elif action == "dispatch":
                msg = act.dispatch(s, ticket, current_user)
            elif action == "move":
                msg = act.move(s, ticket, current_user, cfg, f.get("courtyard", ""))
            elif action == "reassign":
                msg = act.reassign(s, ticket, current_user, cfg, f.get("openid", ""))
            elif action == "note":
                msg = act.note(s, ticket, current_user, f.get("note", ""))
            elif action == "reply":
                msg = act.reply(s, ticket, current_user, cfg, f.get("text", ""))
            elif action == "duplicate":
                msg = act.mark_duplicate(s, ticket, current_user, f.get("original", ""), cfg)
            elif action == "close":
                msg = act.close(s, ticket, current_user, f.get("reason", ""), f.get("referral"), f.get("note"), cfg)
            elif action == "reopen":
                msg = act.reopen(s, ticket, current_user, f.get("note"))
            elif action == "phone_callback":
                msg = act.phone_callback(s, ticket, current_user, cfg, f.get("solved", ""), f.get("rating"),
                                         f.get("note"))
            elif action == "summary":
                msg = act.public_summary(s, ticket, current_user, f.get("public_summary", ""))
            else:
                msg = act.publish(s, ticket, current_user, f.get("published") == "1")
        flash(msg, "ok")
        if action == "close" and f.get("reason") == "answered" and resident and tref:
            # The notice asks for a 1–5 rating: the resident's next digits answer it.
            state = intake.load_state(steward, resident)
            now = utcnow().replace(tzinfo=UTC).timestamp()  # the handlers' clock: naive UTC read as UTC
            intake.save_state(steward, resident, state.asking(RatingAsked(tref), now))
    except TransitionError as exc:
        flash(str(exc), "error")
    return redirect(url_for("ticket.show", ref=ref))


@bp.get("/<ref>/media/<int:media_id>")
def media_file(ref: str, media_id: int):  # noqa: ANN201
    """A photo, or a voice as a browser plays it (`?v=original`: the file WeChat sent), from shared
    storage with its own content type."""
    steward = runtime.current()
    variants = (ORIGINAL,) if request.args.get("v") == "original" else (PLAYABLE, ORIGINAL)
    with steward.session() as s:
        ticket = _load(s, ref)
        m = s.get(Media, media_id)
        if m is None or m.ticket_id != ticket.id:
            abort(404)
        found = media_store.get(s, steward.config, m.id, *variants)
    if found is None:
        abort(404)
    content, ctype = found
    resp = Response(content, mimetype=ctype)
    resp.headers["Cache-Control"] = "private, max-age=3600"
    return resp
