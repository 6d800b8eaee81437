"""节假日: the working-day calendar behind the finish deadlines — list a year's holidays and 调休
make-up working days, add or remove one (staff, for a year `chinesecalendar` does not know yet), and
the workbench-wide warning before the known years run out."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from bot import runtime
from bot.domain.clock import to_local, utcnow
from bot.domain.workcalendar import HOLIDAY, KIND_LABELS, WORKDAY
from bot.services.dispatch import workcalendar
from bot.web.auth import require_login

bp = Blueprint("calendar", __name__, url_prefix="/staff/calendar")
require_login(bp, "admin", "staff")
WEEKDAYS = "一二三四五六日"


@bp.app_context_processor
def _warning() -> dict:
    """`calendar_warning` for base.html: staff see it on every workbench page."""
    if not getattr(current_user, "is_authenticated", False) or not current_user.is_staff:
        return {}
    steward = runtime.current()
    with steward.session() as s:
        cal = workcalendar.current(s, steward.config)
    return {"calendar_warning": cal.warning(to_local(utcnow()).date(), steward.config.calendar.warn_days)}


def _year(value: str | None) -> int:
    try:
        year = int(value or "")
    except ValueError:
        return to_local(utcnow()).year
    return year if 2000 <= year <= 2100 else to_local(utcnow()).year


@bp.get("/")
def index():  # noqa: ANN201
    year = _year(request.args.get("year"))
    steward = runtime.current()
    with steward.session() as s:
        cal = workcalendar.current(s, steward.config)
        days = [{"day": d.day, "weekday": WEEKDAYS[d.day.weekday()], "kind": KIND_LABELS.get(d.kind, d.kind),
                 "name": d.name, "source": "chinesecalendar" if d.source == workcalendar.PACKAGE else "人工录入",
                 "by": d.updated_by or ""} for d in workcalendar.year_days(s, year)]
    package = workcalendar.package_years()
    return render_template(
        "web/calendar.html", year=year, days=days, known=year in cal.known_years,
        package_first=package[0], package_last=package[-1], package_version=workcalendar.PACKAGE_VERSION,
        config_holidays=[d for d in steward.config.holidays if d.startswith(f"{year}-")],
        holidays=sum(1 for d in days if d["kind"] == KIND_LABELS[HOLIDAY]),
        workdays=sum(1 for d in days if d["kind"] == KIND_LABELS[WORKDAY]),
        kinds=KIND_LABELS,
    )


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return None


@bp.post("/add")
def add():  # noqa: ANN201
    day = _day(request.form.get("day"))
    if day is None:
        flash("请填写正确的日期（年-月-日）。", "error")
        return redirect(url_for("calendar.index", year=request.form.get("year")))
    steward = runtime.current()
    try:
        with steward.session() as s:
            workcalendar.put_day(s, day, request.form.get("kind", ""), request.form.get("name", ""),
                                 current_user.username)
    except workcalendar.CalendarError as exc:
        flash(str(exc), "error")
    else:
        flash(f"已录入 {day:%Y-%m-%d}（{KIND_LABELS.get(request.form.get('kind', ''), '')}）。", "info")
    return redirect(url_for("calendar.index", year=day.year))


@bp.post("/remove")
def remove():  # noqa: ANN201
    day = _day(request.form.get("day"))
    if day is None:
        flash("请填写正确的日期（年-月-日）。", "error")
        return redirect(url_for("calendar.index"))
    steward = runtime.current()
    with steward.session() as s:
        removed = workcalendar.remove_day(s, day)
    flash(f"已删除 {day:%Y-%m-%d}。" if removed else f"{day:%Y-%m-%d} 不在日历里。", "info" if removed else "error")
    return redirect(url_for("calendar.index", year=day.year))
