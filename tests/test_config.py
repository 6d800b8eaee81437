"""Config loading: the sample community, unknown keys with "did you mean", ranges and enums in every
section, cross-references, environment overrides, and what may not run as a service."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot import config as config_mod
from tests.conftest import ROOT

EXAMPLE = ROOT / "config.example.toml"
MINIMAL = '[wechat]\ntoken = "t"\napp_id = "a"\napp_secret = "s"\n[community]\nname = "x"\n'

SAMPLE = {
    "c1": ("育英街1号院", "邮电局家属院"), "c3": ("育英街3号院", "粮食局家属院"), "c5": ("育英街5号院", "二中家属院"),
    "c7": ("育英街7号院", "供电局家属院"), "c9": ("育英街9号院", "新华书店家属院"),
    "c11": ("育英街11号院", "卫生局家属院"), "c13": ("育英街13号院", "农机厂家属院"),
    "c15": ("育英街15号院", "水利局家属院"), "c17": ("育英街17号院", "税务局家属院"),
    "c19": ("育英街19号院", "百货大楼家属院"),
}


def _write(tmp_path: Path, text: str, name: str = "c.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _error(tmp_path: Path, text: str) -> config_mod.ConfigError:
    with pytest.raises(config_mod.ConfigError) as err:
        config_mod.load(_write(tmp_path, text))
    return err.value


def test_sample_community():
    cfg = config_mod.load(EXAMPLE)
    assert cfg.community == "育英街社区"
    assert {c.id: (c.name, c.aliases[0]) for c in cfg.courtyards} == SAMPLE
    for c in cfg.courtyards:
        council = cfg.council(c.id)
        assert 3 <= len(council) <= 5
        assert sum(m.is_chair for m in council) == 1
        assert any("维修" in m.skills for m in council)
    assert not cfg.wechat.safe_mode
    assert cfg.wechat.api_base_url == "https://api.weixin.qq.com/cgi-bin"
    assert cfg.dispatch.template_fields["task"]["character_string3"] == "ref"
    assert cfg.outside_parties["property"]["subcategories"] == "门禁,电梯"
    assert cfg.spool_dir == "var/spool" and cfg.sandbox.enabled is False


def test_defaults_of_a_minimal_file(tmp_path):
    cfg = config_mod.load(_write(tmp_path, MINIMAL))
    assert cfg.database_url == "sqlite:///var/steward.db" and cfg.redis_url == ""
    assert cfg.secret_key == ""  # no built-in secret key
    assert (cfg.confidence_threshold, cfg.dialogue_ttl, cfg.quiet_start, cfg.quiet_end) == (0.55, 1800, 22, 7)
    assert cfg.dispatch.retry_intervals == (10, 60, 300) and cfg.sandbox.token_expires_in == 7200
    assert cfg.utility_subcategories == ("给排水", "电力线路") and cfg.media_dir == "var/media"


def test_misspelt_key_names_file_key_and_nearest(tmp_path):
    err = _error(tmp_path, MINIMAL + "[deadlines]\nurgent_accept_hour = 2\n")
    msg = str(err)
    assert str(tmp_path / "c.toml") in msg and "deadlines.urgent_accept_hour" in msg
    assert "未知配置项" in msg and "是不是 urgent_accept_hours" in msg
    assert "did you mean urgent_accept_hours?" in err.report()


def test_unknown_section_and_keys_in_tables_of_arrays(tmp_path):
    err = _error(tmp_path, MINIMAL + "[sandobx]\nenabled = false\n")
    assert "未知配置段 [sandobx]，是不是 [sandbox]" in str(err) and "unknown section [sandobx]" in err.report()
    text = MINIMAL + '[[community.courtyards]]\nid = "c1"\nname = "一号院"\n'
    err = _error(tmp_path, text + '[[members]]\nopenid = "o"\nnmae = "王"\ncourtyard = "c1"\n')
    assert "members[0].nmae：未知配置项，是不是 name" in str(err) and "members[0].name：缺少这一项" in str(err)
    err = _error(tmp_path, MINIMAL + '[[dispatch.routes]]\ncategroy = "repair"\n')
    assert "dispatch.routes[0].categroy：未知配置项，是不是 category" in str(err)
    err = _error(tmp_path, MINIMAL + "[web]\nzzz = 1\n")  # nothing close: the valid keys are listed
    assert "可用的有：" in str(err) and "secret_key" in str(err) and "public_url" in str(err)


@pytest.mark.parametrize(("section", "key", "value", "words"), [
    ("dialogue", "confidence_threshold", "5.5", "应在 0 到 1 之间，实际是 5.5"),
    ("deadlines", "quiet_start", "24", "应为 0–23 之间的整点，实际是 24"),
    ("deadlines", "quiet_end", '"7:00"', "应为 整数，实际是 '7:00'"),
    ("deadlines", "work_start", "-1", "0–23"),
    ("deadlines", "holidays", '["2026-13-01"]', "YYYY-MM-DD"),
    ("deadlines", "urgent_accept_hours", "0", "应大于 0"),
    ("dialogue", "state_ttl", "true", "应为 整数，实际是 True"),  # a bool is not an int
    ("wechat", "timestamp_tolerance", "0", "应在 1 到 86400 之间"),
    ("wechat", "encoding_aes_key", '"short"', "43 个"),
    ("wechat", "api_base_url", '"api.weixin.qq.com"', "http://"),
    ("sandbox", "token_expires_in", "0", "应大于 0"),
    ("sandbox", "window_check", '"yes"', "应为 true/false"),
    ("sandbox", "event_delay", "-0.5", "应不小于 0"),
    ("spool", "dir", '""', "不能为空"),
    ("media", "dir", "5", "应为 字符串"),
    ("dispatch", "sweep_interval", "0", "应大于 0"),
    ("dispatch", "retry_intervals", "[10, -1]", "应不小于 0"),
    ("dispatch", "custom_window_hours", "72", "应在 0 到 48 之间"),
    ("templates", "task", "1", "应为 字符串"),
    ("api", "tokens", '"abc"', "应为 列表"),
    ("web", "public_url", '"ftp://x"', "http://"),
    ("redis", "url", '"localhost:6379"', "redis://"),
    ("database", "url", '"steward.db"', "数据库 URL"),
])
def test_every_section_checks_ranges_and_types(tmp_path, section, key, value, words):
    if section == "wechat":
        text = MINIMAL.replace('app_secret = "s"\n', f'app_secret = "s"\n{key} = {value}\n')
    else:
        text = MINIMAL + f"[{section}]\n{key} = {value}\n"
    err = _error(tmp_path, text)
    assert f"{section}.{key}" in str(err) and words in str(err), str(err)
    assert f"{section}.{key}" in err.report().split("\n")[2]  # the English line names the key too


def test_enums_are_checked(tmp_path):
    err = _error(tmp_path, MINIMAL + '[[staff]]\nusername = "u"\nname = "n"\nrole = "boss"\n')
    assert "staff[0].role：应为 'admin', 'staff', 'council' 之一，实际是 'boss'" in str(err)
    assert "must be one of 'admin', 'staff' or 'council'" in err.report()
    err = _error(tmp_path, MINIMAL + '[dispatch.template_fields.taks]\nfirst = "title"\n')
    assert "dispatch.template_fields.taks：键应为 'task', 'outside'" in str(err)
    err = _error(tmp_path, MINIMAL + '[dispatch.template_fields.task]\nfirst = "titel"\n')
    assert "dispatch.template_fields.task.first" in str(err) and "'title'" in str(err)
    courtyard = '[[community.courtyards]]\nid = "c1"\nname = "一号院"\n'
    err = _error(tmp_path, MINIMAL + courtyard + '[[members]]\nopenid = "o"\nname = "n"\ncourtyard = "c1"\nrole = "会長"\n')
    assert "members[0].role" in str(err)


def test_all_problems_are_reported_at_once(tmp_path):
    err = _error(tmp_path, MINIMAL + "[dialogue]\nconfidence_threshold = 5.5\nstate_ttl = 0\n[deadlines]\nquiet_start = 30\n")
    assert [p.loc for p in err.problems] == ["dialogue.confidence_threshold", "dialogue.state_ttl", "deadlines.quiet_start"]
    report = err.report()
    assert "3 处问题 / 3 problem(s)" in report and "must be between 0 and 1, got 5.5" in report


def test_an_int_may_stand_for_a_float(tmp_path):
    cfg = config_mod.load(_write(tmp_path, MINIMAL + "[deadlines]\nurgent_accept_hours = 1\n"))
    assert cfg.urgent_accept_hours == 1.0 and isinstance(cfg.urgent_accept_hours, float)


def test_missing_and_wrong_type(tmp_path):
    err = _error(tmp_path, '[wechat]\ntoken = "t"\napp_id = "a"\n[community]\nname = "x"\n')
    assert str(tmp_path / "c.toml") in str(err) and "wechat.app_secret：缺少这一项" in str(err)
    err = _error(tmp_path, MINIMAL.replace('token = "t"', "token = 5"))
    assert "wechat.token：应为 字符串，实际是 5" in str(err)


def test_cross_references(tmp_path):
    base = MINIMAL + '[[community.courtyards]]\nid = "c1"\nname = "一号院"\n'
    err = _error(tmp_path, base + '[[members]]\nopenid = "o"\nname = "n"\ncourtyard = "c99"\n')
    assert "members[0].courtyard：应为已配置的楼院 id，实际是 'c99'" in str(err)
    err = _error(tmp_path, base + '[[dispatch.routes]]\ncategory = "nope"\noutside = ["police"]\n')
    assert "dispatch.routes[0].category" in str(err) and "dispatch.routes[0].outside" in str(err)
    err = _error(tmp_path, base + '[[community.courtyards]]\nid = "c1"\nname = "又一个"\n')
    assert "community.courtyards[1]：楼院 id 'c1' 重复" in str(err)
    err = _error(tmp_path, base + "[deadlines]\nwork_start = 18\nwork_end = 8\n")
    assert "deadlines.work_end：应晚于 work_start" in str(err)
    err = _error(tmp_path, base + '[[staff]]\nusername = "u"\nname = "n"\nrole = "council"\n')
    assert "staff[0].courtyard" in str(err)


def test_overrides_are_validated_too():
    with pytest.raises(config_mod.ConfigError, match="dispatch.routes\\[0\\].category"):
        config_mod.load(EXAMPLE, {"dispatch.routes": [{"category": "nope"}]})
    with pytest.raises(config_mod.ConfigError, match="sandbox.enabeld"):
        config_mod.load(EXAMPLE, {"sandbox.enabeld": True})


def test_replace_keeps_working_and_revalidates_sections():
    cfg = config_mod.load(EXAMPLE)
    assert dataclasses.replace(cfg, quiet_start=0).quiet_start == 0
    assert dataclasses.replace(cfg.wechat, timestamp_tolerance=10).timestamp_tolerance == 10
    with pytest.raises(ValidationError):
        dataclasses.replace(cfg.wechat, timestamp_tolerance=0)


def test_bad_toml_is_reported(tmp_path):
    with pytest.raises(config_mod.ConfigError, match="TOML"):
        config_mod.load(_write(tmp_path, "[wechat\n"))


def test_missing_file(tmp_path):
    with pytest.raises(config_mod.ConfigError, match="找不到配置文件"):
        config_mod.load(tmp_path / "nope.toml")


def test_secrets_from_environment(monkeypatch):
    monkeypatch.setenv("STEWARD_WECHAT_TOKEN", "env-token")
    monkeypatch.setenv("STEWARD_WECHAT_APP_SECRET", "env-secret")
    monkeypatch.setenv("STEWARD_DATABASE_URL", "sqlite:////tmp/x.db")
    cfg = config_mod.load(EXAMPLE)
    assert (cfg.wechat.token, cfg.wechat.app_secret, cfg.database_url) == ("env-token", "env-secret",
                                                                          "sqlite:////tmp/x.db")


def test_only_dev_and_tests_fall_back_to_the_sample(tmp_path, monkeypatch, caplog, production_mode):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("STEWARD_CONFIG", raising=False)
    with pytest.raises(config_mod.ConfigError) as err:
        config_mod.resolve_path()
    assert "找不到配置文件 config.toml" in str(err.value) and "steward dev" in str(err.value)
    _write(tmp_path, MINIMAL, "config.toml")
    assert config_mod.resolve_path() == Path("config.toml")
    (tmp_path / "config.toml").unlink()
    config_mod.set_run_mode(config_mod.RunMode.DEV)
    assert config_mod.resolve_path() == config_mod.EXAMPLE_CONFIG
    assert "config.toml not found" in caplog.text


def test_example_holds_only_sample_secrets():
    cfg = config_mod.load(EXAMPLE)
    for secret in (cfg.wechat.token, cfg.wechat.app_secret, cfg.secret_key, *cfg.api_tokens,
                   *(s.password for s in cfg.staff)):
        assert config_mod.is_sample(secret), secret


def test_the_sample_is_not_deployable_and_each_key_is_named():
    problems = config_mod.deployment_problems(config_mod.load(EXAMPLE))
    locs = [p.loc for p in problems]
    assert locs == ["", "wechat.token", "wechat.app_secret", "web.secret_key", "api.tokens[0]",
                    "staff[0].password", "staff[1].password", "staff[2].password"]
    assert "示例配置" in problems[0].zh and "steward user passwd admin" in problems[5].zh


def test_missing_short_and_sample_secrets(tmp_path):
    text = MINIMAL.replace('token = "t"', 'token = "a-real-token-8f3k2"').replace('app_secret = "s"', 'app_secret = ""')
    text = text.replace('app_id = "a"', 'app_id = "a"\nencoding_aes_key = "SampleKey' + "x" * 34 + '"')
    cfg = config_mod.load(_write(tmp_path, text + '[web]\nsecret_key = "short"\n[api]\ntokens = ["x" ]\n'
                                 '[sandbox]\nenabled = true\n'))
    found = {p.loc: p.zh for p in config_mod.deployment_problems(cfg)}
    assert set(found) == {"wechat.app_secret", "wechat.encoding_aes_key", "web.secret_key", "api.tokens[0]",
                          "sandbox.enabled"}
    assert "缺少" in found["wechat.app_secret"] and "示例值" in found["wechat.encoding_aes_key"]
    assert "太短" in found["web.secret_key"] and "steward dev" in found["sandbox.enabled"]


def test_production_copy_is_deployable(tmp_path):
    text = config_mod.production_copy(EXAMPLE.read_text(encoding="utf-8"))
    cfg = config_mod.load(_write(tmp_path, text, "config.toml"))
    assert config_mod.deployment_problems(cfg) == []
    assert [s.password for s in cfg.staff] == ["", "", ""]
    assert "#" in text.split("secret_key", 1)[1].split("\n", 1)[0]  # the comments stay
    assert tomllib.loads(text)["community"]["name"] == "育英街社区"


def test_ensure_deployable_only_refuses_outside_dev_and_tests(production_mode):
    cfg = config_mod.load(EXAMPLE)
    with pytest.raises(config_mod.ConfigError) as err:
        config_mod.ensure_deployable(cfg)
    assert "wechat.token" in str(err.value) and "is still the sample value" in err.value.report()
    config_mod.set_run_mode(config_mod.RunMode.DEV)
    config_mod.ensure_deployable(cfg)


def test_the_app_refuses_the_sandbox_outside_dev(tmp_path, config, production_mode):
    from bot.app import create_app

    text = config_mod.production_copy(EXAMPLE.read_text(encoding="utf-8"))
    good = config_mod.load(_write(tmp_path, text, "config.toml"), {"database.url": config.database_url,
                                                                   "redis.url": config.redis_url})
    assert not create_app({"STEWARD_CONFIG": good}).config["SANDBOX"]
    with pytest.raises(config_mod.ConfigError, match="sandbox.enabled"):
        create_app({"STEWARD_CONFIG": dataclasses.replace(good, sandbox=config_mod.SandboxSection(enabled=True))})
    with pytest.raises(config_mod.ConfigError, match="wechat.token"):
        create_app({"STEWARD_CONFIG": config})  # the tests' own config: the sample, sandbox on


def test_tests_run_the_app_with_the_sandbox(app):
    assert app.config["SANDBOX"] and config_mod.run_mode() is config_mod.RunMode.TEST


def test_the_configs_enums_are_the_domains():
    """bot.config sits below bot.domain (it cannot import it): its Literal copies are checked here."""
    from bot.config.features import CLOSE_REASON_KEYS
    from bot.config.schema import PUSH_KINDS
    from bot.domain.vocabulary import CloseReason, PushKind

    assert set(PUSH_KINDS) == {k.value for k in PushKind}
    assert set(CLOSE_REASON_KEYS) == {r.value for r in CloseReason}


@pytest.mark.parametrize("key, value, words", [
    ("token", "x", "太短"),
    ("secret_key", "a" * 16, "太单一"),
    ("secret_key", "a1" * 12, "重复太多"),
    ("token", "abcdefghijklmnopqrst", "太单一"),
])
def test_weak_secrets_are_refused_by_config_check_and_serve(tmp_path, key, value, words, production_mode):
    from click.testing import CliRunner

    from bot.cli.main import main

    text = config_mod.production_copy(EXAMPLE.read_text(encoding="utf-8"))
    text = re.sub(rf'(?m)^{key} *= *"[^"]*"', f'{key} = "{value}"', text, count=1)
    path = _write(tmp_path, text, "config.toml")
    result = CliRunner().invoke(main, ["--config", str(path), "config", "check"])
    assert result.exit_code != 0 and words in result.output, result.output
    result = CliRunner().invoke(main, ["--config", str(path), "serve", "--port", "1"])
    assert result.exit_code != 0 and words in result.output, result.output


def test_strong_secrets_pass(tmp_path):
    text = config_mod.production_copy(EXAMPLE.read_text(encoding="utf-8"))
    text = re.sub(r'(?m)^token *= *"[^"]*"', 'token = "Yy-3c8Kq1zR"', text, count=1)  # WeChat allows 3–32
    cfg = config_mod.load(_write(tmp_path, text, "config.toml"))
    assert [p.loc for p in config_mod.deployment_problems(cfg)] == ["wechat.token"]
    assert config_mod.weakness("Yy-3c8Kq1zR-7mPw") is None
