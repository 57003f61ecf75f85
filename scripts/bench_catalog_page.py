"""Server time of the plain (unranked) catalog page, as issue 2 asks.

Usage (PostgreSQL):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cme_bench \
        .venv/bin/python scripts/bench_catalog_page.py --programs 20000

Creates the database tables if needed, tops the catalog up to N synthetic
published programs, then times R requests of the first catalog page (and a
filtered one) through the full middleware stack with django.test.Client and
prints p50 / p95 / max server time and the query count. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cme_portal.settings")
# Production-like: DEBUG off (cached template loader), but plain static storage and no SSL redirect.
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "benchmark-only-" + "x" * 50)
os.environ.setdefault("ALLOWED_HOSTS", "testserver")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--programs", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument(
        "--explain", action="store_true", help="print each query of the first page with EXPLAIN ANALYZE"
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from accounts.models import User
    from accounts.roles import Role
    from accounts.services import user_role_grant
    from programs.models import Program
    from programs.synthetic import synthetic_programs_create

    settings.SECURE_SSL_REDIRECT = False
    simple_storage = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    settings.STORAGES = {**settings.STORAGES, "staticfiles": simple_storage}
    call_command("migrate", verbosity=0)
    have = Program.objects.published().count()
    if have < args.programs:
        started = time.perf_counter()
        synthetic_programs_create(count=args.programs - have)
        print(f"seeded {args.programs - have} synthetic programs in {time.perf_counter() - started:.1f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE programs_program; ANALYZE programs_creditoffering")

    user, _ = User.objects.get_or_create(email="bench-clinician@bench.test")
    user_role_grant(user=user, role=Role.CLINICIAN)
    client = Client()
    client.force_login(user)

    scenarios = {
        "catalog first page": ("/programs/", {}),
        "catalog nurse + accredited + max $500": (
            "/programs/",
            {"profession": "nurse", "accredited_only": "on", "max_cost": "500"},
        ),
        "catalog keyword search": ("/programs/", {"q": "leadership sepsis"}),
        "trivial page (/healthz)": ("/healthz", {}),
    }
    print(f"database: {connection.vendor}, published programs: {Program.objects.published().count()}")
    for name, (url, params) in scenarios.items():
        client.get(url, params)  # warm caches
        queries: list[str] = []

        def count(execute, sql, params, many, context, queries=queries):
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            client.get(url, params)
        if args.explain and connection.vendor == "postgresql":
            _explain(connection, url, params, client)
        timings = []
        for _ in range(args.requests):
            started = time.perf_counter()
            response = client.get(url, params)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        timings.sort()
        p95 = timings[int(len(timings) * 0.95) - 1]
        print(
            f"{name:<40} queries={len(queries):>2}  p50={statistics.median(timings):6.1f} ms  "
            f"p95={p95:6.1f} ms  max={timings[-1]:6.1f} ms  ({args.requests} requests)"
        )


def _explain(connection, url, params, client) -> None:
    captured: list[tuple[str, object]] = []

    def keep(execute, sql, sql_params, many, context):
        captured.append((sql, sql_params))
        return execute(sql, sql_params, many, context)

    with connection.execute_wrapper(keep):
        client.get(url, params)
    with connection.cursor() as cursor:
        for sql, sql_params in captured:
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN ANALYZE " + sql, sql_params)
            plan = [row[0] for row in cursor.fetchall()]
            print("  ", sql[:140].replace("\n", " "), "...")
            print("     ", plan[-1], "|", plan[0][:120])


if __name__ == "__main__":
    main()
