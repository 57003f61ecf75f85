"""The fault fixtures themselves: our own servers start, stop, freeze and come back."""

from __future__ import annotations

import socket

import psycopg
import pytest

from tests.faults.servers import AppServer, app_env


def _redis_ping(port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def test_own_redis_answers_freezes_and_stops(own_redis):
    assert own_redis.port != 6379
    assert _redis_ping(own_redis.port)
    own_redis.freeze()
    assert not _redis_ping(own_redis.port)
    own_redis.thaw()
    assert _redis_ping(own_redis.port)
    own_redis.stop()
    assert not _redis_ping(own_redis.port)


def test_own_postgres_is_migrated_and_restarts(own_postgres):
    assert own_postgres.port != 5432
    with psycopg.connect(own_postgres.url("cme_faults"), connect_timeout=2) as conn:
        assert conn.execute("SELECT count(*) FROM django_migrations").fetchone()[0] > 10
    own_postgres.stop()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(own_postgres.url("cme_faults"), connect_timeout=2)
    own_postgres.start()
    with psycopg.connect(own_postgres.url("cme_faults"), connect_timeout=2) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_app_server_serves_the_checkout_on_our_own_database(own_postgres, server_log):
    server = AppServer(app_env(DATABASE_URL=own_postgres.url("cme_faults")), server_log)
    server.start()
    try:
        assert server.get("/healthz")[0] == 200
        assert server.get("/readyz")[0] == 200
    finally:
        server.stop()
