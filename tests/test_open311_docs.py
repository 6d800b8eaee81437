"""/api/docs covers the Open311 endpoints: every route of the open311 blueprint is described there with
its parameters and answers, in Chinese; and no Open311 request, however malformed, is a 500."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.web.open311 import doc
from tests.workbench_helpers import ALLOWED_WORDS, english_words


def _section(html: str, anchor: str) -> str:
    start = html.index(f'id="{anchor}"')
    return html[start:html.index("</section>", start)]


def test_docs_page_covers_every_open311_route(app, client):
    rules = {(m, re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", r.rule)) for r in app.url_map.iter_rules()
             if r.endpoint.startswith("open311.") for m in r.methods - {"HEAD", "OPTIONS"}}
    documented = {(op["method"], op["path"].replace("{service_code}", "{code}").replace("{service_request_id}", "{ref}"))
                  for op in doc.OPERATIONS}
    assert rules == documented
    html = client.get("/api/docs").get_data(as_text=True)
    assert "Open311 GeoReport v2" in html and "http://" not in html
    for op in doc.OPERATIONS:
        part = _section(html, op["id"])
        assert f"<code>{op['path']}</code>" in part and op["summary"] in part
        assert all(f"<code>{p['name']}</code>" in part for p in op["params"])
        assert all(f"<code>{code}</code>" in part for code, _ in op["responses"])
    assert not english_words(html, ALLOWED_WORDS | {"GET", "POST", "UTC", "ISO", "HTML"})


_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
_PATHS = ["/open311/v2/services.{}", "/open311/v2/services/{}.json", "/open311/v2/requests.{}",
          "/open311/v2/requests/{}.xml", "/open311/v2/tokens/{}.json", "/open311/v2/updates.{}"]
_NAMES = st.sampled_from(["service_code", "description", "lat", "long", "address_string", "attribute[courtyard]",
                          "api_key", "status", "start_date", "end_date", "service_request_id", "jurisdiction_id",
                          "media_url", "phone", "attribute[outside_party]", "attribute[outside_ref]"])


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(path=st.sampled_from(_PATHS), part=_TEXT, method=st.sampled_from(["GET", "POST"]),
       fields=st.dictionaries(_NAMES, _TEXT, max_size=6))
def test_no_request_is_a_server_error(client, path, part, method, fields):
    url = path.format(part.replace("/", "").replace("?", "").replace("#", "") or "x")
    resp = client.open(url, method=method, query_string=fields if method == "GET" else None,
                       data=fields if method == "POST" else None)
    assert resp.status_code < 500, (url, fields, resp.get_data(as_text=True)[:300])
    assert resp.mimetype in ("application/json", "text/xml"), (url, resp.mimetype)
