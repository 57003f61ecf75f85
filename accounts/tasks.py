"""Celery beat tasks of accounts: each only calls a domain function (schedule in settings.CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task

from . import submissions


@shared_task(name="accounts.submission_receipts_prune")
def submission_receipts_prune() -> int:
    """Hourly: forget form-submission receipts older than a day."""
    return submissions.submission_receipts_prune()
