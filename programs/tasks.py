"""Celery tasks of the catalog. Each only calls a domain function (programs.imports)."""

from __future__ import annotations

from celery import shared_task

from .exchange import imports


@shared_task(name="programs.tasks.import_job_run", acks_late=True, reject_on_worker_lost=True)
def import_job_run_task(job_id: int) -> str:
    """Run or resume one import job. Idempotent: a redelivered message finds the job finished or resumes it."""
    job = imports.import_job_run(job_id=job_id)
    return job.status if job is not None else "missing"


@shared_task(name="programs.tasks.import_jobs_requeue_stale")
def import_jobs_requeue_stale_task() -> list[int]:
    """Beat: queue again import jobs the broker never got, or whose worker died."""
    return imports.import_jobs_requeue_stale()
