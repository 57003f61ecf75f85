"""End to end with a real Redis broker and a real Celery worker process (CI: REDIS_URL set, PostgreSQL)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from programs import tasks
from programs.exchange import jobs
from programs.models import ImportJob, ImportJobStatus, Program

from .import_helpers import csv_text, good_row

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs a Redis broker (set REDIS_URL)"),
]

ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("the worker process must share the test database: run this test on PostgreSQL")
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    host = db.get("HOST") or "localhost"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{db['NAME']}"


def test_import_runs_in_a_real_worker(transactional_db, settings, tmp_path):
    from cme_portal.celery import app

    media = tmp_path / "private"
    settings.MEDIA_ROOT = media
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "PRIVATE_MEDIA_ROOT": str(media),
        "DJANGO_SETTINGS_MODULE": "cme_portal.settings",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "cme_portal", "worker", "--pool", "solo", "--loglevel", "WARNING"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    saved_eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        content = csv_text([good_row(n) for n in range(1, 51)] + [good_row(99, format="bad")])
        job = jobs.import_job_create(
            upload=io.BytesIO(content.encode()), file_name="feed.csv", actor=None, publish=True
        )
        assert tasks.import_job_enqueue(job=job)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if job.is_finished:
                break
            time.sleep(0.5)
        assert job.status == ImportJobStatus.SUCCEEDED, (job.status, job.message)
        assert (job.created_count, job.error_count) == (50, 1)
        assert Program.objects.filter(status="published").count() == 50
        assert ImportJob.objects.get(pk=job.pk).finished_at is not None
    finally:
        app.conf.task_always_eager = saved_eager
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
