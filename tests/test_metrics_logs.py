"""Issue 24: /metrics (Prometheus) behind an address or a token, and logs as JSON lines."""

from __future__ import annotations

import json
import logging

import pytest

from bot.config import logs


@pytest.fixture
def overrides() -> dict:
    return {"metrics.token": "s3cret-metrics-token", "metrics.allow_from": ["10.9.9.9"]}


def test_metrics_need_the_token_or_an_allowed_address(client, wechat) -> None:
    assert wechat.text("o-metrics-1", "3号院2号楼的楼道灯坏了").status == 200
    assert client.get("/metrics").status_code == 404  # 127.0.0.1 is not in allow_from here
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
    resp = client.get("/metrics", headers={"Authorization": "Bearer s3cret-metrics-token"})
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    assert "steward_webhook_seconds_count" in body
    assert 'steward_queue_jobs{queue="dispatch"}' in body
    assert 'steward_jobs_failed{queue="dispatch"} 0.0' in body
    assert 'steward_tickets{status="received"} 1.0' in body
    assert "steward_pushes" in body
    from_allowed = client.get("/metrics", environ_overrides={"REMOTE_ADDR": "10.9.9.9"})
    assert from_allowed.status_code == 200


def test_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        logs.setup(True)
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("bot.test").exception("门牌 %s", "R1001")
        line = capsys.readouterr().err.strip().splitlines()[-1]
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
    out = json.loads(line)
    assert out["msg"] == "门牌 R1001" and out["level"] == "ERROR" and out["logger"] == "bot.test"
    assert "ValueError: boom" in out["exc"] and out["ts"].endswith("+00:00")


def test_log_json_and_sentinels_are_read_from_the_config() -> None:
    from bot.config import loader

    data = loader.read(loader.ROOT / "config.example.toml")
    assert loader.parse(data).log.json_lines is False
    data["log"] = {"json": True}
    data["redis"] = {"url": "redis://:pw@ignored:6379/4", "sentinels": ["10.0.0.1:26379", "10.0.0.2:26379"],
                     "master_name": "steward"}
    cfg = loader.parse(data)
    assert cfg.log.json_lines is True
    assert cfg.redis_url == "sentinel://:pw@10.0.0.1:26379,10.0.0.2:26379/steward/4"
    data["redis"] = {"sentinels": ["no-port"]}
    with pytest.raises(loader.ConfigError):
        loader.parse(data)
