"""Instructions per webhook message under callgrind (load-independent, unlike CPU time): 120 messages
of warm-up, then N inside `math.fsum`, which nothing else calls, so callgrind collects only those.

    valgrind --tool=callgrind --toggle-collect=math_fsum --callgrind-out-file=/tmp/cg.out \\
        .venv/bin/python bench/webhook_instructions.py ours 60     # or `base`: bench/baseline_app.py

"Collected" / N is the figure. CG_ROOT: another checkout (before/after), CG_DB, CG_REDIS as below.
"""
# ruff: noqa: E402 — imports after the environment is set, as the other benches
import logging
import math
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(os.environ.get("CG_ROOT", Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(ROOT))
which, n = sys.argv[1], int(sys.argv[2])
import redis

from bench import loadgen
from bench.webhook import Messages, fresh_pg

work = Path(tempfile.mkdtemp())
db_url = fresh_pg(os.environ.get("CG_DB", "steward_bench_instr"))
url = os.environ.get("CG_REDIS", "redis://127.0.0.1:6379/9")
os.environ.update(STEWARD_CONFIG=str(loadgen.service_config(work)), STEWARD_WECHAT_TOKEN=loadgen.BENCH_TOKEN,
    STEWARD_DATABASE_URL=db_url, STEWARD_REDIS_URL=url,
    STEWARD_WECHAT_API_BASE_URL="http://127.0.0.1:9/cgi-bin", STEWARD_WECHAT_ENCODING_AES_KEY="")
redis.Redis.from_url(url).flushdb()
from bot.storage.migrate import upgrade

upgrade(db_url)
from bench import baseline_app

baseline_app.TOKEN = loadgen.BENCH_TOKEN
if which == "base":
    app, expect = baseline_app.app, b"success"
else:
    from bot.app import create_app
    app, expect = create_app(), b"<xml>"
logging.getLogger().setLevel(logging.WARNING)
m = Messages(False)
c = app.test_client()


def send(i: int) -> float:
    p, b = m(i)
    r = c.post("/wechat", query_string=p, data=b, content_type="text/xml")
    assert r.status_code == 200 and r.data.startswith(expect), r.data[:100]
    return 0.0


for i in range(120):
    send(i)
math.fsum(send(i) for i in range(10_000, 10_000 + n))
print("done", which, n)
