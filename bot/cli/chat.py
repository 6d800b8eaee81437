"""`steward chat --as OPENID`: talk to the bot from a terminal as a WeChat user would.

Each line becomes the XML WeChat would post, signed (and in safe mode encrypted) the same way, sent
to `/wechat`; the passive reply is printed. A background thread watches the sandbox's push list and
prints what the account sends to that openid as it arrives — a task while the member waits, a notice
long after the resident's last line.
"""

from __future__ import annotations

import secrets
import shlex
import sys
import threading
import time
from collections.abc import Callable
from typing import IO, Any

import requests

from bot.config import Config
from bot.wechat import signing

HELP = """命令：
  直接输入文字            发送文字消息
  /image [media_id]       发送一张图片
  /voice 文本             发送语音（真实 AMR 文件，像今天的微信一样不带识别结果；沙箱的 ASR 听出「文本」）
  /location 纬度 经度 [地名] 发送位置
  /subscribe [SCENE]      关注公众号（带场景值：扫码关注）  /unsubscribe  取消关注
  /click KEY              点击菜单（CLICK 事件）  /view URL     点击菜单链接
  /scan SCENE             已关注时扫描带参数二维码（楼院码 c3、理事会邀请码 inv_…）
  /help                   显示本帮助            /quit         退出"""


class ChatError(ValueError):
    """A command line the chat cannot turn into a message (shown to the user, chat goes on)."""


def build_message(config: Config, openid: str, line: str,
                  upload_voice: Callable[[str], str] | None = None) -> str | None:
    """The XML WeChat would send for one typed line; None for /help-style local commands.
    `upload_voice(words)` stores a recorded voice with the sandbox and returns its MediaId."""
    me, account = openid, config.wechat.original_id
    if not line.startswith("/"):
        return signing.build_text_xml(account, me, line)
    cmd, _, rest = line[1:].partition(" ")
    rest = rest.strip()
    cmd = cmd.lower()
    if cmd == "image":
        return signing.build_image_xml(account, me, rest or f"img_{secrets.token_hex(8)}")
    if cmd == "voice":
        if not rest:
            raise ChatError("用法：/voice 要说的话")
        # As WeChat sends voice since 2023: the media only, `Recognition` empty.
        media_id = upload_voice(rest) if upload_voice else f"voice_{secrets.token_hex(8)}"
        return signing.build_voice_xml(account, me, media_id, recognition="")
    if cmd == "location":
        parts = shlex.split(rest)
        try:
            lat, lon = float(parts[0]), float(parts[1])
        except (IndexError, ValueError):
            raise ChatError(
                "用法：/location 纬度 经度 [地名]，例如 /location 34.75 113.62 育英街3号院"
            ) from None
        return signing.build_location_xml(account, me, lat, lon, label=" ".join(parts[2:]))
    if cmd == "subscribe":  # a follow through a QR code carries qrscene_ + the scene, as WeChat sends it
        return signing.build_event_xml(account, me, cmd, event_key=f"qrscene_{rest}" if rest else "")
    if cmd == "unsubscribe":
        return signing.build_event_xml(account, me, cmd, event_key=None)
    if cmd in ("click", "view", "scan"):
        if not rest:
            raise ChatError(f"用法：/{cmd} {'URL' if cmd == 'view' else 'KEY'}")
        return signing.build_event_xml(account, me, cmd.upper(), event_key=rest)
    if cmd in ("help", "quit", "exit"):
        return None
    raise ChatError(f"不认识的命令 /{cmd}，输入 /help 查看命令")


def describe_reply(reply: dict[str, str]) -> str:
    """The passive reply as the user would see it."""
    if not reply:
        return "（公众号没有回复）"
    kind = reply.get("MsgType", "")
    if kind == "text":
        return reply.get("Content", "")
    if kind == "news":
        return "【图文】" + reply.get("Articles.Title", "")
    labels = {"image": "【图片】", "voice": "【语音】", "video": "【视频】", "music": "【音乐】"}
    return labels.get(kind, f"【{kind or '未知'}消息】")


def describe_push(message: dict[str, Any]) -> str:
    if message.get("kind") == "template":
        lines = [f"【模板消息】{message.get('template_id', '')}"]
        for key, value in (message.get("data") or {}).items():
            shown = value.get("value", "") if isinstance(value, dict) else value
            lines.append(f"    {key}：{shown}")
        if message.get("url"):
            lines.append(f"    链接：{message['url']}")
        return "\n".join(lines)
    if message.get("text"):
        return f"【客服消息】{message['text']}"
    return f"【客服消息·{message.get('msgtype', '')}】{message.get('data')}"


