"""Understanding residents' messages: pure functions over text and state, no I/O."""

from handlers.base import Context, Decision, Inbound


def decide(msg: Inbound, ctx: Context) -> Decision:
    """First handler that matches wins; the last one is an explicit fallback."""
    from handlers.dialogue import HANDLERS

    for handler in HANDLERS:
        if handler.match(msg, ctx):
            return handler.handle(msg, ctx)
    raise AssertionError("the fallback handler always matches")


__all__ = ["Context", "Decision", "Inbound", "decide"]
