"""Executors of the actions another service carries out (council commands, callback answers,
event sign-ups, a person taking over, delivery receipts) and of the resident's own record.

Each is registered with `@executes(ActionClass)` (`bot.services.actions.run`).
"""

from __future__ import annotations

from sqlalchemy import select

from bot.domain.vocabulary import EventKind, PushKind
from bot.services.actions.run import Run, executes
from bot.services.casework.council import apply_callback_answer, apply_council_command, apply_late_rating
from bot.services.dispatch import handoffs
from bot.services.events import registrations
from bot.services.push.delivery import record_delivery
from bot.services.push.send import queue_push
from bot.services.tickets import lifecycle as tickets
from bot.storage.models import Event, Resident
from handlers import actions as ha
from handlers import base as hb


def _resident(run: Run) -> Resident:
    return run.session.scalars(select(Resident).where(Resident.openid == run.msg.openid)).one()



@executes(ha.BindCourtyard)
def bind_courtyard(run: Run, a: ha.BindCourtyard) -> hb.Outcome:
    if run.config.courtyard(a.courtyard) is None:
        return hb.Outcome(a, False, message="没有找到这个楼院，请再说一下是哪个院。")
    _resident(run).courtyard_id = a.courtyard
    return hb.Outcome(a, True)


@executes(ha.UpdateResident)
def update_resident(run: Run, a: ha.UpdateResident) -> hb.Outcome:
    resident = _resident(run)
    for name in ("unit", "phone", "name", "no_default_offer"):
        value = getattr(a, name)
        if value:
            setattr(resident, name, value)
    return hb.Outcome(a, True)


@executes(ha.HandOff)
def hand_off(run: Run, a: ha.HandOff) -> hb.Outcome:
    handoffs.open_handoff(run.session, run.config, run.msg.openid, a.said, a.minutes)
    return hb.Outcome(a, True)


@executes(ha.CouncilCommand)
def council_command(run: Run, a: ha.CouncilCommand) -> hb.Outcome:
    return apply_council_command(run.session, run.config, run.msg.openid, a.verb, a.ref, a.note)


@executes(ha.CallbackAnswer)
def callback_answer(run: Run, a: ha.CallbackAnswer) -> hb.Outcome:
    out = apply_callback_answer(
        run.session, run.config, run.msg.openid, a.ref, a.solved, a.rating, a.note
    )
    if out.ok and a.complaint and out.ref:  # a rating with a complaint: the rating counts, the complaint is kept
        ticket = tickets.get_by_ref(run.session, out.ref)
        if ticket is not None:
            tickets.add_event(run.session, ticket, EventKind.note.value, actor=run.msg.openid, actor_name="居民",
                              note=f"居民评价时反映：{a.complaint}"[:200], data={"complaint": True, "rating": a.rating})
    return out


@executes(ha.LateRating)
def late_rating(run: Run, a: ha.LateRating) -> hb.Outcome:
    return apply_late_rating(run.session, run.config, run.msg.openid, a.ref, a.rating, a.note)


@executes(ha.EventSignup)
def event_signup(run: Run, a: ha.EventSignup) -> hb.Outcome:
    cfg, where = run.config, _resident(run).courtyard_id
    event_yard = run.session.get(Event, a.event_id)
    name = cfg.courtyard_name(event_yard.courtyard_id) if event_yard is not None else ""
    return registrations.sign_up(run.session, a, run.msg.openid, where, name)


@executes(ha.EventCancel)
def event_cancel(run: Run, a: ha.EventCancel) -> hb.Outcome:
    out = registrations.cancel(run.session, a, run.msg.openid)
    promoted = out.data.get("promoted") if out.ok else None
    if promoted:  # the promised "有空位会通知您"
        cfg = run.config
        text = f"有空位了！您已从候补转为正式报名「{out.data['event']}」，{out.data['when']}，地点：{out.data['place']}。"
        content = {"title": "活动候补转正", "ref": "", "place": out.data["place"], "what": out.data["event"][:20],
                   "deadline": out.data["when"], "status": "已报名", "how": text, "note": text}
        queue_push(run.session, cfg, ticket=None, openid=promoted, kind=PushKind.notice.value,
                   tag=f"ev{a.event_id}-r{out.data['promoted_id']}", content=content, text=text)
    return out


@executes(ha.PushDelivered)
def push_delivered(run: Run, a: ha.PushDelivered) -> hb.Outcome:
    record_delivery(run.session, a.msg_id, a.status)
    return hb.Outcome(a, True)
