"""The Open311 GeoReport v2 endpoints as the API documentation page (/api/docs) shows them, in Chinese.

Each operation lists its parameters and answers; `tests/test_open311_docs.py` holds this list to the
blueprint's URL map, so a new route without its description fails."""

from __future__ import annotations

from typing import Any

FMT = ("fmt", True, "`json` 或 `xml`（路径末尾的扩展名）")
JUR = ("jurisdiction_id", False, "本社区的名称；不传也可以，传了别的社区则为 `404`")
KEY = ("api_key", True, "写入令牌（与 JSON 接口的令牌相同，角色为 `write`；楼院令牌只能提交本楼院）")
ERR = [("400", "参数有误：`errors` 列表，每项有 `code` 和 `description`"),
       ("403", "`api_key` 无效或只能读取"), ("404", "没有这个服务、请求或地址")]


def _op(method: str, path: str, summary: str, description: str, params: list[tuple[str, bool, str]],
        ok: tuple[str, str], errors: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    return {"id": "open311-" + f"{method}-{path}".lower().replace("/", "-").replace("{", "").replace("}", "")
            .replace(".", "-").strip("-"),
            "method": method, "path": path, "summary": summary, "description": description,
            "params": [{"name": n, "required": r, "description": d} for n, r, d in params],
            "responses": [ok, *(errors if errors is not None else ERR)]}


OPERATIONS: list[dict[str, Any]] = [
    _op("GET", "/open311/discovery.json", "发现文档", "接口地址、支持的格式（`text/xml`、`application/json`）和联系方式。",
        [], ("200", "发现文档"), []),
    _op("GET", "/open311/v2/services.{fmt}", "服务列表",
        "每个分类和子分类一个服务：`service_code`、`service_name`、`description`、`group`、`keywords`、"
        "`type`（总是 `realtime`）、`metadata`（总是 `true`：需要所在楼院）。", [FMT, JUR], ("200", "服务列表"),
        [ERR[2]]),
    _op("GET", "/open311/v2/services/{service_code}.{fmt}", "服务定义",
        "所在楼院是一个 `singlevaluelist` 属性 `courtyard`，可选值为本社区的楼院；也可以改传 `lat` / `long` 或 `address_string`。",
        [("service_code", True, "服务代码"), FMT, JUR], ("200", "服务定义"), [ERR[2]]),
    _op("POST", "/open311/v2/requests.{fmt}", "提交服务请求",
        "与微信里反映、电话登记一样建工单：同样的派单、时限和三率。表单字段提交。"
        "外部单位（如 12345）派单时另传 `attribute[outside_party]`（配置里的外部单位）和 `attribute[outside_ref]`"
        "（对方编号），令牌名称须与外部单位相同；同一编号只建一张工单，办结后把结果反馈给对方。",
        [KEY, ("service_code", True, "服务代码"), ("description", True, "反映内容（最多 2000 字）"),
         ("attribute[courtyard]", False, "所在楼院（与 `lat` / `long`、`address_string` 三选一）"),
         ("lat", False, "纬度：取 500 米内最近的楼院"), ("long", False, "经度"),
         ("address_string", False, "地址：须含楼院名称或别名"), ("media_url", False, "照片网址"),
         ("first_name", False, "联系人名（只给工作人员看）"), ("last_name", False, "联系人姓"),
         ("phone", False, "联系电话（只给工作人员看）"), ("attribute[outside_party]", False, "派单的外部单位"),
         ("attribute[outside_ref]", False, "外部单位的编号"), FMT, JUR],
        ("201", "`service_request_id`（工单号）和 `service_notice`")),
    _op("GET", "/open311/v2/requests.{fmt}", "查询服务请求",
        "默认最近 90 天，最多 1000 条。不含居民的姓名、电话、微信标识和原话；`status_notes` 是公示摘要，"
        "`agency_responsible` 是楼院理事会，`expected_datetime` 是时限。未公示的投诉不列出。",
        [("service_request_id", False, "工单号，逗号分隔；给了就忽略其余条件"), ("service_code", False, "服务代码，逗号分隔"),
         ("start_date", False, "起始时间（如 `2026-01-01T00:00:00Z`）"), ("end_date", False, "截止时间，与起始相隔不超过 90 天"),
         ("status", False, "`open` 或 `closed`，逗号分隔"), FMT, JUR], ("200", "服务请求列表"), [ERR[0], ERR[2]]),
    _op("GET", "/open311/v2/requests/{service_request_id}.{fmt}", "单个服务请求", "字段同上。",
        [("service_request_id", True, "工单号"), FMT, JUR], ("200", "含一项的列表"), [ERR[2]]),
    _op("GET", "/open311/v2/tokens/{token}.{fmt}", "由令牌查工单号", "本系统提交后立即给出工单号，令牌即工单号。",
        [("token", True, "提交时得到的令牌"), FMT, JUR], ("200", "`service_request_id` 和 `token`"), [ERR[2]]),
    _op("POST", "/open311/v2/updates.{fmt}", "转办进展回传",
        "工单转给外部单位后，对方回传进展：记入工单时间线并告知居民。令牌名称须与外部单位相同。",
        [KEY, ("service_request_id", True, "对方编号（转办时对方给出的）"), ("status", True, "`open` 或 `closed`"),
         ("status_notes", False, "进展说明（最多 300 字）"), FMT, JUR], ("200", "已收到")),
]
