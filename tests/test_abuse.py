"""Abuse: bad and hostile input through the real webhook and the workbench, plus property-based tests
over the parsing and understanding entry points.

Every refused request must get its status (403 / 400 / 413) and leave nothing behind — no inbound
row, no ticket, no resident, no de-duplication key. Odd but valid messages get 200 and a reply
WeChat can show. `tests/test_webhook.py` covers the basic cases; this file is the wider corpus.
"""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.storage.models import InboundMessage, Resident, Ticket
from bot.wechat import signing
from bot.wechat.messages import MAX_REPLY_BYTES, BadMessage, text_reply_xml, to_inbound
from bot.wechat.security import MAX_BODY, Rejected, parse_xml, signature
from tests.wechat_client import WeChatTestClient

RESIDENT = "o-abuse-resident-0001"
ACCOUNT = "gh_sample_courtyard"


def _count(steward, model) -> int:
    with steward.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def assert_nothing_stored(steward, redis_client) -> None:
    assert _count(steward, InboundMessage) == 0
    assert _count(steward, Ticket) == 0
    assert _count(steward, Resident) == 0
    assert not list(redis_client.scan_iter("steward:seen:*"))


def _text_xml(content: str = "3号院楼道灯坏了", openid: str = RESIDENT, msg_id: int | None = None) -> str:
    return signing.build_text_xml(ACCOUNT, openid, content, msg_id=msg_id)


def _sign(config, body: bytes, ts: str | None = None, nonce: str = "4242") -> dict[str, str]:
    ts = ts or str(int(time.time()))
    return {"signature": signing.sign(config.wechat.token, ts, nonce), "timestamp": ts, "nonce": nonce}


def _post(client, params: dict[str, str], body: bytes):
    return client.post("/wechat", query_string=params, data=body, content_type="text/xml")


# -- signatures and timestamps: 403 -------------------------------------------------------------


def _signature_cases(config) -> dict[str, tuple[dict[str, str], bytes]]:
    body = _text_xml().encode()
    now = int(time.time())
    good = _sign(config, body)
    other = {"signature": signing.sign("another-token", good["timestamp"], "1"), "timestamp": good["timestamp"],
             "nonce": "1"}
    stale_ts = str(now - config.wechat.timestamp_tolerance - 5)
    future_ts = str(now + config.wechat.timestamp_tolerance + 5)
    return {
        "missing signature": ({k: v for k, v in good.items() if k != "signature"}, body),
        "empty signature": (good | {"signature": ""}, body),
        "zero signature": (good | {"signature": "0" * 40}, body),
        "signed with another token": (other, body),
        "uppercase signature": (good | {"signature": good["signature"].upper()}, body),
        "signature with extra char": (good | {"signature": good["signature"] + "a"}, body),
        "non-ASCII signature": (good | {"signature": "签名" * 10}, body),
        "missing timestamp": ({k: v for k, v in good.items() if k != "timestamp"}, body),
        "timestamp changed after signing": (good | {"timestamp": str(now + 1)}, body),
        "nonce changed after signing": (good | {"nonce": "4243"}, body),
        "stale timestamp": (_sign(config, body, stale_ts), body),
        "future timestamp": (_sign(config, body, future_ts), body),
        "non-numeric timestamp": (_sign(config, body, "abc"), body),
        "huge timestamp": (_sign(config, body, "9" * 40), body),
        "negative timestamp": (_sign(config, body, "-1"), body),
        "encrypted mode claimed in plain mode": (good | {"encrypt_type": "aes", "msg_signature": "0" * 40}, body),
    }


SIGNATURE_CASES = [
    "missing signature", "empty signature", "zero signature", "signed with another token", "uppercase signature",
    "signature with extra char", "non-ASCII signature", "missing timestamp", "timestamp changed after signing",
    "nonce changed after signing", "stale timestamp", "future timestamp", "non-numeric timestamp",
    "huge timestamp", "negative timestamp", "encrypted mode claimed in plain mode",
]


@pytest.mark.parametrize("case", SIGNATURE_CASES)
def test_bad_signatures_and_timestamps_403_nothing_stored(case, client, config, steward, redis_client):
    params, body = _signature_cases(config)[case]
    resp = _post(client, params, body)
    assert resp.status_code == 403, case
    assert b"<xml" not in resp.data
    assert_nothing_stored(steward, redis_client)


