"""Fixtures for fault tests: a PostgreSQL cluster and a Redis of the test's own (see servers.py)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.servers import OwnPostgres, OwnRedis, app_env, faults_available, manage


def _require_fault_tools() -> None:
    reason = faults_available()
    if reason:
        if os.environ.get("REQUIRE_FAULTS"):
            pytest.fail(f"fault tests are required (REQUIRE_FAULTS) but {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="session")
def _own_postgres_cluster() -> Iterator[OwnPostgres]:
    _require_fault_tools()
    # Not under pytest's tmp path: that is private to root, and the cluster runs as postgres.
    directory = Path(tempfile.mkdtemp(prefix="cme-own-postgres-"))
    cluster = OwnPostgres(directory)
    cluster.init()
    cluster.start()
    cluster.create_database("cme_faults")
    manage(app_env(DATABASE_URL=cluster.url("cme_faults")), "migrate", "--noinput")
    yield cluster
    cluster.stop("immediate")
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def own_postgres(_own_postgres_cluster: OwnPostgres) -> Iterator[OwnPostgres]:
    """The migrated database `cme_faults` on a cluster of our own; running again after the test."""
    yield _own_postgres_cluster
    _own_postgres_cluster.stop()
    _own_postgres_cluster.start()


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    """A redis-server of the test's own, stopped after it (thawed first if frozen)."""
    _require_fault_tools()
    redis = OwnRedis()
    redis.start()
    yield redis
    redis.stop()


@pytest.fixture
def server_log(tmp_path: Path) -> Path:
    return tmp_path / "server.log"
