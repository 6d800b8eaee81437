"""Community activities: create and edit (a new time or place is told to everyone signed up), cancel
(with a reason, told to them too), the roster with its waitlist, check-in, roster export, and the
reminder push to registrants the day before (`bot.services.events.reminders`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from bot import runtime
from bot.domain.clock import from_local, to_local, utcnow
from bot.services.events import registrations
from bot.services.events.reminders import enqueue_reminder
from bot.services.push import notices
from bot.storage.models import Event, Registration, Resident
from bot.web import audit_page, exports
from bot.web.auth import require_login

bp = Blueprint("events_admin", __name__, url_prefix="/staff/events")
require_login(bp, "admin", "staff")

REG_STATUS = {"registered": "已报名", "waitlist": "候补", "cancelled": "已取消"}
ROSTER_HEADERS = (("序号", 6), ("姓名", 12), ("电话", 16), ("楼院", 14), ("状态", 8), ("签到", 6),
                  ("报名时间", 17))


@dataclass
class RosterEntry:
    """A registration with what staff need to reach the person: the name and phone given at sign-up
    (else the resident's own), and the resident's courtyard by name."""

    reg: Registration
    name: str
    phone: str
    courtyard: str


def roster_entries(session: Session, event: Event) -> list[RosterEntry]:
    regs = list(event.registrations)
    openids = {r.openid for r in regs}
    residents = {r.openid: r for r in session.scalars(select(Resident).where(Resident.openid.in_(openids)))} \
        if openids else {}
    cfg = runtime.current().config
    out = []
    for r in regs:
        who = residents.get(r.openid)
        # A guest (老伴) has only the name given for them; the phone and courtyard are the registrant's.
        own_name = None if r.guest else (who.name if who else None)
        out.append(RosterEntry(r, r.name or own_name or "", r.phone or (who.phone if who else None) or "",
                               cfg.courtyard_name(who.courtyard_id) if who and who.courtyard_id else "未登记"))
    return out


class FormError(ValueError):
    pass


def _form_event(event: Event) -> None:
    f = request.form
    title, place = f.get("title", "").strip(), f.get("place", "").strip()
    if not title or not place:
        raise FormError("请填写活动名称和地点")
    try:
        starts = from_local(datetime.fromisoformat(f.get("starts_at", "")))
        capacity = int(f.get("capacity", "0"))
    except (ValueError, OverflowError):
        raise FormError("请填写正确的开始时间和人数上限") from None
    if not 1 <= capacity <= 100_000:
        raise FormError("人数上限应在 1 到 100000 之间")
    if not 2000 <= starts.year <= 2100:
        raise FormError("请填写正确的开始时间")
    now = utcnow()
    if event.id is not None and event.starts_at < now:
        raise FormError("这个活动已经开始或结束了，不能再修改")
    if starts < now:
        raise FormError("开始时间已经过去了，请填写将来的时间（北京时间）")
    courtyard = f.get("courtyard") or None
    if courtyard and runtime.current().config.courtyard(courtyard) is None:
        raise FormError("请选择楼院")
    if event.starts_at != starts:
        event.reminder_sent = False  # a new date gets its own reminder
    event.title, event.place, event.starts_at, event.capacity = title[:128], place[:128], starts, capacity
    event.courtyard_id, event.description = courtyard, f.get("description", "").strip()


def promote_waitlist(session: Session, event: Event) -> list[Registration]:
    """Fill free places from the waitlist, first come first served."""
    active = sum(1 for r in event.registrations if r.status == "registered")
    promoted = []
    for r in event.registrations:
        if active >= event.capacity:
            break
        if r.status == "waitlist":
            r.status = "registered"
            active += 1
            promoted.append(r)
    return promoted


@bp.get("/")
def index():  # noqa: ANN201
    now = utcnow()
    with runtime.current().session() as s:
        upcoming = list(s.scalars(select(Event).where(Event.starts_at >= now).order_by(Event.starts_at).limit(100)))
        past = list(s.scalars(select(Event).where(Event.starts_at < now).order_by(Event.starts_at.desc()).limit(30)))
        counts = {e.id: (sum(r.status == "registered" for r in e.registrations),
                         sum(r.status == "waitlist" for r in e.registrations)) for e in upcoming + past}
        s.expunge_all()
    return render_template("web/events.html", upcoming=upcoming, past=past, counts=counts)


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:event_id>/edit", methods=["GET", "POST"])
def edit(event_id: int | None = None):  # noqa: ANN201
    with runtime.current().session() as s:
        event = s.get(Event, event_id) if event_id else Event(capacity=30, description="")
        if event is None:
            abort(404)
        if request.method == "POST" and event.cancelled:
            flash("这个活动已经取消了，不能再修改", "error")
            return redirect(url_for("events_admin.roster", event_id=event.id))
        if request.method == "POST":
            before = {"starts_at": event.starts_at, "place": event.place} if event.id else {}
            try:
                _form_event(event)
            except FormError as exc:
                flash(str(exc), "error")
                s.rollback()
                return render_template("web/event_form.html", event=event, form=request.form), 400
            if event.id is None:
                s.add(event)
            s.flush()
            promoted = promote_waitlist(s, event)
            cfg = runtime.current().config
            notices.promoted(s, cfg, event, [r for r in promoted if not r.guest])
            told = notices.event_changed(s, cfg, event, before) if before else 0
            flash("活动已保存" + (f"，候补转正 {len(promoted)} 人" if promoted else "")
                  + (f"，已通知 {told} 位报名的居民" if told else ""), "ok")
            return redirect(url_for("events_admin.roster", event_id=event.id))
        local = to_local(event.starts_at)
        form = {"title": event.title or "", "place": event.place or "", "capacity": event.capacity,
                "courtyard": event.courtyard_id or "", "description": event.description or "",
                "starts_at": local.strftime("%Y-%m-%dT%H:%M") if local else ""}
        return render_template("web/event_form.html", event=event, form=form)


@bp.get("/<int:event_id>")
def roster(event_id: int):  # noqa: ANN201
    with runtime.current().session() as s:
        event = s.get(Event, event_id)
        if event is None:
            abort(404)
        entries = roster_entries(s, event)
        s.expunge_all()
    return render_template("web/roster.html", event=event, entries=entries, reg_status=REG_STATUS,
                           registered=sum(e.reg.status == "registered" for e in entries))


@bp.post("/<int:event_id>/registrations/<int:reg_id>/<action>")
def registration_action(event_id: int, reg_id: int, action: str):  # noqa: ANN201
    if action not in ("checkin", "undo_checkin", "cancel"):
        abort(404)
    with runtime.current().session() as s:
        reg = s.get(Registration, reg_id)
        if reg is None or reg.event_id != event_id:
            abort(404)
        if action == "cancel":
            reg.status = "cancelled"
            reg.checked_in = False
            s.flush()
            promoted = promote_waitlist(s, reg.event)
            flash("已取消报名" + (f"，{promoted[0].name or '候补居民'} 转为正式报名" if promoted else ""), "ok")
        else:
            if reg.status != "registered":
                flash("只有已报名的居民可以签到", "error")
            else:
                reg.checked_in = action == "checkin"
                flash("已签到" if reg.checked_in else "已撤销签到", "ok")
    return redirect(url_for("events_admin.roster", event_id=event_id))


def _not_cancelled(s: Session, event_id: int, refused: str) -> Event | Response:
    """The event, or (cancelled) the roster page with `refused` flashed."""
    event = s.get(Event, event_id)
    if event is None:
        abort(404)
    if event.cancelled:
        flash(refused, "error")
        return redirect(url_for("events_admin.roster", event_id=event_id))
    return event


@bp.route("/<int:event_id>/cancel", methods=["GET", "POST"])
def cancel(event_id: int):  # noqa: ANN201
    """Call an activity off (a reason is required): a confirmation page, then the CSRF-protected form."""
    steward = runtime.current()
    with steward.session() as s:
        event = _not_cancelled(s, event_id, "这个活动已经取消了")
        if not isinstance(event, Event):
            return event
        waiting = len({r.openid for r in event.registrations if r.status in ("registered", "waitlist")})
        reason = request.form.get("cancel_reason", "").strip()
        if request.method == "POST" and not reason:
            flash("请写明取消的原因，会告诉报名的居民", "error")
        if request.method == "GET" or not reason:
            status = 200 if request.method == "GET" else 400
            return render_template("web/event_cancel.html", event=event, waiting=waiting, reason=reason), status
        told = registrations.cancel_event(s, steward.config, event, reason)
    flash(f"活动已取消，已通知 {told} 位报名和候补的居民", "ok")
    return redirect(url_for("events_admin.roster", event_id=event_id))


@bp.post("/<int:event_id>/remind")
def remind(event_id: int):  # noqa: ANN201
    steward = runtime.current()  # (a cancelled event has no button; its reminder job sends nothing)
    with steward.session() as s:
        if s.get(Event, event_id) is None:  # not this community's: nothing is queued
            abort(404)
    ok = enqueue_reminder(steward.redis_raw, event_id, steward.community_id)
    flash("提醒已排队发送" if ok else "提醒排队失败（Redis 不可用），稍后定时任务会补发", "ok" if ok else "error")
    return redirect(url_for("events_admin.roster", event_id=event_id))


@bp.get("/<int:event_id>/roster.<fmt>")
def export(event_id: int, fmt: str):  # noqa: ANN201
    if fmt not in ("xlsx", "csv"):
        abort(404)
    with runtime.current().session() as s:
        event = s.get(Event, event_id)
        if event is None:
            abort(404)
        kept = [e for e in roster_entries(s, event) if e.reg.status != "cancelled"]
        rows = [[i, e.name, e.phone, e.courtyard, REG_STATUS.get(e.reg.status, e.reg.status),
                 "是" if e.reg.checked_in else "", to_local(e.reg.created_at).strftime("%Y-%m-%d %H:%M")]
                for i, e in enumerate(kept, start=1)]
        audit_page.note(s, "export", f"活动名单 {event.title[:60]}（{fmt}）", after={"rows": len(rows)})
    return exports.response(fmt, ROSTER_HEADERS, rows, f"roster-{event_id}.{fmt}", sheet="名单")
