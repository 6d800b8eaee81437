"""gunicorn entry for the fake WeChat API on its own (`gunicorn bench.sandbox_wsgi:app`), so the
benchmarks and fault tests can run "WeChat" as a separate process, as it is in production.
Config from $STEWARD_CONFIG and the STEWARD_* overrides, like `bot.wsgi`.

Each worker loads what its first call would (the database driver, the directory, a Redis
connection) before it serves: WeChat's servers are warm, and a benchmark must not charge a worker's
start-up (~1 s of CPU) to the messages of its first seconds."""

from bot import config as config_mod
from bot.sandbox.standalone import create_sandbox_app, warm_up

app = create_sandbox_app(config_mod.load())
warm_up(app)
