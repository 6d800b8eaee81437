"""One message's actions being carried out, and the register of who carries out which action.

Each executor is declared beside its work with `@executes(ActionClass)`: it takes the `Run` and
one action of that class and returns an `Outcome`. One executor per action class (a second one is
refused at import); `tests/test_executors.py` checks every `handlers.base.Action` subclass has one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from bot.config import Config
from handlers.base import Action, Inbound, Outcome


@dataclass
class Run:
    """One message being carried out: its session, the configuration, and the tickets it created.
    Work that must wait for the commit goes to the session's outbox (`bot.services.uow.outbox`)."""

    config: Config
    msg: Inbound
    session: Session
    ticket_ids: list[int] = field(default_factory=list)


A = TypeVar("A", bound=Action)
Executor = Callable[[Run, Any], Outcome]  # (each takes its own action class: Any stands for it)
EXECUTORS: dict[type[Action], Executor] = {}


def executes(kind: type[A]) -> Callable[[Callable[[Run, A], Outcome]], Callable[[Run, A], Outcome]]:
    """Register the decorated function as the one executor of `kind`."""

    def register(fn: Callable[[Run, A], Outcome]) -> Callable[[Run, A], Outcome]:
        if kind in EXECUTORS:
            raise ValueError(f"{kind.__name__} has an executor already: {EXECUTORS[kind].__qualname__}")
        EXECUTORS[kind] = fn
        return fn

    return register


def execute(run: Run, action: Action) -> Outcome:
    return EXECUTORS[type(action)](run, action)
