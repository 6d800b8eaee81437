"""The webhook's PostgreSQL-only paths (issue 24): the resident's upsert and the sender's tickets in
one statement (a data-modifying CTE, `intake._touch_and_mine`), the asked question as a column of
those rows, the pool's ping only for an idle connection. These modules' tests, run again on
PostgreSQL (their `db_url` is this module's); skipped without $STEWARD_TEST_PG_URL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.storage import db as db_mod
from tests.conftest import blank_db_url
from tests.test_conv_followup import *  # noqa: F403 — run here on PostgreSQL
from tests.test_conv_help_withdraw import *  # noqa: F403
from tests.test_webhook import *  # noqa: F403

pytestmark = pytest.mark.pg


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    from bot.storage.migrate import upgrade

    url = blank_db_url("pg", tmp_path)
    upgrade(url)
    yield url
    db_mod.dispose_all()
