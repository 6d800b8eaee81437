"""Queue health for admins, built on RQ's own registries: queues and their job counts, failed jobs
with retry, workers and what they are doing."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from rq import Queue, Worker
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.registry import FailedJobRegistry

from bot import runtime
from bot.services.uow.jobs import ALL_QUEUES
from bot.web.auth import require_login

bp = Blueprint("health", __name__, url_prefix="/admin/queues")
require_login(bp, "admin")

FAILED_SHOWN = 50


def _queues() -> list[Queue]:
    conn = runtime.current().redis_raw
    names = {q.name for q in Queue.all(connection=conn)}
    try:
        names |= set(ALL_QUEUES)
    except ImportError:
        pass
    return [Queue(n, connection=conn) for n in sorted(names)]


# What the queue and worker names mean, for the page; the names themselves stay (in <code>) for the logs.
QUEUE_LABELS = {"urgent": "紧急推送", "dispatch": "派单", "push": "推送", "default": "其他任务"}
# `dispatch:<community id>`: a community's own dispatch queue (bot.services.uow.jobs.community_queue)
JOB_LABELS = {"dispatch_ticket": "派单", "send_push": "推送一条消息", "send_pushes": "批量推送", "download_media": "下载照片或语音",
              "check_deadlines": "检查期限", "close_if_unanswered": "回访到期办结", "send_event_reminder": "活动提醒",
              "periodic_sweep": "定时巡检"}
WORKER_STATES = {"idle": "空闲", "busy": "忙碌", "started": "已启动", "suspended": "已暂停"}


@bp.get("/")
def index():  # noqa: ANN201
    conn = runtime.current().redis_raw
    queues = []
    failed = []
    for q in _queues():
        registry = FailedJobRegistry(queue=q)
        queues.append({
            "name": q.name,
            "queued": q.count,
            "started": q.started_job_registry.count,
            "scheduled": q.scheduled_job_registry.count,
            "deferred": q.deferred_job_registry.count,
            "failed": registry.count,
            "finished": q.finished_job_registry.count,
        })
        for job in Job.fetch_many(registry.get_job_ids(0, FAILED_SHOWN - 1), connection=conn):
            if job is not None:
                result = job.latest_result()
                exc = (result.exc_string if result else "") or ""
                failed.append({"queue": q.name, "id": job.id, "func": job.func_name,
                               "ended_at": job.ended_at, "error": exc.strip().splitlines()[-1:] or [""]})
    workers = [
        {"label": f"工作进程 {n}", "where": f"{w.hostname or '?'} · 进程号 {w.pid or '?'}", "name": w.name,
         "state": w.get_state(), "queues": "、".join(QUEUE_LABELS.get(q, q) for q in w.queue_names()),
         "job": (w.get_current_job_id() or ""), "heartbeat": w.last_heartbeat,
         "ok": w.successful_job_count, "failed": w.failed_job_count}
        for n, w in enumerate(sorted(Worker.all(connection=conn), key=lambda w: w.name), start=1)
    ]
    return render_template("web/health.html", queues=queues, failed=failed, workers=workers,
                           queue_labels=QUEUE_LABELS, worker_states=WORKER_STATES, job_labels=JOB_LABELS)


@bp.post("/retry")
def retry():  # noqa: ANN201
    queue_name, job_id = request.form.get("queue", ""), request.form.get("job_id", "")
    done = 0
    for q in _queues():
        if queue_name and q.name != queue_name:
            continue
        registry = FailedJobRegistry(queue=q)
        ids = [job_id] if job_id else registry.get_job_ids()
        for jid in ids:
            try:
                registry.requeue(jid)
                done += 1
            except (NoSuchJobError, ValueError):
                continue
    flash(f"已重新排队 {done} 个失败任务", "ok")
    return redirect(url_for("health.index"))
