"""The council member's mobile action page: the link in a task message, no login.

`/m/ticket/<token>`: the token is signed (itsdangerous, `web.secret_key`) and names the ticket and
the member (by a hash — no openid in URLs or access logs). It shows the task and buttons
接单 / 退单 / 进展 / 办结. Each form carries a second signed token bound to the page token and the
verb, so a form cannot be forged from another site, plus Flask-WTF's token when CSRFProtect is on.
The actions are the same functions the WeChat commands use (`bot.services.casework.council`).

A link can be forwarded: the page shows the task and acts only for the member WeChat vouches for
(web authorisation, `bot.entrypoints.wx_oauth`); anyone else sees no name, phone or words and cannot act.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    get_flashed_messages,
    redirect,
    render_template_string,
    request,
    url_for,
)
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Config, CouncilMember
from bot.domain.deadlines import format_local
from bot.domain.vocabulary import EVENT_LABELS
from bot.entrypoints.wx_oauth import authorize_redirect, is_visitor, visitor_openid
from bot.runtime import current
from bot.services.casework.council import apply_council_command
from bot.services.media import store as media_store
from bot.services.push import links
from bot.storage.models import Media, Ticket, TicketEvent

bp = Blueprint("council_pages", __name__, url_prefix="/m")

FORM_SALT = "steward-council-form"
FORM_MAX_AGE = 24 * 3600


@bp.url_value_preprocessor
def _community(endpoint: str | None, values: dict | None) -> None:
    """A link made for a community opens as that community: its members, its rows, its account."""
    token = (values or {}).get("token")
    if not token:
        return
    base = current().deployment
    community = links.community_of(base.file_config, token)
    if community is not None:
        g.steward = base.for_community(community)


def _serializer(config: Config, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(config.secret_key, salt=salt)


def read_token(config: Config, token: str) -> tuple[int, CouncilMember]:
    try:
        found = links.read(config, token)
    except links.LinkExpired:
        abort(410)
    if found is None:
        abort(404)
    return found


def _form_token(config: Config, token: str, verb: str) -> str:
    return _serializer(config, FORM_SALT).dumps({"p": hashlib.sha256(token.encode()).hexdigest()[:16], "v": verb})


def _form_ok(config: Config, token: str, verb: str, value: str) -> bool:
    try:
        data = _serializer(config, FORM_SALT).loads(value or "", max_age=FORM_MAX_AGE)
    except BadSignature:
        return False
    want = hashlib.sha256(token.encode()).hexdigest()[:16]
    return hmac.compare_digest(str(data.get("p")), want) and data.get("v") == verb


def _wtf_token() -> str:
    try:
        from flask_wtf.csrf import generate_csrf

        return generate_csrf()
    except Exception:  # Flask-WTF not set up in this app: our own signed form token suffices
        return ""


PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>工单 {{ t.ref }}</title>
<link rel="stylesheet" href="{{ url_for('static', filename='council.css') }}">
</head><body>
{% for m in messages %}<p class="msg">{{ m }}</p>{% endfor %}
<div class="card"><h1>工单 {{ t.ref }}（{{ t.status_label }}）</h1>
<div><span class="k">地点：</span>{{ place }}</div>
<div><span class="k">事项：</span>{{ t.text }}</div>
{% if t.status == 'dispatched' %}<div><span class="k">接单期限：</span>{{ accept_due }}</div>{% endif %}
{% if t.status == 'accepted' %}<div><span class="k">办结期限：</span>{{ finish_due }}</div>{% endif %}
<div><span class="k">负责人：</span>{{ t.assignee_name or '未指定' }}</div>
{% if photos %}<div class="photos"><span class="k">照片：</span>{% for m in photos %}
<a href="{{ m.url }}"><img src="{{ m.url }}" alt="{{ m.who }}的照片" style="max-width:100%;margin-top:6px"></a>{% endfor %}</div>{% endif %}
{% for m in voices %}<div><span class="k">{{ m.who }}的语音：</span><audio controls preload="metadata"><source src="{{ m.url }}" type="audio/ogg"></audio>
{% if m.transcript %}<div><span class="k">识别：</span>{{ m.transcript }}</div>{% endif %}</div>{% endfor %}</div>
{% for verb, label, need_note, hint in actions %}
<form method="post" class="card">
<input type="hidden" name="verb" value="{{ verb }}">
<input type="hidden" name="form_token" value="{{ form_tokens[verb] }}">
<input type="hidden" name="csrf_token" value="{{ wtf }}">
{% if need_note %}<textarea name="note" placeholder="{{ hint }}"></textarea>{% endif %}
<button class="{{ 'gray' if verb == 'return' else '' }}">{{ label }}</button>
</form>
{% endfor %}
<div class="card"><div class="k">处理记录</div><ol>
{% for e in events %}<li>{{ e.when }} {{ e.what }}{% if e.note %}：{{ e.note }}{% endif %}</li>{% endfor %}
</ol></div>
</body></html>"""

# The events a member sees on the task page (their labels: bot.domain.vocabulary).
MEMBER_EVENTS = frozenset({"received", "dispatched", "accepted", "progress", "finished", "returned", "reminder",
                           "escalated", "reopened", "callback", "closed", "triage"})


