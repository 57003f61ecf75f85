"""Each pytest-xdist worker gets a Redis database of its own (loaded with ``-p`` before Django's settings).

The suite clears the cache around every test and the Celery worker tests share a broker queue, so two
workers on one Redis database would wipe each other's cache and take each other's tasks. PostgreSQL
needs nothing: pytest-django already gives each worker its own test database (``test_<name>_gw1``).
Worker ``gwN`` uses database ``base - N``: CI's ``redis://127.0.0.1:6379/15`` becomes 15 and 14.
"""

from __future__ import annotations

import os
import re


def worker_redis_url(url: str, worker: str) -> str:
    """The Redis URL for xdist worker `worker` ("gw0", "gw1", ...): the database number moved down by its index."""
    index = int(worker.removeprefix("gw"))
    match = re.fullmatch(r"(redis://[^/]+)(?:/(\d+))?", url)
    if match is None or index == 0:
        return url
    database = int(match.group(2) or 0) - index
    if database < 0:
        raise ValueError(f"REDIS_URL {url} leaves no Redis database for xdist worker {worker}")
    return f"{match.group(1)}/{database}"


_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _worker and os.environ.get("REDIS_URL"):
    os.environ["REDIS_URL_SHARED"] = os.environ["REDIS_URL"]  # as given, for the test
    os.environ["REDIS_URL"] = worker_redis_url(os.environ["REDIS_URL"], _worker)
