"""Celery tasks of the catalog, and the one place that queues them.

Each task only calls a domain function (programs.exchange.jobs). Domain code
never imports this module: whatever starts a job (the curation view, the beat
task, a worker starting up) calls `import_job_enqueue` here.

How an import gets back on its feet without beat: a task that finds the job
under another run's fresh lease retries itself once that lease would expire;
a worker that starts queues every unfinished job (after its lease); the job
page's progress poll queues a job whose publishing failed again once the
broker answers. Beat (`import_jobs_requeue_stale_task`) is the safety net.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

import redis
from celery import Task, shared_task
from celery.signals import worker_ready
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import KombuError, OperationalError
from redis.backoff import NoBackoff
from redis.retry import Retry

from .exchange import jobs
from .models import ImportJob, ImportJobStatus

logger = logging.getLogger(__name__)

# A broker that does not answer a PING within this is treated as down: connect and
# reply each get half, with no retries, so starting an import never waits longer.
BROKER_PING_SECONDS = 1.0
# The job page's progress poll tries to queue a job that never reached the broker at most this often.
REQUEUE_FROM_POLL_SECONDS = 5


@shared_task(
    bind=True, name="programs.tasks.import_job_run", acks_late=True, reject_on_worker_lost=True, max_retries=None
)
def import_job_run_task(self: Task[Any, Any], job_id: int) -> str:
    """Run or resume one import job. Idempotent: a redelivered message finds the job finished or resumes it.

    When another run holds a fresh lease (a redelivery while that run may still
    be alive), the task retries itself just after the lease would expire
    instead of being dropped, so a run that died is resumed within seconds.
    """
    job = jobs.import_job_run(job_id=job_id)
    if job is None:
        return "missing"
    if not job.is_finished and not (self.request.called_directly or self.request.is_eager):
        raise self.retry(countdown=jobs.import_job_lease_seconds_left(job=job) + 1)
    return job.status


@shared_task(name="programs.tasks.import_jobs_requeue_stale")
def import_jobs_requeue_stale_task() -> list[int]:
    """Beat: queue again import jobs the broker never got, or whose worker died.

    Returns the ids it tried to queue. Safe to run often: the job lease keeps
    each job to one run at a time.
    """
    job_ids = jobs.import_jobs_stale()
    for job in ImportJob.objects.filter(pk__in=job_ids):
        import_job_enqueue(job=job)
    return job_ids


@worker_ready.connect
def import_jobs_resume_on_worker_ready(**_kwargs: Any) -> None:
    """A worker that starts queues every unfinished import, each after its current lease would expire.

    A worker killed mid-import leaves its message unacknowledged in Redis until
    the visibility timeout (an hour); this gets the job going again as soon as
    a worker is back. Duplicates are harmless: the lease keeps one run at a time.
    """
    try:
        unfinished = jobs.import_jobs_unfinished()
    except Exception:
        logger.exception("Could not list unfinished import jobs at worker start")
        return
    for job_id, lease_left in unfinished:
        job = ImportJob.objects.filter(pk=job_id).first()
        if job is not None:
            import_job_enqueue(job=job, countdown=lease_left + 1 if lease_left else 0)


def _broker_answers() -> bool:
    """Whether the Redis broker answers a PING within BROKER_PING_SECONDS (True for other brokers)."""
    url = str(import_job_run_task.app.conf.broker_url or "")
    if not url.startswith(("redis://", "rediss://")):
        return True
    half = BROKER_PING_SECONDS / 2
    client = redis.Redis.from_url(
        url, socket_connect_timeout=half, socket_timeout=half, retry=Retry(NoBackoff(), 0), retry_on_timeout=False
    )
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()


def import_job_enqueue(*, job: ImportJob, countdown: float = 0) -> bool:
    """Hand the job to Celery; True when queued (or, without a broker, already run inline).

    Never raises for broker trouble and never blocks long: a Redis broker that
    does not answer a PING within BROKER_PING_SECONDS is taken as down before
    anything is published (a hung Redis accepts connections and never replies),
    and publishing does not retry. On failure the job stays queued with the
    reason recorded; the job page's poll (`import_job_enqueue_if_never_queued`),
    a starting worker or the beat task queue it later.
    """
    ImportJob.objects.filter(pk=job.pk).update(
        enqueue_attempts=F("enqueue_attempts") + 1, enqueue_attempted_at=timezone.now()
    )
    try:
        if not import_job_run_task.app.conf.task_always_eager and not _broker_answers():
            raise OperationalError(f"the broker did not answer within {BROKER_PING_SECONDS:g} s")
        options: dict[str, Any] = {"countdown": countdown} if countdown else {}
        import_job_run_task.apply_async(args=(job.pk,), retry=False, **options)
    except (OperationalError, KombuError, OSError, TimeoutError) as error:
        logger.warning("Could not queue import job %s: %s", job.pk, error)
        ImportJob.objects.filter(pk=job.pk).update(last_enqueue_error=str(error)[:500] or type(error).__name__)
        return False
    ImportJob.objects.filter(pk=job.pk).exclude(last_enqueue_error="").update(last_enqueue_error="")
    return True


def import_job_enqueue_if_never_queued(*, job: ImportJob) -> bool:
    """Queue again a job whose publishing failed (the broker was down), at most every REQUEUE_FROM_POLL_SECONDS.

    Called by the job page's progress poll, so a job started while the broker
    was down begins within seconds of it coming back, beat or no beat. True
    when this call queued it.
    """
    if job.status != ImportJobStatus.QUEUED or not job.last_enqueue_error:
        return False
    now = timezone.now()
    due = ImportJob.objects.filter(
        pk=job.pk,
        status=ImportJobStatus.QUEUED,
        enqueue_attempted_at__lt=now - datetime.timedelta(seconds=REQUEUE_FROM_POLL_SECONDS),
    ).exclude(last_enqueue_error="")
    # The conditional update claims this attempt: concurrent polls do not all publish.
    if not due.update(enqueue_attempted_at=now):
        return False
    return import_job_enqueue(job=job)
