"""The domain, pure: ticket statuses and their Chinese labels, deadlines and the working-day
calendar, routing rules, the texts residents and council members receive, the project clock.

May import: `bot.config`, `handlers` (the dialogue's own wording), the standard library. No I/O.
"""
