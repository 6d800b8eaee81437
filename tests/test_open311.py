"""Open311 GeoReport v2 through a third-party client (PyPI `georeport`, for every GET it has) and
`requests` for what it lacks (POST requests, tokens, discovery, updates), in JSON and XML, against
the real app over HTTP: a request opens a ticket dispatched to the council and closed like any other;
no answer carries a resident's name, phone, openid or words; errors are the spec's code/description."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
import requests
from georeport import GeoReport
from sqlalchemy import select

from bot.storage.models import Ticket, TicketIntake
from bot.web import tokens
from tests.fixtures_dispatch import *  # noqa: F403
from tests.fixtures_dispatch import C3_FIXER, drain, events_of, pushes_to, ticket_of
from tests.workbench_helpers import STAFF, login, post_form

COMMUNITY = "育英街社区"
PRIVATE = ("王秀英", "13800000001", "楼道灯坏了好几天", "o-")


@pytest.fixture
def db_url(any_db_url: str) -> str:
    """SQLite and PostgreSQL."""
    return any_db_url


def _token(st, name: str = "partner", role: str = "write") -> str:
    with st.session() as s:
        return tokens.add(s, st.config, name, role=role)[0]


def _tid(st, ref: str) -> int:
    with st.session() as s:
        return s.scalars(select(Ticket.id).where(Ticket.ref == ref)).one()


def _post(live: str, fmt: str, **fields: str) -> requests.Response:
    return requests.post(f"{live}/open311/v2/requests.{fmt}", data=fields, timeout=10)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_services_and_definitions_through_a_georeport_client(steward_live, live, fmt):
    client = GeoReport(f"{live}/open311/v2", jurisdiction=COMMUNITY, output_format=fmt)
    listed = client.get_service_list()
    codes = {s["service_code"]: s for s in listed}
    assert {"repair", "grievance", "inquiry", "repair-01"} <= set(codes) and "event" not in codes
    lamp = codes["repair-01"]
    assert lamp["service_name"] == "照明" and lamp["group"] == "报修" and lamp["type"] == "realtime"
    assert str(lamp["metadata"]).lower() == "true" and "照明" in lamp["keywords"] and "理事会" in lamp["description"]
    spec = client.get_service_definition("repair-01")
    attrs = spec["attributes"]
    attr = attrs[0] if isinstance(attrs, list) else attrs["attribute"]
    assert attr["code"] == "courtyard" and attr["datatype"] == "singlevaluelist"
    values = attr["values"] if fmt == "json" else attr["values"]["value"]
    assert {"key": "c3", "name": "育英街3号院"} in [dict(v) for v in values] and len(values) == 10
    with pytest.raises(requests.HTTPError) as err:
        client.get_service_definition("nope")
    assert err.value.response.status_code == 404
    body = err.value.response.text
    assert ("没有这个服务代码" in body) and (('"code": 404' in body) if fmt == "json" else "<code>404</code>" in body)


def test_discovery_and_jurisdiction(steward_live, live):
    doc = requests.get(f"{live}/open311/discovery.json", timeout=10).json()
    ep = doc["endpoints"][0]
    assert ep["url"] == f"{live}/open311/v2/" and set(ep["formats"]) == {"text/xml", "application/json"}
    assert ep["specification"].endswith("GeoReport_v2")
    wrong = requests.get(f"{live}/open311/v2/services.json", params={"jurisdiction_id": "别的社区"}, timeout=10)
    assert wrong.status_code == 404 and wrong.json()[0]["code"] == 404
    assert requests.get(f"{live}/open311/v2/services.yaml", timeout=10).status_code == 404


def test_request_is_dispatched_closed_and_answered_without_resident_data(steward_live, live, wechat, client):
    st = steward_live
    key = _token(st)
    assert _post(live, "json", service_code="repair-01", description="x", api_key="wrong",
                 **{"attribute[courtyard]": "c3"}).status_code == 403
    read = _token(st, "reader", role="read")
    refused = _post(live, "xml", service_code="repair-01", description="x", api_key=read, **{"attribute[courtyard]": "c3"})
    assert refused.status_code == 403 and ET.fromstring(refused.content).find("error/code").text == "403"
    missing = _post(live, "json", api_key=key, service_code="repair-01", description="灯坏了")
    assert missing.status_code == 400 and "楼院" in missing.json()[0]["description"]
    far = _post(live, "json", api_key=key, service_code="repair-01", description="灯坏了", lat="39.9", long="116.4")
    assert far.status_code == 400 and far.json()[0]["code"] == 400

    # By position: 34.7477,113.6253 is 育英街3号院.
    resp = _post(live, "json", api_key=key, service_code="repair-01", lat="34.74772", long="113.62531",
                 jurisdiction_id=COMMUNITY, description="王秀英反映：3号楼楼道灯坏了好几天，电话13800000001",
                 first_name="秀英", last_name="王", phone="13800000001", media_url="https://example.org/lamp.jpg")
    assert resp.status_code == 201, resp.text
    ref = resp.json()[0]["service_request_id"]
    assert ref in resp.json()[0]["service_notice"]
    tid = _tid(st, ref)
    t = ticket_of(st, tid)
    assert (t.courtyard_id, t.category, t.subcategory) == ("c3", "repair", "照明")
    with st.session() as s:
        intake = s.get(TicketIntake, tid)
        assert intake.resident_phone == "13800000001" and intake.photos == ["https://example.org/lamp.jpg"]

    drain(st)
    assert any(ref in str(m) for m in pushes_to(st, C3_FIXER)), "the task reached the council member"
    assert wechat.text(C3_FIXER, f"接单 {ref}").status == 200
    drain(st)
    gr = GeoReport(f"{live}/open311/v2", jurisdiction=COMMUNITY)
    one = gr.get_service_request(ref)
    assert one["status"] == "open" and one["status_notes"] == "办理中" and one["agency_responsible"] == "育英街3号院理事会"
    assert one["expected_datetime"] and one["address"] == "育英街3号院" and one["media_url"] == "https://example.org/lamp.jpg"
    assert wechat.text(C3_FIXER, f"办结 {ref} 已更换灯泡").status == 200
    drain(st)
    login(client, STAFF)
    assert post_form(client, f"/staff/t/{ref}", f"/staff/t/{ref}/phone_callback",
                     {"solved": "1", "rating": "5", "note": "灯亮了"}).status_code == 302
    assert ticket_of(st, tid).status == "closed"
    assert events_of(st, tid) == ["received", "dispatched", "accepted", "finished", "callback", "closed"]

    for fmt in ("json", "xml"):
        raw = requests.get(f"{live}/open311/v2/requests/{ref}.{fmt}", timeout=10).text
        assert not [p for p in PRIVATE if p in raw], raw
        got = GeoReport(f"{live}/open311/v2", output_format=fmt).get_service_request(ref)
        assert got["status"] == "closed" and got["service_request_id"] == ref and got["service_code"] == "repair-01"
        listed = GeoReport(f"{live}/open311/v2", output_format=fmt).get_service_requests(status="closed",
                                                                                         service_code="repair-01")
        listed = listed if isinstance(listed, list) else [listed]
        assert [r["service_request_id"] for r in listed] == [ref]
        assert GeoReport(f"{live}/open311/v2").get_service_requests(status="open") == []
        tok = requests.get(f"{live}/open311/v2/tokens/{ref}.{fmt}", timeout=10)
        assert tok.status_code == 200 and ref in tok.text
    assert requests.get(f"{live}/open311/v2/requests/R999999.json", timeout=10).status_code == 404
    bad = requests.get(f"{live}/open311/v2/requests.json", params={"start_date": "昨天"}, timeout=10)
    assert bad.status_code == 400 and "start_date" in bad.json()[0]["description"]
    span = requests.get(f"{live}/open311/v2/requests.json", timeout=10,
                        params={"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00+08:00"})
    assert span.status_code == 400 and "90" in span.json()[0]["description"]
    assert re.fullmatch(r"R\d+", ref)


def test_address_string_and_courtyard_token_scope(steward_live, live):
    st = steward_live
    with st.session() as s:
        c5 = tokens.add(s, st.config, "c5desk", role="write", courtyard="c5")[0]
    resp = _post(live, "xml", api_key=c5, service_code="grievance", description="院里晚上有人大声唱歌",
                 address_string="二中家属院东门")
    assert resp.status_code == 201, resp.text
    ref = ET.fromstring(resp.content).find("request/service_request_id").text
    assert ticket_of(st, _tid(st, ref)).courtyard_id == "c5"
    other = _post(live, "json", api_key=c5, service_code="repair", description="灯坏了", **{"attribute[courtyard]": "c3"})
    assert other.status_code == 403
    # an unpublished grievance is not listed, as on the public board
    assert requests.get(f"{live}/open311/v2/requests/{ref}.json", timeout=10).status_code == 404
