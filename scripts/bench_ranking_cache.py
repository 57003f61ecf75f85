"""The ranking alone (no template): cold point classes, an unseen weight combination on cached classes, all cached.

Usage (after scripts/bench_catalog.py N has seeded the database and its clinician):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cme_bench REDIS_URL=redis://127.0.0.1:6379/0 \
        .venv/bin/python scripts/bench_ranking_cache.py

Times `programs.ranking.queries.ranked_catalog_page` for the bench clinician's goal, first page:
"cold" writes to one listing before each call (a new catalog version) (the GROUP BY over the catalog, then the page);
"unseen weights" uses a weight combination not asked before on each call (classes cached, the
page read from the rows of the classes it overlaps); "warm" repeats one combination. Prints
p50 / p95 wall and CPU time (this process) and queries per call, the GROUP BY's own time when cold,
the number of point classes and the cache entry's size. Asserts nothing.
"""

from __future__ import annotations

import itertools
import pickle
import statistics
import time

from _bench import django_setup


def main() -> None:
    django_setup()
    from django.db import connection
    from django.db.models import F

    from accounts.models import User
    from programs.models import Program
    from programs.ranking import queries, scoring
    from programs.selectors import CatalogFilters
    from supervision.selectors import ranking_context_for_user

    context = ranking_context_for_user(user=User.objects.get(email="bench-ranked@bench.test"))
    assert context is not None, "run scripts/bench_catalog.py first"
    combos = [
        scoring.Weights(*values)
        for values in itertools.product(range(6), repeat=4)
        if any(values) and scoring.Weights(*values) != context.weights
    ]

    def call(weights: scoring.Weights) -> tuple[float, float, float, int]:
        """Wall and CPU ms of one first page, the ms of its GROUP BY (0 when cached), and its queries."""
        queries_before = len(connection.queries)
        started, cpu_started = time.perf_counter(), time.process_time()
        queries.ranked_catalog_page(
            queries.RankingQuery(
                goal=context.goal, weights=weights, clinician=context.clinician, filters=CatalogFilters()
            )
        )
        wall, cpu = (time.perf_counter() - started) * 1000, (time.process_time() - cpu_started) * 1000
        ran = connection.queries[queries_before:]
        group_by = sum(float(query["time"]) * 1000 for query in ran if "GROUP BY" in query["sql"])
        return wall, cpu, group_by, len(ran)

    first = Program.objects.order_by("pk").values_list("pk", flat=True).first()

    def touch() -> None:
        Program.objects.filter(pk=first).update(title=F("title"))

    connection.force_debug_cursor = True
    print(f"published programs: {Program.objects.published().count()}")
    runs = {
        "cold (after a write: classes computed)": lambda n: (touch(), call(context.weights))[1],
        "unseen weights (classes cached)": lambda n: call(combos[n % len(combos)]),
        "warm (same weights)": lambda n: call(context.weights),
    }
    call(context.weights)
    for name, run in runs.items():
        results = [run(n) for n in range(40)]
        walls, cpus, group_bys = (sorted(result[part] for result in results) for part in range(3))
        print(
            f"{name:<38} wall p50={statistics.median(walls):7.1f} ms p95={walls[int(len(walls) * 0.95) - 1]:7.1f} ms"
            f"  cpu p50={statistics.median(cpus):7.1f} ms  GROUP BY p50={statistics.median(group_bys):6.1f} ms"
            f"  queries={sorted({result[3] for result in results})}"
        )
    classes = queries.point_classes_query(goal=context.goal, clinician=context.clinician, filters=CatalogFilters())
    entry = pickle.dumps(classes.cached_form(), pickle.HIGHEST_PROTOCOL)
    print(
        f"point classes: {len(classes)} ({classes.takeable_classes} takeable, {classes.takeable_programs} programs);"
        f" cache entry: {len(entry)} bytes pickled"
    )


if __name__ == "__main__":
    main()
