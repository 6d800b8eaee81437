"""Acceptance for issue 19: the suite never flushes a Redis it did not start.

A developer's Redis answers on 127.0.0.1:6379 (the address the old conftest flushed databases 15
and 12 of) and their shell points the app at it (STEWARD_REDIS_URL). A key is planted in every
database 0..15, a Redis-using part of the suite runs in a subprocess, and every key must still be
there. Preferably the "developer's Redis" is one this test starts on 127.0.0.1:6379 inside a
private network namespace (unshare), where the real address is free and nothing shared is at risk;
without namespaces the keys are planted on the machine's own 6379 under unique names (with a TTL)
and deleted afterwards. Run against the old conftest, this test fails: database 15 was flushed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest
import redis as redis_lib

ROOT = Path(__file__).resolve().parent.parent
DEVELOPER = "redis://127.0.0.1:6379"
# A Redis-using part of the suite: the app, an in-process RQ worker, the sandbox over HTTP.
PART = ["tests/test_push.py", "-x"]

pytestmark = pytest.mark.slow


def plant(url: str, tag: str) -> dict[int, str]:
    keys = {}
    for db in range(16):
        client = redis_lib.Redis.from_url(f"{url}/{db}")
        keys[db] = f"steward-isolation-test:{tag}:db{db}"
        client.set(keys[db], "the developer's data", ex=900)  # gone by itself if this test dies
        client.close()
    return keys


def missing(url: str, keys: dict[int, str], delete: bool = False) -> list[int]:
    gone = []
    for db, key in keys.items():
        client = redis_lib.Redis.from_url(f"{url}/{db}")
        if client.get(key) != b"the developer's data":
            gone.append(db)
        if delete:
            client.delete(key)
        client.close()
    return gone


def run_part() -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STEWARD_", "PYTEST_"))}
    env.update(STEWARD_REDIS_URL=f"{DEVELOPER}/0", PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *PART], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=600)


def inside_namespace(workdir: str) -> None:
    """Runs as root of a fresh user+network namespace: 127.0.0.1:6379 here is ours alone."""
    from tests.processes import PrivateRedis

    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    developer = PrivateRedis(Path(workdir)).start(port=6379)
    try:
        keys = plant(DEVELOPER, uuid.uuid4().hex)
        part = run_part()
        result = {"returncode": part.returncode, "output": part.stdout[-3000:] + part.stderr[-2000:],
                  "missing": missing(DEVELOPER, keys)}
    finally:
        developer.stop()
    (Path(workdir) / "result.json").write_text(json.dumps(result))


def namespaces_work() -> bool:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return False
    done = subprocess.run(["unshare", "--user", "--map-root-user", "--net", "ip", "link", "set", "lo", "up"],
                          capture_output=True)
    return done.returncode == 0


def machine_redis_answers() -> bool:
    try:
        return bool(redis_lib.Redis.from_url(DEVELOPER, socket_connect_timeout=1).ping())
    except redis_lib.RedisError:
        return False


def test_the_suite_never_flushes_the_developers_redis():
    if namespaces_work():
        with tempfile.TemporaryDirectory(prefix="steward-isolation-") as workdir:
            code = f"from tests.test_isolation import inside_namespace; inside_namespace({workdir!r})"
            subprocess.run(["unshare", "--user", "--map-root-user", "--net", sys.executable, "-c", code],
                           cwd=ROOT, env=os.environ | {"PYTHONPATH": str(ROOT)}, check=True, timeout=700)
            result = json.loads((Path(workdir) / "result.json").read_text())
    elif machine_redis_answers():
        keys = plant(DEVELOPER, uuid.uuid4().hex)  # unique names on the shared server, deleted below
        try:
            part = run_part()
        finally:
            gone = missing(DEVELOPER, keys, delete=True)
        result = {"returncode": part.returncode, "output": part.stdout[-3000:] + part.stderr[-2000:],
                  "missing": gone}
    else:
        pytest.skip("no network namespaces (unshare) and no Redis on 127.0.0.1:6379 to stand in for the developer's")
    assert result["returncode"] == 0, result["output"]
    assert result["missing"] == [], f"the suite wiped the developer's databases {result['missing']}"
