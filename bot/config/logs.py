"""Logging set-up for the web app and the worker: plain lines, or JSON lines (`[log] json = true`)
for a log collector — one object per line: ts (UTC, ISO 8601), level, logger, msg, pid, exc."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

PLAIN = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "pid": record.process,
        }
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def setup(json_lines: bool, level: int = logging.INFO) -> None:
    """Plain: `logging.basicConfig` (leaves a handler already installed alone, as before). JSON: the
    root logger's handlers become one stderr handler writing JSON lines (RQ's and gunicorn's
    loggers propagate to it)."""
    if not json_lines:
        logging.basicConfig(level=level, format=PLAIN)
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLines())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
