"""Instructions per in-process dispatch under callgrind (the sandbox in its own process, not traced):
30 dispatches of warm-up, then N inside `math.fsum` (the toggle, as bench/webhook_instructions.py).

    valgrind --tool=callgrind --toggle-collect=math_fsum --callgrind-out-file=/tmp/cg.out \\
        .venv/bin/python bench/dispatch_instructions.py 40
"""
# ruff: noqa: E402 — imports after the environment is set, as the other benches
import math
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(os.environ.get("CG_ROOT", Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(ROOT))
n = int(sys.argv[1])
import redis as redis_lib
from sqlalchemy import insert

from bench import loadgen
from bench.webhook import fresh_pg

work = Path(tempfile.mkdtemp())
db_url = fresh_pg(os.environ.get("CG_DB", "steward_bench_instr_d"))
url = os.environ.get("CG_REDIS", "redis://127.0.0.1:6379/7")
port = loadgen.free_port()
env = loadgen.service_env(work, db_url, url, port)
os.environ.update(env)
redis_lib.Redis.from_url(url).flushdb()
from bot import config as config_mod
from bot.domain.clock import utcnow
from bot.runtime import set_worker_steward
from bot.sandbox.window import note_user_message
from bot.services.dispatch import assign as dispatch
from bot.services.tickets.lifecycle import create_ticket
from bot.services.uow.steward import Steward
from bot.storage.migrate import upgrade
from bot.storage.models import Resident

upgrade(db_url)
steward = Steward(config_mod.load())
set_worker_steward(steward)
courtyards = [c.id for c in steward.config.courtyards]
engine = steward.sessions.kw["bind"]
with engine.begin() as conn:
    conn.execute(insert(Resident), [{"openid": f"o-bench-resident-{i}", "last_message_at": utcnow(),
                                     "created_at": utcnow()} for i in range(400)])
sbx = loadgen.sandbox(port, env, work, work / "sandbox.log")
try:
    loadgen.wait_http(f"http://127.0.0.1:{port}/healthz", sbx)
    ids = []
    with steward.session() as s:
        for i in range(30 + n):
            t = create_ticket(s, category="repair", subcategory="照明", courtyard=courtyards[i % len(courtyards)],
                              text=f"楼道灯坏了 #{i}", resident_openid=f"o-bench-resident-{i % 400}")
            ids.append(t.id)
            note_user_message(steward.redis, t.resident_openid or "")
    for tid in ids[:30]:
        assert dispatch.dispatch_ticket(steward, tid, 1) == "dispatched"
    def one(tid: int) -> float:
        assert dispatch.dispatch_ticket(steward, tid, 1) == "dispatched"
        return 0.0
    math.fsum(one(tid) for tid in ids[30:])
    print("done", n)
finally:
    sbx.stop()
