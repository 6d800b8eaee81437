"""The two communities of the isolation walk (tests/test_isolation_walk.py), each with one of every
kind of row a page, export or API answer can show, written in words no other row uses.

Community A is the deployment's own (育英街社区, id 1); community B is 新华路社区 from
tests/test_communities.py's `two` fixture. `secrets(b)` lists the strings nothing of A may show."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from bot.domain import clock
from bot.services.community import members, reference
from bot.services.community.members import MemberInput
from bot.services.community.reference import FaqInput, PartyInput
from bot.services.dispatch import handoffs
from bot.services.inbound import staff_intake
from bot.services.push import links
from bot.services.uow import audit
from bot.services.uow.steward import Steward
from bot.storage.models import (
    CouncilMember,
    Event,
    Media,
    MediaBlob,
    MemberInvitation,
    Registration,
    Resident,
    Ticket,
)


@dataclass
class Side:
    """One community's rows the walk fills path parameters with, and the words they carry."""

    community: int
    key: str
    courtyard: str
    ref: str = ""
    ticket_id: int = 0
    member_id: int = 0
    invitation_id: int = 0
    event_id: int = 0
    registration_id: int = 0
    handoff_id: int = 0
    media_id: int = 0
    faq_id: int = 0
    party: str = ""
    link: str = ""
    words: list[str] = field(default_factory=list)


# (courtyard, words) per community: every string is found in one community's rows only
WORDS = {
    "a": {"text": "育英街锅炉房暖气片漏水甲", "resident": "诸葛甲秀", "phone": "13600000001",
          "member": "东方甲明", "member_phone": "13600000002", "event": "育英街甲组太极拳表演",
          "guest": "慕容甲兰", "guest_phone": "13600000003", "said": "育英街甲找人工说事",
          "faq": "育英街甲水费在居委会交", "party": "育英甲物业公司", "audit": "育英甲审计对象",
          "photo": "YUYING-A-PHOTO-BYTES", "resident_openid": "o-walk-a-resident"},
    "b": {"text": "纺织厂锅炉房暖气片漏水乙", "resident": "欧阳乙花", "phone": "13900000001",
          "member": "上官乙旗", "member_phone": "13900000002", "event": "新华路乙组广场舞比赛",
          "guest": "司马乙英", "guest_phone": "13900000003", "said": "新华路乙找人工说事",
          "faq": "新华路乙水费在纺织厂门口交", "party": "新华路乙物业公司", "audit": "新华路乙审计对象",
          "photo": "XINHUA-B-PHOTO-BYTES", "resident_openid": "o-walk-b-resident"},
}


def fill(steward: Steward, side: Side, tag: str) -> Side:
    """One of every row in `side`'s community, through the services where they exist."""
    w = WORDS[tag]
    scoped = steward.for_community(side.community)
    cfg = scoped.config
    with scoped.session() as s:
        s.add(Resident(openid=w["resident_openid"], courtyard_id=side.courtyard, name=w["resident"], phone=w["phone"]))
        s.flush()
        t = staff_intake.open_ticket(s, cfg, staff_intake.Report(
            channel="电话", courtyard=side.courtyard, category="repair", text=w["text"],
            resident_name=w["resident"], resident_phone=w["phone"]), actor=f"walk-{tag}", actor_name="走访员")
        side.ref, side.ticket_id = str(t.ref), t.id
        media = Media(ticket_id=t.id, openid=w["resident_openid"], kind="image", media_id=f"walk-{tag}-media",
                      status="stored", content_type="image/jpeg")
        s.add(media)
        s.flush()
        photo = w["photo"].encode()
        s.add(MediaBlob(media_row_id=media.id, variant="original", content_type="image/jpeg", size=len(photo),
                        data=photo))
        side.media_id = media.id
        member = members.add_member(s, cfg, MemberInput(courtyard=side.courtyard, name=w["member"], role="楼长",
                                                        phone=w["member_phone"]), actor=f"walk-{tag}")
        side.member_id = member.id
        inv = MemberInvitation(community_id=side.community, member_id=member.id, scene=f"inv-walk-{tag}",
                               qr_url=f"https://example.invalid/qr/walk-{tag}",
                               expires_at=clock.utcnow() + timedelta(days=2))
        s.add(inv)
        event = Event(title=w["event"], starts_at=clock.utcnow() + timedelta(days=3), place=w["event"] + "广场",
                      courtyard_id=side.courtyard, capacity=20, description=w["event"])
        s.add(event)
        s.flush()
        reg = Registration(event_id=event.id, openid=w["resident_openid"], name=w["guest"], phone=w["guest_phone"])
        s.add(reg)
        side.handoff_id = handoffs.open_handoff(s, cfg, w["resident_openid"], w["said"], 60).id
        side.faq_id = reference.add_faq(s, cfg, FaqInput(patterns=(w["faq"][:6],), answer=w["faq"]),
                                        actor=f"walk-{tag}").id
        side.party = f"walk{tag}party"
        reference.add_party(s, cfg, side.party, PartyInput(name=w["party"]), actor=f"walk-{tag}")
        audit.record(s, f"staff:walk-{tag}", "user_update", w["audit"], {"name": w["resident"]}, {"phone": w["phone"]})
        s.flush()
        side.invitation_id, side.event_id, side.registration_id = inv.id, event.id, reg.id
        chair = s.scalars(select(CouncilMember).where(CouncilMember.courtyard_id == side.courtyard,
                                                      CouncilMember.openid.is_not(None))).first()
        assert chair is not None and chair.openid
        side.link = links.make_token(cfg, t.id, chair.openid)
    side.words = [v for k, v in w.items() if k != "resident_openid"] + [w["resident_openid"], side.ref]
    return side


def refs_of(steward: Steward, community: int) -> list[str]:
    with steward.for_community(community).session() as s:
        return [str(r) for r in s.scalars(select(Ticket.ref).where(Ticket.ref.is_not(None)))]


def secrets(steward: Steward, b: Side, extra: list[str]) -> list[str]:
    """Everything of B nothing of A may show: its words, every ticket ref, openid, courtyard and
    member name, and its name."""
    out = list(b.words) + refs_of(steward, b.community) + extra
    with steward.for_community(b.community).session() as s:
        out += [m.name for m in s.scalars(select(CouncilMember))]
        out += [o for o in s.scalars(select(Resident.openid))]
        out += [o for o in s.scalars(select(CouncilMember.openid).where(CouncilMember.openid.is_not(None)))]
    cfg = steward.for_community(b.community).config
    out += [c.name for c in cfg.courtyards] + [cfg.community]
    return sorted({x for x in out if x})
