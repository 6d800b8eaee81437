"""Queue health for admins, on RQ's registries: queues, a failed job and its retry, workers."""

from __future__ import annotations

from rq import Queue, SimpleWorker
from rq.registry import FailedJobRegistry

from tests.workbench_helpers import ADMIN, STAFF, csrf_from, login, post_form


def boom() -> None:
    raise RuntimeError("sandbox said no")


def test_failed_job_shows_and_retries(client, steward):
    q = Queue("push", connection=steward.redis_raw)
    job = q.enqueue(boom)
    SimpleWorker([q], connection=steward.redis_raw).work(burst=True)
    assert job.id in FailedJobRegistry(queue=q).get_job_ids()
    login(client, STAFF)
    assert client.get("/admin/queues/").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_from(client, "/staff/")})
    login(client, ADMIN)
    html = client.get("/admin/queues/").get_data(as_text=True)
    assert "sandbox said no" in html and job.id in html and "dispatch" in html
    assert "没有在运行的工作进程" in html
    post_form(client, "/admin/queues/", "/admin/queues/retry", {"queue": "push", "job_id": job.id})
    assert job.id not in FailedJobRegistry(queue=q).get_job_ids()
    assert job.id in q.job_ids
