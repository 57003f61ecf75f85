"""Server time of the catalog: plain (issue 2) and ranked for a clinician's goal (issue 4).

Usage (PostgreSQL):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cme_bench \
        .venv/bin/python scripts/bench_catalog.py 20000

Creates the tables if needed, tops the catalog up to N synthetic published
programs, makes a clinician with a profile, a licence and an active goal, then
times R requests (default 200) through the full middleware stack with
django.test.Client with production-like settings (DEBUG off): the plain
catalog for a clinician without a goal (first page, filters, keyword search),
the ranked first page (goal weights), the ranked page with slider weights and
"only programs that fit", the htmx re-rank partial, and two trivial pages for
comparison: /healthz (no session) and a signed-in page (session, user, base
template). Prints p50 / p95 / max server time, throughput, throughput ratios
and the query count. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import time

from _bench import Timing, clinician_with_goal_create, django_setup, measure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("programs", type=int, nargs="?", default=20_000, help="synthetic published programs")
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    django_setup()
    from django.db import connection
    from django.test import Client

    from accounts.models import User
    from accounts.roles import Role
    from accounts.services import user_role_grant
    from demo.synthetic import synthetic_programs_create
    from programs.models import Program

    have = Program.objects.published().count()
    if have < args.programs:
        started = time.perf_counter()
        synthetic_programs_create(count=args.programs - have)
        print(f"seeded {args.programs - have} synthetic programs in {time.perf_counter() - started:.1f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE programs_program")
            cursor.execute("VACUUM ANALYZE programs_creditoffering")

    user = clinician_with_goal_create()
    client = Client()
    client.force_login(user)

    plain_user, _ = User.objects.get_or_create(email="bench-plain@bench.test")
    user_role_grant(user=plain_user, role=Role.CLINICIAN)
    plain_client = Client()
    plain_client.force_login(plain_user)

    print(f"database: {connection.vendor}, published programs: {Program.objects.published().count()}")
    results: dict[str, Timing] = {}
    weights = {"w_outcome": "5", "w_independence": "2", "w_interprofessional": "1", "w_career": "4"}
    plain = {
        "plain first page (no goal)": ("/programs/", {}),
        "plain nurse + accredited + max $500": (
            "/programs/",
            {"profession": "nurse", "accredited_only": "on", "max_cost": "500"},
        ),
        "plain keyword search": ("/programs/", {"q": "leadership sepsis"}),
    }
    for name, (url, params) in plain.items():
        results[name] = measure(plain_client, name, url, params, {}, args.requests)
    ranked = {
        "ranked first page (goal weights)": ("/programs/", {}, {}),
        "ranked, slider weights + fits only": ("/programs/", {**weights, "fits_only": "on"}, {}),
        "ranked htmx re-rank partial": ("/programs/", weights, {"HTTP_HX_REQUEST": "true"}),
        "ranked + physician filter + keyword": ("/programs/", {"q": "leadership", "profession": "physician"}, {}),
    }
    for name, (url, params, headers) in ranked.items():
        response = client.get(url, params, **headers)
        assert b"/ 100 for your goal" in response.content, "the page is not ranked"
        results[name] = measure(client, name, url, params, headers, args.requests)
    trivial = {
        "trivial: /healthz (no session)": "/healthz",
        "trivial: signed-in page": "/accounts/password/change/done/",
    }
    for name, url in trivial.items():
        results[name] = measure(client, name, url, {}, {}, args.requests)
    for base in trivial:
        for name, timing in results.items():
            if name not in trivial:
                ratio = timing.per_second / results[base].per_second
                print(f"throughput {name:<40} {ratio:6.3f} of {base}")


if __name__ == "__main__":
    main()
