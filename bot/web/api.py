"""JSON API under /api/ for other community systems. Bearer tokens (`bot.web.tokens`) carry a role
— read, or write for the notes endpoint — and may be limited to one courtyard, in which case
nothing of another courtyard is listed, shown or counted. The OpenAPI 3 description is
`bot/web/openapi.json`, served with its Chinese HTML page by `bot.web.api_docs`."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeGuard

from flask import Blueprint, Response, g, jsonify, request
from sqlalchemy import select

from bot import config as config_mod
from bot import runtime
from bot.domain.clock import utcnow
from bot.domain.vocabulary import TicketStatus
from bot.services.inbound import staff_intake
from bot.services.rates import ALL, Rates, describe, month_of, month_rates, rankings
from bot.services.tickets import lifecycle as tickets
from bot.services.tickets.lifecycle import get_by_ref
from bot.storage.models import Ticket, TicketEvent
from bot.web import api_docs, cursors, scope, tokens
from bot.web.inputs import (
    BadInput,
    bool_value,
    check_value,
    choice_value,
    datetime_value,
    int_value,
    month_value,
)

bp = Blueprint("api", __name__, url_prefix="/api")
MAX_LIMIT = 200


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat(timespec="seconds") + "Z" if dt else None


def ticket_json(t: Ticket) -> dict[str, Any]:
    deadline = t.accept_due_at if t.status in ("received", "dispatched", "triage") else t.finish_due_at
    return {
        "ref": t.ref, "category": t.category, "subcategory": t.subcategory, "courtyard": t.courtyard_id,
        "status": t.status, "text": t.text, "urgent": t.urgent, "created_at": _iso(t.created_at),
        "deadline": _iso(deadline), "assignee": t.assignee_name, "close_reason": t.close_reason,
        "rating": t.rating, "last_activity_at": _iso(t.last_activity_at),
    }


def _error(status: int, message: str) -> Response:
    resp = jsonify({"error": message})
    resp.status_code = status
    return resp


@bp.before_request
def _known_parameters() -> None:
    """A query parameter the document does not list (a typo such as `statsu`) or an empty one is a 400,
    not ignored: a client's mistake must not look like a filtered (or unfiltered) list."""
    rule = request.url_rule.rule if request.url_rule else ""
    method = "GET" if request.method == "HEAD" else request.method
    known = api_docs.query_names().get((rule, method), frozenset())
    for name, value in request.args.items(multi=True):
        if name not in known:
            raise BadInput(f"不认识的参数「{name[:20]}」，可用的参数见 /api/docs。")
        if not value.strip():
            raise BadInput(f"参数「{name}」是空的：不需要这个参数就不要传。")


@bp.before_request
def _bearer():  # noqa: ANN202
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else ""
    steward = runtime.current()
    with steward.session() as s:
        grant = tokens.lookup(s, steward.config, token, config_mod.samples_allowed()) if token else None
    if grant is None:
        resp = _error(401, "缺少或无效的令牌（Authorization: Bearer …）")
        resp.headers["WWW-Authenticate"] = 'Bearer realm="steward"'
        return resp
    g.api_grant = grant
    if grant.community is not None:  # the token's community: every call below reads only its rows
        g.steward = steward.deployment.for_community(grant.community)
    elif (request.view_args or {}).get("ref"):  # a deployment's token on one ticket: as its community
        scope.enter_ticket(str(request.view_args["ref"]))  # type: ignore[index]
    return None


def _grant() -> tokens.Grant:
    return g.api_grant


def _visible(t: Ticket | None) -> TypeGuard[Ticket]:
    scope = _grant().courtyard
    return t is not None and (scope is None or t.courtyard_id == scope)


