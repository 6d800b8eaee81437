"""Media bytes in shared storage, never on one worker's disk: rows of `media_blobs` in the database
(the default), or files under `[media] dir` — a directory every web and worker process mounts —
recorded by their path relative to it (a relative path, so nothing is ever joined twice)."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Config
from bot.storage.models import MediaBlob

ORIGINAL, PLAYABLE = "original", "playable"


def put(session: Session, config: Config, media_row_id: int, folder: str, variant: str, content: bytes,
        content_type: str) -> MediaBlob:
    """Store (or replace) one variant of a media item."""
    blob = session.scalars(select(MediaBlob).where(MediaBlob.media_row_id == media_row_id,
                                                   MediaBlob.variant == variant)).first()
    if blob is None:
        blob = MediaBlob(media_row_id=media_row_id, variant=variant)
        session.add(blob)
    blob.content_type, blob.size = content_type, len(content)
    if config.media.store == "directory":
        ext = mimetypes.guess_extension(content_type.split(";")[0].strip()) or ".bin"
        relative = Path(folder) / f"{media_row_id}-{variant}{ext}"
        full = Path(config.media.dir) / relative
        full.parent.mkdir(parents=True, exist_ok=True)
        full.write_bytes(content)
        blob.path, blob.data = relative.as_posix(), None
    else:
        blob.data, blob.path = content, None
    session.flush()
    return blob


def get(session: Session, config: Config, media_row_id: int, *variants: str) -> tuple[bytes, str] | None:
    """The first stored variant of `variants` (e.g. PLAYABLE, ORIGINAL): (bytes, content type)."""
    rows = {b.variant: b for b in session.scalars(select(MediaBlob).where(MediaBlob.media_row_id == media_row_id))}
    for variant in variants or (ORIGINAL,):
        blob = rows.get(variant)
        if blob is None:
            continue
        if blob.data is not None:
            return blob.data, blob.content_type
        if blob.path:
            root = Path(config.media.dir).resolve()
            full = (root / blob.path).resolve()
            if root in full.parents and full.is_file():  # only files under the media directory
                return full.read_bytes(), blob.content_type
    return None


def drop(session: Session, media_row_ids: list[int]) -> list[str]:
    """Delete the blobs of these media items (erasure, retention); the relative paths of their files,
    to remove with `unlink` once the transaction has committed."""
    if not media_row_ids:
        return []
    blobs = list(session.scalars(select(MediaBlob).where(MediaBlob.media_row_id.in_(media_row_ids))))
    for blob in blobs:
        session.delete(blob)
    session.flush()
    return [b.path for b in blobs if b.path]


def unlink(config: Config, paths: list[str]) -> int:
    """Remove these files under the media directory (nothing outside it); how many were there."""
    root = Path(config.media.dir).resolve()
    gone = 0
    for relative in paths:
        full = (root / relative).resolve()
        if root in full.parents and full.is_file():
            full.unlink()
            gone += 1
    return gone
