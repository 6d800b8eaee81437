"""The conversation as explicit states, in the spirit of python-telegram-bot's ConversationHandler.

`first` runs in every state (platform events, a member's commands, emergencies, a person's
hand-off): nothing the bot asked may hold them up. Then the handlers of the state the last reply
left (`states[type(state.pending)]`: the question asked owns its answers — digits included — until it is
answered or its timeout passes), then the `entry_points` that start something new, then the
`fallbacks` (the last always matches). A question older than its timeout reads as not asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from handlers import amend, aside, binding, callback, followup, outside, people, progress, reconsider
from handlers import dialogue as d
from handlers.base import Context, Decision, Handler, Inbound
from handlers.state import (
    BindOffered,
    CourtyardAsked,
    EventsListed,
    FollowUpAsked,
    MenuShown,
    Question,
    RatingAsked,
    WithdrawAsked,
)


@dataclass(frozen=True)
class Conversation:
    first: Sequence[Handler]
    states: dict[type[Question], Sequence[Handler]]  # the question pending → the handlers of its answers
    entry_points: Sequence[Handler]
    fallbacks: Sequence[Handler]
    timeouts: dict[type[Question], float] = field(default_factory=dict)  # seconds; else the config's

    def timeout(self, ctx: Context, question: type[Question]) -> float:
        return self.timeouts.get(question, ctx.config.conversation.question_minutes * 60.0)

    def expire(self, ctx: Context) -> Context:
        """The context with a question past its timeout (and a hand-off past its end) forgotten."""
        state, now, q = ctx.state, ctx.clock, ctx.state.pending
        if now is None:
            return ctx
        if q is not None and q.at is not None and now - q.at > self.timeout(ctx, type(q)):
            state = state.settled()
        if state.handoff_until is not None and now > state.handoff_until:
            state = replace(state, handoff_until=None)
        return ctx if state is ctx.state else replace(ctx, state=state)

    def route(self, msg: Inbound, ctx: Context) -> tuple[Handler, Context]:
        """The handler that decides `msg`, and the context it sees (timeouts applied)."""
        ctx = self.expire(ctx)
        asked = () if ctx.state.pending is None else self.states.get(type(ctx.state.pending), ())
        chain = (*self.first, *asked, *self.entry_points, *self.fallbacks)
        for handler in chain:
            if handler.match(msg, ctx):
                return handler, ctx
        raise AssertionError("the last fallback always matches")

    def decide(self, msg: Inbound, ctx: Context) -> Decision:
        handler, ctx = self.route(msg, ctx)
        return handler.handle(msg, ctx)


_CANCEL, _MY, _ASIDE = d.CancelRequest(), d.MyTickets(), aside.Aside()

CONVERSATION = Conversation(
    first=(
        d.TemplateDelivery(), d.Unsubscribe(), d.Subscribe(), d.MenuClick(), d.OtherEvent(),
        d.FinishPhoto(), d.Council(), binding.MyTasks(), people.Emergency(), people.HandedOff(), people.Help(),
        progress.ProgressOrUrge(), people.Person(),
    ),
    states={
        BindOffered: (binding.Correction(), d.ConfirmBinding()),
        CourtyardAsked: (_CANCEL, _MY, outside.OutsideAnswer(), people.NewProblemWhileAsked(), _ASIDE,
                         binding.AllCourtyards(), d.AskCourtyard()),
        MenuShown: (_CANCEL, _MY, _ASIDE, d.Menu()),
        EventsListed: (d.Events(),),
        WithdrawAsked: (people.ConfirmWithdraw(),),
        RatingAsked: (callback.RateAfter(),),
        callback.SolvedAsked: (callback.SolvedAgain(),),
        FollowUpAsked: (followup.FollowUpOrNew(), followup.MorePhotos()),
    },
    entry_points=(
        d.Callback(), reconsider.TakeBack(), binding.Correction(), amend.Amend(), people.Withdrawal(), _CANCEL, _MY,
        binding.SelfIntro(), d.Events(), outside.Outside(), _ASIDE, followup.FollowUp(), d.Media(), d.Location(),
        d.Blank(),
        d.Request(),
    ),
    fallbacks=(d.Fallback(),),
)


def decide(msg: Inbound, ctx: Context) -> Decision:
    """The conversation's decision: the state's handlers, entry points, then the fallback."""
    return CONVERSATION.decide(msg, ctx)
