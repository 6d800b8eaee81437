"""How this process was started: as a service (the default), by `steward dev`, or by the tests.

Only `steward dev` and the test suite set a mode, explicitly and in code — never from the
environment, so no operator setting can switch a production process to sample secrets or the
sandbox by accident.
"""

from __future__ import annotations

from enum import StrEnum


class RunMode(StrEnum):
    PRODUCTION = "production"
    DEV = "dev"  # `steward dev` and the worker it starts
    TEST = "test"  # the test suite (tests/conftest.py)


_mode = RunMode.PRODUCTION


def set_run_mode(mode: RunMode) -> RunMode:
    """Set the mode for this process; returns the previous one (tests restore it)."""
    global _mode
    previous, _mode = _mode, RunMode(mode)
    return previous


def run_mode() -> RunMode:
    return _mode


def samples_allowed() -> bool:
    """Sample secrets, sample passwords, the sample config file and the sandbox are for dev and tests."""
    return _mode is not RunMode.PRODUCTION
