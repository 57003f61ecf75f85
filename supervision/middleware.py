"""The quickstart's reminder runner: without Celery beat, signed-in requests send due reminders.

At most once per REMINDERS_RUN_ON_REQUEST_MINUTES per cache (the quickstart's local-memory cache:
one runserver process), the first signed-in request runs supervision.reminders.reminders_send_due
before its view, so the page it renders already counts the new notifications. Every other request
costs one cache lookup and no query. Off (0) when REDIS_URL is set: there Celery beat runs it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from .reminders import reminders_send_due

logger = logging.getLogger(__name__)
CACHE_KEY = "supervision:reminders-run-on-request"


class DueRemindersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.REMINDERS_RUN_ON_REQUEST_MINUTES > 0:
            self.run_if_due(request)
        return self.get_response(request)

    def run_if_due(self, request: HttpRequest) -> None:
        minutes = settings.REMINDERS_RUN_ON_REQUEST_MINUTES
        try:
            user = getattr(request, "user", None)
            if user is None or not user.is_authenticated or not cache.add(CACHE_KEY, 1, minutes * 60):
                return
        except DatabaseError:
            # Loading the session's user failed: the view meets the same error and answers "try again" (503).
            return
        try:
            reminders_send_due(today=timezone.localdate())
        except Exception:  # a failed run must not fail the page; the next window tries again
            cache.delete(CACHE_KEY)
            logger.exception("reminders_send_due failed on a request")