@bp.get("/tickets")
def list_tickets():  # noqa: ANN201
    """Urgent tickets first, then newest first; every filter value is checked (unknown → 400)."""
    a = request.args
    cfg = runtime.current().config
    limit = int_value(a.get("limit"), "limit", 1, MAX_LIMIT, default=50)
    stmt = select(Ticket)
    if _grant().courtyard:
        stmt = stmt.where(Ticket.courtyard_id == _grant().courtyard)
    known = {"status": (Ticket.status, [st.value for st in TicketStatus]),
             "courtyard": (Ticket.courtyard_id, [c.id for c in cfg.courtyards]),
             "category": (Ticket.category, [*cfg.categories, "other"])}
    for key, (col, allowed) in known.items():
        value = choice_value(a.get(key), key, allowed)
        if value is not None:
            stmt = stmt.where(col == value)
    urgent = bool_value(a.get("urgent"), "urgent")
    if urgent is not None:
        stmt = stmt.where(Ticket.urgent.is_(urgent))
    # With an offset: converted to UTC; without one it is taken as UTC, like every time in the API.
    since = datetime_value(a.get("since"), "since")
    if since:
        stmt = stmt.where(Ticket.created_at >= since)
    keyset = cursors.after_id(a.get("cursor"))
    if keyset is not None:
        stmt = stmt.where(keyset)
    with runtime.current().session() as s:
        rows = list(s.scalars(stmt.order_by(*cursors.BY_ID).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return jsonify({"tickets": [ticket_json(t) for t in rows],
                    "next_cursor": cursors.id_cursor(rows[-1]) if more and rows else None})


@bp.get("/tickets/<ref>")
def get_ticket(ref: str):  # noqa: ANN201
    with runtime.current().session() as s:
        t = get_by_ref(s, ref)
        if not _visible(t):
            return _error(404, "没有这个工单")
        return jsonify(ticket_json(t))


@bp.get("/tickets/<ref>/events")
def ticket_events(ref: str):  # noqa: ANN201
    with runtime.current().session() as s:
        t = get_by_ref(s, ref)
        if not _visible(t):
            return _error(404, "没有这个工单")
        events = s.scalars(select(TicketEvent).where(TicketEvent.ticket_id == t.id).order_by(TicketEvent.id))
        # `actor` is an openid for residents and members: only its kind leaves the system.
        out = [{"at": _iso(e.at), "kind": e.kind, "actor_name": e.actor_name,
                "actor_type": _actor_type(e.actor),
                "from_status": e.from_status, "to_status": e.to_status, "note": e.note} for e in events]
    return jsonify({"ref": t.ref, "events": out})


def _rates_json(r: Rates) -> dict[str, Any]:
    # a rate with nothing to measure is null, never 0
    return r.to_dict() | {"response_rate": r.response_rate, "resolution_rate": r.resolution_rate,
                          "satisfaction_rate": r.satisfaction_rate}


@bp.get("/rates")
def rates():  # noqa: ANN201
    steward = runtime.current()
    cfg = steward.config
    ym = month_value(request.args.get("month"), "month") or month_of(utcnow())
    courtyard = _grant().courtyard or choice_value(request.args.get("courtyard"), "courtyard",
                                                   [c.id for c in cfg.courtyards])
    with steward.session() as s:
        result = month_rates(s, cfg, *ym, redis=steward.redis)
    keys = [courtyard] if courtyard else [c.id for c in cfg.courtyards] + [ALL]
    body = {"all" if k == ALL else k: _rates_json(result.get(k, Rates())) for k in keys}
    red, black = rankings(cfg, result)
    ranked = {"red": [{"courtyard": x.courtyard, "score": round(x.score, 4)} for x in red],
              "black": [{"courtyard": x.courtyard, "score": round(x.score, 4)} for x in black],
              "min_due": cfg.rates.ranking_min_due}
    return jsonify({"month": f"{ym[0]:04d}-{ym[1]:02d}", "rates": body, "rankings": ranked,
                    "definitions": [{"name": n, "text": t} for n, t in describe(cfg)]})


def _actor_type(actor: str) -> str:
    if actor.startswith("staff:"):
        return "staff"
    if actor.startswith("api:"):
        return "api"
    return "system" if actor == "system" else "wechat"


@bp.post("/tickets/<ref>/notes")
def add_note(ref: str):  # noqa: ANN201
    """A note on the ticket's event log from another community system (write tokens only)."""
    grant = _grant()
    if not grant.can_write:
        return _error(403, "这个令牌只能读取，不能写入")
    body = request.get_json(silent=True)
    note = body.get("note") if isinstance(body, dict) else None
    if not isinstance(note, str) or not note.strip():
        raise BadInput("请求体应为 JSON 对象，note 为非空字符串")
    check_value("note", note, 2000)
    with runtime.current().session() as s:
        t = get_by_ref(s, ref)
        if not _visible(t):
            return _error(404, "没有这个工单")
        tickets.add_event(s, t, "note", actor=f"api:{grant.name}"[:64], actor_name=grant.name[:32], note=note.strip())
    resp = jsonify({"ref": ref, "ok": True})
    resp.status_code = 201
    return resp


_REPORT_FIELDS = {"channel": "渠道", "courtyard": "楼院", "category": "分类", "text": "反映内容",
                  "resident_name": "居民姓名", "resident_phone": "居民电话"}


def _report(body: Any) -> staff_intake.Report:
    """The JSON body as a Report; a wrong type is a 400 naming the field (values: staff_intake.check)."""
    if not isinstance(body, dict):
        raise BadInput("请求体应为 JSON 对象")
    values: dict[str, str | None] = {}
    for key, label in _REPORT_FIELDS.items():
        value = body.get(key)
        required = key in ("channel", "courtyard", "category", "text")
        if value is None and not required:
            values[key] = None
        elif not isinstance(value, str) or (required and not value.strip()):
            raise BadInput(f"「{label}」应为{'非空' if required else ''}字符串")
        else:
            values[key] = value
    photos = body.get("photos", [])
    if photos is None:
        photos = []
    if not isinstance(photos, list) or not all(isinstance(p, str) for p in photos):
        raise BadInput("「照片」应为网址字符串的数组")
    return staff_intake.Report(str(values["channel"]), str(values["courtyard"]), str(values["category"]),
                               str(values["text"]), values["resident_name"], values["resident_phone"], tuple(photos))


@bp.post("/tickets")
def new_ticket():  # noqa: ANN201
    """A report taken by phone, at the counter … (write tokens; a courtyard token only for its courtyard)."""
    grant = _grant()
    if not grant.can_write:
        return _error(403, "这个令牌只能读取，不能写入")
    report = _report(request.get_json(silent=True))
    if grant.courtyard and report.courtyard != grant.courtyard:
        return _error(403, "这个令牌只能给本楼院建工单")
    steward = runtime.current()
    try:
        with steward.session() as s:
            t = staff_intake.open_ticket(s, steward.config, report, actor=f"api:{grant.name}"[:64],
                                         actor_name=grant.name[:32])
            ref = t.ref
    except staff_intake.IntakeError as exc:
        raise BadInput(str(exc)) from None
    resp = jsonify({"ref": ref})
    resp.status_code = 201
    return resp
