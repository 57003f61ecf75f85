"""Import jobs: an uploaded exchange-format file, run to its end state in batches.

- `import_job_create` stores the upload in private media with its size and
  SHA-256 and records a queued `ImportJob`. Queueing it is programs.tasks'
  job (`import_job_enqueue`); nothing here imports the task layer.
- `import_job_run` (called by the Celery task) claims the job with a lease,
  scans the file once for file-level problems and duplicate identities
  (programs.exchange.reading), then validates (programs.exchange.validation)
  and writes (programs.exchange.writing) the rows in batches. Each batch, its
  error rows and the job's counters commit in one transaction, so a run that
  dies resumes after the last committed batch and the end state is as if it
  ran once. A batch the database refuses is retried row by row, so the good
  rows land and each refused row is an error row.
- The lease is short (LEASE_SECONDS) and renewed every few seconds, so a run
  that died is taken over within seconds; `import_job_lease_seconds_left`
  tells a redelivered task how long to wait before trying again.
"""

from __future__ import annotations

import contextlib
import datetime
import gc
import hashlib
import logging
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.files.base import File
from django.db import DataError, IntegrityError, transaction
from django.db.models import F
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from accounts.models import User
from cme_portal.storage import discard_stored

from ..models import ImportJob, ImportJobStatus, ImportRowError
from .problems import (
    FAILED_UNEXPECTED,
    MSG_DUPLICATE,
    MSG_NOT_STORED,
    NOTICE_UNKNOWN_COLUMNS,
    REJECT_ALREADY_RUNNING,
    REJECT_FILE_MISSING,
    REJECT_TOO_BIG,
    FileRejected,
    RowProblem,
    shorten,
    storable,
)
from .reading import file_rows, file_scan, format_for
from .validation import row_validate
from .writing import BATCH_SIZE, records_write

logger = logging.getLogger(__name__)

# Rows validated and written per transaction: each batch pays a dozen round trips (the job's lock, the
# reads, the counters, the commit), so more rows per batch cost less per row; memory per batch stays bounded.
IMPORT_BATCH_ROWS = 1000
LEASE_SECONDS = 10  # a run that has not renewed its lease for this long is presumed dead
HEARTBEAT_SECONDS = 2  # how often a run renews its lease (each batch commit renews it too)
# What the database raises for a value or row it will not store (UnicodeEncodeError is a ValueError).
STORE_ERRORS = (DataError, IntegrityError, ValueError)


@dataclass
class BatchCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    held: int = 0

    def add(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)


class ImportAlreadyRunning(Exception):
    """The same file (by SHA-256) is already queued or running as `job`; nothing new was recorded."""

    def __init__(self, job: ImportJob) -> None:
        super().__init__(REJECT_ALREADY_RUNNING.format(job_id=job.pk, status=job.get_status_display().lower()))
        self.job = job


def _unfinished_job_of_file(sha256: str) -> ImportJob | None:
    return ImportJob.objects.filter(sha256=sha256, status__in=[ImportJobStatus.QUEUED, ImportJobStatus.RUNNING]).first()


