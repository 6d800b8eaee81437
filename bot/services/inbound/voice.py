"""Voice messages since WeChat stopped filling `Recognition` (2023): the webhook answers at once, a
worker fetches the audio (bot.services.media.attach) and hands it to the configured transcriber.

- `none`, or words too unclear: a ticket opens in staff triage as 待听取 with the audio, and the
  resident is told its ref and that a person will listen.
- a transcript: it goes through understanding exactly like typed text (an `Inbound` with text), and
  the resident is told what was understood with the ref ("您说的是：…。已受理，工单号 R1023").
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Config
from bot.domain import texts
from bot.domain.clock import utcnow
from bot.services.actions.run import Run
from bot.services.dispatch.assign import to_triage
from bot.services.inbound import dialogue_lock, intake
from bot.services.media import transcribe
from bot.services.media.attach import tell_member
from bot.services.push.send import queue_push
from bot.services.tickets import lifecycle as tickets
from bot.services.uow import jobs, outbox
from bot.services.uow.steward import Steward
from bot.storage.models import Media, Resident, Ticket
from handlers import intake as handler_intake
from handlers.base import Inbound
from handlers.state import DialogueState

log = logging.getLogger(__name__)

UNDERSTAND = "understand"
LISTEN_REASON = "居民发来语音，请听取后分派"
GROUP_WINDOW = timedelta(minutes=10)


def needs_listening(msg: Inbound) -> bool:
    """A voice message without WeChat's Recognition (every one since 2023)."""
    return msg.kind == "voice" and not (msg.text or "").strip() and bool(msg.media_id)


def accept(session: Session, steward: Steward, msg: Inbound, state: DialogueState | None) -> intake.Handled:
    """The webhook's part: record the voice, reply at once. The dialogue state is left as it is."""
    courtyard, _ = intake.touch_resident(session, msg, steward)
    run = Run(steward.config, msg, session)
    outbox.of(session).deferred = True  # `intake.finish` flushes it with the webhook's pipeline
    state = intake.load_state(steward, msg.openid) if state is None else state
    just_opened = handler_intake.last_ticket(intake.build_context(session, steward, msg, courtyard, state))
    if steward.config.voice.transcriber == "none" and just_opened is not None:
        # A voice right after a report adds to it (as a photo would); whoever handles it listens.
        ticket = tickets.get_by_ref(session, just_opened.ref)
        assert ticket is not None  # just read among the sender's open tickets, in this transaction
        _attach(session, steward.config, ticket, msg.openid, msg.media_id or "")
        run.ticket_ids.append(ticket.id)
        reply = texts.voice_added(ticket.ref or "")
    elif steward.config.voice.transcriber == "none":
        ticket = open_for_listening(session, steward, msg.openid, msg.media_id or "")
        run.ticket_ids.append(ticket.id)
        reply = texts.voice_listening(ticket.ref or "")
    else:
        row = Media(openid=msg.openid, kind="voice", media_id=msg.media_id, status="pending", purpose=UNDERSTAND)
        session.add(row)
        session.flush()
        outbox.add(session, jobs.media_job(row.id, fresh=True))
        reply = texts.voice_transcribing()
    return intake.Handled(reply, state or None, run, outbox.of(session))


def open_for_listening(session: Session, steward: Steward, openid: str, media_id: str,
                       media: Media | None = None) -> Ticket:
    """A ticket in triage as 待听取, the voice attached (downloaded by a media job unless `media`,
    already stored, is given)."""
    config = steward.config
    ticket = _recent_listening(session, openid)
    fresh = ticket is None
    if ticket is None:
        courtyard = session.scalar(select(Resident.courtyard_id).where(Resident.openid == openid))
        ticket = tickets.create_ticket(session, category="other", subcategory=texts.VOICE_SUBCATEGORY,
                                       courtyard=courtyard, text=texts.VOICE_TICKET_TEXT, confidence=0.0,
                                       resident_openid=openid, actor=openid)
    if media is None:
        _attach(session, config, ticket, openid, media_id)
    else:
        media.ticket_id, media.purpose = ticket.id, None
        tickets.add_event(session, ticket, "media_attached", actor=openid, data={"kind": "voice"})
    if fresh:  # attempt 0: staff are told; the resident already has the ref from our reply
        to_triage(session, config, ticket, 0, LISTEN_REASON)
    return ticket


