"""Celery beat tasks: each only calls a reminder service (schedule in settings.CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task

from . import reminders


@shared_task(name="supervision.reminders_send_due")
def reminders_send_due() -> dict[str, int]:
    """Hourly: every reminder due today (the one function `make run` and the quickstart use too)."""
    return reminders.reminders_send_due()


@shared_task(name="supervision.renewal_reminders")
def renewal_reminders() -> int:
    """Daily: licence renewals 90 and 30 days away with hours still short."""
    return reminders.renewal_reminders_send()


@shared_task(name="supervision.review_reminders")
def review_reminders() -> int:
    """Daily: performance review within 60 days and no CME planned."""
    return reminders.review_reminders_send()


@shared_task(name="supervision.supervisor_digests")
def supervisor_digests() -> int:
    """Weekly: each supervisor's pending requests and members at risk."""
    return reminders.supervisor_digests_send()
