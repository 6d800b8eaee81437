"""Open a member page as WeChat's browser would: through web authorisation (the sandbox's
authorize page, as `openid`), back to /m/oauth, then the page. Needs the live app (the code is
exchanged over HTTP with the sandbox's sns/oauth2/access_token)."""

from __future__ import annotations

from urllib.parse import urlsplit


def _local(url: str) -> str:
    parts = urlsplit(url.split("#")[0])
    return parts.path + (f"?{parts.query}" if parts.query else "")


def open_as(client, path: str, openid: str | None):  # noqa: ANN001, ANN201
    """GET `path` after authorising as `openid` (None: the visitor declines / is outside WeChat)."""
    first = client.get(path)
    assert first.status_code == 302 and "/connect/oauth2/authorize" in first.headers["Location"]
    assert "scope=snsapi_base" in first.headers["Location"]
    if openid is None:
        back = client.get(f"{path}?auth=failed")
        return back
    granted = client.get(_local(first.headers["Location"]) + f"&as={openid}")
    assert granted.status_code == 302, granted.get_data(as_text=True)
    landed = client.get(_local(granted.headers["Location"]))
    assert landed.status_code == 302
    return client.get(_local(landed.headers["Location"]))
