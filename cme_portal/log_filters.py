"""Expected failures are logged in one line; real server errors keep their traceback.

A malformed body, a bad Host header, a 404 or a database that is briefly away are the
client's or the moment's doing, not a bug: their log records carry the error's type and
message on the same line instead of a traceback, so real 500s stand out.
"""

from __future__ import annotations

import logging

from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404, UnreadablePostError
from django.http.multipartparser import MultiPartParserError

from cme_portal.faults import database_unavailable, one_line

# SuspiciousOperation covers DisallowedHost, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent.
EXPECTED_CLIENT_ERRORS: tuple[type[BaseException], ...] = (
    SuspiciousOperation,
    BadRequest,
    MultiPartParserError,
    UnreadablePostError,
    Http404,
    PermissionDenied,
)


def is_expected_failure(error: BaseException, status_code: int | None) -> bool:
    """A client error (4xx or one of the request-parsing errors) or the database being unavailable."""
    if isinstance(error, EXPECTED_CLIENT_ERRORS) or database_unavailable(error):
        return True
    return status_code is not None and status_code < 500


class ExpectedFailuresInOneLine(logging.Filter):
    """Fold the traceback of an expected failure into one line (attach to every handler)."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is not None and is_expected_failure(error, getattr(record, "status_code", None)):
            record.msg = f"{record.getMessage()} ({one_line(error)})"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True
