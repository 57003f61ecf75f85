"""The cache is optional: Redis down or hung makes it a miss, never an error or a wait.

`FailSafeRedisCache` is Django's RedisCache with every call guarded. When Redis refuses,
times out (short socket timeouts, set in settings) or errs, the call answers as Django's
DummyCache would (reads miss, writes keep nothing, `add` succeeds, `incr` finds no key),
one warning line is logged, and a circuit breaker skips Redis for `RETRY_AFTER` seconds so
later calls do not each wait for a timeout. Callers therefore always fall back to the
database. `cache_status()` says whether the cache is usable now, for /readyz.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Errors that mean "Redis is not usable now": refused, reset, timed out, loading, read-only...
UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError)


class CircuitBreaker:
    """Open for `retry_after` seconds after a failure; shared by every thread of the process."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        self._open_until = 0.0
        self._lock = threading.Lock()

    def allows(self) -> bool:
        return time.monotonic() >= self._open_until

    def trip(self, location: str, error: BaseException) -> None:
        with self._lock:
            if not self.allows():
                return  # another thread already reported this outage
            self._open_until = time.monotonic() + self.retry_after
        logger.warning(
            "Cache unavailable (%s: %s) at %s; serving without it for %.0f s",
            type(error).__name__,
            error,
            location,
            self.retry_after,
        )

    def reset(self) -> None:
        with self._lock:
            self._open_until = 0.0


# Django builds one cache object per thread; the breaker must outlive them (one per LOCATION).
_breakers: dict[str, CircuitBreaker] = {}
_breakers_lock = threading.Lock()


def _breaker_for(location: str, retry_after: float) -> CircuitBreaker:
    with _breakers_lock:
        breaker = _breakers.get(location)
        if breaker is None:
            breaker = _breakers[location] = CircuitBreaker(retry_after)
        return breaker


def _without_credentials(location: str) -> str:
    """The Redis URL(s) as logged: scheme, host, port and db, never a password."""
    parts = []
    for url in location.split(","):
        parsed = urlsplit(url.strip())
        host = parsed.hostname or ""
        port = f":{parsed.port}" if parsed.port else ""
        parts.append(f"{parsed.scheme}://{host}{port}{parsed.path}")
    return ",".join(parts)


class ReusedRedisCacheClient(RedisCacheClient):
    """Django's RedisCacheClient that keeps one redis-py client per connection pool.

    Django builds a new redis-py client for every call, and its constructor (about 170 response
    callbacks) cost a tenth of a millisecond of CPU each time, more than the round trip. A client is
    only the pool and those callbacks: sharing it between calls (and threads) is what redis-py intends.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        django_client: Any = self  # its pools and redis-py class are untyped in django-stubs
        pool = django_client._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = django_client._client(connection_pool=pool)
        return client


class FailSafeRedisCache(RedisCache):
    """RedisCache whose failures are misses (see the module docstring).

    OPTIONS: `retry_after` (seconds the breaker stays open, default 10) besides redis-py's
    connection options (settings give short socket timeouts and no retries).
    """

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        options = dict(params.get("OPTIONS") or {})
        retry_after = float(options.pop("retry_after", 10))
        super().__init__(server, {**params, "OPTIONS": options})
        self._class = ReusedRedisCacheClient
        self.location = _without_credentials(str(server))
        self.breaker = _breaker_for(str(server), retry_after)

    def _guarded(self, call: Callable[[], T], fallback: T) -> T:
        if not self.breaker.allows():
            return fallback
        try:
            return call()
        except UNAVAILABLE_ERRORS as error:
            self.breaker.trip(self.location, error)
            self._drop_connections()
            return fallback

    def _redis_client(self) -> Any:
        """Django's RedisCacheClient behind this cache (untyped in django-stubs)."""
        return self._cache  # type: ignore[attr-defined]

    def _drop_connections(self) -> None:
        """Forget pooled sockets: after an outage they are dead, and a retry must use a new one."""
        for pool in list(self._redis_client()._pools.values()):
            with contextlib.suppress(*UNAVAILABLE_ERRORS):
                pool.disconnect()

    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._guarded(lambda: super(FailSafeRedisCache, self).add(key, value, timeout, version), True)

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._guarded(lambda: super(FailSafeRedisCache, self).get(key, default, version), default)

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> None:
        self._guarded(lambda: super(FailSafeRedisCache, self).set(key, value, timeout, version), None)

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._guarded(lambda: super(FailSafeRedisCache, self).touch(key, timeout, version), False)

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._guarded(lambda: super(FailSafeRedisCache, self).delete(key, version), False)

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        return self._guarded(lambda: super(FailSafeRedisCache, self).get_many(keys, version), {})

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._guarded(lambda: super(FailSafeRedisCache, self).has_key(key, version), False)

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        result = self._guarded(lambda: super(FailSafeRedisCache, self).incr(key, delta, version), None)
        if result is None:
            raise ValueError(f"Key '{key}' not found (cache unavailable)")
        return result

    def set_many(self, data: dict[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> list[Any]:
        return self._guarded(lambda: super(FailSafeRedisCache, self).set_many(data, timeout, version), [])

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        self._guarded(lambda: super(FailSafeRedisCache, self).delete_many(keys, version), None)

    def clear(self) -> None:
        self._guarded(lambda: super(FailSafeRedisCache, self).clear(), None)

    def available(self) -> bool:
        """Whether Redis answers now (a real round trip unless the breaker is open)."""
        return self._guarded(lambda: bool(self._redis_client().get_client(write=False).ping()), False)


def cache_status() -> str:
    """'ok' when the default cache is usable now, 'unavailable' otherwise (for readiness)."""
    backend = caches["default"]
    if isinstance(backend, FailSafeRedisCache):
        return "ok" if backend.available() else "unavailable"
    try:  # local memory and other backends: a write and a read
        backend.set("readyz", "1", 5)
        return "ok" if backend.get("readyz") == "1" else "unavailable"
    except Exception:  # noqa: BLE001 - any failure means the cache is not usable
        return "unavailable"
