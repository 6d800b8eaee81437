"""A WeRoBot-style test client: builds the XML WeChat sends, signs (and encrypts) it exactly as
WeChat does, POSTs it through the Flask app, and reads the passive reply."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.config import Config
from bot.wechat import signing


@dataclass
class Exchange:
    status: int
    body: bytes
    reply: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.reply.get("Content", "")


class WeChatTestClient:
    def __init__(self, flask_client, config: Config, path: str = "/wechat") -> None:
        self.http = flask_client
        self.config = config
        self.path = path  # a community's own account: /wechat/<key>

    @property
    def account(self) -> str:
        return self.config.wechat.original_id

    def post_xml(self, xml: str, openid: str | None = None, **param_overrides: str) -> Exchange:
        params, body = signing.sign_request(self.config.wechat, xml, openid=openid)
        params.update(param_overrides)
        resp = self.http.post(self.path, query_string=params, data=body, content_type="text/xml")
        reply = signing.parse_reply(self.config.wechat, resp.data) if resp.status_code == 200 else {}
        return Exchange(resp.status_code, resp.data, reply)

    def text(self, openid: str, content: str, msg_id: int | None = None) -> Exchange:
        return self.post_xml(signing.build_text_xml(self.account, openid, content, msg_id=msg_id), openid)

    def voice(self, openid: str, recognition: str, media_id: str = "voice-media-1") -> Exchange:
        return self.post_xml(signing.build_voice_xml(self.account, openid, media_id, recognition), openid)

    def image(self, openid: str, media_id: str = "image-media-1") -> Exchange:
        return self.post_xml(signing.build_image_xml(self.account, openid, media_id), openid)

    def location(self, openid: str, lat: float, lon: float, label: str = "") -> Exchange:
        return self.post_xml(signing.build_location_xml(self.account, openid, lat, lon, label), openid)

    def link(self, openid: str, title: str, url: str) -> Exchange:
        return self.post_xml(signing.build_link_xml(self.account, openid, title, url), openid)

    def event(self, openid: str, event: str, key: str | None = None, create_time: int | None = None,
              **extra: str) -> Exchange:
        xml = signing.build_event_xml(self.account, openid, event, key, create_time=create_time, extra=extra)
        return self.post_xml(xml, openid)
