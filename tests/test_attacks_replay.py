"""Issue 23, item 9: a captured signed query string replayed with another body while Redis is down
(a closed port stands for the outage). It used to be accepted ("接单 R2466" executed as that member,
a forged "楼道着火了" opened an emergency); the used pair now goes to the database (`used_queries`).
A genuine message during the outage is still stored and answered."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.storage.models import InboundMessage, Ticket, UsedQuery
from bot.wechat import signing
from tests.conftest import free_port

RESIDENT, NEIGHBOUR = "o-resident-test-0001", "o-resident-test-0002"
COUNCIL = "o-sample-c3-2"


@pytest.fixture
def overrides():
    # nothing listens: Redis is down (no sandbox: its fake WeChat keeps its state in Redis)
    return {"redis.url": f"redis://127.0.0.1:{free_port()}/0", "sandbox.enabled": False}


def _count(steward, *where) -> int:
    with steward.session() as s:
        return s.scalar(select(func.count()).select_from(InboundMessage).where(*where)) or 0


@pytest.mark.parametrize("mode", ["plain", "safe"])
def test_replay_with_another_body_is_refused_while_redis_is_down(mode, app, config, safe_config, steward):
    from dataclasses import replace

    cfg = safe_config if mode == "safe" else config
    steward.config = replace(steward.config, wechat=cfg.wechat)
    http = app.test_client()
    xml = signing.build_text_xml(cfg.wechat.original_id, RESIDENT, "3号院3号楼楼道灯坏了")
    params, body = signing.sign_request(cfg.wechat, xml, openid=RESIDENT)
    assert http.post("/wechat", query_string=params, data=body, content_type="text/xml").status_code == 200
    # the genuine message is kept and handled, Redis or not
    assert _count(steward, InboundMessage.openid == RESIDENT, InboundMessage.status == "handled") == 1
    with steward.session() as s:
        assert s.scalar(select(func.count()).select_from(Ticket)) == 1
        ref = s.scalars(select(Ticket.ref)).one()
        assert s.scalar(select(func.count()).select_from(UsedQuery)) == 1
    # WeChat's retry (same query, same body) is answered, stored once
    assert http.post("/wechat", query_string=params, data=body, content_type="text/xml").status_code == 200
    assert _count(steward, InboundMessage.openid == RESIDENT) == 1
    for sender, text in ((COUNCIL, f"接单 {ref}"), (NEIGHBOUR, "楼道着火了")):
        forged_xml = signing.build_text_xml(cfg.wechat.original_id, sender, text)
        if mode == "plain":
            forged = forged_xml.encode()
        else:
            _, forged = signing.sign_request(cfg.wechat, forged_xml, timestamp=params["timestamp"],
                                             nonce=params["nonce"])
        resp = http.post("/wechat", query_string=params, data=forged, content_type="text/xml")
        assert resp.status_code == 403, (sender, resp.status_code)
        assert _count(steward, InboundMessage.openid == sender) == 0
    with steward.session() as s:
        assert s.scalar(select(func.count()).select_from(Ticket)) == 1
        assert s.scalars(select(Ticket.status)).one() == "received"  # not accepted by the forger
        assert not s.scalar(select(func.count()).select_from(Ticket).where(Ticket.urgent.is_(True)))
