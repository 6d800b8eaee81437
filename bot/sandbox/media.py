"""Small generated media files for `media/get`: a PNG for images, silent AMR for voice."""

from __future__ import annotations

import hashlib
import struct
import zlib

from bot.services.media import audio


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png_for(media_id: str, size: int = 32) -> bytes:
    """A solid-colour PNG whose colour is derived from the media id (so different ids differ)."""
    r, g, b = hashlib.sha1(media_id.encode("utf-8")).digest()[:3]
    row = b"\x00" + bytes((r, g, b)) * size  # filter byte 0, then RGB pixels
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(row * size))
        + _chunk(b"IEND", b"")
    )


def amr_silence(seconds: float = 1.0) -> bytes:
    """AMR-NB: the magic header, then NO_DATA frames (one byte each, 50 per second)."""
    return b"#!AMR\n" + b"\x7c" * max(1, int(seconds * 50))


def media_for(media_id: str, uploaded: bytes | None = None) -> tuple[bytes, str, str]:
    """(content, content type, file name) for a media id: an uploaded voice (`/sandbox/voice`) as
    it was uploaded; other ids with "voice" in them a real AMR tone; the rest a PNG."""
    if uploaded is not None:
        return uploaded, "audio/amr", f"{media_id}.amr"
    if "voice" in media_id.lower():
        return audio.amr_tone(1.0), "audio/amr", f"{media_id}.amr"
    return png_for(media_id), "image/png", f"{media_id}.png"
