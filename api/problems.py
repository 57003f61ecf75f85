"""Errors as RFC 9457 problem details (application/problem+json): type, title, status, detail, errors."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback

PROBLEM_CONTENT_TYPE = "application/problem+json"
API_PATH_PREFIX = "/api/"

TITLES = {
    400: "Invalid request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    415: "Unsupported media type",
    429: "Too many requests",
}


def problem(status: int, detail: str, *, errors: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """The problem document for a status; `errors` names each refused field with its messages."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return body


def field_errors(detail: Any, name: str = "__all__") -> dict[str, list[str]]:
    """DRF's validation detail flattened to {"field": ["message", ...]} ("a.b" when nested; "__all__" for the whole)."""
    flat: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            inner = "__all__" if key in ("non_field_errors", "__all__") else key
            full = inner if name == "__all__" else f"{name}.{inner}"
            for field, messages in field_errors(value, full).items():
                flat.setdefault(field, []).extend(messages)
    elif isinstance(detail, list):
        for item in detail:
            for field, messages in field_errors(item, name).items():
                flat.setdefault(field, []).extend(messages)
    else:
        flat[name] = [str(detail)]
    return flat


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's exception handler, answering problem details for every error it knows."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("There is nothing at this address, or you do not have access to it.")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    if not isinstance(exc, exceptions.APIException):
        return None
    headers: dict[str, str] = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]  # set by DRF's APIView
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))  # type: ignore[attr-defined]  # Throttled.wait
    if isinstance(exc, exceptions.ValidationError):
        body = problem(400, "Some fields were refused; nothing was saved.", errors=field_errors(exc.detail))
    else:
        body = problem(exc.status_code, str(exc.detail))
    set_rollback()
    return Response(body, status=exc.status_code, headers=headers, content_type=PROBLEM_CONTENT_TYPE)


def is_api_request(request: HttpRequest) -> bool:
    return request.path.startswith(API_PATH_PREFIX)


def not_found_response() -> JsonResponse:
    """The Django-level 404 (no URL matched) under /api/, as problem JSON instead of the HTML page."""
    body = problem(404, "There is nothing at this address, or you do not have access to it.")
    return JsonResponse(body, status=404, content_type=PROBLEM_CONTENT_TYPE)


def problem_response(status: int, detail: str) -> Response:
    """A problem-details answer a view returns itself (e.g. 409 for a program already shortlisted)."""
    return Response(problem(status, detail), status=status, content_type=PROBLEM_CONTENT_TYPE)
