"""Understanding residents' messages: pure functions over text and state, no I/O.

Classify, find the courtyard, urgency, dialogue decisions, council commands, FAQ, event sign-up.
May import: `bot.config` (the typed configuration) and nothing else of the project; no I/O library.
"""

from handlers.base import Context, Decision, Inbound
from handlers.dialogue import HANDLERS


def decide(msg: Inbound, ctx: Context) -> Decision:
    """First handler that matches wins; the last one is an explicit fallback."""
    for handler in HANDLERS:
        if handler.match(msg, ctx):
            return handler.handle(msg, ctx)
    raise AssertionError("the fallback handler always matches")


__all__ = ["Context", "Decision", "Inbound", "decide"]