def test_get_verification_refuses_every_bad_signature(client, config):
    for case in SIGNATURE_CASES:
        params, _ = _signature_cases(config)[case]
        if "encrypt_type" in params:
            continue  # GET has no encryption
        resp = client.get("/wechat", query_string=params | {"echostr": "echo-me"})
        assert resp.status_code == 403, case
        assert b"echo-me" not in resp.data, case


def test_replayed_request_is_answered_once_and_stored_once(wechat, client, config, steward):
    """An attacker (or WeChat) replaying a captured request inside the tolerance gets the same answer
    and stores nothing new; once the timestamp is stale the replay is refused."""
    xml = _text_xml("3号院下水道堵了", msg_id=8_100_000_000_001)
    params, body = signing.sign_request(config.wechat, xml)
    first = _post(client, params, body)
    again = [_post(client, params, body) for _ in range(3)]
    assert first.status_code == 200 and all(r.status_code == 200 for r in again)
    assert {signing.parse_reply(config.wechat, r.data)["Content"] for r in again} == {
        signing.parse_reply(config.wechat, first.data)["Content"]}
    assert _count(steward, InboundMessage) == 1 and _count(steward, Ticket) == 1
    stale = str(int(time.time()) - config.wechat.timestamp_tolerance - 60)
    params, body = signing.sign_request(config.wechat, xml, timestamp=stale, nonce=params["nonce"])
    assert _post(client, params, body).status_code == 403
    assert _count(steward, InboundMessage) == 1


# -- malformed and hostile XML: 400 -------------------------------------------------------------

BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    + ']><xml><ToUserName>x</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime>'
    "<MsgType>text</MsgType><Content>&lol9;</Content><MsgId>1</MsgId></xml>"
)
XXE_FILE = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    "<xml><ToUserName>x</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime>"
    "<MsgType>text</MsgType><Content>&xxe;</Content><MsgId>2</MsgId></xml>"
)
XXE_PARAM = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>'
    "<xml><FromUserName>o</FromUserName><MsgType>text</MsgType></xml>"
)
VALID = _text_xml("3号院楼道灯坏了", msg_id=8_100_000_000_002)

