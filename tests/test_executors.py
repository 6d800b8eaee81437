"""One action, one executor: every `Action` the handlers can return is carried out by exactly one
function registered with `@executes`, and a second registration is refused."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

import bot.services.inbound.intake  # noqa: F401 — the webhook's path: its imports register the executors
import handlers.conversation  # noqa: F401 — every handler module, so every Action class, is loaded
from bot.services.actions.run import EXECUTORS, executes
from handlers.base import Action, Outcome


def _subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    return found.union(*(_subclasses(c) for c in found)) if found else found


def test_every_action_has_exactly_one_executor() -> None:
    actions = {c for c in _subclasses(Action) if c.__module__.startswith("handlers.")}  # not this file's
    assert actions, "no Action subclasses found"
    assert sorted(c.__name__ for c in actions - EXECUTORS.keys()) == []  # none without one
    assert sorted(c.__name__ for c in EXECUTORS.keys() - actions) == []  # none for a class that is gone


def test_a_second_executor_for_one_action_is_refused() -> None:
    @dataclass(frozen=True)
    class Twice(Action):
        pass

    @executes(Twice)
    def first(run: object, a: Twice) -> Outcome:
        return Outcome(a, True)

    try:
        with pytest.raises(ValueError, match="Twice has an executor already"):
            executes(Twice)(first)
    finally:
        del EXECUTORS[Twice]
