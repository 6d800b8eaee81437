"""`StewardClient`: wechatpy's `WeChatClient` with a configurable base URL and a shared token.

- Every call, the token fetch included, goes under `config.api_base_url` (the sandbox in dev).
- The access token lives in Redis, shared by every web and worker process; one holder fetches it
  under a Redis lock (`stable_token`), the others wait and re-read.
- 40001 / 40014 / 42001 → one forced refresh and one retry; everything else becomes an exception
  from `bot.wechat.errors` that the workers can act on.
"""

from __future__ import annotations

import json
import logging
import os
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

import redis as redis_lib
import requests
import urllib3
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from bot.config import Config, WeChatConfig
from bot.wechat.errors import TokenError, TransientError, WeChatError, error_for

log = logging.getLogger(__name__)

OFFICIAL_ROOT = "https://api.weixin.qq.com/"
TOKEN_KEY = "steward:wechat:token:{appid}"
LOCK_KEY = "steward:wechat:token-lock:{appid}"
MAX_MARGIN = 300  # refresh this long before WeChat's expiry
# How long a process trusts the token it last read from Redis without asking again. Every push read
# it (a GET per send, two per dispatch: ~3 % of a dispatch job's CPU, bench/dispatch_cpu.py
# --profile); a token another process refreshed meanwhile answers 40001/42001, which refreshes
# once and retries, so being a few seconds behind costs at most that one retry.
TOKEN_MEMORY = 5.0
_JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


