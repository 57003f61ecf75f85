"""Where the team dashboard's CPU goes: CPU ms per request, cProfile's top functions, template self times.

Usage (after scripts/bench_dashboard.py --members N has seeded the database):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cme_bench \
        .venv/bin/python scripts/profile_dashboard.py [--requests 200] [--top 25] [--templates]

With production-like settings (DEBUG off, cached loaders), signed in as the bench team's
supervisor through django.test.Client, it prints for the trivial signed-in page, the
dashboard and its htmx members partial: the query count, this process's CPU time per
request (time.process_time: a shared machine's load barely moves it; median and mean of
`requests`), then cProfile's top functions by own time and by cumulative time over
`requests` more requests, and with --templates the self time per template and tag
(scripts/profile_catalog.TemplateProfile). Asserts nothing.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import time
from typing import Any

from _bench import django_setup, queries_of


def _cpu_ms(client: Any, url: str, params: dict[str, str], headers: dict[str, str], requests: int) -> list[float]:
    timings = []
    for _ in range(requests):
        started = time.process_time()
        response = client.get(url, params, **headers)
        timings.append((time.process_time() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--templates", action="store_true", help="also the self time per template and tag")
    parser.add_argument("--no-cprofile", action="store_true")
    args = parser.parse_args()

    django_setup()
    from django.test import Client

    from accounts.models import Team, User

    team = Team.objects.get(name="Bench team", organization__name="Bench Health")
    client = Client()
    client.force_login(User.objects.get(email="bench-supervisor@bench.test"))
    scenarios = {
        "trivial": ("/accounts/password/change/done/", {}, {}),
        "dashboard": (f"/team/{team.pk}/", {}, {}),
        "partial": (f"/team/{team.pk}/", {"sort": "renewal", "at_risk": "on"}, {"HTTP_HX_REQUEST": "true"}),
    }
    for name, (url, params, headers) in scenarios.items():
        client.get(url, params, **headers)
        queries = queries_of(client, url, params, headers)
        timings = _cpu_ms(client, url, params, headers, args.requests)
        print(
            f"{name:<10} queries={queries:>2}  CPU per request: median {statistics.median(timings):6.2f} ms  "
            f"mean {statistics.fmean(timings):6.2f} ms  min {min(timings):6.2f} ms  ({args.requests} requests)"
        )
    for name, (url, params, headers) in scenarios.items():
        if name == "trivial":
            continue
        if not args.no_cprofile:
            profiler = cProfile.Profile(time.process_time)
            profiler.enable()
            _cpu_ms(client, url, params, headers, args.requests)
            profiler.disable()
            for order in ("tottime", "cumulative"):
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(args.top)
                text = out.getvalue()
                print(f"\n## {name}: cProfile by {order} over {args.requests} requests")
                print(text[text.find("   ncalls") :])
        if args.templates:
            from profile_catalog import TemplateProfile

            profile = TemplateProfile(time.process_time)
            with profile.installed():
                _cpu_ms(client, url, params, headers, args.requests)
            per = args.requests
            print(f"\n## {name}: templates {profile.total * 1000 / per:.2f} ms per request (instrumented)")
            for table in (profile.templates, profile.tags):
                for label, (seconds, calls) in sorted(table.items(), key=lambda item: -item[1][0])[: args.top]:
                    print(f"  {label[:64]:<64} {seconds * 1000 / per:7.3f} ms {calls / per:6.0f} calls")


if __name__ == "__main__":
    main()
