"""好人好事, pure: a resident's thanks that names a council member or a neighbour, made fit for
print — the resident stays anonymous, a member is named only with consent (`digest_consent`)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.config import CouncilMember
from bot.domain.public_scrub import SURNAMES, scrub

THANKS = re.compile(r"感谢|谢谢|多谢|多亏|点赞|表扬|好人|热心|辛苦|帮了大忙")
NEIGHBOUR = re.compile(rf"邻居|楼上|楼下|对门|隔壁|街坊|小伙子|姑娘|[{SURNAMES}](?:阿姨|大爷|大妈|叔叔|师傅|大姐|大哥|奶奶|爷爷)")
# A callback answer starts with the rating ("5 师傅修得很好", "5分，谢谢", "五星！"): not the resident's words.
RATING_PREFIX = re.compile(r"^\s*(?:[1-5１-５](?:\s*(?:分|星|颗星))?|[一二三四五](?:分|星|颗星))(?![0-9０-９号楼层单元栋院])[\s,，.。!！:：、]*")
MEMBER = "member"
NEIGHBOUR_KIND = "neighbour"
ANONYMOUS_MEMBER = "一位理事会成员"


@dataclass(frozen=True)
class Deed:
    kind: str  # member | neighbour
    member: CouncilMember | None = None

    @property
    def who(self) -> str:
        if self.member is None:
            return "一位邻居"
        return f"理事会成员{self.member.name}" if self.member.digest_consent else ANONYMOUS_MEMBER


def recognise(text: str, members: Sequence[CouncilMember]) -> Deed | None:
    """A thanks naming somebody, else None (a bare "谢谢" to the bot is not a good deed)."""
    if not text or not THANKS.search(text):
        return None
    member = next((m for m in members if m.name and m.name in text), None)
    if member is not None:
        return Deed(MEMBER, member)
    return Deed(NEIGHBOUR_KIND) if NEIGHBOUR.search(text) else None


def printable(text: str, deed: Deed, members: Sequence[CouncilMember], residents: Iterable[str],
              limit: int = 80) -> str:
    """The resident's words with their own and other residents' names gone, and every member's name
    gone unless that member consented."""
    hidden = [*residents, *(m.name for m in members if not m.digest_consent)]
    out = RATING_PREFIX.sub("", text, count=1) or text
    if deed.member is not None and not deed.member.digest_consent:
        out = out.replace(deed.member.name, "某某")
    return scrub(out, limit=limit, names=hidden)
