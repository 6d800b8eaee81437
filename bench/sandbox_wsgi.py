"""gunicorn entry for the fake WeChat API on its own (`gunicorn bench.sandbox_wsgi:app`), so the
benchmarks and fault tests can run "WeChat" as a separate process, as it is in production.
Config from $STEWARD_CONFIG and the STEWARD_* overrides, like `bot.wsgi`."""

from bot import config as config_mod
from bot.sandbox.standalone import create_sandbox_app

app = create_sandbox_app(config_mod.load())