def _attach(session: Session, config: Config, ticket: Ticket, openid: str, media_id: str) -> None:
    """The voice on `ticket`, downloaded by a media job after the commit."""
    media = Media(ticket_id=ticket.id, openid=openid, kind="voice", media_id=media_id, status="pending")
    session.add(media)
    session.flush()
    outbox.add(session, jobs.media_job(media.id, fresh=True))
    tickets.add_event(session, ticket, "media_attached", actor=openid, data={"kind": "voice"})
    tell_member(session, config, ticket, [media])


def _recent_listening(session: Session, openid: str) -> Ticket | None:
    """Elderly residents often say one thing in several short voices: those within GROUP_WINDOW go
    to the same 待听取 ticket, not one ticket each."""
    return session.scalars(
        select(Ticket).where(Ticket.resident_openid == openid, Ticket.status == "triage",
                             Ticket.subcategory == texts.VOICE_SUBCATEGORY,
                             Ticket.created_at > utcnow() - GROUP_WINDOW)
        .order_by(Ticket.id.desc()).limit(1)
    ).first()


def understand(steward: Steward, media_row_id: int, voice: bytes, voice_format: str) -> str:
    """The media job's part, once the voice is stored: transcribe it, then treat the words as a typed
    message, or open it for listening. Returns "understood" | "listening" | "done"."""
    config = steward.config
    with steward.session() as s:
        row = s.get(Media, media_row_id)
        if row is None or row.purpose != UNDERSTAND:
            return "done"  # already handled by an earlier run
        openid = row.openid
    heard = None
    try:
        heard = transcribe.make(config.voice).transcribe(voice, voice_format)
    except transcribe.TranscriberError as exc:
        log.warning("voice %s: transcriber failed (%s); staff will listen", media_row_id, exc)
    # min_confidence 1: staff check every transcript (engines without a confidence report 1.0).
    if heard is None or heard.confidence < config.voice.min_confidence or config.voice.min_confidence >= 1:
        with steward.session() as s:
            row = s.get(Media, media_row_id, with_for_update=True)
            if row is None or row.purpose != UNDERSTAND:
                return "done"
            if heard is not None:
                row.transcript, row.confidence = heard.text, heard.confidence
            ticket = open_for_listening(s, steward, openid, row.media_id, media=row)
            text = texts.voice_listening(ticket.ref or "")
            _tell(s, steward, ticket, openid, media_row_id, text)
        return "listening"
    msg = Inbound(openid=openid, kind="text", text=heard.text)  # understood exactly like typed text
    with dialogue_lock.held(steward.redis, openid):  # not beside a message he sends meanwhile
        return _understood(steward, media_row_id, msg, heard)


def _understood(steward: Steward, media_row_id: int, msg: Inbound, heard: transcribe.Transcript) -> str:
    openid = msg.openid
    with steward.session() as s:
        row = s.get(Media, media_row_id, with_for_update=True)
        if row is None or row.purpose != UNDERSTAND:
            return "done"
        row.transcript, row.confidence, row.purpose = heard.text, heard.confidence, None
        done = intake.handle(s, steward, msg)
        found = s.get(Ticket, done.run.ticket_ids[0]) if done.run.ticket_ids else None
        if found is not None:
            row.ticket_id = found.id
            tickets.add_event(s, found, "media_attached", actor=openid, data={"kind": "voice"},
                              note=f"语音识别：{heard.text}"[:500])
        _tell(s, steward, found, openid, media_row_id, texts.voice_understood(heard.text, done.reply))
    intake.finish(steward, done)
    return "understood"


def _tell(session: Session, steward: Steward, ticket: Ticket | None, openid: str, media_row_id: int,
          text: str) -> None:
    """The resident's answer, as a customer-service message (he just wrote; else the notice template)."""
    ref = ticket.ref if ticket is not None else ""
    content = {"ref": ref or "-", "what": text, "status": ticket.status_label if ticket is not None else "已收到",
               "note": text}
    queue_push(session, steward.config, ticket=ticket, openid=openid, kind="reply", tag=f"voice{media_row_id}",
               content=content, text=text)
