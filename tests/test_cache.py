"""The cache is optional (cme_portal.cache): Redis refusing or hanging is a quick miss, then skipped."""

from __future__ import annotations

import logging
import socket
import threading
import time

import pytest

from cme_portal.cache import FailSafeRedisCache, _breakers


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def hung_server():
    """A port that accepts connections and never answers, like a frozen Redis."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    for sock in accepted:
        sock.close()
    listener.close()


def _cache(port: int, retry_after: float = 10) -> FailSafeRedisCache:
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    location = f"redis://127.0.0.1:{port}/2"
    _breakers.pop(location, None)
    options = {"socket_connect_timeout": 0.3, "socket_timeout": 0.3, "retry": Retry(NoBackoff(), 0)}
    return FailSafeRedisCache(location, {"OPTIONS": {**options, "retry_after": retry_after}})


def test_a_refused_redis_is_a_miss_with_one_warning_then_skipped(caplog):
    cache = _cache(_closed_port())
    with caplog.at_level(logging.WARNING, logger="cme_portal.cache"):
        assert cache.get("key", "fallback") == "fallback"
        cache.set("key", "value")
        assert cache.add("key", "value") is True  # as Django's DummyCache answers
        assert cache.get_many(["a", "b"]) == {}
        assert cache.delete("key") is False
        with pytest.raises(ValueError, match="not found"):
            cache.incr("counter")
        assert cache.available() is False
    warnings = [record for record in caplog.records if record.name == "cme_portal.cache"]
    assert len(warnings) == 1
    assert "Cache unavailable" in warnings[0].getMessage()
    assert warnings[0].exc_info is None


def test_a_hung_redis_costs_one_short_timeout_then_nothing(hung_server):
    cache = _cache(hung_server)
    started = time.monotonic()
    assert cache.get("key") is None
    first = time.monotonic() - started
    started = time.monotonic()
    for _ in range(50):
        assert cache.get("key") is None
    later = time.monotonic() - started
    assert first < 1.0
    assert later < 0.1  # the breaker is open: no call waits for Redis


def test_the_breaker_lets_a_call_through_after_retry_after(monkeypatch):
    cache = _cache(_closed_port(), retry_after=0.2)
    calls = []
    original = cache._cache.get

    def counting_get(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(cache._cache, "get", counting_get)
    cache.get("key")
    cache.get("key")
    assert len(calls) == 1
    time.sleep(0.25)
    cache.get("key")
    assert len(calls) == 2


def test_the_warning_never_shows_the_redis_password(caplog):
    location = f"redis://:s3cret@127.0.0.1:{_closed_port()}/2"
    _breakers.pop(location, None)
    cache = FailSafeRedisCache(location, {"OPTIONS": {"socket_connect_timeout": 0.3, "socket_timeout": 0.3}})
    with caplog.at_level(logging.WARNING, logger="cme_portal.cache"):
        cache.get("key")
    assert "Cache unavailable" in caplog.text
    assert "s3cret" not in caplog.text


def test_sessions_and_sign_in_limits_do_not_depend_on_the_cache(settings):
    """What must survive a Redis outage keeps its state in the database, not in the optional cache."""
    from axes.conf import settings as axes_settings

    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"
    from axes.handlers.database import AxesDatabaseHandler
    from django.utils.module_loading import import_string

    # accounts.limits.SignInLimitHandler adds the account and address limits to the database handler.
    assert issubclass(import_string(axes_settings.AXES_HANDLER), AxesDatabaseHandler)
