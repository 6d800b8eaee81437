"""JSON API under /api/ for other community systems, with bearer tokens from `[api] tokens`.
The OpenAPI 3 description is `bot/web/openapi.json`, served at /api/openapi.json."""

from __future__ import annotations

import hmac
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, jsonify, request
from sqlalchemy import select

from bot import runtime
from bot.domain.clock import utcnow
from bot.services.rates import ALL, Rates, describe, month_of, month_rates, rankings
from bot.services.tickets import get_by_ref
from bot.storage.models import Ticket, TicketEvent

bp = Blueprint("api", __name__, url_prefix="/api")
OPENAPI = Path(__file__).with_name("openapi.json")
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
def _bearer():  # noqa: ANN202
    if request.endpoint == "api.openapi":
        return None
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else ""
    tokens = runtime.current().config.api_tokens
    # Compare with every token in constant time, so timing does not leak a prefix.
    ok = bool(token) and any(hmac.compare_digest(token.encode(), t.encode()) for t in tokens)
    if not ok:
        resp = _error(401, "missing or invalid bearer token")
        resp.headers["WWW-Authenticate"] = 'Bearer realm="steward"'
        return resp
    return None


def _since(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        abort(_error(400, "since must be an ISO 8601 date or datetime"))
    # With an offset: converted to UTC; without one it is taken as UTC, like every time in the API.
    return dt.astimezone(UTC).replace(tzinfo=None) if dt.tzinfo else dt


@bp.get("/tickets")
def list_tickets():  # noqa: ANN201
    a = request.args
    try:
        limit = min(max(int(a.get("limit", 50)), 1), MAX_LIMIT)
        before = int(a["cursor"]) if a.get("cursor") else None
    except ValueError:
        return _error(400, "limit and cursor must be integers")
    stmt = select(Ticket)
    for key, col in (("status", Ticket.status), ("courtyard", Ticket.courtyard_id), ("category", Ticket.category)):
        if a.get(key):
            stmt = stmt.where(col == a[key])
    since = _since(a.get("since"))
    if since:
        stmt = stmt.where(Ticket.created_at >= since)
    if before:
        stmt = stmt.where(Ticket.id < before)
    with runtime.current().session() as s:
        rows = list(s.scalars(stmt.order_by(Ticket.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return jsonify({"tickets": [ticket_json(t) for t in rows],
                    "next_cursor": str(rows[-1].id) if more and rows else None})


@bp.get("/tickets/<ref>")
def get_ticket(ref: str):  # noqa: ANN201
    with runtime.current().session() as s:
        t = get_by_ref(s, ref)
        if t is None:
            return _error(404, "no such ticket")
        return jsonify(ticket_json(t))


@bp.get("/tickets/<ref>/events")
def ticket_events(ref: str):  # noqa: ANN201
    with runtime.current().session() as s:
        t = get_by_ref(s, ref)
        if t is None:
            return _error(404, "no such ticket")
        events = s.scalars(select(TicketEvent).where(TicketEvent.ticket_id == t.id).order_by(TicketEvent.id))
        # `actor` is an openid for residents and members: only its kind leaves the system.
        out = [{"at": _iso(e.at), "kind": e.kind, "actor_name": e.actor_name,
                "actor_type": "staff" if e.actor.startswith("staff:") else "system" if e.actor == "system" else "wechat",
                "from_status": e.from_status, "to_status": e.to_status, "note": e.note} for e in events]
    return jsonify({"ref": t.ref, "events": out})


def _rates_json(r: Rates) -> dict[str, Any]:
    # a rate with nothing to measure is null, never 0
    return r.to_dict() | {"response_rate": r.response_rate, "resolution_rate": r.resolution_rate,
                          "satisfaction_rate": r.satisfaction_rate}


def _month(value: str | None) -> tuple[int, int] | None:
    """'YYYY-MM' → (year, month); nothing → this month (Beijing time); anything else → None."""
    if not value:
        return month_of(utcnow())
    try:
        y, m = (int(p) for p in value.split("-"))
    except ValueError:
        return None
    return (y, m) if 2000 <= y <= 2100 and 1 <= m <= 12 and len(value) == 7 else None


@bp.get("/rates")
def rates():  # noqa: ANN201
    steward = runtime.current()
    cfg = steward.config
    ym = _month(request.args.get("month"))
    if ym is None:
        return _error(400, "month must be YYYY-MM (月份格式应为 YYYY-MM)")
    courtyard = request.args.get("courtyard") or None
    if courtyard is not None and cfg.courtyard(courtyard) is None:
        return _error(400, f"unknown courtyard {courtyard!r} (没有这个楼院)")
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


@bp.get("/openapi.json")
def openapi():  # noqa: ANN201
    return Response(json.dumps(json.loads(OPENAPI.read_text(encoding="utf-8")), ensure_ascii=False),
                    mimetype="application/json")
