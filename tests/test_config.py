"""Config loading: the sample community, clear errors, environment overrides."""

from __future__ import annotations

import pytest

from bot import config as config_mod
from tests.conftest import ROOT

EXAMPLE = ROOT / "config.example.toml"

SAMPLE = {
    "c1": ("育英街1号院", "邮电局家属院"), "c3": ("育英街3号院", "粮食局家属院"), "c5": ("育英街5号院", "二中家属院"),
    "c7": ("育英街7号院", "供电局家属院"), "c9": ("育英街9号院", "新华书店家属院"),
    "c11": ("育英街11号院", "卫生局家属院"), "c13": ("育英街13号院", "农机厂家属院"),
    "c15": ("育英街15号院", "水利局家属院"), "c17": ("育英街17号院", "税务局家属院"),
    "c19": ("育英街19号院", "百货大楼家属院"),
}


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


def _write(tmp_path, text: str):
    p = tmp_path / "c.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_missing_key_names_file_and_key(tmp_path):
    p = _write(tmp_path, '[wechat]\ntoken = "t"\napp_id = "a"\n[community]\nname = "x"\n')
    with pytest.raises(config_mod.ConfigError) as err:
        config_mod.load(p)
    assert str(p) in str(err.value) and "wechat.app_secret" in str(err.value)


def test_wrong_type_says_what_was_expected(tmp_path):
    p = _write(tmp_path, '[wechat]\ntoken = 5\napp_id = "a"\napp_secret = "s"\n[community]\nname = "x"\n')
    with pytest.raises(config_mod.ConfigError, match="wechat.token 应为 字符串"):
        config_mod.load(p)


def test_bad_aes_key_and_unknown_courtyard(tmp_path):
    base = '[wechat]\ntoken = "t"\napp_id = "a"\napp_secret = "s"\n'
    with pytest.raises(config_mod.ConfigError, match="encoding_aes_key"):
        config_mod.load(_write(tmp_path, base + 'encoding_aes_key = "short"\n[community]\nname = "x"\n'))
    text = base + '[community]\nname = "x"\n[[members]]\nopenid = "o"\nname = "n"\ncourtyard = "c99"\n'
    with pytest.raises(config_mod.ConfigError, match="members\\[0\\].courtyard"):
        config_mod.load(_write(tmp_path, text))


def test_quiet_hours_are_whole_hours_of_the_day(tmp_path):
    base = '[wechat]\ntoken = "t"\napp_id = "a"\napp_secret = "s"\n[community]\nname = "x"\n[deadlines]\n'
    with pytest.raises(config_mod.ConfigError, match="deadlines.quiet_start 应为 0–23 之间的整点，实际是 24"):
        config_mod.load(_write(tmp_path, base + "quiet_start = 24\n"))
    with pytest.raises(config_mod.ConfigError, match="deadlines.quiet_end 应为 整数"):
        config_mod.load(_write(tmp_path, base + 'quiet_end = "7:00"\n'))
    cfg = config_mod.load(_write(tmp_path, base + "quiet_start = 21\nquiet_end = 6\n"))
    assert (cfg.quiet_start, cfg.quiet_end) == (21, 6)


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


def test_fallback_to_example_with_warning(tmp_path, monkeypatch, caplog):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("STEWARD_CONFIG", raising=False)
    assert config_mod.resolve_path() == config_mod.EXAMPLE_CONFIG
    assert "config.toml not found" in caplog.text
    monkeypatch.setenv("STEWARD_CONFIG", str(EXAMPLE))
    assert config_mod.resolve_path() == EXAMPLE


def test_example_holds_only_fake_secrets():
    cfg = config_mod.load(EXAMPLE)
    for secret in (cfg.wechat.token, cfg.wechat.app_secret, cfg.secret_key, *cfg.api_tokens,
                   *(s.password for s in cfg.staff)):
        assert "sample" in secret
