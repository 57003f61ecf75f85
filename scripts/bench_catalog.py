"""Server time of the ranked catalog's first page for a clinician with a goal, as issue 4 asks.

Usage (PostgreSQL):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cme_bench \
        .venv/bin/python scripts/bench_catalog.py 20000

Creates the tables if needed, tops the catalog up to N synthetic published
programs, makes a clinician with a profile, a licence and an active goal, then
times R requests (default 200) through the full middleware stack with
django.test.Client: the ranked first page (goal weights), the ranked page with
slider weights and "only programs that fit", the htmx re-rank partial, and a
trivial page (/healthz) for comparison. Prints p50 / p95 / max server time,
throughput, the ranked-to-trivial throughput ratio and the query count.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cme_portal.settings")
os.environ.setdefault("DEBUG", "1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("programs", type=int, nargs="?", default=20_000, help="synthetic published programs")
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test import Client
    from django.utils import timezone

    from accounts.models import User
    from accounts.roles import Role
    from accounts.services import user_role_grant
    from careers.models import CareerGoal, ClinicianProfile, Licence
    from programs.models import Program
    from programs.synthetic import synthetic_programs_create

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    have = Program.objects.published().count()
    if have < args.programs:
        started = time.perf_counter()
        synthetic_programs_create(count=args.programs - have)
        print(f"seeded {args.programs - have} synthetic programs in {time.perf_counter() - started:.1f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE programs_program; ANALYZE programs_creditoffering")

    today = timezone.localdate()
    user, _ = User.objects.get_or_create(email="bench-ranked@bench.test")
    user_role_grant(user=user, role=Role.CLINICIAN)
    ClinicianProfile.objects.update_or_create(
        user=user,
        defaults={
            "profession": "physician",
            "yearly_budget_amount": Decimal("3000"),
            "yearly_leave_days": Decimal("5"),
            "next_review_date": today + datetime.timedelta(days=240),
        },
    )
    if not Licence.objects.filter(user=user).exists():
        Licence.objects.create(
            user=user,
            jurisdiction="California",
            licence_type="MD",
            renewal_date=today + datetime.timedelta(days=300),
            hours_required=Decimal("50"),
            accepted_credit_types=["ama_pra_1"],
        )
    CareerGoal.objects.update_or_create(
        user=user,
        is_active=True,
        defaults={
            "track": "executive_leadership",
            "target_role": "Chief Medical Officer",
            "competencies": ["healthcare_finance", "strategic_planning", "organizational_management"],
            "essential_competencies": ["healthcare_finance"],
            "horizon_date": today + datetime.timedelta(days=365),
        },
    )
    client = Client()
    client.force_login(user)

    weights = {"w_outcome": "5", "w_independence": "2", "w_interprofessional": "1", "w_career": "4"}
    scenarios = {
        "ranked first page (goal weights)": ("/programs/", {}, {}),
        "ranked, slider weights + fits only": ("/programs/", {**weights, "fits_only": "on"}, {}),
        "ranked htmx re-rank partial": ("/programs/", weights, {"HTTP_HX_REQUEST": "true"}),
        "ranked + nurse filter + keyword": ("/programs/", {"q": "leadership", "profession": "physician"}, {}),
        "trivial page (/healthz)": ("/healthz", {}, {}),
    }
    print(f"database: {connection.vendor}, published programs: {Program.objects.published().count()}")
    throughput: dict[str, float] = {}
    for name, (url, params, headers) in scenarios.items():
        response = client.get(url, params, **headers)  # warm caches
        assert response.status_code == 200, (name, response.status_code)
        if url == "/programs/":
            assert b"/ 100 for your goal" in response.content, "the page is not ranked"
        queries: list[str] = []

        def count(execute, sql, sql_params, many, context, queries=queries):
            queries.append(sql)
            return execute(sql, sql_params, many, context)

        with connection.execute_wrapper(count):
            client.get(url, params, **headers)
        timings = []
        for _ in range(args.requests):
            started = time.perf_counter()
            response = client.get(url, params, **headers)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
            reset_queries()
        timings.sort()
        p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
        throughput[name] = 1000 / statistics.fmean(timings)
        print(
            f"{name:<36} queries={len(queries):>2}  p50={statistics.median(timings):6.1f} ms  "
            f"p95={p95:6.1f} ms  max={timings[-1]:6.1f} ms  {throughput[name]:7.1f} req/s  ({args.requests} requests)"
        )
    trivial = throughput["trivial page (/healthz)"]
    for name, value in throughput.items():
        if name != "trivial page (/healthz)":
            print(f"throughput ratio {name:<36} {value / trivial:6.3f} of the trivial page (target >= 0.2)")


if __name__ == "__main__":
    main()