class _Sandbox:
    """The sandbox as the user's phone sees it: opens the 48 h window, shows what arrived."""

    def __init__(self, base: str, openid: str, http: requests.Session) -> None:
        self.base, self.openid, self.http = base.rstrip("/"), openid, http
        self.seen = 0
        self.available = True
        try:
            params: dict[str, str | int] = {"openid": openid, "after": 0}
            resp = self.http.get(f"{self.base}/messages", params=params, timeout=5)
            resp.raise_for_status()
            self.seen = int(resp.json().get("last_seq", 0))
        except (requests.RequestException, ValueError):
            self.available = False

    def note_inbound(self) -> None:
        if self.available:
            try:
                self.http.post(f"{self.base}/inbound", json={"openid": self.openid}, timeout=5)
            except requests.RequestException:
                pass

    def upload_voice(self, words: str) -> str:
        """Record a voice saying `words` (the sandbox makes a real AMR file and remembers the words)."""
        try:
            resp = self.http.post(f"{self.base}/voice", json={"words": words}, timeout=5)
            resp.raise_for_status()
            return str(resp.json()["media_id"])
        except (requests.RequestException, ValueError, KeyError) as exc:
            raise ChatError(f"沙箱收不下这段语音（{exc.__class__.__name__}）") from None

    def new_pushes(self) -> list[dict[str, Any]]:
        if not self.available:
            return []
        try:
            params: dict[str, str | int] = {"openid": self.openid, "after": self.seen}
            resp = self.http.get(f"{self.base}/messages", params=params, timeout=5)
            resp.raise_for_status()
            found = resp.json().get("messages", [])
        except (requests.RequestException, ValueError):
            return []
        if found:
            self.seen = max(self.seen, max(int(m["seq"]) for m in found))
        return found


class _Watcher(threading.Thread):
    """Prints new pushes every `interval` seconds until stopped; `flush()` prints them now."""

    def __init__(self, sandbox: _Sandbox, show: Callable[[str], None], interval: float) -> None:
        super().__init__(daemon=True, name="steward-chat-pushes")
        self.sandbox, self.show, self.interval = sandbox, show, interval
        self.lock, self.stopped = threading.Lock(), threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            self.flush()

    def flush(self) -> None:
        with self.lock:
            for message in self.sandbox.new_pushes():
                self.show(describe_push(message))

    def stop(self) -> None:
        self.stopped.set()
        if self.is_alive():
            self.join(5)


def run_chat(
    config: Config,
    openid: str,
    url: str = "http://127.0.0.1:5000",
    input_stream: IO[str] = sys.stdin,
    output: IO[str] = sys.stdout,
    *,
    sandbox_url: str | None = None,
    poll_seconds: float = 1.5,
    watch_seconds: float = 1.0,
) -> None:
    """Read lines from `input_stream` until EOF or /quit; print replies to `output`, and pushes as they
    arrive (checked every `watch_seconds`; after each line and before leaving, `poll_seconds` more)."""
    base = url.rstrip("/")
    webhook = f"{base}/wechat"
    poster = signing.SignedPoster(config.wechat, webhook)
    sandbox = _Sandbox(sandbox_url or f"{base}/sandbox", openid, poster.http)

    def say(text: str) -> None:
        print(text, file=output, flush=True)

    mode = "安全模式" if config.wechat.safe_mode else "明文模式"
    say(
        f"以 {openid} 的身份和「{config.community}」公众号对话（{webhook}，{mode}）。输入 /help 查看命令，Ctrl-D 退出。"
    )
    if not sandbox.available:
        say("（连不上沙箱，不显示推送消息）")
    interactive = hasattr(input_stream, "isatty") and input_stream.isatty()

    def show_push(text: str) -> None:  # from the watcher: keep the prompt under what arrived
        if text:
            say(f"\n{text}" if interactive else text)
        if interactive:
            print("我> ", end="", file=output, flush=True)

    watcher = _Watcher(_Sandbox(sandbox.base, openid, requests.Session()), show_push, watch_seconds)
    watcher.sandbox.seen = sandbox.seen
    if sandbox.available:
        watcher.start()
    try:
        _loop(config, openid, input_stream, say, show_push if interactive else None, sandbox, watcher, poster, webhook,
              poll_seconds)
    finally:
        watcher.stop()
    say("再见。")


def _loop(config: Config, openid: str, input_stream: IO[str], say: Callable[[str], None],
          prompt: Callable[[str], None] | None, sandbox: _Sandbox, watcher: _Watcher, poster: signing.SignedPoster, webhook: str, poll_seconds: float) -> None:
    while True:
        if prompt is not None:
            prompt("")
        line = input_stream.readline()
        if not line:
            break
        line = line.strip()
        if not line:
            continue
        try:
            xml = build_message(config, openid, line, sandbox.upload_voice if sandbox.available else None)
        except ChatError as exc:
            say(f"（{exc}）")
            continue
        if xml is None:
            if line.lower() in ("/quit", "/exit"):
                break
            say(HELP)
            continue
        sandbox.note_inbound()
        try:
            status, reply = poster.exchange(xml, openid=openid)
        except requests.RequestException as exc:
            say(f"（连不上 {webhook}：{exc.__class__.__name__}，服务启动了吗？）")
            continue
        with watcher.lock:
            say(f"公众号：{describe_reply(reply)}" if status == 200 else f"（webhook 返回 HTTP {status}）")
        _settle(watcher, poll_seconds)
    if sandbox.available:
        _settle(watcher, poll_seconds)  # what the last line set off, before saying goodbye


def _settle(watcher: _Watcher, seconds: float) -> None:
    """Wait `seconds`, printing pushes as they come (the reply's own pushes follow within a moment)."""
    deadline = time.monotonic() + seconds
    while True:
        watcher.flush()
        if time.monotonic() >= deadline:
            return
        time.sleep(0.2)
