"""Import jobs: idempotent re-runs, a run killed mid-way, one run at a time, broker down, commands."""

from __future__ import annotations

import datetime
import io
import time

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from programs import tasks
from programs.exchange import jobs, problems
from programs.models import ImportJob, ImportJobStatus, Program
from programs.tasks import import_job_run_task
from tests.factories import AdminFactory

from .import_helpers import catalog_checksum, csv_text, good_row

pytestmark = pytest.mark.django_db

ROWS = [good_row(n) for n in range(1, 26)] + [good_row(99, format="nope")]


def _job(content: str, publish: bool = False) -> ImportJob:
    return jobs.import_job_create(upload=io.BytesIO(content.encode()), file_name="f.csv", actor=None, publish=publish)


def _end_state(job_id: int) -> tuple:
    job = ImportJob.objects.get(pk=job_id)
    counts = (job.status, job.rows_total, job.rows_done, job.created_count, job.unchanged_count, job.error_count)
    return counts, job.row_errors.count(), catalog_checksum()


def test_running_the_task_body_twice_reaches_the_same_end_state():
    job = _job(csv_text(ROWS))
    import_job_run_task(job.pk)
    first = _end_state(job.pk)
    import_job_run_task(job.pk)
    assert _end_state(job.pk) == first
    assert first[0] == (ImportJobStatus.SUCCEEDED, 26, 26, 25, 0, 1)


class WorkerKilled(BaseException):
    """Stands in for SIGKILL: no except clause of the run sees it."""


def test_a_run_killed_mid_way_resumes_to_the_state_of_a_single_run(monkeypatch):
    from django.db import transaction

    with transaction.atomic():
        savepoint = transaction.savepoint()
        reference = _job(csv_text(ROWS))
        jobs.import_job_run(job_id=reference.pk, batch_size=10)
        expected = _end_state(reference.pk)
        transaction.savepoint_rollback(savepoint)

    job = _job(csv_text(ROWS))
    real_write = jobs.records_write
    calls = {"n": 0}

    def dying_write(**kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise WorkerKilled
        return real_write(**kwargs)

    monkeypatch.setattr(jobs, "records_write", dying_write)
    with pytest.raises(WorkerKilled):
        jobs.import_job_run(job_id=job.pk, batch_size=10)
    monkeypatch.setattr(jobs, "records_write", real_write)
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.last_row) == (ImportJobStatus.RUNNING, 10, 11)
    assert Program.objects.count() == 10

    # The redelivered message while the dead run's lease is still fresh: not run twice at once.
    assert jobs.import_job_run(job_id=job.pk).status == ImportJobStatus.RUNNING
    assert Program.objects.count() == 10
    # After the lease expires, the redelivery resumes after the last committed batch.
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - datetime.timedelta(minutes=5))
    jobs.import_job_run(job_id=job.pk, batch_size=10)
    state = _end_state(job.pk)
    assert state[:2] == expected[:2]
    assert Program.objects.count() == 25
    assert state[2] == expected[2]


def test_a_run_that_lost_its_lease_stops_without_writing(monkeypatch):
    job = _job(csv_text(ROWS))
    real_write = jobs.records_write

    def steal_then_write(**kwargs):
        return real_write(**kwargs)

    original_commit = jobs._batch_commit

    def commit_after_takeover(job_obj, token, *args):
        ImportJob.objects.filter(pk=job_obj.pk).update(run_token="someone-else")
        return original_commit(job_obj, token, *args)

    monkeypatch.setattr(jobs, "_batch_commit", commit_after_takeover)
    jobs.import_job_run(job_id=job.pk, batch_size=10)
    assert Program.objects.count() == 0


def test_an_unexpected_error_fails_the_job_with_a_clear_message(monkeypatch):
    job = _job(csv_text(ROWS))

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(jobs, "records_write", broken)
    result = jobs.import_job_run(job_id=job.pk)
    assert result.status == ImportJobStatus.FAILED
    assert result.message == problems.FAILED_UNEXPECTED.format(row=0)
    assert "database" not in result.message


def test_enqueue_runs_inline_without_a_broker():
    job = _job(csv_text(ROWS[:3]))
    assert tasks.import_job_enqueue(job=job) is True
    job.refresh_from_db()
    assert job.status == ImportJobStatus.SUCCEEDED and job.enqueue_attempts == 1


@pytest.fixture
def broker_down():
    """Point the Celery app at a closed port and switch off inline execution."""
    from cme_portal.celery import app

    saved = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url = "redis://127.0.0.1:9/0"
    app.conf.task_always_eager = False
    app._pool = None
    app.amqp._producer_pool = None
    yield app
    app.conf.broker_url, app.conf.task_always_eager = saved
    app._pool = None
    app.amqp._producer_pool = None


def test_enqueue_with_the_broker_down_returns_quickly_and_keeps_the_job_queued(broker_down):
    job = _job(csv_text(ROWS[:3]))
    started = time.monotonic()
    assert tasks.import_job_enqueue(job=job) is False
    elapsed = time.monotonic() - started
    assert elapsed < 2.5, f"enqueue blocked {elapsed:.2f} s"
    job.refresh_from_db()
    assert job.status == ImportJobStatus.QUEUED
    assert job.last_enqueue_error
    print(f"enqueue with broker down took {elapsed:.3f} s")


def test_start_request_with_the_broker_down_tells_the_admin(client, broker_down):
    admin = AdminFactory()
    client.force_login(admin)
    client.get("/programs/curation/")  # warm up: the first request imports every app's views
    upload = io.BytesIO(csv_text(ROWS[:3]).encode())
    upload.name = "feed.csv"
    started = time.monotonic()
    response = client.post("/programs/curation/imports/start/", {"file": upload})
    elapsed = time.monotonic() - started
    print(f"start request with broker down took {elapsed:.3f} s")
    assert elapsed < 2.5
    response = client.get(response["Location"])
    assert "job queue is not reachable" in response.content.decode()
    job = ImportJob.objects.get()
    assert job.status == ImportJobStatus.QUEUED


def test_beat_task_queues_stale_jobs_again():
    job = _job(csv_text(ROWS[:3]))
    ImportJob.objects.filter(pk=job.pk).update(queued_at=timezone.now() - datetime.timedelta(minutes=5))
    fresh = _job(csv_text(ROWS[3:5]))
    from programs.tasks import import_jobs_requeue_stale_task

    assert import_jobs_requeue_stale_task() == [job.pk]
    job.refresh_from_db()
    fresh.refresh_from_db()
    assert job.status == ImportJobStatus.SUCCEEDED
    assert fresh.status == ImportJobStatus.QUEUED


def test_import_command_prints_summary_and_error_rows(tmp_path, capsys):
    admin = AdminFactory(email="curator@example.test")
    path = tmp_path / "feed.csv"
    path.write_text(csv_text(ROWS))
    call_command("import_programs", str(path), "--publish", "--as", "curator@example.test")
    out = capsys.readouterr().out
    assert "25 created" in out and "1 row(s) with errors" in out
    assert "Row 27: format = 'nope'" in out
    assert Program.objects.filter(status="published").count() == 25
    assert ImportJob.objects.get().created_by == admin


def test_import_command_exits_non_zero_when_the_file_is_rejected(tmp_path):
    path = tmp_path / "feed.csv"
    path.write_text("external_id,title\nA,B\n")
    with pytest.raises(CommandError, match="Required column"):
        call_command("import_programs", str(path))
    assert not Program.objects.exists()
