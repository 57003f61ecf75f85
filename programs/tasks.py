"""Celery tasks of the catalog, and the one place that queues them.

Each task only calls a domain function (programs.exchange.jobs). Domain code
never imports this module: whatever starts a job (the curation view, the beat
task) calls `import_job_enqueue` here.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.db.models import F
from kombu.exceptions import KombuError, OperationalError

from .exchange import jobs
from .models import ImportJob

logger = logging.getLogger(__name__)


@shared_task(name="programs.tasks.import_job_run", acks_late=True, reject_on_worker_lost=True)
def import_job_run_task(job_id: int) -> str:
    """Run or resume one import job. Idempotent: a redelivered message finds the job finished or resumes it."""
    job = jobs.import_job_run(job_id=job_id)
    return job.status if job is not None else "missing"


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


def import_job_enqueue(*, job: ImportJob) -> bool:
    """Hand the job to Celery; True when queued (or, without a broker, already run inline).

    Never raises for broker trouble and never blocks long on a dead broker (the
    broker settings time out connecting in about 2 s and do not retry
    publishing). On failure the job stays queued with the reason recorded; the
    beat task `programs.tasks.import_jobs_requeue_stale` queues it later.
    """
    ImportJob.objects.filter(pk=job.pk).update(enqueue_attempts=F("enqueue_attempts") + 1)
    try:
        import_job_run_task.apply_async(args=(job.pk,), retry=False)
    except (OperationalError, KombuError, OSError, TimeoutError) as error:
        logger.warning("Could not queue import job %s: %s", job.pk, error)
        ImportJob.objects.filter(pk=job.pk).update(last_enqueue_error=str(error)[:500])
        return False
    return True
