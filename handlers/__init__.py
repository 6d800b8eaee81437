"""Understanding residents' messages: pure functions over text and state, no I/O.

Classify, find the courtyard, urgency, dialogue decisions, council commands, FAQ, event sign-up.
May import: `bot.config` (the typed configuration) and nothing else of the project; no I/O library.
"""

from handlers.base import Context, Decision, Inbound
from handlers.conversation import CONVERSATION


def decide(msg: Inbound, ctx: Context) -> Decision:
    """The conversation's decision: the state's handlers, entry points, then the fallback."""
    return CONVERSATION.decide(msg, ctx)


__all__ = ["Context", "Decision", "Inbound", "decide"]
