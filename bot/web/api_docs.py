"""The JSON API's description: the OpenAPI 3 document (`bot/web/openapi.json`, with this community's
courtyards and categories filled in as the enums of those parameters) at /api/openapi.json, and the
same document as a Chinese HTML page at /api/docs, rendered on the server — no script, no CDN, so it
works behind the CSP and without the internet. Neither needs a token."""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, render_template
from markupsafe import Markup, escape

from bot import runtime
from bot.config import Config
from bot.services.inbound import staff_intake
from bot.web.open311 import doc as open311_doc

bp = Blueprint("api_docs", __name__, url_prefix="/api")
OPENAPI = Path(__file__).with_name("openapi.json")
METHODS = ("get", "post", "put", "patch", "delete")
TYPES = {"string": "字符串", "integer": "整数", "number": "数字", "boolean": "布尔值",
         "array": "数组", "object": "对象"}
PLACES = {"query": "查询参数", "path": "路径参数", "header": "请求头"}
FORMATS = {"date-time": "日期时间（ISO 8601）"}


@cache
def _base() -> dict[str, Any]:
    return json.loads(OPENAPI.read_text(encoding="utf-8"))


def document(cfg: Config) -> dict[str, Any]:
    """The OpenAPI document with the configured courtyard ids and category keys as enums."""
    doc = copy.deepcopy(_base())
    params = doc["components"]["parameters"]
    params["Courtyard"]["schema"]["enum"] = [c.id for c in cfg.courtyards]
    params["Category"]["schema"]["enum"] = [*cfg.categories, "other"]
    new = doc["components"]["schemas"]["NewTicket"]["properties"]
    new["courtyard"]["enum"] = [c.id for c in cfg.courtyards]
    new["category"]["enum"] = list(staff_intake.categories(cfg))
    return doc


@cache
def query_names() -> dict[tuple[str, str], frozenset[str]]:
    """The query parameters each documented operation takes, by (Flask rule, method): the API refuses others."""
    doc = _base()
    prefix = doc["servers"][0]["url"]
    out = {}
    for path, item in doc["paths"].items():
        rule = prefix + re.sub(r"\{([^}]+)\}", r"<\1>", path)
        for method in METHODS:
            if method in item:
                params = (resolve(doc, p) for p in item[method].get("parameters", []))
                out[(rule, method.upper())] = frozenset(p["name"] for p in params if p["in"] == "query")
    return out


def resolve(doc: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow a local `$ref` (one level is all this document uses)."""
    ref = node.get("$ref")
    if not ref:
        return node
    target: Any = doc
    for part in ref.removeprefix("#/").split("/"):
        target = target[part]
    return target


def schema_text(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """What a reader needs of a schema: type in Chinese, enum, bounds, pattern, default, the schema's name."""
    name = schema["$ref"].rsplit("/", 1)[1] if "$ref" in schema else None
    s = resolve(doc, schema)
    kind = TYPES.get(s.get("type", ""), s.get("type", ""))
    if s.get("type") == "array":
        item = s.get("items", {})
        if "$ref" in item:
            name, kind = item["$ref"].rsplit("/", 1)[1], f"{TYPES['array']}，元素为"
        else:
            kind = f"{TYPES['array']}，元素为{TYPES.get(item.get('type', ''), '')}"
    bounds = [f"最小 {s['minimum']}" if "minimum" in s else "", f"最大 {s['maximum']}" if "maximum" in s else "",
              f"最长 {s['maxLength']} 字" if "maxLength" in s else ""]
    return {"schema": name, "type": kind, "format": FORMATS.get(s.get("format", ""), s.get("format", "")),
            "enum": [v for v in s.get("enum", []) if v is not None], "nullable": s.get("nullable", False),
            "default": s.get("default"), "pattern": s.get("pattern", ""), "bounds": "，".join(b for b in bounds if b),
            "description": s.get("description", "")}


def operations(doc: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for path, item in doc["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            params = []
            for raw in op.get("parameters", []):
                p = resolve(doc, raw)
                params.append({"name": p["name"], "in": PLACES.get(p["in"], p["in"]), "required": p.get("required", False),
                               "example": p.get("example"), **schema_text(doc, p["schema"]),
                               "description": p.get("description", "")})
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            responses = [{"code": code, "description": resolve(doc, r).get("description", "")}
                         for code, r in op.get("responses", {}).items()]
            out.append({"id": f"{method}-{path}".replace("/", "-").strip("-").replace("{", "").replace("}", ""),
                        "method": method.upper(), "path": path, "summary": op.get("summary", ""),
                        "description": op.get("description", ""), "params": params,
                        "body": fields(doc, body) if body else [], "responses": responses,
                        "public": op.get("security") == []})
    return out


def fields(doc: dict[str, Any], schema: dict[str, Any]) -> list[dict[str, Any]]:
    s = resolve(doc, schema)
    required = set(s.get("required", []))
    return [{"field": k, "required": k in required, **schema_text(doc, v)} for k, v in s.get("properties", {}).items()]


@bp.app_template_filter("code_spans")
def code_spans(text: str) -> Markup:
    """`name` in the document's prose → <code>name</code>, everything else escaped."""
    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", str(escape(text))))


@bp.get("/openapi.json")
def openapi():  # noqa: ANN201
    return Response(json.dumps(document(runtime.current().config), ensure_ascii=False), mimetype="application/json")


@bp.get("/docs")
def docs():  # noqa: ANN201
    doc = document(runtime.current().config)
    schemas = {name: fields(doc, s) for name, s in doc["components"]["schemas"].items() if s.get("type") == "object"}
    return render_template("web/api_docs.html", info=doc["info"], base=doc["servers"][0]["url"],
                           operations=operations(doc), schemas=schemas, open311=open311_doc.OPERATIONS,
                           status=schema_text(doc, doc["components"]["schemas"]["Status"]))
