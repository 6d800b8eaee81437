"""`steward replay`: spooled and failed messages become tickets exactly once; a damaged spool file
is set aside without stopping the others."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.services.replay import replay
from bot.storage import spool
from bot.storage.models import InboundMessage, Ticket
from bot.wechat import signing


@pytest.fixture
def overrides(tmp_path):
    return {"spool.dir": str(tmp_path / "spool")}


def _count(steward, model) -> int:
    with steward.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_spooled_messages_replay_once_and_broken_files_are_set_aside(steward, config):
    good = signing.build_text_xml(config.wechat.original_id, "o-spooled-1", "粮食局家属院3号楼楼道灯不亮了", msg_id=11)
    spool.save(config, "msg:11", good)
    spool.save(config, "msg:11", good)  # WeChat's retry during the same outage: one file
    broken = spool.spool_dir(config) / "damaged.json"
    broken.write_text("{not json", encoding="utf-8")

    ok, bad = replay(steward)
    assert (ok, bad) == (1, 0)
    assert _count(steward, Ticket) == 1 and _count(steward, InboundMessage) == 1
    assert spool.pending(config) == []
    assert (spool.spool_dir(config) / spool.BROKEN / "damaged.json").exists()

    # Spooled again after it was stored (a late copy): dropped as a duplicate, no second ticket.
    spool.save(config, "msg:11", good)
    assert replay(steward) == (0, 0)
    assert _count(steward, Ticket) == 1 and spool.pending(config) == []
