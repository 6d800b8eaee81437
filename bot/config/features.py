"""The config's feature sections (rates, calendar, digest, media, voice, conversation, emergency,
menu): frozen pydantic dataclasses with every default here, read as objects by the rest of the code."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import ConfigDict, field_validator
from pydantic.dataclasses import dataclass

from bot.config.types import (
    Bool,
    Float,
    Fraction,
    Int,
    NonEmptyStr,
    NonNegativeFloat,
    PositiveFloat,
    PositiveInt,
    Str,
    between,
    fail,
)

STRICT = ConfigDict(extra="forbid")

CloseReasonKey = Literal["resolved", "answered", "not_responsible", "duplicate", "withdrawn", "unable_to_fix"]
# bot.domain.vocabulary.CloseReason (not imported: the config sits below the domain; a test keeps them equal)
CLOSE_REASON_KEYS: tuple[str, ...] = get_args(CloseReasonKey)
Rating = Annotated[Int, between(1, 5)]


@dataclass(frozen=True, config=STRICT)
class RatesSettings:
    """`[rates]`: what the three rates count (bot.services.rates.definitions prints it in Chinese)."""

    excluded_reasons: tuple[CloseReasonKey, ...] = ("duplicate", "withdrawn", "not_responsible")
    satisfied_ratings: tuple[Rating, ...] = (4, 5)
    ranking_min_due: PositiveInt = 5
    ranking_size: PositiveInt = 3
    ranking_weights: tuple[NonNegativeFloat, NonNegativeFloat, NonNegativeFloat] = (0.1, 0.45, 0.45)

    @field_validator("satisfied_ratings")
    @classmethod
    def _some_ratings(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        if not v:
            raise fail("至少要有一个算作满意的评分", "needs at least one rating that counts as satisfied")
        return tuple(sorted(set(v)))

    @field_validator("ranking_weights")
    @classmethod
    def _some_weight(cls, v: tuple[float, float, float]) -> tuple[float, float, float]:
        if not sum(v):
            raise fail("三个权重（响应率、解决率、满意率）不能都是 0", "the three weights must not all be 0")
        return v


@dataclass(frozen=True, config=STRICT)
class CalendarSettings:
    """`[calendar]`: the working-day calendar (holidays, 调休) behind the finish deadlines."""

    seed_from_package: Bool = True  # fill `calendar_days` from the chinesecalendar package
    warn_days: PositiveInt = 60  # warn on the workbench this many days before the known years end
    refresh_seconds: PositiveInt = 60  # how often a process re-reads the table (staff edits)


@dataclass(frozen=True, config=STRICT)
class AuditSettings:
    """`[audit]`: the audit log of logins, exports, accounts, tokens and the directory."""

    keep_days: PositiveInt = 365  # older entries are removed by the periodic sweep


@dataclass(frozen=True, config=STRICT)
class RetentionSettings:
    """`[retention]`: how long residents' photos and voices (bytes) and inbound raw messages are kept;
    the periodic sweep removes older ones (the ticket's own words stay, until an erasure)."""

    media_days: PositiveInt = 180
    raw_message_days: PositiveInt = 180


@dataclass(frozen=True, config=STRICT)
class DigestSettings:
    """`[digest]`: the monthly 育英社情 digest (`steward digest`, /staff/digest)."""

    title: NonEmptyStr = "育英社情"
    similarity: Annotated[Float, between(0.05, 1)] = 0.25  # character-bigram overlap that makes one topic
    examples: Annotated[Int, between(0, 5)] = 2  # anonymised example sentences per topic
    topics: Annotated[Int, between(1, 50)] = 10  # topics listed per community / courtyard
    wechat_draft: Bool = False  # also save the digest as a draft article (WeChat draft/add)
    thumb_media_id: Str = ""  # the draft's cover image (a permanent material's media_id)



@dataclass(frozen=True, config=STRICT)
class MediaSettings:
    store: Literal["database", "directory"] = "database"
    dir: NonEmptyStr = "var/media"


@dataclass(frozen=True, config=STRICT)
class VoiceSettings:
    """`[voice]`: who turns a voice message into words. none: staff listen (待听取); tencent: Tencent
    Cloud ASR SentenceRecognition; local: faster-whisper / sherpa-onnx with a model the operator installed."""

    transcriber: Literal["none", "tencent", "local"] = "none"
    min_confidence: Fraction = 0.6  # below this a transcript goes to staff with the audio (1: every one)
    tencent_endpoint: NonEmptyStr = "asr.tencentcloudapi.com"  # host[:port][/path]; the sandbox: …/sandbox/asr
    tencent_scheme: Literal["https", "http"] = "https"
    tencent_region: NonEmptyStr = "ap-guangzhou"
    tencent_engine: NonEmptyStr = "8k_zh"  # e.g. 8k_zh_dialect or a Henanese engine where the account has one
    tencent_secret_id: Str = ""
    tencent_secret_key: Str = ""
    local_model_dir: Str = ""  # faster-whisper (CTranslate2) or sherpa-onnx model directory; never downloaded
    local_engine: Literal["faster-whisper", "sherpa-onnx"] = "faster-whisper"


@dataclass(frozen=True, config=STRICT)
class ConversationSettings:
    """`[conversation]`: how long the bot's questions and a person's hand-off last."""

    question_minutes: PositiveFloat = 30.0  # a question (which courtyard? 1–4?) owns its answers this long
    followup_minutes: NonNegativeFloat = 10.0  # words this soon after a ticket may be about that ticket
    handoff_minutes: PositiveFloat = 60.0  # the bot stays quiet this long after 转人工 unless staff release it
    # A resident's new tickets per hour; beyond it messages are kept on one staff review item
    # (status triage: no council push) and the resident is told (issue 23: one openid opened 493).
    reports_per_hour: PositiveInt = 10


@dataclass(frozen=True, config=STRICT)
class EmergencySettings:
    """`[emergency]`: the numbers a resident in danger is shown first, and the chase of urgent tickets."""

    people: NonEmptyStr = "120"  # someone fallen, unconscious, hurt
    fire: NonEmptyStr = "119"
    police: NonEmptyStr = "110"
    gas: NonEmptyStr = "96777"  # the gas company's repair line
    power: NonEmptyStr = "95598"  # the power company's repair line (live wires, sparks)
    lift: NonEmptyStr = "96333"  # lift rescue
    chase_minutes: PositiveFloat = 15.0  # an urgent ticket nobody accepts this long goes to the backup and staff


@dataclass(frozen=True, config=STRICT)
class MenuButton:
    """One `[[menu.button]]` (with `[[menu.button.sub]]`); `steward menu push` checks WeChat's limits."""

    name: NonEmptyStr
    type: Str = "click"  # click | view | pic_photo_or_album | scancode_push | location_select …
    key: Str = ""
    url: Str = ""
    sub: tuple[MenuButton, ...] = ()