def _actions(status: str) -> list[tuple[str, str, bool, str]]:
    acts = []
    if status == "dispatched":
        acts.append(("accept", "接单", False, ""))
    if status in ("dispatched", "accepted"):
        acts += [
            ("progress", "报进展", True, "写一句进展，例如：已联系师傅，明天上门"),
            ("finish", "办结", True, "怎么办好的，例如：已更换灯泡"),
            ("return", "退单（不归本院）", True, "退单原因（必填）"),
        ]
    return acts


ELSEWHERE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>工单</title></head><body style="font-family:sans-serif;padding:16px;font-size:19px">
<p>这个链接是发给受派理事会成员本人的，请在本人的微信里打开。</p></body></html>"""


def _not_for_you() -> Response:
    """A forwarded link, or one opened outside WeChat: nothing personal, no buttons."""
    return Response(ELSEWHERE, status=403, mimetype="text/html")


MOVED = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>工单</title><link rel="stylesheet" href="{{ url_for('static', filename='council.css') }}"></head><body>
{% for m in messages %}<p class="msg">{{ m }}</p>{% endfor %}
<p class="card">这件工单已转给其他楼院或其他人办理，您不用再处理，谢谢！</p></body></html>"""


def still_his(t: Ticket, member: CouncilMember) -> bool:
    """Re-checked on every view and action: the ticket is still in the member's courtyard and not
    assigned to somebody else (a link outlives a move or a reassignment)."""
    return t.courtyard_id == member.courtyard and t.assignee_openid in (None, member.openid)


def _moved() -> Response:
    """A ticket moved away or reassigned: no words, history, photos or buttons."""
    return Response(render_template_string(MOVED, messages=get_flashed_messages()), status=403, mimetype="text/html")


@bp.get("/ticket/<token>")
def ticket_page(token: str):  # noqa: ANN201
    steward = current()
    config = steward.config
    ticket_id, member = read_token(config, token)
    if visitor_openid() is None and request.args.get("auth") != "failed":
        return authorize_redirect(config, request.path)
    if not is_visitor(member.openid):
        return _not_for_you()
    with steward.session() as s:
        t = s.get(Ticket, ticket_id)
        if t is None:
            abort(404)
        if not still_his(t, member):
            return _moved()
        events = [
            {"when": format_local(e.at), "what": EVENT_LABELS.get(e.kind, e.kind), "note": e.note}
            for e in s.query(TicketEvent).filter_by(ticket_id=t.id).order_by(TicketEvent.id)
            if e.kind in MEMBER_EVENTS
        ]
        acts = _actions(t.status)
        shown = _media(s, t, token)
        return render_template_string(
            PAGE, t=t, place=config.courtyard_name(t.courtyard_id), accept_due=format_local(t.accept_due_at),
            finish_due=format_local(t.finish_due_at), actions=acts, events=events, wtf=_wtf_token(),
            form_tokens={a[0]: _form_token(config, token, a[0]) for a in acts},
            messages=get_flashed_messages(), photos=shown.get("image", []), voices=shown.get("voice", []),
        )


def _media(s: Session, t: Ticket, token: str) -> dict[str, list[dict[str, Any]]]:
    """The ticket's stored photos and voices (with their transcripts) by kind, as the page links them."""
    out: dict[str, list[dict[str, Any]]] = {}
    for m in s.scalars(select(Media).where(Media.ticket_id == t.id, Media.status == "stored",
                                           Media.kind.in_(("image", "voice"))).order_by(Media.id)):
        who = "居民" if m.openid == t.resident_openid else "理事会"
        url = url_for("council_pages.media_file", token=token, media_id=m.id)
        out.setdefault(m.kind, []).append({"url": url, "transcript": m.transcript, "who": who})
    return out


@bp.get("/ticket/<token>/media/<int:media_id>")
def media_file(token: str, media_id: int):  # noqa: ANN201
    """The ticket's voice (playable copy) or photo, for the member WeChat vouched for only."""
    steward = current()
    ticket_id, member = read_token(steward.config, token)
    if not is_visitor(member.openid):
        abort(403)
    with steward.session() as s:
        m, t = s.get(Media, media_id), s.get(Ticket, ticket_id)
        if m is None or t is None or m.ticket_id != ticket_id:
            abort(404)
        if not still_his(t, member):  # moved or reassigned: not his residents' photos now
            abort(403)
        found = media_store.get(s, steward.config, m.id, media_store.PLAYABLE, media_store.ORIGINAL)
    if found is None:
        abort(404)
    return Response(found[0], mimetype=found[1], headers={"Cache-Control": "private, max-age=3600"})


@bp.post("/ticket/<token>")
def ticket_action(token: str):  # noqa: ANN201
    steward = current()
    config = steward.config
    ticket_id, member = read_token(config, token)
    if not is_visitor(member.openid):
        abort(403)  # a forwarded link cannot act, whatever the form says
    verb = request.form.get("verb", "")
    if not _form_ok(config, token, verb, request.form.get("form_token", "")):
        abort(400)
    with steward.session() as s:
        t = s.get(Ticket, ticket_id)
        if t is None or t.ref is None:  # a ticket has its ref from the transaction that created it
            abort(404)
        outcome = apply_council_command(s, config, member.openid, verb, t.ref, request.form.get("note", ""))
    flash(outcome.message)
    return redirect(url_for("council_pages.ticket_page", token=token), code=303)
