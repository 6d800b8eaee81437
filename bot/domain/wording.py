"""Small pieces of the bot's own wording that understanding (`handlers`) and the texts the workers
send (`bot.domain.texts`) share: WeChat's size limit on a reply, how photos are counted in words,
the callback question."""

from __future__ import annotations

from collections.abc import Sequence

MAX_BYTES = 2048  # a passive reply or customer-service text: WeChat's limit in UTF-8 bytes
ELLIPSIS = "…"
MAX_SUMMARY = 30


def truncate(text: str, limit: int = MAX_BYTES) -> str:
    """`text` cut to at most `limit` bytes of UTF-8 at a character boundary, ending in …"""
    if len(text.encode("utf-8")) <= limit:
        return text
    room = limit - len(ELLIPSIS.encode("utf-8"))
    cut = text.encode("utf-8")[:room].decode("utf-8", errors="ignore")
    return cut.rstrip() + ELLIPSIS


_MEDIA_NAMES = {"image": ("照片", "张"), "video": ("视频", "段"), "voice": ("语音", "段")}


def media_unit(kind: str) -> str:
    """The measure word for one piece of media: 张 (a photo), 段 (a video or voice), else 个."""
    return _MEDIA_NAMES.get(kind, ("", "个"))[1]


def media_words(kinds: Sequence[str]) -> str:
    """"照片" for one; "3 张照片", "2 张照片和 1 段视频" for several (kinds in the order first sent)."""
    counts: dict[str, int] = {}
    for kind in kinds:
        counts[kind] = counts.get(kind, 0) + 1
    if len(kinds) <= 1:
        return _MEDIA_NAMES.get(kinds[0] if kinds else "", ("材料", "个"))[0]
    parts = []
    for kind, n in counts.items():
        name, unit = _MEDIA_NAMES.get(kind, ("材料", "个"))
        parts.append(f"{n} {unit}{name}")
    return "和".join(parts)


def _short(text: str, limit: int = MAX_SUMMARY) -> str:
    s = " ".join((text or "").split())
    return s[:limit] + "…" if len(s) > limit else s


def callback_question(ref: str, summary: str, done: str = "") -> str:
    """The text the workers send when a ticket is finished (办结): `summary` is the resident's own
    words, `done` the member's note (said apart, never put in the resident's mouth)."""
    s = _short(summary)
    about = f"您反映的「{s}」" if s else "您反映的问题"
    note = f"理事会说：{_short(done)}\n" if done.strip() else ""
    return (
        f"{about}（工单 {ref}）理事会已经办好了。\n{note}"
        "请您回个数字给这次服务打分：\n"
        "5 很满意　4 满意　3 一般　2 不满意　1 很不满意\n"
        "要是问题还没解决，请回 0，我们马上重新安排。"
    )
