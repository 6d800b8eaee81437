"""The service layer, one folder per stage of a message's path (top imports bottom, never back):

    civic/     Open311 GeoReport v2, referrals to and from 12345 and other desks
    inbound/   a message arrives: receive, decide in one transaction, voice, staff intake, replay
    sweep.py   the periodic sweep: whatever is due, whatever Redis lost
    actions/   each action of a decision carried out by its registered executor; the report budget
    casework/  council commands, the callback (回访), staff operations on a ticket
    events/    activity sign-ups and reminders          digest/  the monthly 社情 digest
    privacy/   erasure on request, retention
    dispatch/  who gets a ticket: routing, emergencies, hand-offs, departures, deadlines and 督办
    media/     photos and voice                         rates/   the three rates
    push/      everything the account sends, and its delivery
    tickets/   the ticket's lifecycle
    community/ the directory (courtyards, members, invitations, FAQ, outside parties), staff accounts
    uow/       the unit of work (`Steward`), the outbox, jobs, the audit log

May import: `bot.storage`, `bot.wechat`, `bot.domain`, `handlers`, `bot.config`. Never `workers`
(jobs are enqueued by their dotted names, `bot.services.uow.jobs`), never an entry point.
"""
