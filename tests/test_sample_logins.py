"""Sample passwords through the real login form: they work under `steward dev` and tests, and
nowhere else; config passwords are not taken outside dev; `set_password` is the way out."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from bot import config as config_mod
from bot.services.community.users import set_password, sync_config_staff
from tests.workbench_helpers import ADMIN, CSRF_RE, STAFF


@contextmanager
def as_service() -> Iterator[None]:
    """This process behaves as gunicorn / `steward serve` does (no dev or test run mode)."""
    previous = config_mod.set_run_mode(config_mod.RunMode.PRODUCTION)
    try:
        yield
    finally:
        config_mod.set_run_mode(previous)


def post_login(client, username: str, password: str):
    token = CSRF_RE.search(client.get("/login").get_data(as_text=True)).group(1)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def test_a_sample_password_cannot_log_in_outside_dev(steward, client):
    with steward.session() as s:  # a database first set up under `steward dev`
        sync_config_staff(s, steward.config)
    steward.staff_synced = True
    with as_service():
        refused = post_login(client, *ADMIN)
        body = refused.get_data(as_text=True)
        assert refused.status_code == 403 and "示例密码" in body and "steward user passwd admin" in body
        assert client.get("/staff/").status_code == 302  # not logged in
        with steward.session() as s:
            set_password(s, "admin", "a-real-admin-password")
        assert post_login(client, "admin", "a-real-admin-password").status_code == 302
        assert client.get("/staff/").status_code == 200


def test_the_same_sample_login_works_in_tests(client):
    assert post_login(client, *STAFF).status_code == 302


def test_config_passwords_are_not_taken_outside_dev(steward, client):
    with as_service():
        # The first login syncs the config's accounts: outside dev they get no usable password.
        wrong = post_login(client, *STAFF)
        assert wrong.status_code == 401 and "用户名或密码不对" in wrong.get_data(as_text=True)
        with steward.session() as s:
            set_password(s, "liu", "liu-real-password")
        assert post_login(client, "liu", "liu-real-password").status_code == 302
