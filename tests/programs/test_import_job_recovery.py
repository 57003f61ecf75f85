"""Import jobs under faults (issue 12): one run per file, concurrent providers, short leases, resuming without beat."""

from __future__ import annotations

import datetime
import io
import threading

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from programs import tasks
from programs.exchange import jobs, problems, writing
from programs.models import ImportJob, ImportJobStatus, Program, Provider
from tests.factories import AdminFactory

from .import_helpers import csv_text, good_row

ROWS = [good_row(n) for n in range(1, 6)]


def _job(content: str) -> ImportJob:
    return jobs.import_job_create(upload=io.BytesIO(content.encode()), file_name="f.csv", actor=None, publish=True)


def _on_postgresql() -> None:
    if django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("concurrent transactions need PostgreSQL (DATABASE_URL)")


@pytest.mark.django_db
def test_a_second_upload_of_a_queued_file_is_told_it_is_running_and_nothing_is_stored(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    first = _job(csv_text(ROWS))
    stored = sorted(path.name for path in tmp_path.rglob("*") if path.is_file())
    with pytest.raises(jobs.ImportAlreadyRunning) as raised:
        _job(csv_text(ROWS))
    assert raised.value.job.pk == first.pk
    assert str(raised.value) == problems.REJECT_ALREADY_RUNNING.format(job_id=first.pk, status="queued")
    assert ImportJob.objects.count() == 1
    assert sorted(path.name for path in tmp_path.rglob("*") if path.is_file()) == stored
    # Once it has finished, the same file may be imported again.
    jobs.import_job_run(job_id=first.pk)
    assert _job(csv_text(ROWS)).status == ImportJobStatus.QUEUED


@pytest.mark.django_db
def test_starting_the_same_file_twice_answers_with_the_running_job(client):
    client.force_login(AdminFactory())
    job = _job(csv_text(ROWS))
    upload = io.BytesIO(csv_text(ROWS).encode())
    upload.name = "again.csv"
    response = client.post("/programs/curation/imports/start/", {"file": upload})
    assert response["Location"] == f"/programs/curation/imports/{job.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "This file is already being imported" in page
    assert ImportJob.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_uploads_of_the_same_file_at_once_make_one_job():
    _on_postgresql()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    original = jobs._unfinished_job_of_file
    waited = threading.local()

    def checked_together(sha256: str) -> ImportJob | None:
        found = original(sha256)
        if not getattr(waited, "done", False):
            waited.done = True
            barrier.wait(timeout=10)  # both have checked before either saves: the constraint decides
        return found

    def upload() -> None:
        try:
            _job(csv_text(ROWS))
            outcomes.append("queued")
        except jobs.ImportAlreadyRunning:
            outcomes.append("already running")
        finally:
            connection.close()

    jobs._unfinished_job_of_file = checked_together
    try:
        threads = [threading.Thread(target=upload) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        jobs._unfinished_job_of_file = original
    assert sorted(outcomes) == ["already running", "queued"]
    assert ImportJob.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_imports_creating_the_same_provider_at_once_both_succeed(monkeypatch):
    _on_postgresql()
    first = _job(csv_text([good_row(n, provider_name="Brand new CME") for n in range(1, 4)]))
    second = _job(csv_text([good_row(n, provider_name="Brand new CME") for n in range(4, 7)]))
    barrier = threading.Barrier(2)
    real_save = writing._batch_save
    waited = threading.local()

    def save_together(batch: writing._Batch) -> None:
        if not getattr(waited, "done", False):
            waited.done = True
            barrier.wait(timeout=10)  # both loaded "no such provider" before either inserts it
        real_save(batch)

    monkeypatch.setattr(writing, "_batch_save", save_together)
    results: dict[int, str] = {}

    def run(job_id: int) -> None:
        try:
            result = jobs.import_job_run(job_id=job_id)
            results[job_id] = f"{result.status}: {result.message}" if result else "missing"
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job.pk,)) for job in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert results == {first.pk: "succeeded: ", second.pk: "succeeded: "}
    assert Provider.objects.filter(name="Brand new CME").count() == 1
    assert Program.objects.count() == 6
    assert sum(ImportJob.objects.values_list("error_count", flat=True)) == 0


@pytest.mark.django_db
def test_lease_seconds_left_is_the_rest_of_a_fresh_lease_and_zero_otherwise():
    job = _job(csv_text(ROWS))
    assert jobs.import_job_lease_seconds_left(job=job) == 0
    job.status, job.heartbeat_at = ImportJobStatus.RUNNING, timezone.now() - datetime.timedelta(seconds=3)
    assert jobs.LEASE_SECONDS - 4 < jobs.import_job_lease_seconds_left(job=job) <= jobs.LEASE_SECONDS - 3
    job.heartbeat_at = timezone.now() - datetime.timedelta(seconds=jobs.LEASE_SECONDS + 1)
    assert jobs.import_job_lease_seconds_left(job=job) == 0
    assert jobs.LEASE_SECONDS <= 15 and jobs.HEARTBEAT_SECONDS * 3 <= jobs.LEASE_SECONDS