def import_job_create(
    *, upload: IO[bytes], file_name: str, actor: User | None, publish: bool, file_format: str = ""
) -> ImportJob:
    """Store an uploaded file in private media and record a queued import job.

    Computes size and SHA-256 while storing. A file over the size limit is not
    stored: the job is recorded as rejected with the reason. Raises
    ImportAlreadyRunning, storing nothing, when a job of the same file is
    queued or running (a unique constraint settles two uploads at once).
    """
    digest = hashlib.sha256()
    size = 0
    head = b""
    upload.seek(0)
    for chunk in iter(lambda: upload.read(1024 * 1024), b""):
        if not head:
            head = chunk[:64]
        digest.update(chunk)
        size += len(chunk)
    upload.seek(0)
    job = ImportJob(
        created_by=actor if actor is not None and actor.pk else None,
        file_name=storable(file_name or "upload")[:255],
        file_size=size,
        sha256=digest.hexdigest(),
        file_format=file_format or format_for(file_name, head),
        publish=publish,
    )
    if size > settings.IMPORT_MAX_BYTES:
        job.status = ImportJobStatus.REJECTED
        job.message = REJECT_TOO_BIG.format(limit=settings.IMPORT_MAX_BYTES // (1024 * 1024))
        job.finished_at = timezone.now()
        job.save()
        return job
    running = _unfinished_job_of_file(job.sha256)
    if running is not None:
        raise ImportAlreadyRunning(running)
    job.file.save(f"{uuid.uuid4().hex}.{job.file_format}", File(upload), save=False)  # FileNotStored: nothing kept
    try:
        with transaction.atomic():
            job.save()
    except IntegrityError:
        discard_stored(job.file)
        running = _unfinished_job_of_file(job.sha256)
        if running is None:
            raise
        raise ImportAlreadyRunning(running) from None
    except Exception:
        discard_stored(job.file)
        raise
    return job


def _claim(job_id: int, token: str) -> ImportJob | None:
    """Take the job's lease: queued, or running with a lease that expired. None if not ours to run."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.is_finished:
            return None
        now = timezone.now()
        stale = job.heartbeat_at is None or job.heartbeat_at < now - datetime.timedelta(seconds=LEASE_SECONDS)
        if job.status == ImportJobStatus.RUNNING and not stale:
            return None
        job.status = ImportJobStatus.RUNNING
        job.run_token = token
        job.heartbeat_at = now
        job.started_at = job.started_at or now
        job.save(update_fields=["status", "run_token", "heartbeat_at", "started_at"])
        return job


class LeaseLost(Exception):
    """Another run took over this job; this run stops without writing."""


def import_job_lease_seconds_left(*, job: ImportJob) -> float:
    """Seconds until another run may take the job over: 0 when it is not running under a fresh lease."""
    if job.status != ImportJobStatus.RUNNING or job.heartbeat_at is None:
        return 0.0
    expires = job.heartbeat_at + datetime.timedelta(seconds=LEASE_SECONDS)
    return max(0.0, (expires - timezone.now()).total_seconds())


class _Heartbeat:
    """Renews a run's lease at most every HEARTBEAT_SECONDS; raises LeaseLost once another run holds it."""

    def __init__(self, job_id: int, token: str) -> None:
        self.job_id = job_id
        self.token = token
        self.last = time.monotonic()

    def beat(self) -> None:
        if time.monotonic() - self.last < HEARTBEAT_SECONDS:
            return
        renewed = ImportJob.objects.filter(pk=self.job_id, run_token=self.token, status=ImportJobStatus.RUNNING)
        if not renewed.update(heartbeat_at=timezone.now()):
            raise LeaseLost
        self.last = time.monotonic()


@contextlib.contextmanager
def _collector_kept_to_the_run() -> Iterator[None]:
    """Let the cyclic garbage collector look only at objects allocated during the block.

    Why: each batch keeps tens of thousands of objects alive for a moment; as
    they age, full collections run and each walks the whole long-lived heap
    (Django, the apps, the worker), which cost a large part of an import's CPU.
    The objects alive at the start are set aside (`gc.freeze`) and handed back
    to the collector at the end (`gc.unfreeze`), so nothing lives longer than
    it would have, and garbage made during the run is still collected. A
    process that froze its heap itself (a preforking server) is left alone.
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def import_job_run(*, job_id: int, batch_size: int = IMPORT_BATCH_ROWS) -> ImportJob | None:
    """Run (or resume) an import job to its end state; safe to call any number of times.

    At most one run works on a job at a time (a lease on the job row). Each
    batch of rows, its error rows and the job's counters commit together, so
    a run that is killed resumes after the last committed batch: no duplicates,
    counts as if it ran once. A finished job is left as it is.
    """
    token = uuid.uuid4().hex
    job = _claim(job_id, token)
    if job is None:
        return ImportJob.objects.filter(pk=job_id).first()
    try:
        with _collector_kept_to_the_run():
            _run_claimed(job, token, batch_size)
    except FileRejected as rejection:
        _finish(job, token, ImportJobStatus.REJECTED, str(rejection))
    except LeaseLost:
        logger.info("Import job %s is being run elsewhere; this run stops.", job_id)
    except Exception:
        logger.exception("Import job %s failed", job_id)
        job.refresh_from_db()
        _finish(job, token, ImportJobStatus.FAILED, FAILED_UNEXPECTED.format(row=job.last_row))
    return ImportJob.objects.get(pk=job_id)


def _open(job: ImportJob) -> IO[bytes]:
    stored: FieldFile = job.file  # django-stubs types a FileField's value as Any
    if not stored.name or not stored.storage.exists(stored.name):
        raise FileRejected(REJECT_FILE_MISSING)
    return stored.storage.open(stored.name, "rb")


def _run_claimed(job: ImportJob, token: str, batch_size: int) -> None:
    heartbeat = _Heartbeat(job.pk, token)
    with _open(job) as binary:
        scan = file_scan(binary, job.file_format, progress=heartbeat.beat)
    notice = NOTICE_UNKNOWN_COLUMNS.format(names=", ".join(scan.unknown_columns)) if scan.unknown_columns else ""
    ImportJob.objects.filter(pk=job.pk, run_token=token).update(rows_total=scan.rows_total, notice=notice)
    actor = job.created_by
    batch: list[tuple[int, dict[str, Any] | RowProblem]] = []
    with _open(job) as binary:
        for row_number, row in file_rows(binary, job.file_format):
            if row_number <= job.last_row:
                heartbeat.beat()
                continue
            batch.append((row_number, row))
            if len(batch) >= batch_size:
                _batch_commit(job, token, batch, scan.duplicates, actor)
                batch = []
        if batch:
            _batch_commit(job, token, batch, scan.duplicates, actor)
    _finish(job, token, ImportJobStatus.SUCCEEDED, "")


def _batch_commit(
    job: ImportJob,
    token: str,
    batch: list[tuple[int, dict[str, Any] | RowProblem]],
    duplicates: dict[int, int],
    actor: User | None,
) -> None:
    """Validate and write one batch, its error rows and the job counters, in one transaction."""
    checked, errors = _batch_check(batch, duplicates)
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.run_token != token or locked.is_finished:
            raise LeaseLost
        outcomes, refused = _records_store(job, checked, actor)
        errors.extend(refused)
        error_rows = len({error.row_number for error in errors})
        counts = BatchCounts()
        for outcome in outcomes:
            counts.add(outcome)
        for error in errors:
            error.job_id = job.pk
        ImportRowError.objects.bulk_create(errors, batch_size=BATCH_SIZE)
        ImportJob.objects.filter(pk=job.pk).update(
            rows_done=F("rows_done") + len(batch),
            last_row=batch[-1][0],
            created_count=F("created_count") + counts.created,
            updated_count=F("updated_count") + counts.updated,
            unchanged_count=F("unchanged_count") + counts.unchanged,
            held_count=F("held_count") + counts.held,
            error_count=F("error_count") + error_rows,
            heartbeat_at=timezone.now(),
        )
    job.last_row = batch[-1][0]


def _records_store(
    job: ImportJob, checked: list[tuple[int, dict[str, Any]]], actor: User | None
) -> tuple[list[str], list[ImportRowError]]:
    """Write the batch's valid records; if the database refuses the batch, each row on its own.

    Runs inside the batch's transaction, each attempt in a savepoint. A batch
    refused for a constraint is tried once more (it then sees the provider a
    concurrent import created meanwhile); a batch still refused is written row
    by row: the rows the database stores land, each one it refuses becomes an
    (unsaved) error row.
    """

    def write(records: list[dict[str, Any]]) -> list[str]:
        with transaction.atomic():
            return records_write(
                records=records, actor=actor, publish=job.publish, import_job_id=job.pk, canonical=True
            )

    records = [record for _row_number, record in checked]
    try:
        return write(records), []
    except IntegrityError as error:
        logger.info("Import job %s: batch refused (%s); trying it once more", job.pk, error)
        try:
            return write(records), []
        except STORE_ERRORS as again:
            logger.warning("Import job %s: batch refused again, writing row by row: %s", job.pk, again)
    except STORE_ERRORS as error:
        logger.warning("Import job %s: batch refused, writing row by row: %s", job.pk, error)
    outcomes: list[str] = []
    refused: list[ImportRowError] = []
    for row_number, record in checked:
        try:
            outcomes.extend(write([record]))
        except STORE_ERRORS as error:
            detail = shorten(str(error).splitlines()[0] if str(error) else type(error).__name__, 200)
            refused.append(
                ImportRowError(row_number=row_number, field="", value="", message=MSG_NOT_STORED.format(detail=detail))
            )
    return outcomes, refused


def _batch_check(
    batch: list[tuple[int, dict[str, Any] | RowProblem]], duplicates: dict[int, int]
) -> tuple[list[tuple[int, dict[str, Any]]], list[ImportRowError]]:
    """The valid rows of a batch as (row number, record), and an (unsaved) error row for each problem of the others."""
    records: list[tuple[int, dict[str, Any]]] = []
    errors: list[ImportRowError] = []
    for row_number, row in batch:
        if isinstance(row, RowProblem):
            errors.append(ImportRowError(row_number=row_number, field=row.field, value=row.value, message=row.message))
            continue
        record, problems = row_validate(row)
        if row_number in duplicates:
            problems = [
                *problems,
                RowProblem(
                    "external_id", shorten(row.get("external_id")), MSG_DUPLICATE.format(first=duplicates[row_number])
                ),
            ]
        if problems:
            errors.extend(
                ImportRowError(row_number=row_number, field=p.field, value=p.value, message=p.message) for p in problems
            )
            continue
        assert record is not None
        records.append((row_number, record))
    return records, errors


def _finish(job: ImportJob, token: str, status: str, message: str) -> None:
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.run_token != token or locked.is_finished:
            return
        locked.status = status
        locked.message = message
        locked.finished_at = timezone.now()
        locked.heartbeat_at = locked.finished_at
        locked.save(update_fields=["status", "message", "finished_at", "heartbeat_at"])


def import_jobs_unfinished() -> list[tuple[int, float]]:
    """(id, seconds until its lease expires) of every queued or running job: what a starting worker resumes."""
    unfinished = ImportJob.objects.filter(status__in=[ImportJobStatus.QUEUED, ImportJobStatus.RUNNING])
    return [(job.pk, import_job_lease_seconds_left(job=job)) for job in unfinished.order_by("queued_at", "pk")]


def import_jobs_stale(*, queued_for_seconds: int = 60) -> list[int]:
    """Ids of jobs that never reached a worker (broker was down) or whose run died, to queue again."""
    now = timezone.now()
    waiting = ImportJob.objects.filter(
        status=ImportJobStatus.QUEUED, queued_at__lt=now - datetime.timedelta(seconds=queued_for_seconds)
    )
    dead = ImportJob.objects.filter(
        status=ImportJobStatus.RUNNING, heartbeat_at__lt=now - datetime.timedelta(seconds=LEASE_SECONDS)
    )
    return sorted({*waiting.values_list("pk", flat=True), *dead.values_list("pk", flat=True)})


def import_file_run(*, path: str, actor: User | None, publish: bool, file_format: str = "") -> ImportJob:
    """Import a local file synchronously (the management command): create the job and run it here."""
    with open(path, "rb") as handle:
        job = import_job_create(
            upload=handle, file_name=path.rsplit("/", 1)[-1], actor=actor, publish=publish, file_format=file_format
        )
    if job.is_finished:
        return job
    result = import_job_run(job_id=job.pk)
    assert result is not None
    return result
