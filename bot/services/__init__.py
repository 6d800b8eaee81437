"""The service layer, one folder per stage of a message's path (top imports bottom, never back):

    inbound/   a message arrives: receive, decide and act in one transaction, voice, replay
    sweep.py   the periodic sweep: whatever is due, whatever Redis lost
    casework/  council commands, the callback (回访), staff operations on a ticket
    events/    activity sign-ups and reminders          digest/  the monthly 社情 digest
    dispatch/  who gets a ticket: routing, emergencies, hand-offs, deadlines and 督办
    media/     photos and voice                         rates/   the three rates
    push/      everything the account sends, and its delivery
    tickets/   the ticket's lifecycle
    community/ members, staff accounts, the menu, the working-day calendar
    uow/       the unit of work (`Steward`), the outbox, jobs

May import: `bot.storage`, `bot.wechat`, `bot.domain`, `handlers`, `bot.config`. Never `workers`
(jobs are enqueued by their dotted names, `bot.services.uow.jobs`), never an entry point.
"""
