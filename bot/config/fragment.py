"""A community's fragment (`steward community add ID --from community.toml`): the config's own
sections for one community — `[wechat]` (its own official account; leave it out to share the
deployment's), `[templates]`, `[[courtyards]]` (or `[[community.courtyards]]`, as in the main config)
and optionally `[[members]]` (without an openid: they bind by scanning an invitation)."""

from __future__ import annotations

import tomllib
from typing import Literal

from pydantic import ValidationError

from bot.config.errors import Problem, translate
from bot.config.schema import Courtyard, Section, Templates, WeChatConfig
from bot.config.types import NonEmptyStr, Str


class FragmentMember(Section):
    name: NonEmptyStr
    courtyard: NonEmptyStr
    openid: Str = ""
    role: Literal["会长", "副会长", "成员", "楼长"] = "成员"
    skills: tuple[Str, ...] = ()
    phone: Str = ""


class FragmentCommunity(Section):
    name: Str = ""
    courtyards: tuple[Courtyard, ...] = ()


class CommunityFragment(Section):
    wechat: WeChatConfig | None = None
    templates: Templates | None = None
    community: FragmentCommunity = FragmentCommunity()
    courtyards: tuple[Courtyard, ...] = ()
    members: tuple[FragmentMember, ...] = ()

    @property
    def all_courtyards(self) -> tuple[Courtyard, ...]:
        return self.courtyards + self.community.courtyards


class FragmentError(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(p.zh_line() for p in problems))
        self.problems = problems


def parse(text: str) -> CommunityFragment:
    """The validated fragment; FragmentError names every problem (in Chinese)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FragmentError([Problem("", f"不是有效的 TOML：{exc}", f"not valid TOML: {exc}")]) from None
    try:
        fragment = CommunityFragment.model_validate(data)
    except ValidationError as exc:
        raise FragmentError(translate(exc, CommunityFragment)) from None
    if not fragment.all_courtyards:
        raise FragmentError([Problem("courtyards", "至少要有一个楼院 [[courtyards]]", "needs at least one courtyard")])
    return fragment
