"""Voice audio with PyAV (FFmpeg): WeChat's AMR-NB / Speex → Opus in Ogg, which browsers play, and
16-bit PCM for transcribers; plus a real AMR file for the sandbox and `steward chat /voice`."""

from __future__ import annotations

import io
import math
import struct
from fractions import Fraction
from typing import cast

import av

PLAYABLE_TYPE = "audio/ogg"  # Opus in Ogg: Chromium, Firefox and Safari ≥ 17 play it
AMR_TYPE = "audio/amr"


class AudioError(ValueError):
    """The bytes are no audio FFmpeg can decode."""


def _decode(data: bytes, rate: int) -> bytes:
    """Mono signed 16-bit little-endian samples at `rate` Hz."""
    out = bytearray()
    try:
        with av.open(io.BytesIO(data), mode="r") as box:
            stream = next((s for s in box.streams if isinstance(s, av.AudioStream)), None)
            if stream is None:
                raise AudioError("no audio stream")
            resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)
            for frame in box.decode(stream):
                for chunk in resampler.resample(frame):
                    out += bytes(chunk.planes[0])[: chunk.samples * 2]
            for chunk in resampler.resample(None):
                out += bytes(chunk.planes[0])[: chunk.samples * 2]
    except AudioError:
        raise
    except Exception as exc:  # FFmpeg's errors (InvalidDataError …): not audio we can read
        raise AudioError(f"cannot decode audio: {type(exc).__name__}") from None
    return bytes(out)


def pcm16k(data: bytes) -> bytes:
    """16 kHz mono 16-bit little-endian PCM (what local models and 16k ASR engines take)."""
    return _decode(data, 16000)


def duration(data: bytes) -> float:
    return len(_decode(data, 8000)) / 2 / 8000


def to_playable(data: bytes) -> tuple[bytes, str]:
    """The voice as Opus in Ogg (48 kHz mono), for `<audio>` in staff's and members' browsers."""
    samples = _decode(data, 48000)
    if not samples:
        raise AudioError("no audio in the file")
    return _encode(samples, 48000, "ogg", "libopus", bit_rate=24000), PLAYABLE_TYPE


def amr_tone(seconds: float = 1.5, freq: float = 440.0) -> bytes:
    """A real AMR-NB file (8 kHz, 12.2 kbit/s) holding a quiet tone, as a phone would record it."""
    n = int(8000 * seconds)
    samples = struct.pack(f"<{n}h", *(int(0.2 * 32767 * math.sin(2 * math.pi * freq * i / 8000)) for i in range(n)))
    return _encode(samples, 8000, "amr", "libopencore_amrnb", bit_rate=12200)


def _frame(samples: bytes, rate: int) -> av.AudioFrame:
    frame = av.AudioFrame(format="s16", layout="mono", samples=len(samples) // 2)
    frame.planes[0].update(samples)
    frame.sample_rate, frame.time_base = rate, Fraction(1, rate)
    return frame


def _encode(samples: bytes, rate: int, fmt: str, codec: str, bit_rate: int) -> bytes:
    buf = io.BytesIO()
    with av.open(buf, mode="w", format=fmt) as box:
        # `codec` is always an audio encoder name (libopus, libopencore_amrnb): PyAV's overloads only
        # narrow to AudioStream for literal codec names.
        stream = cast(av.AudioStream, box.add_stream(codec, rate=rate))
        stream.layout = "mono"
        stream.bit_rate = bit_rate
        # Encoders take whole frames of their own size (AMR 160, Opus 960): the last one padded.
        size = (stream.codec_context.frame_size or 1024) * 2
        if len(samples) % size:
            samples += bytes(size - len(samples) % size)
        for pts, start in enumerate(range(0, len(samples), size)):
            frame = _frame(samples[start:start + size], rate)
            frame.pts = pts * size // 2
            for packet in stream.encode(frame):
                box.mux(packet)
        for packet in stream.encode(None):
            box.mux(packet)
    return buf.getvalue()
