"""`steward chat` shows the account's pushes as they arrive, without the user typing anything."""

from __future__ import annotations

import io
import os
import threading
import time

from bot.cli.chat import run_chat
from bot.sandbox import state

MEMBER = "o-sample-c3-2"


def test_a_push_arrives_while_the_user_types_nothing(config, live_app, redis_client):
    read_fd, write_fd = os.pipe()
    stdin = os.fdopen(read_fd, "r", encoding="utf-8")
    out = io.StringIO()
    seen_at: list[float] = []

    def worker_pushes_then_user_leaves() -> None:
        time.sleep(0.5)
        state.record(redis_client, "custom", MEMBER, msgtype="text", text="新任务：3号院楼道灯坏了")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and "新任务" not in out.getvalue():
            time.sleep(0.05)
        seen_at.append(time.monotonic())
        os.close(write_fd)  # Ctrl-D, only after the push was printed (or 5 s passed)

    t = threading.Thread(target=worker_pushes_then_user_leaves)
    started = time.monotonic()
    t.start()
    run_chat(config, MEMBER, live_app, stdin, out, poll_seconds=0, watch_seconds=0.2)
    t.join()
    stdin.close()
    text = out.getvalue()
    assert "【客服消息】新任务：3号院楼道灯坏了" in text, text
    assert seen_at[0] - started < 4, "the push was printed only at the end"
    assert text.index("新任务") < text.index("再见。")
