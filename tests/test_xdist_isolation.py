"""tests/xdist_isolation.py: every xdist worker on a Redis database of its own."""

from __future__ import annotations

import os

import pytest
from django.conf import settings

from tests.xdist_isolation import worker_redis_url


@pytest.mark.parametrize(
    ("url", "worker", "expected"),
    [
        ("redis://127.0.0.1:6379/15", "gw0", "redis://127.0.0.1:6379/15"),
        ("redis://127.0.0.1:6379/15", "gw1", "redis://127.0.0.1:6379/14"),
        ("redis://127.0.0.1:6379/15", "gw3", "redis://127.0.0.1:6379/12"),
        ("redis://127.0.0.1:6379", "gw0", "redis://127.0.0.1:6379"),
    ],
)
def test_worker_redis_url(url, worker, expected):
    assert worker_redis_url(url, worker) == expected


def test_a_worker_never_gets_a_negative_database():
    with pytest.raises(ValueError, match="no Redis database"):
        worker_redis_url("redis://127.0.0.1:6379", "gw1")


def test_this_worker_uses_its_own_database():
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not (worker and os.environ.get("REDIS_URL")):
        pytest.skip("only under pytest-xdist with REDIS_URL")
    assert settings.CACHES["default"]["LOCATION"] == os.environ["REDIS_URL"]
    assert os.environ["REDIS_URL"] == settings.CELERY_BROKER_URL
    assert os.environ["REDIS_URL"] == worker_redis_url(os.environ["REDIS_URL_SHARED"], worker)
