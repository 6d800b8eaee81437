"""A file spool for messages that arrived while the database was unreachable.

`steward replay` loads them into `inbound_messages` and processes them, so nothing WeChat
delivered is lost even when PostgreSQL blinks.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

from bot.config import Config

log = logging.getLogger(__name__)

BROKEN = "broken"  # sub-folder for files replay could not store


def spool_dir(config: Config) -> Path:
    return Path(config.spool_dir)


def save(config: Config, key: str, raw: str) -> Path:
    folder = spool_dir(config)
    folder.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha1(key.encode()).hexdigest() + ".json"
    path = folder / name
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"key": key, "raw": raw}, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)  # atomic: a half-written file is never replayed
    return path


def pending(config: Config) -> list[Path]:
    folder = spool_dir(config)
    return sorted(folder.glob("*.json")) if folder.exists() else []


def load(path: Path) -> tuple[str, str]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return data["key"], data["raw"]


def set_aside(path: Path) -> Path:
    """Move a file replay cannot store out of the way, kept for a person to look at."""
    target = path.parent / BROKEN / path.name
    target.parent.mkdir(exist_ok=True)
    os.replace(path, target)
    return target
