"""Speech to text behind one small interface, chosen by `[voice] transcriber`:

- `none`: nobody transcribes; staff listen (the ticket opens as 待听取).
- `tencent`: Tencent Cloud ASR 一句话识别 (SentenceRecognition) through Tencent's SDK; the endpoint is
  configurable so the sandbox's fake ASR can stand in, the engine too (e.g. a dialect engine).
- `local`: faster-whisper or sherpa-onnx with a model directory the operator installed (nothing is
  downloaded at run time).
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from bot.config import VoiceSettings
from bot.services.media import audio

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Transcript:
    text: str
    confidence: float  # 0–1; engines without one give 1.0 for a non-empty answer


class TranscriberError(RuntimeError):
    """The transcriber could not be reached or refused the audio (the voice goes to staff)."""


class Transcriber(Protocol):
    name: str

    def transcribe(self, voice: bytes, voice_format: str) -> Transcript | None: ...


class NoTranscriber:
    name = "none"

    def transcribe(self, voice: bytes, voice_format: str) -> Transcript | None:
        return None


class TencentTranscriber:
    """SentenceRecognition with the audio inline (base64, ≤ 60 s — WeChat voice is ≤ 60 s)."""

    name = "tencent"

    def __init__(self, settings: VoiceSettings) -> None:
        # tencentcloud-sdk ships no type hints (no stubs, no py.typed)
        from tencentcloud.asr.v20190614 import asr_client  # type: ignore[import-untyped]
        from tencentcloud.common import credential  # type: ignore[import-untyped]
        from tencentcloud.common.profile.client_profile import ClientProfile  # type: ignore[import-untyped]
        from tencentcloud.common.profile.http_profile import HttpProfile  # type: ignore[import-untyped]

        if not (settings.tencent_secret_id and settings.tencent_secret_key):
            raise TranscriberError("voice.tencent_secret_id / tencent_secret_key are not configured")
        http = HttpProfile(protocol=settings.tencent_scheme, endpoint=settings.tencent_endpoint, reqTimeout=20)
        cred = credential.Credential(settings.tencent_secret_id, settings.tencent_secret_key)
        self.client = asr_client.AsrClient(cred, settings.tencent_region, ClientProfile(httpProfile=http))
        self.engine = settings.tencent_engine

    def transcribe(self, voice: bytes, voice_format: str) -> Transcript | None:
        # tencentcloud-sdk ships no type hints (no stubs, no py.typed); mypy reports the untyped
        # tencentcloud.asr.v20190614 once, at its import in __init__
        from tencentcloud.asr.v20190614 import models
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException  # type: ignore[import-untyped]

        req = models.SentenceRecognitionRequest()
        req.EngSerViceType, req.SourceType, req.VoiceFormat = self.engine, 1, voice_format
        req.Data, req.DataLen = base64.b64encode(voice).decode("ascii"), len(voice)
        try:
            res = self.client.SentenceRecognition(req)
        except TencentCloudSDKException as exc:
            raise TranscriberError(f"tencent asr: {exc.get_code()}") from None
        except Exception as exc:  # transport failures
            raise TranscriberError(f"tencent asr: {type(exc).__name__}") from None
        text = (res.Result or "").strip()
        return Transcript(text, 1.0 if text else 0.0) if text else None


class LocalTranscriber:
    """An offline model on this machine. faster-whisper gives per-segment log-probabilities; the
    confidence is their mean, as a probability."""

    name = "local"

    def __init__(self, settings: VoiceSettings) -> None:
        model_dir = Path(settings.local_model_dir)
        if not settings.local_model_dir or not model_dir.is_dir():
            raise TranscriberError(f"voice.local_model_dir {settings.local_model_dir!r} is not a directory")
        if settings.local_engine != "faster-whisper":
            raise TranscriberError(f"local engine {settings.local_engine!r} is not supported yet")
        try:
            from faster_whisper import WhisperModel  # type: ignore[import-not-found]  # optional, not in the dev venv
        except ImportError:
            raise TranscriberError("faster-whisper is not installed") from None
        self.model = WhisperModel(str(model_dir), device="cpu", compute_type="int8", local_files_only=True)

    def transcribe(self, voice: bytes, voice_format: str) -> Transcript | None:
        import math
        import struct

        pcm = audio.pcm16k(voice)
        samples = [v / 32768 for v in struct.unpack(f"<{len(pcm) // 2}h", pcm)]
        try:
            import numpy  # type: ignore[import-not-found]  # optional, not in the dev venv

            segments, _ = self.model.transcribe(numpy.array(samples, dtype=numpy.float32), language="zh")
            segments = list(segments)
        except Exception as exc:
            raise TranscriberError(f"local model: {type(exc).__name__}") from None
        text = "".join(s.text for s in segments).strip()
        if not text:
            return None
        mean = sum(s.avg_logprob for s in segments) / len(segments)
        return Transcript(text, max(0.0, min(1.0, math.exp(mean))))


def make(settings: VoiceSettings) -> Transcriber:
    if settings.transcriber == "tencent":
        return TencentTranscriber(settings)
    if settings.transcriber == "local":
        return LocalTranscriber(settings)
    return NoTranscriber()
