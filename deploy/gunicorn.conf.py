"""gunicorn settings for a web host (issue 24): several such hosts behind nginx, one PostgreSQL and
one Redis (or Redis Sentinel) shared by all.

    STEWARD_CONFIG=/etc/steward/config.toml gunicorn -c deploy/gunicorn.conf.py bot.wsgi:app
    gunicorn -c deploy/gunicorn.conf.py --check-config bot.wsgi:app     # what tests/test_deploy.py runs

Every value can be overridden from the environment (GUNICORN_WORKERS, GUNICORN_BIND, …).
"""

import multiprocessing
import os

# Sync workers, one request at a time each: the webhook is CPU-bound (docs/BENCHMARKS.md), so a
# worker per core, plus one to cover the moments a worker waits on PostgreSQL or Redis.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() + 1))
worker_class = "sync"
threads = 1
# nginx on the same host proxies to this address; /metrics is scraped here directly (allow_from).
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
backlog = 2048
# WeChat waits 5 s for the passive reply, then retries: a request still running after 10 s is stuck.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 10))
graceful_timeout = 20
keepalive = 5
# A worker is replaced now and then (memory of a long life), not all at once.
max_requests = 20000
max_requests_jitter = 2000
# Each worker opens its own database and Redis connections (bot.wsgi's warm_up): not preloaded,
# so no connection is shared across a fork.
preload_app = False
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "warning")
proc_name = "steward-web"
# nginx sets X-Forwarded-For; the app's own proxy settings ([web] trusted proxies) read it.
forwarded_allow_ips = "127.0.0.1"
