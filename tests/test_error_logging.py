"""Expected client errors log one line; real 500s keep their traceback (issue 12)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from django.db import OperationalError
from django.test import Client, RequestFactory

from cme_portal.log_filters import ExpectedFailuresInOneLine

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.error_urls")]


@pytest.fixture
def console_log() -> Iterator[io.StringIO]:
    """What the configured console handler (LOGGING) writes, filters included."""
    handler = next(h for h in logging.getLogger().handlers if type(h) is logging.StreamHandler)
    assert any(isinstance(f, ExpectedFailuresInOneLine) for f in handler.filters)
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


@pytest.fixture
def client() -> Client:
    return Client(raise_request_exception=False)


def _one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


def test_malformed_multipart_body_logs_one_line(client, console_log):
    response = client.post(
        "/test-errors/reads-body/",
        data=b"--xyz\r\nContent-Disposition: form-data; name=\r\n\r\nbroken",
        content_type="multipart/form-data; boundary=",
    )
    assert response.status_code == 400
    assert "MultiPartParserError" in _one_line(console_log.getvalue())


def test_body_over_the_limit_logs_one_line(client, console_log, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = client.post("/test-errors/reads-body/", data={"field": "x" * 500})
    assert response.status_code == 400
    assert "RequestDataTooBig" in _one_line(console_log.getvalue())


def test_too_many_fields_logs_one_line(client, console_log, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    response = client.post("/test-errors/reads-body/", data={f"f{n}": "1" for n in range(20)})
    assert response.status_code == 400
    assert "TooManyFieldsSent" in _one_line(console_log.getvalue())


def test_disallowed_host_logs_one_line(client, console_log):
    response = client.get("/healthz", HTTP_HOST="attacker.example")
    assert response.status_code == 400
    assert "DisallowedHost" in _one_line(console_log.getvalue())


def test_unreadable_body_is_a_400_in_one_line(client, console_log):
    class BrokenStream:
        def read(self, *args: object) -> bytes:
            raise OSError("client went away")

        def readline(self, *args: object) -> bytes:
            raise OSError("client went away")

    response = client.post(
        "/test-errors/reads-body/",
        data="a=1",
        content_type="application/x-www-form-urlencoded",
        **{"wsgi.input": BrokenStream()},
    )
    assert response.status_code == 400
    assert "UnreadablePostError" in _one_line(console_log.getvalue())


def test_not_found_and_method_not_allowed_log_one_line(client, console_log):
    assert client.get("/no/such/page/").status_code == 404
    assert client.post("/healthz").status_code == 405
    lines = [line for line in console_log.getvalue().splitlines() if line.strip()]
    assert len(lines) == 2
    assert "Traceback" not in console_log.getvalue()


def test_a_real_server_error_keeps_its_traceback(client, console_log):
    response = client.get("/test-errors/broken/")
    assert response.status_code == 500
    output = console_log.getvalue()
    assert "Traceback" in output
    assert "RuntimeError: a real bug" in output


def test_database_gone_in_a_view_is_try_again_in_one_line(client, console_log):
    response = client.get("/test-errors/database-gone/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "Try again in a moment" in response.content.decode()
    assert "Database unavailable" in _one_line(console_log.getvalue())


def test_database_gone_in_a_middleware_is_answered_by_the_500_handler(console_log):
    from cme_portal.views import server_error

    request = RequestFactory().get("/")
    try:
        raise OperationalError("terminating connection due to administrator command")
    except OperationalError:
        response = server_error(request)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
