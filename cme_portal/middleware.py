"""Project-wide request and response rules that no view should have to remember."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

Handler = Callable[[HttpRequest], HttpResponse]


def _refusal(status: int, title: str, message: str) -> HttpResponse:
    body = render_to_string("request_refused.html", {"title": title, "message": message})
    response = HttpResponse(body, status=status, content_type="text/html; charset=utf-8")
    response["Connection"] = "close"  # the unread body is not left on the connection
    return response


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB"


class RequestSizeLimitMiddleware:
    """Refuses a body larger than settings.REQUEST_MAX_BYTES before any of it is read (413).

    The declared Content-Length decides; a body without one (chunked transfer encoding) is
    refused with 411, since Django would not read it anyway and its size is unknown. The
    reverse proxy enforces the same cap (deploy/nginx.conf, client_max_body_size).
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit: int = settings.REQUEST_MAX_BYTES
        declared = str(request.META.get("CONTENT_LENGTH", "") or "").strip()
        if declared:
            try:
                length = int(declared)
            except ValueError:
                return _refusal(400, "Bad request", "The request's Content-Length is not a number.")
            if length > limit:
                return _refusal(
                    413,
                    "Request too large",
                    f"The request is {_megabytes(length)}; the limit is {_megabytes(limit)}. Nothing was saved.",
                )
        elif "chunked" in str(request.META.get("HTTP_TRANSFER_ENCODING", "")).lower():
            return _refusal(411, "Length required", "Send the request with a Content-Length. Nothing was saved.")
        return self.get_response(request)


def _signed_in(request: HttpRequest) -> bool:
    """A session cookie was sent (decided without a database read), or the request signed someone in."""
    if settings.SESSION_COOKIE_NAME in request.COOKIES:
        return True
    user = getattr(request, "user", None)  # without a session cookie this needs no database read
    return bool(user is not None and user.is_authenticated)


class PrivateCacheControlMiddleware:
    """``Cache-Control: private, no-store`` on every response to a signed-in user and on every download.

    Signed in means the request carries a session cookie (a stale one too: no harm in not
    caching) or signed in during the request.

    A download is any response with a Content-Disposition (CSV and JSON exports, certificates,
    policy documents, the token-authenticated calendar feed). Static files never reach this
    middleware (WhiteNoise answers them first).
    """

    VALUE = "private, no-store"

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.has_header("Content-Disposition") or _signed_in(request):
            response["Cache-Control"] = self.VALUE
            if response.has_header("Expires"):
                del response["Expires"]
        return response