def _margin(expires_in: int) -> int:
    # Short-lived tokens (tests, a sandbox tuned for demos) keep most of their life.
    return min(MAX_MARGIN, expires_in // 10)


class StewardClient(WeChatClient):
    def __init__(self, config: WeChatConfig, redis: redis_lib.Redis, timeout: float = 5.0) -> None:
        super().__init__(config.app_id, config.app_secret, timeout=timeout, auto_retry=False)
        base = config.api_base_url.rstrip("/")
        self.API_BASE_URL = base + "/"  # wechatpy formats "{base}{endpoint}"
        # APIs that wechatpy addresses from the site root (e.g. "https://api.weixin.qq.com/wxa/")
        self._root = base.removesuffix("/cgi-bin") + "/"
        self.redis = redis
        # requests re-reads proxy and CA settings from the environment on every call (~300
        # os.environ lookups a push, a fifth of a dispatch's CPU): read them once, here.
        self._http.trust_env = False
        self._http.proxies.update(requests.utils.get_environ_proxies(base))
        self._http.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        # The pushes (every dispatch sends two) go through urllib3 itself: requests' per-call
        # preparation (URL, cookies, hooks, environment merge) was ~12 % of a dispatch job's CPU
        # (bench/dispatch_cpu.py --profile). Same CA bundle and timeouts; behind a proxy, requests.
        # One host, so its connection pool itself rather than a PoolManager, which parsed the URL and
        # looked the pool up again for every push (~3 % of a dispatch job's CPU).
        self._pool: urllib3.HTTPConnectionPool | None = None
        self._path = urlsplit(self.API_BASE_URL).path
        if not self._http.proxies:
            ca = self._http.verify if isinstance(self._http.verify, str) else requests.certs.where()
            tls: dict[str, Any] = {"cert_reqs": "CERT_REQUIRED", "ca_certs": ca} if base.startswith("https:") else {}
            self._pool = urllib3.connection_from_url(base, maxsize=4, retries=False,
                                                     timeout=urllib3.Timeout(connect=timeout, read=timeout), **tls)
        self.token_key = TOKEN_KEY.format(appid=config.app_id)
        self.lock_key = LOCK_KEY.format(appid=config.app_id)
        self._token: tuple[str, float] | None = None  # (token, time.monotonic() until which it is trusted)

    @property
    def auto_retry(self) -> bool:
        # wechatpy's own retry re-fetches and recurses without bound; `_request` retries once.
        return False

    @auto_retry.setter
    def auto_retry(self, value: bool) -> None:
        pass

    # -- token ---------------------------------------------------------------------------------

    @property
    def access_token(self) -> str:
        remembered = self._token
        if remembered is not None and time.monotonic() < remembered[1]:
            return remembered[0]
        token = self._cached_token() or self._locked_fetch(stale=None)
        self._token = (token, time.monotonic() + TOKEN_MEMORY)
        return token

    def _cached_token(self) -> str | None:
        value = self.redis.get(self.token_key)
        if isinstance(value, bytes):
            value = value.decode()
        return value or None

    def fetch_access_token(self, force_refresh: bool = False) -> dict[str, Any]:
        """Fetch a token now (wechatpy's hook); under the lock, so concurrent callers share it."""
        token = self._locked_fetch(stale=self._cached_token() if force_refresh else None, force=force_refresh)
        ttl = self.redis.ttl(self.token_key)
        return {"access_token": token, "expires_in": max(int(ttl or 0), 0)}

    def _locked_fetch(self, stale: str | None, force: bool = False) -> str:
        """One holder fetches; the others wait for the lock and re-read what it stored.

        `stale` is the token a call was refused with: if the cache already holds another one,
        somebody refreshed meanwhile and that one is used without a second fetch."""
        self._token = None  # a refresh (or a first fetch): the remembered token is not to be used again
        wait = max(3 * (self.timeout or 5), 10)
        lock = self.redis.lock(self.lock_key, timeout=wait + 10, blocking_timeout=wait)
        try:
            acquired = lock.acquire()
        except redis_lib.RedisError as exc:
            raise TransientError(None, f"token lock: {exc}") from exc
        if not acquired:
            raise TransientError(None, "timed out waiting for the access-token lock")
        try:
            current = self._cached_token()
            if current and current != stale:
                return current
            return self._fetch_stable_token(force=force or stale is not None)
        finally:
            try:
                lock.release()
            except redis_lib.exceptions.LockError:
                log.warning("access-token lock expired before release")

    def _fetch_stable_token(self, force: bool) -> str:
        body = {
            "grant_type": "client_credential",
            "appid": self.appid,
            "secret": self.secret,
            "force_refresh": force,
        }
        log.info("fetching access token for %s (force=%s)", self.appid, force)
        try:
            res = self._http.post(self.API_BASE_URL + "stable_token", json=body, timeout=self.timeout)
        except requests.RequestException as exc:  # timeouts, refused connections
            raise TransientError(None, f"stable_token: {exc.__class__.__name__}") from exc
        result = self._json_or_raise(res, "stable_token")
        token = result.get("access_token")
        if not token:
            raise TransientError(None, "stable_token: no access_token in answer")
        expires_in = int(result.get("expires_in") or 7200)
        self.redis.set(self.token_key, token, ex=max(expires_in - _margin(expires_in), 1))
        self.expires_at = int(time.time()) + expires_in
        log.debug("access token stored, expires in %s s", expires_in)
        return token

    @staticmethod
    def _json_or_raise(res: requests.Response, what: str) -> dict[str, Any]:
        if res.status_code >= 500:
            raise TransientError(None, f"{what}: HTTP {res.status_code}")
        if res.status_code >= 400:
            raise WeChatError(None, f"{what}: HTTP {res.status_code}")
        try:
            result = res.json()
        except ValueError as exc:
            raise TransientError(None, f"{what}: answer is not JSON") from exc
        code = int(result.get("errcode") or 0)
        if code:
            raise error_for(code, str(result.get("errmsg", "")))
        return result

    # -- calls ---------------------------------------------------------------------------------

    def _rebase(self, url: str) -> str:
        # Never let a hard-coded official URL inside wechatpy escape the configured base.
        if url.startswith(OFFICIAL_ROOT + "cgi-bin/"):
            return self.API_BASE_URL + url.removeprefix(OFFICIAL_ROOT + "cgi-bin/")
        if url.startswith(OFFICIAL_ROOT):
            return self._root + url.removeprefix(OFFICIAL_ROOT)
        return url

    def _request(self, method: str, url_or_endpoint: str, **kwargs: Any) -> Any:
        if "api_base_url" in kwargs:
            kwargs["api_base_url"] = self._rebase(kwargs["api_base_url"])
        url_or_endpoint = self._rebase(url_or_endpoint)
        try:
            return self._request_once(method, url_or_endpoint, kwargs)
        except TokenError as exc:
            log.info("access token refused (%s); refreshing once", exc.code)
            self._locked_fetch(stale=getattr(exc, "token", None), force=True)
            return self._request_once(method, url_or_endpoint, kwargs)

    def _request_once(self, method: str, url_or_endpoint: str, kwargs: dict[str, Any]) -> Any:
        call = dict(kwargs)
        params = dict(call.get("params") or {})
        token = params.get("access_token") or self.access_token
        params["access_token"] = token
        call["params"] = params
        try:
            return super()._request(method, url_or_endpoint, **call)
        except WeChatClientException as exc:
            if exc.errcode is None:  # HTTP status error
                status = getattr(exc.response, "status_code", None)
                cls = TransientError if status is None or status >= 500 else WeChatError
                raise cls(None, f"HTTP {status}") from exc
            err = error_for(int(exc.errcode), str(exc.errmsg))
            err.token = token  # the refresh compares it with the cache (another process may have refreshed)
            raise err from exc
        except requests.RequestException as exc:  # timeouts, refused connections, broken streams
            raise TransientError(None, exc.__class__.__name__) from exc

    def _post_json(self, endpoint: str, data: dict[str, Any]) -> dict[str, Any]:
        """POST `data` as JSON to an API endpoint, as `post` does (a refused token: refreshed once)."""
        if self._pool is None:
            return self.post(endpoint, data=data)
        try:
            return self._post_once(endpoint, data)
        except TokenError as exc:
            log.info("access token refused (%s); refreshing once", exc.code)
            self._locked_fetch(stale=getattr(exc, "token", None), force=True)
            return self._post_once(endpoint, data)

    def _post_once(self, endpoint: str, data: dict[str, Any]) -> dict[str, Any]:
        assert self._pool is not None
        token = self.access_token
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        try:
            res = self._pool.urlopen("POST", f"{self._path}{endpoint}?{urlencode({'access_token': token})}",
                                     body=body, headers=_JSON_HEADERS, redirect=False)
        except urllib3.exceptions.HTTPError as exc:  # timeouts, refused connections, broken streams
            raise TransientError(None, exc.__class__.__name__) from exc
        if res.status >= 400:
            raise (TransientError if res.status >= 500 else WeChatError)(None, f"HTTP {res.status}")
        try:
            result = json.loads(res.data.decode("utf-8", "ignore"), strict=False)
        except ValueError as exc:
            raise TransientError(None, f"{endpoint}: answer is not JSON") from exc
        if not isinstance(result, dict):
            raise TransientError(None, f"{endpoint}: answer is not a JSON object")
        code = int(result.get("errcode") or 0)
        if code:
            err = error_for(code, str(result.get("errmsg", code)))
            err.token = token  # the refresh compares it with the cache (another process may have refreshed)
            raise err
        return result

    # -- what the workers use --------------------------------------------------------------------

    def send_template(
        self, openid: str, template_id: str, data: dict, url: str | None, client_msg_id: str
    ) -> str:
        """Send a template message; `client_msg_id` makes a resend idempotent. Returns WeChat's msgid."""
        payload: dict[str, Any] = {"touser": openid, "template_id": template_id, "data": data}
        if url:
            payload["url"] = url
        if client_msg_id:
            payload["client_msg_id"] = client_msg_id
        result = self._post_json("message/template/send", payload)
        return str(result.get("msgid", ""))

    def send_text(self, openid: str, text: str) -> None:
        """A customer-service text message (only within 48 h of the user's last message)."""
        self._post_json("message/custom/send", {"touser": openid, "msgtype": "text", "text": {"content": text}})

    def get_media(self, media_id: str) -> tuple[bytes, str]:
        """Download a temporary media file: (content, content type)."""
        result = self.get("media/get", params={"media_id": media_id})
        if isinstance(result, requests.Response):
            return result.content, result.headers.get("Content-Type", "application/octet-stream")
        # Videos answer JSON with a download URL instead of the bytes.
        return json.dumps(result, ensure_ascii=False).encode("utf-8"), "application/json"

    def oauth_openid(self, code: str) -> str:
        """Web authorisation: the openid behind an `snsapi_base` code (`sns/oauth2/access_token`,
        called with the app secret, not the access token; a code works once, for 5 minutes)."""
        params = {"appid": self.appid, "secret": self.secret, "code": code, "grant_type": "authorization_code"}
        try:
            res = self._http.get(self._root + "sns/oauth2/access_token", params=params, timeout=self.timeout)
        except requests.RequestException as exc:
            raise TransientError(None, f"sns/oauth2/access_token: {exc.__class__.__name__}") from exc
        openid = self._json_or_raise(res, "sns/oauth2/access_token").get("openid")
        if not openid:
            raise WeChatError(None, "sns/oauth2/access_token: no openid in answer")
        return str(openid)

    def create_menu(self, menu: dict) -> None:
        self.post("menu/create", data=menu)

    def get_user_info(self, openid: str) -> dict[str, Any]:
        return self.get("user/info", params={"openid": openid, "lang": "zh_CN"})

    def create_qrcode(self, scene: str, expire_seconds: int | None = None) -> dict[str, Any]:
        """`qrcode/create` with a string scene: temporary (QR_STR_SCENE, at most 30 days) when
        `expire_seconds` is given, else permanent (QR_LIMIT_STR_SCENE). Returns ticket, url and
        expire_seconds as WeChat sends them."""
        body: dict[str, Any] = {"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": scene}}}
        if expire_seconds is not None:
            body = {"expire_seconds": expire_seconds, "action_name": "QR_STR_SCENE",
                    "action_info": {"scene": {"scene_str": scene}}}
        return self.post("qrcode/create", data=body)

    def qrcode_image_url(self, ticket: str) -> str:
        """Where the QR image is fetched (`showqrcode`, no access token): mp.weixin.qq.com for the
        real WeChat, beside the API for the sandbox."""
        from urllib.parse import quote

        root = "https://mp.weixin.qq.com/cgi-bin/" if self.API_BASE_URL == OFFICIAL_ROOT + "cgi-bin/" \
            else self.API_BASE_URL
        return f"{root}showqrcode?ticket={quote(ticket, safe='')}"

    def add_draft(self, articles: list[dict[str, Any]]) -> str:
        """草稿箱 新建草稿 (`draft/add`): the draft's media_id; staff publish it in the MP console."""
        return str(self.post("draft/add", data={"articles": articles}).get("media_id", ""))


def get_client(config: Config | WeChatConfig, redis: redis_lib.Redis, timeout: float = 5.0) -> StewardClient:
    """The API client for a process; `redis` is shared by every process (token cache and lock)."""
    wechat = config.wechat if isinstance(config, Config) else config
    return StewardClient(wechat, redis, timeout=timeout)


_shared: dict[tuple, StewardClient] = {}


def shared_client(config: Config | WeChatConfig, redis: redis_lib.Redis, timeout: float = 5.0) -> StewardClient:
    """The process's client for this account, made once: its HTTP connections stay open between
    pushes (TLS to WeChat is not renegotiated per push) and wechatpy's per-instance setup is paid
    once. Safe to share: the token lives in Redis, not in the client. Per pid, so a forked job never
    uses its parent's sockets."""
    wechat = config.wechat if isinstance(config, Config) else config
    key = (wechat, id(redis), timeout, os.getpid())
    client = _shared.get(key)
    if client is None:
        if len(_shared) >= 16:  # tests make many configs; a worker has one
            _shared.clear()
        client = _shared[key] = get_client(wechat, redis, timeout)  # holds `redis`: its id stays unique
    return client
