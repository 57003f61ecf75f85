"""Imports under real faults (issue 12): a Celery worker SIGKILLed mid-import, a hung Redis broker.

Everything runs on a PostgreSQL cluster and a Redis of the test's own (tests/faults/conftest.py).
"""

from __future__ import annotations

import io
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pytest

from tests.faults.servers import REPO, app_env, wait_until

ROWS = 6000
RESUME_WITHIN_SECONDS = 20

CREATE_AND_QUEUE = """
import csv, io
from programs import tasks
from programs.exchange import jobs
rows, provider = {rows}, {provider!r}
buffer = io.StringIO()
writer = csv.DictWriter(buffer, fieldnames=["external_id", "title", "provider_name", "format", "credits"])
writer.writeheader()
for n in range(rows):
    writer.writerow({{"external_id": f"K-{{n:06d}}", "title": f"Activity {{n}}", "provider_name": provider,
                     "format": "course", "credits": "ama_pra_1:2"}})
job = jobs.import_job_create(upload=io.BytesIO(buffer.getvalue().encode()), file_name="kill.csv",
                             actor=None, publish=True)
assert tasks.import_job_enqueue(job=job), job.last_enqueue_error
print(job.pk)
"""


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "cme_portal", "worker", "--pool", "solo", "--loglevel", "INFO"],
        cwd=REPO,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def _job_state(url: str, job_id: int) -> tuple[str, int, int | None]:
    with psycopg.connect(url, connect_timeout=2) as conn:
        row = conn.execute(
            "SELECT status, rows_done, rows_total FROM programs_importjob WHERE id = %s", [job_id]
        ).fetchone()
    assert row is not None
    return row[0], row[1], row[2]


def test_a_worker_killed_mid_import_is_resumed_by_a_new_worker_without_beat(own_postgres, own_redis, tmp_path):
    url = own_postgres.url("cme_faults")
    env = app_env(
        DATABASE_URL=url,
        REDIS_URL=own_redis.url(3),
        CELERY_TASK_ALWAYS_EAGER="0",
        PRIVATE_MEDIA_ROOT=str(tmp_path / "media"),
    )
    log = tmp_path / "worker.log"
    provider = f"Killed worker CME {uuid.uuid4().hex[:8]}"
    first = _worker(env, log)
    second: subprocess.Popen[bytes] | None = None
    try:
        wait_until(lambda: "ready" in log.read_text(errors="replace"), 60, "first celery worker")
        job_id = int(
            subprocess.run(
                [sys.executable, "manage.py", "shell", "-c", CREATE_AND_QUEUE.format(rows=ROWS, provider=provider)],
                cwd=REPO,
                env=env,
                check=True,
                capture_output=True,
                text=True,
                timeout=120,
            ).stdout.split()[-1]
        )

        def mid_import() -> bool:
            status, done, total = _job_state(url, job_id)
            assert status != "succeeded", "the import finished before the worker could be killed"
            return status == "running" and total is not None and 0 < done < total

        wait_until(mid_import, 60, "the import running mid-way")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        killed_at = _job_state(url, job_id)
        started = time.monotonic()
        second_log = tmp_path / "worker-2.log"
        second = _worker(env, second_log)  # no beat anywhere
        wait_until(lambda: "ready" in second_log.read_text(errors="replace"), 60, "second celery worker")
        ready = time.monotonic()
        wait_until(lambda: _job_state(url, job_id)[0] == "succeeded", 60, "the resumed import")
        elapsed = time.monotonic() - ready
        print(
            f"killed at {killed_at[1]}/{killed_at[2]} rows; the new worker was ready {ready - started:.1f} s after "
            f"its start and finished the job {elapsed:.1f} s after that"
        )
        # Measured from the worker being available: its start-up time depends on the machine's load.
        assert elapsed < RESUME_WITHIN_SECONDS, f"finished only {elapsed:.1f} s after a worker was ready"
        with psycopg.connect(url, connect_timeout=2) as conn:
            counts = conn.execute(
                """
                SELECT count(*), count(DISTINCT p.external_id),
                       (SELECT count(*) FROM programs_changelogentry c
                        JOIN programs_program q ON q.id = c.program_id JOIN programs_provider r ON r.id = q.provider_id
                        WHERE r.name = %(name)s AND c.action = 'created'),
                       (SELECT count(*) FROM programs_creditoffering o
                        JOIN programs_program q ON q.id = o.program_id JOIN programs_provider r ON r.id = q.provider_id
                        WHERE r.name = %(name)s)
                FROM programs_program p JOIN programs_provider v ON v.id = p.provider_id WHERE v.name = %(name)s
                """,
                {"name": provider},
            ).fetchone()
            job = conn.execute(
                "SELECT rows_total, rows_done, created_count, updated_count, unchanged_count, error_count "
                "FROM programs_importjob WHERE id = %s",
                [job_id],
            ).fetchone()
        assert counts == (ROWS, ROWS, ROWS, ROWS), "every row written exactly once, with one history entry"
        assert job == (ROWS, ROWS, ROWS, 0, 0, 0)
    finally:
        for worker in (first, second):
            if worker is not None and worker.poll() is None:
                worker.terminate()
                try:
                    worker.wait(15)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait()


@pytest.fixture
def broker_on_own_redis(own_redis):  # type: ignore[no-untyped-def]
    """The in-process Celery app publishing to our own Redis (not inline)."""
    from cme_portal.celery import app

    saved = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url = own_redis.url(3)
    app.conf.task_always_eager = False
    app._pool = None
    app.amqp._producer_pool = None
    yield own_redis
    own_redis.thaw()
    app.conf.broker_url, app.conf.task_always_eager = saved
    app._pool = None
    app.amqp._producer_pool = None


@pytest.mark.django_db
def test_starting_an_import_with_redis_hung_answers_within_two_seconds(client, broker_on_own_redis):
    from programs import tasks
    from programs.exchange import jobs
    from programs.models import ImportJob, ImportJobStatus
    from tests.factories import AdminFactory
    from tests.programs.import_helpers import csv_text, good_row

    client.force_login(AdminFactory())
    client.get("/programs/curation/")  # warm up: the first request imports every app's views
    warm = jobs.import_job_create(
        upload=io.BytesIO(csv_text([good_row(1)]).encode()), file_name="warm.csv", actor=None, publish=False
    )
    assert tasks.import_job_enqueue(job=warm), "published while Redis answers (a pooled connection now exists)"

    broker_on_own_redis.freeze()
    upload = io.BytesIO(csv_text([good_row(n) for n in range(2, 5)]).encode())
    upload.name = "hung.csv"
    started = time.monotonic()
    response = client.post("/programs/curation/imports/start/", {"file": upload})
    elapsed = time.monotonic() - started
    print(f"import start with Redis frozen answered in {elapsed:.3f} s")
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "job queue is not reachable" in page
    job = ImportJob.objects.exclude(pk=warm.pk).get()
    assert job.status == ImportJobStatus.QUEUED and job.last_enqueue_error
    assert elapsed < 2.0, f"the start request took {elapsed:.2f} s with Redis hung"
