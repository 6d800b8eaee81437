"""`/metrics` in Prometheus' text format (issue 24), one scrape per process (web host or worker's
web app): the webhook's latency as this process saw it, and — read from Redis and the database at
scrape time, so the same on every host — queue lengths, failed jobs, tickets by status and pushes
by outcome. Open to `[metrics] allow_from` addresses, or to any client with the configured token
(`Authorization: Bearer …`)."""

from __future__ import annotations

import hmac
import time
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, abort, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from rq import Queue
from rq.registry import FailedJobRegistry
from sqlalchemy import func, select

from bot.services.uow.jobs import worker_queues
from bot.services.uow.steward import Steward
from bot.storage.models import Push, Ticket

bp = Blueprint("metrics", __name__)

# Per process (gunicorn's workers each have their own: Prometheus sums them over the targets).
REGISTRY = CollectorRegistry()
WEBHOOK_SECONDS = Histogram(
    "steward_webhook_seconds", "Time from the webhook request to its answer, this process",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0), registry=REGISTRY)


class StateCollector:
    """Read at scrape time: RQ's queues and failed registries, the tickets and pushes tables."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        steward: Steward = current_app.extensions["steward"]
        queued = GaugeMetricFamily("steward_queue_jobs", "Jobs waiting on an RQ queue", labels=["queue"])
        failed = GaugeMetricFamily("steward_jobs_failed", "Jobs in RQ's failed registry", labels=["queue"])
        for name in worker_queues(tuple(c.id for c in steward.communities)):
            q = Queue(name, connection=steward.redis_raw)
            queued.add_metric([name], q.count)
            failed.add_metric([name], FailedJobRegistry(queue=q).count)
        tickets = GaugeMetricFamily("steward_tickets", "Tickets by status", labels=["status"])
        pushes = GaugeMetricFamily("steward_pushes", "Push rows by outcome (status)", labels=["outcome"])
        with steward.session() as s:
            for status, n in s.execute(select(Ticket.status, func.count()).group_by(Ticket.status)):
                tickets.add_metric([status], n)
            for status, n in s.execute(select(Push.status, func.count()).group_by(Push.status)):
                pushes.add_metric([status], n)
        yield from (queued, failed, tickets, pushes)


REGISTRY.register(StateCollector())


@bp.before_app_request
def _start() -> None:
    if request.path == "/wechat":
        g.steward_t0 = time.perf_counter()


@bp.after_app_request
def _observe(resp: Any) -> Any:
    t0 = g.get("steward_t0")
    if t0 is not None:
        WEBHOOK_SECONDS.observe(time.perf_counter() - t0)
    return resp


def _allowed() -> bool:
    cfg = current_app.extensions["steward"].config.metrics
    if cfg.token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if given and hmac.compare_digest(given.encode(), cfg.token.encode()):
            return True
    return (request.remote_addr or "") in cfg.allow_from


@bp.get("/metrics")
def metrics() -> Response:
    if not _allowed():
        abort(404)  # not advertised
    return Response(generate_latest(REGISTRY), mimetype=CONTENT_TYPE_LATEST)
