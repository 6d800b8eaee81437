"""Dialogue acts on a labelled set: the learned act model next to a rules-only baseline (prints; not a test).

    .venv/bin/python bench/acts.py [--errors] [FILE]

FILE defaults to handlers/corpus/acts/holdout.tsv (evaluation only: never trained on, never read to
tune). The baseline is what the conversation's rules *before the act model* decide for each
(context, text) — `rules_act` below routes the message through `handlers.conversation` with the
act model switched off (`handlers.acts.DISABLED`) in a context built for each context label, runs the
chosen handler, and maps its decision to an act:

- CreateTicket, or a courtyard asked for a new request → report; AddToTicket, EscalateTicket, or
  是补充…还是另一件事？ → add; the ticket list (MyTickets) → progress; Withdraw or 是要撤销…？ → withdraw;
  CallbackAnswer not solved → reopen, solved (or a rating asked about) → rate, LateRating → rate;
  EventSignup → signup, EventCancel → cancel_signup, the event list → question; HandOff → handoff;
  an FAQ answer or the usage text → question; SetCourtyard / MoveTicket / BindCourtyard → correction;
  the small-talk answer → thanks when it says 不客气, else chitchat; CouncilCommand → its verb
  (accept / return / finish / progress → progress_note; a verb understood counts even when the ref is then
  asked for); the category menu, "which courtyard?" for
  nothing, the catch-all → none (always wrong). There is no urge in the rules: an urge is counted
  right only if the rules do something an urge needs (never today), so urge recall is 0 by construction.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import load  # noqa: E402
from handlers import actions as A  # noqa: E402
from handlers import acts, commands  # noqa: E402
from handlers.base import Context, EventView, Inbound, TicketView  # noqa: E402
from handlers.conversation import CONVERSATION  # noqa: E402
from handlers.questions import CourtyardAsked, MenuShown, Request, WithdrawAsked  # noqa: E402
from handlers.state import DialogueState, FollowUpAsked, LastTicket  # noqa: E402

DEFAULT = ROOT / "handlers" / "corpus" / "acts" / "holdout.tsv"
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def contexts(cfg) -> dict[str, Context]:
    """One context per label: the state the conversation is in when the line arrives."""
    t = TicketView("R1001", "dispatched", "repair", "c3", "3号楼2单元楼道灯坏了", NOW - timedelta(hours=30),
                   assignee="o-sample-c3-2")
    done = TicketView("R1001", "awaiting_callback", "repair", "c3", "3号楼2单元楼道灯坏了", NOW - timedelta(days=3),
                      assignee="o-sample-c3-2")
    events = [EventView(1, "太极拳晨练", NOW + timedelta(days=2), "社区广场", 30, 5),
              EventView(2, "健康知识讲座", NOW + timedelta(days=4), "社区活动室", 50, 10)]
    at = NOW.timestamp()
    member = next(m for m in cfg.members if m.openid == "o-sample-c3-2")
    base = {"config": cfg, "now": NOW, "events": events}
    return {
        "none": Context(**base),
        "open_ticket": Context(**base, open_tickets=[t], state=DialogueState(
            last=LastTicket(t.text, "repair", at - 600, "R1001", "c3"))),
        "asked_courtyard": Context(**base, state=DialogueState(pending=CourtyardAsked(
            Request("楼道灯坏了", "repair", "照明", 0.9), asked=1, at=at - 30))),
        "awaiting_callback": Context(**base, awaiting_callback=[done]),
        "member_task": Context(**base, member=member, tasks=[t]),
    }


def rules_act(ctx: Context, text: str) -> str:
    msg = Inbound("o-bench", "text", text, created=int(NOW.timestamp()))
    handler, seen = CONVERSATION.route(msg, ctx)
    if handler.name == "my_tickets" or handler.name == "my_tasks":
        return "progress"
    if handler.name == "help":
        return "question"
    if handler.name == "blank":
        return "chitchat"
    if handler.name == "council_command" and seen.member is not None:
        parsed = commands._read(msg, seen)  # the verb understood, even when it then asks for the ref
        if parsed is not None:
            return {"progress": "progress_note"}.get(parsed.verb, parsed.verb)
    d = handler.handle(msg, seen)
    for a in d.actions:
        if isinstance(a, A.CreateTicket):
            return "report"
        if isinstance(a, A.AddToTicket | A.AttachMedia | A.EscalateTicket):
            return "add"
        if isinstance(a, A.Withdraw):
            return "withdraw"
        if isinstance(a, A.CallbackAnswer):
            return "rate" if a.solved else "reopen"
        if isinstance(a, A.LateRating):
            return "rate"
        if isinstance(a, A.EventSignup):
            return "signup"
        if isinstance(a, A.EventCancel):
            return "cancel_signup"
        if isinstance(a, A.HandOff):
            return "handoff"
        if isinstance(a, A.SetCourtyard | A.MoveTicket | A.BindCourtyard | A.UpdateResident):
            return "correction"
        if isinstance(a, A.CouncilCommand):
            return {"progress": "progress_note"}.get(a.verb, a.verb)
    q = d.state.pending if d.state else None
    if isinstance(q, WithdrawAsked):
        return "withdraw"
    if isinstance(q, FollowUpAsked):
        return "add"
    if isinstance(q, MenuShown):
        return "none"
    if isinstance(q, CourtyardAsked):
        return "report" if q.request is not None and q is not seen.state.pending else "none"
    if d.state and d.state.callback_rating is not None:
        return "rate"
    reply = d.reply or ""
    if handler.name in ("events", "request") and ("报名" in reply or "活动" in reply) and not d.actions:
        return "question"
    if "不客气" in reply:
        return "thanks"
    if handler.name == "request" and reply:
        return "question" if ("电话" in reply or "时间" in reply or "办理" in reply) else "chitchat"
    return "none"


def report(name: str, gold: list[str], pred: list[str]) -> dict[str, float]:
    ok = sum(g == p for g, p in zip(gold, pred, strict=True))
    print(f"  {name:<8} accuracy {ok / len(gold):6.1%}  ({ok}/{len(gold)})")
    out = {"_acc": ok / len(gold)}
    for a in acts.ACTS:
        idx = [i for i, g in enumerate(gold) if g == a]
        if idx:
            out[a] = sum(pred[i] == a for i in idx) / len(idx)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("file", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument("--errors", action="store_true")
    args = ap.parse_args()
    cfg = load(str(ROOT / "config.example.toml"))
    rows = acts.read(args.file)
    ctxs = contexts(cfg)
    model = acts.model()
    gold = [a for _, a, _ in rows]
    pred_m = [model.read(c, t).act for c, _, t in rows]
    acts.DISABLED = True  # the rules as they were: no act model anywhere in the conversation
    try:
        pred_r = [rules_act(ctxs[c], t) for c, _, t in rows]
    finally:
        acts.DISABLED = False
    print(f"{args.file.relative_to(ROOT) if args.file.is_relative_to(ROOT) else args.file}: {len(rows)} lines")
    m, r = report("model", gold, pred_m), report("rules", gold, pred_r)
    counts = Counter(gold)
    print(f"\n  {'act':<14}{'n':>4}{'model':>8}{'rules':>8}")
    for a in acts.ACTS:
        if a in m:
            print(f"  {a:<14}{counts[a]:>4}{m[a]:8.0%}{r[a]:8.0%}")
    by_ctx = Counter(c for c, _, _ in rows)
    print("\n  by context   " + "  ".join(
        f"{c}: {sum(pm == g for (cc, g, _), pm in zip(rows, pred_m, strict=True) if cc == c) / n:.0%}/"
        f"{sum(pr == g for (cc, g, _), pr in zip(rows, pred_r, strict=True) if cc == c) / n:.0%}"
        for c, n in by_ctx.items()))
    if args.errors:
        for (c, g, t), pm in zip(rows, pred_m, strict=True):
            if pm != g:
                print(f"    MODEL {c:<17} {g:>13} → {pm:<13} {t}")


if __name__ == "__main__":
    main()