class _Retried(Exception):
    def __init__(self, countdown: float) -> None:
        self.countdown = countdown


@pytest.mark.django_db
def test_a_redelivered_task_under_a_fresh_lease_retries_after_the_lease_instead_of_being_dropped(monkeypatch):
    job = _job(csv_text(ROWS))
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJobStatus.RUNNING, run_token="a-run-that-died", heartbeat_at=timezone.now()
    )

    def retry(**options: float) -> None:
        raise _Retried(options["countdown"])

    monkeypatch.setattr(tasks.import_job_run_task, "retry", retry)
    tasks.import_job_run_task.push_request(called_directly=False, is_eager=False)
    try:
        with pytest.raises(_Retried) as retried:
            tasks.import_job_run_task.run(job.pk)
    finally:
        tasks.import_job_run_task.pop_request()
    assert jobs.LEASE_SECONDS <= retried.value.countdown <= jobs.LEASE_SECONDS + 1
    assert Program.objects.count() == 0
    # The retry, after the lease has expired, resumes and finishes the job.
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - datetime.timedelta(minutes=1))
    tasks.import_job_run_task.push_request(called_directly=False, is_eager=False)
    try:
        assert tasks.import_job_run_task.run(job.pk) == ImportJobStatus.SUCCEEDED
    finally:
        tasks.import_job_run_task.pop_request()
    assert Program.objects.count() == 5


@pytest.mark.django_db
def test_a_run_renews_its_lease_during_the_scan_and_stops_once_it_is_taken(monkeypatch):
    job = _job(csv_text([good_row(n) for n in range(1, 1201)]))
    monkeypatch.setattr(jobs, "HEARTBEAT_SECONDS", 0)
    real_scan = jobs.file_scan
    beats: list[datetime.datetime | None] = []

    def scan_and_lose_the_lease(binary, file_format, progress=None):  # type: ignore[no-untyped-def]
        def progress_then_takeover() -> None:
            assert progress is not None
            progress()
            beats.append(ImportJob.objects.get(pk=job.pk).heartbeat_at)
            ImportJob.objects.filter(pk=job.pk).update(run_token="another-run")

        return real_scan(binary, file_format, progress=progress_then_takeover)

    monkeypatch.setattr(jobs, "file_scan", scan_and_lose_the_lease)
    result = jobs.import_job_run(job_id=job.pk)
    assert result is not None and result.status == ImportJobStatus.RUNNING
    assert len(beats) == 1 and beats[0] is not None
    assert Program.objects.count() == 0


@pytest.mark.django_db
def test_a_starting_worker_queues_every_unfinished_job_after_its_lease(monkeypatch):
    queued = _job(csv_text(ROWS))
    running = _job(csv_text(ROWS[:2]))
    ImportJob.objects.filter(pk=running.pk).update(
        status=ImportJobStatus.RUNNING, heartbeat_at=timezone.now() - datetime.timedelta(seconds=4)
    )
    done = _job(csv_text(ROWS[:1]))
    jobs.import_job_run(job_id=done.pk)
    calls: list[tuple[int, float]] = []
    monkeypatch.setattr(tasks, "import_job_enqueue", lambda *, job, countdown=0: calls.append((job.pk, countdown)))
    tasks.import_jobs_resume_on_worker_ready(sender=None)
    assert [job_id for job_id, _ in calls] == [queued.pk, running.pk]
    assert calls[0][1] == 0
    assert jobs.LEASE_SECONDS - 4 < calls[1][1] <= jobs.LEASE_SECONDS - 3 + 1


@pytest.mark.django_db
def test_the_progress_poll_queues_a_job_the_broker_never_got_once_and_rate_limited(client):
    client.force_login(AdminFactory())
    job = _job(csv_text(ROWS))
    long_ago = timezone.now() - datetime.timedelta(minutes=1)
    ImportJob.objects.filter(pk=job.pk).update(
        last_enqueue_error="Error 111 connecting to redis", enqueue_attempted_at=timezone.now(), enqueue_attempts=1
    )
    client.get(f"/programs/curation/imports/{job.pk}/", headers={"HX-Request": "true"})
    job.refresh_from_db()
    assert (job.status, job.enqueue_attempts) == (ImportJobStatus.QUEUED, 1), "attempted just now: not again yet"
    ImportJob.objects.filter(pk=job.pk).update(enqueue_attempted_at=long_ago)
    client.get(f"/programs/curation/imports/{job.pk}/", headers={"HX-Request": "true"})
    job.refresh_from_db()
    # Inline Celery in tests: queueing ran it; a successful publish clears the recorded error.
    assert (job.status, job.enqueue_attempts, job.last_enqueue_error) == (ImportJobStatus.SUCCEEDED, 2, "")


@pytest.mark.django_db
def test_a_hung_broker_is_detected_within_the_ping_deadline():
    """The configured deadlines: a ping of at most 1 s before publishing, no publish retries."""
    from cme_portal.celery import app

    assert tasks.BROKER_PING_SECONDS <= 1.0
    assert app.conf.task_publish_retry is False
    assert app.conf.broker_transport_options["max_retries"] == 0
