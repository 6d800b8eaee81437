"""The sandbox's qrcode/create and showqrcode follow WeChat's documented API."""

from __future__ import annotations

import json


def _token(client, config):
    wx = config.wechat
    r = client.get("/sandbox/cgi-bin/token", query_string={"grant_type": "client_credential", "appid": wx.app_id,
                                                          "secret": wx.app_secret})
    return r.get_json()["access_token"]


def _create(client, token, body):
    return client.post(f"/sandbox/cgi-bin/qrcode/create?access_token={token}", data=json.dumps(body)).get_json()


def test_temporary_and_permanent_codes_and_their_images(client, config):
    token = _token(client, config)
    temp = _create(client, token, {"expire_seconds": 3_000_000, "action_name": "QR_STR_SCENE",
                                   "action_info": {"scene": {"scene_str": "inv_x"}}})
    assert temp["expire_seconds"] == 2_592_000 and temp["url"].startswith("http://weixin.qq.com/q/")  # capped: 30 days
    perm = _create(client, token, {"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": "c3"}}})
    assert "expire_seconds" not in perm and perm["ticket"]
    img = client.get("/sandbox/cgi-bin/showqrcode", query_string={"ticket": perm["ticket"]})  # no access token
    assert img.status_code == 200 and img.mimetype == "image/png" and img.data[:4] == b"\x89PNG"
    assert client.get("/sandbox/cgi-bin/showqrcode", query_string={"ticket": "nope"}).status_code == 404


def test_bad_requests_get_wechat_errors(client, config):
    token = _token(client, config)
    for body in ({"action_name": "QR_FOO"}, {"action_name": "QR_LIMIT_SCENE", "action_info": {"scene": {"scene_id": 0}}},
                 {"action_name": "QR_STR_SCENE", "action_info": {"scene": {"scene_str": "x" * 65}}}):
        assert _create(client, token, body)["errcode"] == 40097
    assert _create(client, "bad-token", {"action_name": "QR_LIMIT_STR_SCENE",
                                         "action_info": {"scene": {"scene_str": "c3"}}})["errcode"] in (40001, 42001)
