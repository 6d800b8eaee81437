"""GeoReport v2 under /open311/v2/ (JSON and XML) and the discovery document /open311/discovery.json.

Reading is open, as the spec has it; POST requests needs `api_key` = a write token of the JSON API
(a courtyard token only for its courtyard). The logic is `bot.services.civic.georeport`; a 12345
派单 posted here with `attribute[outside_party]` and `attribute[outside_ref]` becomes a referral in
(`bot.services.civic.referrals`), and an outside party's status update arrives at POST updates.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, request
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from bot import config as config_mod
from bot import runtime
from bot.services.civic import georeport as geo
from bot.services.civic import referrals
from bot.web import tokens
from bot.web.open311 import render

bp = Blueprint("open311", __name__, url_prefix="/open311")


def _fmt() -> str:
    fmt = (request.view_args or {}).get("fmt", "json")
    return fmt if fmt in render.FORMATS else "json"


@bp.errorhandler(geo.Open311Error)
def _open311_error(exc: geo.Open311Error) -> Response:
    return render.errors(_fmt(), exc.code, exc.description)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Response:
    code = exc.code or 400
    words = {404: "没有这个地址", 405: "不支持这个请求方法"}.get(code, "请求有误")
    return render.errors(_fmt(), code, words)


@bp.before_request
def _format() -> None:
    fmt = (request.view_args or {}).get("fmt")
    if fmt is not None and fmt not in render.FORMATS:
        raise geo.Open311Error(404, "格式应为 json 或 xml")
    if request.endpoint == "open311.discovery":
        return
    jurisdiction = _arg("jurisdiction_id")
    base = runtime.current().deployment
    if len(base.communities) < 2:
        geo.check_jurisdiction(runtime.current().config, jurisdiction)
        return
    # a 街道's deployment: one jurisdiction a community; a key reads its own community's requests only
    found = next((c for c in base.communities if jurisdiction in (c.key, c.name)), None) if jurisdiction else None
    if jurisdiction and found is None:
        raise geo.Open311Error(404, "没有这个 jurisdiction_id（社区编号或名称）")
    if found is not None:
        g.steward = base.for_community(found.id)
    if request.method in ("GET", "HEAD") and _arg("api_key"):
        _grant(required=False)
    elif found is None and request.endpoint in _PER_COMMUNITY:
        raise geo.Open311Error(400, "本接口服务多个社区，请传 jurisdiction_id（社区编号或名称）")


_PER_COMMUNITY = ("open311.list_requests", "open311.one_request", "open311.token")


def _arg(name: str) -> str | None:
    value = request.values.get(name)
    if value is not None and ("\x00" in value or len(value) > 4000):
        raise geo.Open311Error(400, f"参数 {name} 有误")
    return value.strip() if value else None


def _grant(required: bool) -> tokens.Grant:
    key = _arg("api_key") or ""
    steward = runtime.current()
    with steward.session() as s:
        grant = tokens.lookup(s, steward.config, key, config_mod.samples_allowed()) if key else None
    if grant is None or (required and not grant.can_write):
        raise geo.Open311Error(403, "api_key 无效，或没有写入权限")
    if grant.community is not None:
        if steward.community_id not in (None, grant.community):
            raise geo.Open311Error(403, "这个 api_key 不属于这个 jurisdiction_id")
        g.steward = steward.deployment.for_community(grant.community)
    return grant


@bp.get("/discovery.json")
def discovery() -> Response:
    cfg = runtime.current().config
    base = cfg.public_url.rstrip("/") + "/open311/v2/"
    return render.answer("json", {
        "changeset": "2026-12-01T00:00:00Z", "contact": f"{cfg.community}工作人员，见公众号菜单「社区」",
        "key_service": "请向社区工作人员申请写入令牌（api_key）",
        "endpoints": [{"specification": geo.SPEC, "url": base, "changeset": "2026-12-01T00:00:00Z",
                       "type": "production", "formats": ["text/xml", "application/json"]}]}, "discovery", None)


@bp.get("/v2/services.<fmt>")
def services(fmt: str) -> Response:
    data = [geo.service_json(s) for s in geo.services(runtime.current().config)]
    return render.answer(fmt, data, "services", "service")


@bp.get("/v2/services/<code>.<fmt>")
def definition(code: str, fmt: str) -> Response:
    return render.answer(fmt, geo.definition(runtime.current().config, code), "service_definition", None)


def _new_request() -> geo.NewRequest:
    cfg = runtime.current().config
    code, text = _arg("service_code"), _arg("description")
    if not code:
        raise geo.Open311Error(400, "缺少 service_code")
    if not text:
        raise geo.Open311Error(400, "缺少 description（反映内容）")
    courtyard = geo.locate(cfg, _arg("attribute[courtyard]"), _arg("lat"), _arg("long"), _arg("address_string"))
    name = " ".join(x for x in (_arg("last_name"), _arg("first_name")) if x) or None
    return geo.NewRequest(code, text, courtyard, _arg("media_url"), name, _arg("phone"))


@bp.post("/v2/requests.<fmt>")
def create(fmt: str) -> Response:
    grant = _grant(required=True)
    req = _new_request()
    if grant.courtyard and req.courtyard != grant.courtyard:
        raise geo.Open311Error(403, "这个 api_key 只能给本楼院提交")
    steward = runtime.current()
    party, outside_ref = _arg("attribute[outside_party]"), _arg("attribute[outside_ref]")
    try:
        with steward.session() as s:
            if party or outside_ref:
                ticket = referrals.receive(s, steward.config, req, party or "", outside_ref or "", grant.name)
            else:
                ticket = geo.create(s, steward.config, req, actor=f"open311:{grant.name}"[:64],
                                    actor_name=grant.name[:32])
            ref = ticket.ref
    except IntegrityError:  # the same 派单 posted twice at once: the other request opened it
        with steward.session() as s:
            ref = referrals.receive(s, steward.config, req, party or "", outside_ref or "", grant.name).ref
    notice = f"已受理，工单号 {ref}，由所在楼院理事会办理"
    return render.answer(fmt, [{"service_request_id": ref, "service_notice": notice, "account_id": ""}],
                         "service_requests", "request", status=201)


_QUERY = ("service_request_id", "service_code", "start_date", "end_date", "status")


@bp.get("/v2/requests.<fmt>")
def list_requests(fmt: str) -> Response:
    steward = runtime.current()
    args: dict[str, Any] = {k: _arg(k) for k in _QUERY}
    with steward.session() as s:
        data = geo.query(s, steward.config, args)
    return render.answer(fmt, data, "service_requests", "request")


@bp.get("/v2/requests/<ref>.<fmt>")
def one_request(ref: str, fmt: str) -> Response:
    steward = runtime.current()
    with steward.session() as s:
        data = geo.get_one(s, steward.config, ref)
    return render.answer(fmt, data, "service_requests", "request")


@bp.get("/v2/tokens/<token>.<fmt>")
def token(token: str, fmt: str) -> Response:
    steward = runtime.current()
    with steward.session() as s:
        found = geo.get_one(s, steward.config, token)[0]["service_request_id"]
    return render.answer(fmt, [{"service_request_id": found, "token": token}], "service_requests", "request")


@bp.post("/v2/updates.<fmt>")
def update(fmt: str) -> Response:
    """An outside party's status update on a referral we sent it (api_key = a write token)."""
    grant = _grant(required=True)
    steward = runtime.current()
    with steward.session() as s:
        ref = referrals.update(s, steward.config, _arg("service_request_id") or "", _arg("status") or "",
                               _arg("status_notes") or "", grant.name)
    return render.answer(fmt, [{"service_request_id": ref, "status": "accepted"}], "service_requests", "request")
