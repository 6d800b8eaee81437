"""The custom menu: `steward menu push` checks WeChat's limits and publishes through menu/create."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from bot import config as config_mod
from bot.cli.main import main
from bot.sandbox import state
from bot.services.community import menu
from tests.conftest import ROOT

EXAMPLE = ROOT / "config.example.toml"


@pytest.fixture
def cli_env(live_app, config, redis_url, monkeypatch):
    monkeypatch.setenv("STEWARD_CONFIG", str(EXAMPLE))
    return {"STEWARD_WECHAT_API_BASE_URL": f"{live_app}/sandbox/cgi-bin", "STEWARD_REDIS_URL": redis_url,
            "STEWARD_DATABASE_URL": config.database_url}


def _menu_config(tmp_path, buttons: str):
    text = EXAMPLE.read_text(encoding="utf-8")
    start = text.index("[[menu.button]]")
    end = text.index("[community]")
    path = tmp_path / "menu.toml"
    path.write_text(text[:start] + buttons + "\n" + text[end:], encoding="utf-8")
    return path


def test_menu_push_publishes_the_configured_menu(cli_env, redis_client):
    result = CliRunner().invoke(main, ["--config", str(EXAMPLE), "menu", "push"], env=cli_env)
    assert result.exit_code == 0, result.output
    assert "菜单已发布：我要报事、我的、社区" in result.output
    published = state.menu(redis_client)
    assert published == menu.payload(config_mod.load(EXAMPLE))
    assert published["button"][1]["sub_button"][1] == {"type": "pic_photo_or_album", "name": "拍照上报",
                                                        "key": "PHOTO"}


def test_a_4_by_6_menu_is_refused_with_a_clear_message(cli_env, redis_client, tmp_path):
    subs = "".join(f'[[menu.button.sub]]\nname = "子{j}"\ntype = "click"\nkey = "REPORT"\n' for j in range(6))
    buttons = "".join(f'[[menu.button]]\nname = "菜单{i}"\n{subs}' for i in range(4))
    path = _menu_config(tmp_path, buttons)
    result = CliRunner().invoke(main, ["--config", str(path), "menu", "push"], env=cli_env)
    assert result.exit_code != 0
    assert "一级菜单最多 3 个，配置了 4 个" in result.output
    assert "第 1 个一级菜单「菜单0」有 6 个子菜单，最多 5 个" in result.output
    assert state.menu(redis_client) is None  # nothing was published


@pytest.mark.parametrize("button,problem", [
    ('name = "我要报修报事"\ntype = "click"\nkey = "REPORT"', "一级菜单最多 4 个汉字"),
    ('name = "报事"\ntype = "click"\nkey = "report me"', "格式不对"),
    ('name = "报事"\ntype = "click"\nkey = "NOBODY_ANSWERS"', "没有对应的处理"),
    ('name = "指南"\ntype = "view"\nurl = "javascript:alert(1)"', "http://"),
    ('name = "我的"\n[[menu.button.sub]]\nname = "我的工单我的工单九"\ntype = "click"\nkey = "MY_TICKETS"',
     "子菜单最多 8 个汉字"),
])
def test_each_rule_names_the_button(tmp_path, button, problem):
    cfg = config_mod.load(_menu_config(tmp_path, f"[[menu.button]]\n{button}\n"))
    with pytest.raises(menu.MenuError, match=problem):
        menu.payload(cfg)


def test_every_click_key_has_a_handler_that_answers(wechat, config):
    keys = [b.key for top in config.menu for b in (top.sub or (top,)) if b.type == "click"]
    assert set(keys) == {"REPORT", "MY_TICKETS", "EVENTS", "GUIDE"}
    for i, key in enumerate(keys):
        ex = wechat.event(f"o-menu-user-{i}", "CLICK", key)
        assert ex.status == 200 and ex.text, key


def test_the_sandbox_refuses_what_wechat_refuses(live_app, config, redis_client):
    import requests

    tok = requests.post(f"{live_app}/sandbox/cgi-bin/stable_token", json={
        "grant_type": "client_credential", "appid": config.wechat.app_id, "secret": config.wechat.app_secret},
        timeout=5).json()["access_token"]

    def create(body):
        return requests.post(f"{live_app}/sandbox/cgi-bin/menu/create?access_token={tok}", json=body,
                             timeout=5).json()["errcode"]

    assert create({"button": [{"type": "click", "name": "我要报修报事", "key": "REPORT"}]}) == 40018
    assert create({"button": [{"type": "click", "name": "报事"}]}) == 40019
    assert create({"button": [{"name": "我的", "sub_button": [{"type": "click", "name": "x", "key": "K"}] * 6}]}) == 40017
    assert create({"button": [{"type": "click", "name": "报事", "key": "REPORT"}]}) == 0
