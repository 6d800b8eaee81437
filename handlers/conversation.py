"""The conversation as explicit states, in the spirit of python-telegram-bot's ConversationHandler.

`first` runs in every state (platform events, a member's commands, emergencies, a person's
hand-off): nothing the bot asked may hold them up. Then the handlers of the state the last reply
left (`states[step]`: the question asked owns its answers — digits included — until it is
answered or its timeout passes), then the `entry_points` that start something new, then the
`fallbacks` (the last always matches). A question older than its timeout reads as not asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from handlers import binding, callback, followup, people
from handlers import dialogue as d
from handlers.base import Context, Decision, Handler, Inbound
from handlers.state import Step


@dataclass(frozen=True)
class Conversation:
    first: Sequence[Handler]
    states: dict[str, Sequence[Handler]]
    entry_points: Sequence[Handler]
    fallbacks: Sequence[Handler]
    timeouts: dict[str, float] = field(default_factory=dict)  # step → seconds; else the config's

    def timeout(self, ctx: Context, step: str) -> float:
        return self.timeouts.get(step, ctx.config.conversation.question_minutes * 60.0)

    def expire(self, ctx: Context) -> Context:
        """The context with a question past its timeout (and a hand-off past its end) forgotten."""
        state, now = ctx.state, ctx.clock
        if now is None:
            return ctx
        if state.step and state.step_at is not None and now - state.step_at > self.timeout(ctx, state.step):
            state = state.settled()
        if state.handoff_until is not None and now > state.handoff_until:
            state = replace(state, handoff_until=None)
        return ctx if state is ctx.state else replace(ctx, state=state)

    def route(self, msg: Inbound, ctx: Context) -> tuple[Handler, Context]:
        """The handler that decides `msg`, and the context it sees (timeouts applied)."""
        ctx = self.expire(ctx)
        chain = (*self.first, *self.states.get(ctx.state.step or "", ()), *self.entry_points, *self.fallbacks)
        for handler in chain:
            if handler.match(msg, ctx):
                return handler, ctx
        raise AssertionError("the last fallback always matches")

    def decide(self, msg: Inbound, ctx: Context) -> Decision:
        handler, ctx = self.route(msg, ctx)
        return handler.handle(msg, ctx)


_CANCEL, _MY = d.CancelRequest(), d.MyTickets()

CONVERSATION = Conversation(
    first=(
        d.TemplateDelivery(), d.Unsubscribe(), d.Subscribe(), d.MenuClick(), d.OtherEvent(),
        d.FinishPhoto(), d.Council(), binding.MyTasks(), people.Emergency(), people.HandedOff(), people.Help(), people.Person(),
    ),
    states={
        Step.CONFIRM_BIND: (binding.Correction(), d.ConfirmBinding()),
        Step.ASK_COURTYARD: (_CANCEL, _MY, people.NewProblemWhileAsked(), binding.AllCourtyards(), d.AskCourtyard()),
        Step.MENU: (_CANCEL, _MY, d.Menu()),
        Step.EVENT_PICK: (d.Events(),),
        Step.CONFIRM_WITHDRAW: (people.ConfirmWithdraw(),),
        Step.RATE_AFTER: (callback.RateAfter(),),
        Step.FOLLOWUP_OR_NEW: (followup.FollowUpOrNew(), followup.MorePhotos()),
    },
    entry_points=(
        d.Callback(), binding.Correction(), people.Withdrawal(), _CANCEL, _MY, binding.SelfIntro(), d.Events(),
        followup.FollowUp(), d.Media(), d.Location(), d.Blank(),
        d.Request(),
    ),
    fallbacks=(d.Fallback(),),
)


def decide(msg: Inbound, ctx: Context) -> Decision:
    """The conversation's decision: the state's handlers, entry points, then the fallback."""
    return CONVERSATION.decide(msg, ctx)
