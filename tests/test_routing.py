"""Routing is pure: config in, primary/backup/outside/triage out."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import config as config_mod
from bot.domain import routing

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def cfg() -> config_mod.Config:
    return config_mod.load(ROOT / "config.example.toml")


def test_repair_in_c3_goes_to_member_with_repair_skill_and_a_backup(cfg):
    route = routing.choose(cfg, "c3", "repair", "照明")
    assert not route.triage
    assert route.primary.openid == "o-sample-c3-2" and "维修" in route.primary.skills
    assert route.backup.openid == "o-sample-c3-3" and "维修" in route.backup.skills
    assert route.chair.openid == "o-sample-c3-1"


def test_unreachable_primary_makes_the_backup_primary(cfg):
    route = routing.choose(cfg, "c3", "repair", None, unreachable={"o-sample-c3-2"})
    assert route.primary.openid == "o-sample-c3-3"
    assert route.backup.openid == "o-sample-c3-4"


def test_grievance_rule_puts_the_chair_first(cfg):
    route = routing.choose(cfg, "c3", "grievance", None)
    assert route.primary.is_chair and route.primary.openid == "o-sample-c3-1"
    assert "调解" in route.backup.skills


def test_member_without_skill_is_last_resort_and_chair_after_members(cfg):
    ranked = [m.openid for m in routing.rank_members(cfg.council("c3"), "维修", False, {})]
    assert ranked == ["o-sample-c3-2", "o-sample-c3-3", "o-sample-c3-4", "o-sample-c3-1"]


def test_load_spreads_work_between_equally_skilled_members(cfg):
    route = routing.choose(cfg, "c3", "repair", None, load={"o-sample-c3-2": 3, "o-sample-c3-3": 1})
    assert route.primary.openid == "o-sample-c3-4"


def test_outside_party_added_for_gate_and_lift(cfg):
    gate = routing.choose(cfg, "c5", "repair", "门禁")
    assert [p.key for p in gate.outside] == ["property"] and gate.primary is not None
    lift = routing.choose(cfg, "c5", "repair", "电梯")  # also named by a [[dispatch.routes]] rule: once
    assert [p.key for p in lift.outside] == ["property"]
    assert routing.choose(cfg, "c5", "repair", "照明").outside == ()


def test_unknown_courtyard_goes_to_staff_triage(cfg):
    for courtyard in (None, "c99"):
        route = routing.choose(cfg, courtyard, "repair", None)
        assert route.triage and route.primary is None and "楼院" in route.reason


def test_nobody_reachable_goes_to_triage(cfg):
    everyone = {m.openid for m in cfg.council("c13")}
    route = routing.choose(cfg, "c13", "repair", None, unreachable=everyone)
    assert route.triage and "可联系" in route.reason


def test_prefer_and_exclude(cfg):
    assert routing.choose(cfg, "c3", "repair", None, prefer="o-sample-c3-4").primary.openid == "o-sample-c3-4"
    assert routing.choose(cfg, "c3", "repair", None, exclude={"o-sample-c3-2"}).primary.openid == "o-sample-c3-3"


def test_route_rules_validated_in_config():
    with pytest.raises(config_mod.ConfigError, match="dispatch.routes"):
        config_mod.load(ROOT / "config.example.toml", {"dispatch.routes": [{"category": "nope"}]})
