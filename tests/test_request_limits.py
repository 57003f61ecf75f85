"""The request-size cap (REQUEST_MAX_BYTES) and Cache-Control on private responses (cme_portal.middleware)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.urls import reverse

from tests.factories import AdminFactory

pytestmark = pytest.mark.django_db


class UnreadableBody(io.RawIOBase):
    """A request body that fails the test if anything reads it."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        raise AssertionError("the request body was read")


def _call(path: str, **environ: Any) -> tuple[str, dict[str, str], bytes]:
    base = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "REMOTE_ADDR": "203.0.113.7",
        "wsgi.input": UnreadableBody(),
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
        "CONTENT_TYPE": "multipart/form-data; boundary=x",
    }
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        captured["status"], captured["headers"] = status, dict(headers)

    body = b"".join(WSGIHandler()({**base, **environ}, start_response))
    return captured["status"], captured["headers"], body


def test_the_cap_leaves_room_for_the_largest_import_upload():
    assert settings.REQUEST_MAX_BYTES >= settings.IMPORT_MAX_BYTES + 512 * 1024


def test_a_40_mb_declared_body_is_refused_before_any_of_it_is_read():
    status, headers, body = _call(reverse("programs:curation:imports"), CONTENT_LENGTH=str(40 * 1024 * 1024))
    assert status.startswith("413")
    assert headers["Connection"] == "close"
    assert b"Request too large" in body and b"the limit is 21 MB" in body and b"Nothing was saved" in body


def test_a_chunked_body_without_a_length_is_refused_unread():
    status, _, body = _call(reverse("programs:curation:imports"), HTTP_TRANSFER_ENCODING="chunked")
    assert status.startswith("411") and b"Content-Length" in body


def test_a_body_within_the_cap_reaches_the_view(client):
    client.force_login(AdminFactory())
    response = client.post(reverse("programs:curation:imports"), {"file": io.BytesIO(b"x" * 1024)})
    assert response.status_code != 413


def test_a_garbled_content_length_is_a_400():
    status, _, _ = _call("/", CONTENT_LENGTH="lots")
    assert status.startswith("400")


def test_cache_control_middleware_runs_after_whitenoise_so_static_files_keep_their_headers():
    order = settings.MIDDLEWARE
    assert order.index("cme_portal.middleware.PrivateCacheControlMiddleware") > order.index(
        "whitenoise.middleware.WhiteNoiseMiddleware"
    )
    # Only the database-away catcher (it reads no body) wraps the size limit; nothing before it reads the body.
    assert order[: order.index("cme_portal.middleware.RequestSizeLimitMiddleware")] == [
        "cme_portal.faults.DatabaseUnavailableMiddleware"
    ]


def test_anonymous_public_pages_are_left_to_their_own_cache_headers(client):
    assert client.get(reverse("login")).get("Cache-Control") != "private, no-store"


def test_signed_in_pages_and_downloads_are_not_stored(client, world):
    client.force_login(world.owner)
    assert client.get("/").get("Cache-Control") == "private, no-store"
    client.force_login(world.team_supervisor)
    response = client.get(reverse("supervision:dashboard_csv", args=[world.team.pk]))
    assert response["Cache-Control"] == "private, no-store"