MALFORMED: dict[str, bytes] = {
    "empty body": b"",
    "whitespace only": b"   \n ",
    "truncated": VALID.encode()[: len(VALID) // 2],
    "missing closing root": VALID.encode().replace(b"</xml>", b""),
    "JSON instead of XML": b'{"MsgType": "text", "Content": "hi"}',
    "wrong root element": VALID.replace("<xml>", "<root>").replace("</xml>", "</root>").encode(),
    "two root elements": (VALID + VALID).encode(),
    "no FromUserName": re.sub(r"<FromUserName>.*?</FromUserName>", "", VALID).encode(),
    "no MsgType": re.sub(r"<MsgType>.*?</MsgType>", "", VALID).encode(),
    "CreateTime is SQL": VALID.replace(re.search(r"<CreateTime>\d+</CreateTime>", VALID).group(0),
                                       "<CreateTime>1; DROP TABLE tickets</CreateTime>").encode(),
    "billion laughs": BILLION_LAUGHS.encode(),
    "external entity (file)": XXE_FILE.encode(),
    "external parameter entity": XXE_PARAM.encode(),
    "lowercase spaced doctype": b"<! doctype xml><xml><FromUserName>o</FromUserName><MsgType>text</MsgType></xml>",
    # The DTD regex looks at bytes; in UTF-16 it sees none, so the parser itself must refuse entities.
    "billion laughs in UTF-16": BILLION_LAUGHS.replace('version="1.0"', 'version="1.0" encoding="UTF-16"')
    .encode("utf-16"),
    "GBK bytes, no declaration": VALID.replace("3号院楼道灯坏了", "三号院灯坏了").encode("gbk"),
    "Latin-1 declared, not UTF-8": ('<?xml version="1.0" encoding="ISO-8859-1"?>' + VALID.replace(
        "3号院楼道灯坏了", "caf\u00e9")).encode("latin-1"),
    "invalid UTF-8 bytes": VALID.encode().replace("灯".encode(), b"\xff\xfe\xfd"),
    "NUL byte": VALID.replace("楼道", "楼\x00道").encode(),
    "C0 control characters": VALID.replace("楼道", "楼\x01\x02\x1b道").encode(),
    "deeply nested": b"<xml>" + b"<a>" * 5000 + b"x" + b"</a>" * 5000 + b"</xml>",
    "processing instruction only": b'<?xml version="1.0"?>',
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_and_hostile_xml_400_nothing_stored(case, client, config, steward, redis_client):
    body = MALFORMED[case]
    resp = _post(client, _sign(config, body), body)
    assert resp.status_code == 400, (case, resp.status_code, resp.data[:200])
    assert b"root:" not in resp.data and b"/etc/passwd" not in resp.data
    assert_nothing_stored(steward, redis_client)


@pytest.mark.parametrize("size", [2 * 1024 * 1024, MAX_BODY + 1])
def test_oversized_bodies_413_nothing_stored(size, client, config, steward, redis_client):
    filler = "灯" * (size // 3 + 1)
    body = _text_xml(filler).encode()[: max(size, MAX_BODY + 1)]
    resp = _post(client, _sign(config, body), body)
    assert resp.status_code == 413
    assert_nothing_stored(steward, redis_client)


def test_oversized_body_413_in_safe_mode(app, safe_config, steward, redis_client):
    from bot.app import create_app

    safe_app = create_app({"STEWARD_CONFIG": safe_config, "TESTING": True})
    body = b"<xml><Encrypt><![CDATA[" + b"A" * (2 * 1024 * 1024) + b"]]></Encrypt></xml>"
    params = _sign(safe_config, body) | {"encrypt_type": "aes", "msg_signature": "0" * 40}
    resp = safe_app.test_client().post("/wechat", query_string=params, data=body, content_type="text/xml")
    assert resp.status_code == 413
    assert_nothing_stored(steward, redis_client)


@pytest.mark.parametrize("case", ["garbage Encrypt", "plain body in safe mode", "no msg_signature"])
def test_safe_mode_refusals(case, safe_config, app, steward, redis_client):
    from bot.app import create_app

    safe_app = create_app({"STEWARD_CONFIG": safe_config, "TESTING": True})
    client = safe_app.test_client()
    if case == "garbage Encrypt":
        encrypt = "bm90IGEgcmVhbCBjaXBoZXJ0ZXh0"
        body = f"<xml><ToUserName>{ACCOUNT}</ToUserName><Encrypt>{encrypt}</Encrypt></xml>".encode()
        params = _sign(safe_config, body)
        # Correctly signed over a ciphertext that does not decrypt: malformed, not forged.
        params |= {"encrypt_type": "aes",
                   "msg_signature": signature(safe_config.wechat.token, params["timestamp"], params["nonce"], encrypt)}
        expected = 400
    elif case == "plain body in safe mode":
        body = VALID.encode()
        params, expected = _sign(safe_config, body), 403
    else:
        params, body = signing.sign_request(safe_config.wechat, VALID)
        params.pop("msg_signature")
        expected = 403
    resp = client.post("/wechat", query_string=params, data=body, content_type="text/xml")
    assert resp.status_code == expected, case
    assert_nothing_stored(steward, redis_client)


# -- odd but valid: 200 with a reply WeChat can show -------------------------------------------

SQL = "x'); DROP TABLE tickets; --"
HTML = '<script>alert("x")</script><img src=x onerror=alert(1)>'

ODD_TEXTS = {
    "10,000 characters": "3号院楼道灯坏了" + "很黑" * 5000,
    "SQL in content": f"3号院 {SQL} 1' OR '1'='1",
    "HTML in content": f"3号院楼道灯坏了 {HTML}",
    "CDATA terminator in content": "3号院楼道灯 ]]> 坏了 ]]><xml>",
    "allowed control and format characters": "3号院\t楼道\r\n灯\u200b坏\u202e了\ufeff\u2028\x7f\x85",
    "emoji and astral characters": "3号院🏠楼道灯💡坏了𠀀𪚥",
    "only whitespace": "   \t  ",
    "empty content": "",
    "percent and format strings": "3号院 %s %d {0} {resident} %(x)s ${HOME} `id`",
}


@pytest.mark.parametrize("case", list(ODD_TEXTS))
def test_odd_but_valid_texts_answered_with_a_reply(case, wechat, steward):
    ex = wechat.text(RESIDENT, ODD_TEXTS[case])
    assert ex.status == 200, case
    assert ex.text, f"{case}: no friendly reply"
    assert len(ex.text.encode("utf-8")) <= MAX_REPLY_BYTES
    assert "Traceback" not in ex.text
    with steward.session() as s:
        row = s.scalars(select(InboundMessage)).one()
        assert row.status == "handled", (case, row.error)


def test_sql_and_html_in_every_field_are_stored_verbatim_and_harmless(wechat, steward, config):
    fields = {
        "ToUserName": ACCOUNT,  # another account's messages are refused (tests/test_webhook_rules.py)
        "FromUserName": f"o-{SQL}"[:60],
        "CreateTime": int(time.time()),
        "MsgType": "text",
        "Content": f"3号院 {SQL} {HTML}",
        "MsgId": f"1{SQL}",
        "Extra": HTML,
    }
    ex = wechat.post_xml(signing.build_xml(fields))
    assert ex.status == 200 and ex.text
    assert ex.reply["ToUserName"] == fields["FromUserName"]
    with steward.session() as s:
        row = s.scalars(select(InboundMessage)).one()
        assert row.openid == fields["FromUserName"] and row.dedup_key == f"msg:{fields['FromUserName']}:1{SQL}"
        assert SQL in row.raw and HTML in row.raw
        assert s.scalar(select(func.count()).select_from(Ticket)) >= 0  # the table is still there
    # The same payloads in a non-text type and an event: polite answers, nothing breaks.
    for i, msg_type in enumerate(["text' OR 1=1 --", "<img src=x onerror=1>"]):
        ex = wechat.post_xml(signing.build_xml(fields | {"MsgType": msg_type, "MsgId": f"2{i}"}))
        assert ex.status == 200 and ex.text
    event = signing.build_event_xml(ACCOUNT, "o-evt", f"CLICK{SQL}", event_key=HTML)
    assert wechat.post_xml(event).status == 200


def test_over_long_identifiers_never_500(wechat, steward):
    """WeChat openids are 28 characters; a forged longer one must not turn into a 500."""
    for openid in ("o" * 65, "o" * 2000):
        ex = wechat.text(openid, "3号院楼道灯坏了")
        assert ex.status in (200, 400)


def test_reply_xml_is_well_formed_for_hostile_content():
    for content in ODD_TEXTS.values():
        xml = text_reply_xml("o-x]]>y", f"gh_{SQL}", content + "]]>" * 800)
        fields = parse_xml(xml.encode())
        assert len(fields["Content"].encode("utf-8")) <= MAX_REPLY_BYTES + 3 * 800 * 4


# -- the workbench: login, sessions, CSRF -------------------------------------------------------


def _csrf(client, path: str = "/login") -> str:
    page = client.get(path)
    assert page.status_code == 200
    m = re.search(rb'name="csrf_token" value="([^"]+)"', page.data)
    assert m, "the login form carries a CSRF token"
    return m.group(1).decode()


def _login(client, username: str, password: str, token: str | None = None, **kw):
    data = {"username": username, "password": password}
    if token is not None:
        data["csrf_token"] = token
    return client.post("/login", data=data, **kw)


STAFF_PASSWORD = "sample-staff-pass"


def test_login_without_or_with_forged_csrf_token_is_refused(client):
    assert _login(client, "liu", STAFF_PASSWORD).status_code == 400
    assert _login(client, "liu", STAFF_PASSWORD, token="forged-token").status_code == 400
    other = client.application.test_client()
    stolen = _csrf(other)  # a token minted for another browser session
    assert _login(client, "liu", STAFF_PASSWORD, token=stolen).status_code == 400
    assert client.get("/staff/").status_code in (302, 401)


@pytest.mark.parametrize("username,password", [
    ("liu", "wrong"),
    ("' OR '1'='1' --", "' OR '1'='1' --"),
    ("liu' --", "x"),
    ("admin\x00", "sample-admin-pass"),
    ("<script>alert(1)</script>", "x"),
    ("liu", "p" * 1_000_000),
    ("用户" * 100, "密码"),
])
def test_hostile_logins_are_refused_politely(username, password, client):
    resp = _login(client, username, password, token=_csrf(client))
    # 400: a NUL byte or an over-long field is refused before anything looks the account up.
    assert resp.status_code in (400, 401, 429), resp.status_code
    assert b"<script>alert(1)</script>" not in resp.data
    assert client.get("/staff/").status_code in (302, 401)


def test_repeated_failures_are_rate_limited(client):
    token = _csrf(client)
    codes = [_login(client, "liu", f"guess-{i}", token=token).status_code for i in range(7)]
    assert codes[:5] == [401] * 5 and codes[5:] == [429, 429]
    # Even the right password is refused while blocked: brute force cannot finish.
    assert _login(client, "liu", STAFF_PASSWORD, token=token).status_code == 429


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"])
def test_login_never_redirects_off_site(target, client):
    resp = _login(client, "liu", STAFF_PASSWORD, token=_csrf(client), query_string={"next": target})
    assert resp.status_code == 302
    location = urlsplit(resp.headers["Location"])
    # Same site: no other host, no scheme-relative or backslash path a browser would read as a host.
    assert location.netloc in ("", "localhost") and location.scheme in ("", "http")
    assert not location.path.startswith(("//", "/\\"))


def test_forged_and_foreign_session_cookies_are_not_a_login(app, client):
    from flask.sessions import SecureCookieSessionInterface

    resp = _login(client, "liu", STAFF_PASSWORD, token=_csrf(client))
    assert resp.status_code == 302 and client.get("/staff/").status_code == 200
    # A cookie claiming the same user but signed with another secret key.
    other = app.__class__("other")
    other.secret_key = "not-our-secret"
    forged = SecureCookieSessionInterface().get_signing_serializer(other).dumps({"_user_id": "1", "_fresh": True})
    fresh = app.test_client()
    fresh.set_cookie("session", forged)
    assert fresh.get("/staff/").status_code in (302, 401)
    fresh.set_cookie("session", "garbage.garbage.garbage")
    assert fresh.get("/staff/").status_code in (302, 401)
    # The real cookie replayed from another browser (different User-Agent): session protection.
    cookie = client.get_cookie("session")
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    assert thief.get("/staff/", headers={"User-Agent": "evil/1.0"}).status_code in (302, 401)


def test_logout_needs_csrf_and_ends_the_session(client):
    _login(client, "liu", STAFF_PASSWORD, token=_csrf(client))
    assert client.post("/logout").status_code == 400  # no token: a cross-site logout is refused
    assert client.get("/staff/").status_code == 200
    page = client.get("/staff/")
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page.data).group(1).decode()
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/staff/").status_code in (302, 401)


def test_staff_action_without_csrf_is_refused(client, wechat, steward):
    wechat.text(RESIDENT, "粮食局家属院楼道灯坏了")
    with steward.session() as s:
        ref = s.scalars(select(Ticket.ref)).one()
    _login(client, "liu", STAFF_PASSWORD, token=_csrf(client))
    resp = client.post(f"/staff/t/{ref}/note", data={"note": "cross-site"})
    assert resp.status_code == 400
    with steward.session() as s:
        from bot.storage.models import TicketEvent

        assert not s.scalars(select(TicketEvent).where(TicketEvent.note == "cross-site")).all()


def test_resident_html_is_escaped_on_the_workbench(client, wechat, steward):
    wechat.text(RESIDENT, f"粮食局家属院楼道灯坏了 {HTML}")
    with steward.session() as s:
        ref = s.scalars(select(Ticket.ref)).one()
    _login(client, "liu", STAFF_PASSWORD, token=_csrf(client))
    for path in (f"/staff/t/{ref}", "/staff/"):
        body = client.get(path).data
        assert b"<script>alert" not in body and b"<img src=x" not in body, path


# -- property-based: parsing and understanding never fail in undocumented ways --------------------

FIELD_NAMES = st.sampled_from(["ToUserName", "FromUserName", "CreateTime", "MsgType", "Content", "MsgId", "Event",
                               "EventKey", "MediaId", "Recognition", "Location_X", "Location_Y", "Label", "Status",
                               "Url", "Title", "PicUrl", "Latitude", "Longitude"])
XML_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=200)
FIELDS = st.dictionaries(FIELD_NAMES, XML_TEXT, max_size=10)
PROPS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROPS
@given(st.binary(max_size=2000))
def test_parse_xml_on_arbitrary_bytes_raises_only_rejected(data):
    try:
        out = parse_xml(data)
    except Rejected as exc:
        assert exc.status == 400
        return
    assert isinstance(out, dict) and all(isinstance(v, str) for v in out.values())


@PROPS
@given(st.dictionaries(FIELD_NAMES, XML_TEXT, min_size=1, max_size=10))  # an empty <xml/> is refused (400)
def test_parse_xml_roundtrips_what_wechat_sends(fields):
    xml = signing.build_xml(fields)
    try:
        out = parse_xml(xml.encode("utf-8"))
    except Rejected as exc:
        # Only characters XML 1.0 cannot carry (C0 controls, U+FFFE/FFFF) may make it malformed.
        assert exc.status == 400
        assert any(ord(c) < 0x20 and c not in "\t\n\r" or c in "\ufffe\uffff" for v in fields.values() for c in v)
        return
    assert set(out) == set(fields)


@PROPS
@given(st.dictionaries(st.text(max_size=20), st.text(max_size=50), max_size=12) | FIELDS)
def test_to_inbound_raises_only_bad_message(fields):
    try:
        msg = to_inbound(fields)
    except BadMessage:
        return
    assert msg.openid and msg.kind


@pytest.fixture(scope="module")
def sample_config():
    from bot import config as config_mod
    from tests.conftest import ROOT

    return config_mod.load(ROOT / "config.example.toml")


INBOUND = st.builds(
    lambda kind, text, event, key, openid: (kind, text, event, key, openid),
    st.sampled_from(["text", "voice", "image", "location", "link", "video", "event", "unknown"]),
    st.one_of(XML_TEXT, st.sampled_from(["接单 R1", "退单 R1", "办结 R1 已修好", "5", "解决了", "没解决", "报名 1",
                                         "取消报名 1", "3号院楼道灯坏了", "有啥活动", "绑定 3号院", "撤回 R1"])),
    st.sampled_from([None, "subscribe", "unsubscribe", "click", "view", "scan", "location", "templatesendjobfinish"]),
    st.one_of(st.none(), XML_TEXT),
    st.sampled_from(["o-prop-resident", "o-sample-c3-li"]),
)


@PROPS
@given(INBOUND, st.sampled_from([None, "c3", "c99"]), st.dictionaries(st.sampled_from(["step", "pending", "x"]),
                                                                     st.text(max_size=10), max_size=2))
def test_decide_never_raises_and_replies_fit_wechat(sample_config, inbound, courtyard, state):
    from handlers.base import Context, Inbound
    from handlers.conversation import decide

    kind, text, event, key, openid = inbound
    members = [m.openid for m in sample_config.members]
    if openid == "o-sample-c3-li" and members:
        openid = members[0]
    msg = Inbound(openid=openid, kind=kind, text=text, event=event if kind == "event" else None, event_key=key)
    ctx = Context(config=sample_config, courtyard=courtyard, state=state, member=sample_config.member(openid))
    decision = decide(msg, ctx)
    if decision.reply is not None:
        assert len(decision.reply.encode("utf-8")) <= MAX_REPLY_BYTES


@pytest.fixture
def db_app(any_db_url, redis_url, redis_client, tmp_path):
    """The app on SQLite and on PostgreSQL (whose column lengths are enforced), spool in tmp_path."""
    from bot import config as config_mod
    from bot.app import create_app
    from tests.conftest import ROOT

    cfg = config_mod.load(ROOT / "config.example.toml", {
        "database.url": any_db_url, "redis.url": redis_url, "spool.dir": str(tmp_path / "spool"),
        "media.dir": str(tmp_path / "media"), "wechat.api_base_url": "http://127.0.0.1:9/cgi-bin",
    })
    return create_app({"STEWARD_CONFIG": cfg, "TESTING": True})


@pytest.mark.parametrize("field,value", [
    ("FromUserName", "o" * 65),
    ("FromUserName", "o" * 2000),
    ("MsgType", "text" + "x" * 40),
    ("MsgId", "9" * 200),
])
def test_over_long_fields_are_refused_or_stored_never_spooled(field, value, db_app):
    """Column limits (openid 64, msg_type 32, dedup_key 160) are real on PostgreSQL. A forged over-long
    field must be refused (400) or stored — not taken for a database outage and spooled, where
    `steward replay` would trip over it on every run."""
    from bot.services.inbound.replay import replay
    from bot.storage import spool

    steward = db_app.extensions["steward"]
    wechat = WeChatTestClient(db_app.test_client(), steward.config)
    fields = {"ToUserName": ACCOUNT, "FromUserName": RESIDENT, "CreateTime": int(time.time()), "MsgType": "text",
              "Content": "3号院楼道灯坏了", "MsgId": 8_200_000_000_001}
    ex = wechat.post_xml(signing.build_xml(fields | {field: value}))
    assert ex.status in (200, 400)
    spooled = spool.pending(steward.config)
    ok, bad, _poison = replay(steward)  # must not raise
    assert not spooled, f"spooled as if the database were down: {spooled}"
    assert bad == 0
