"""Failures that are not bugs get a clear answer, never a traceback.

A body the client stopped sending (UnreadablePostError, an OSError Django would answer
with a 500) is a 400.

A database that went away answers "try again" (503).
During a PostgreSQL restart or outage every query raises OperationalError or
InterfaceError; session and user loading are the first to hit it. Those requests get
a plain page rendered without the database (no request context), a Retry-After
header and one warning line in the log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, UnreadablePostError
from django.template import loader
from django.urls import get_resolver

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30


def database_unavailable(error: BaseException | None) -> bool:
    """Whether the error (or what it was raised from) says the database cannot be reached now."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, (OperationalError, InterfaceError)):
            return True
        error = error.__cause__ or error.__context__
        seen += 1
    return False


def one_line(error: BaseException) -> str:
    """The error's type and message on one line (database messages span several)."""
    return f"{type(error).__name__}: {' '.join(str(error).split())}"


def database_unavailable_response() -> HttpResponse:
    """The "try again" page: static HTML, no query, no session, no context processor."""
    response = HttpResponse(loader.get_template("503.html").render({}), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """Turn a view's database-unavailable error into the "try again" page (first in MIDDLEWARE).

    Errors raised in other middleware are answered the same way by the 500 handler
    (cme_portal.views.server_error).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not database_unavailable(exception):
            return None
        logger.warning("Database unavailable: %s %s (%s)", request.method, request.path, one_line(exception))
        response = database_unavailable_response()
        response._has_been_logged = True  # type: ignore[attr-defined]  # this warning is its log line
        return response


class UnreadableBodyMiddleware:
    """A request body that could not be read (client went away mid-upload) is a 400, not a 500."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, UnreadablePostError):
            return None
        logger.warning("Bad request (body unreadable): %s %s (%s)", request.method, request.path, one_line(exception))
        bad_request: Callable[..., HttpResponse] = get_resolver().resolve_error_handler(400)
        response = bad_request(request, exception=exception)
        response._has_been_logged = True  # type: ignore[attr-defined]
        return response
