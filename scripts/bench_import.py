"""Time a validated import of an N-row exchange-format CSV through the import service.

Usage (against the database in DATABASE_URL; migrate it first):

    .venv/bin/python scripts/bench_import.py --rows 10000
    .venv/bin/python scripts/bench_import.py --rows 100000 --again

Prints rows/s of the import run (file storage + scan + validate + batched
writes) and the process's max RSS; with --tracemalloc also the peak Python
memory of the run (tracemalloc makes the run several times slower, so time
and memory are best measured in separate runs); with --profile a cProfile of
each import (sorted by own time; the psycopg `wait` line is time spent waiting
for the database server). The CPU time of this
process (Python: reading, validation, staging) is printed too: on a shared
machine it varies less than wall time, which includes the database server's; so is,
when PostgreSQL runs on this machine, the CPU time of this connection's server
process (read from /proc): the two together are what the import costs on idle
cores, whatever else the machine runs. With --again it
imports the same file a second time (every row unchanged); with --changed it
then imports a file that changes every row's title (every row updated). Listings are
written with a unique provider name per run, so repeated benchmarks do not
collide; delete them afterwards if the database matters.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import os
import pstats
import resource
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cme_portal.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from programs.exchange import jobs  # noqa: E402
from programs.exchange.format import FIELDS  # noqa: E402

FORMATS = ["course", "enduring", "journal", "pi_cme", "rss"]
PROFESSIONS = ["physician", "nurse", "pharmacist", "physician_assistant"]


def write_csv(path: Path, rows: int, run: str, title: str = "sepsis quality improvement") -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        writer.writeheader()
        for n in range(rows):
            writer.writerow(
                {
                    "external_id": f"B-{n:07d}",
                    "title": f"Benchmark activity {n}: {title}",
                    "provider_name": f"Bench provider {run} {n % 50}",
                    "provider_accreditor": "accme",
                    "description": "A practice improvement project with chart audit and feedback." * 2,
                    "format": FORMATS[n % len(FORMATS)],
                    "delivery": "live_online",
                    "start_date": "2030-01-15",
                    "end_date": "2030-01-16",
                    "fee_amount": str(n % 900),
                    "time_commitment_hours": "8",
                    "credits": "ama_pra_1:8;ancc:4",
                    "professions": ";".join(PROFESSIONS[: 1 + n % 4]),
                    "topics": "sepsis;antibiotic stewardship",
                    "competencies": "quality_improvement;patient_safety",
                    "designed_to_change": "performance",
                    "outcome_level_measured": "5",
                    "commercial_support": "none",
                    "ipce_credit": "true" if n % 2 else "false",
                    "status": "published",
                }
            )


def server_cpu_seconds() -> float | None:
    """CPU time of this connection's PostgreSQL server process so far; None when it is not readable here."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None  # the server runs elsewhere (or another pid namespace)
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def timed_import(path: Path, publish: bool, trace: bool, profile: bool = False) -> None:
    if trace:
        tracemalloc.start()
    profiler = cProfile.Profile() if profile else None
    if profiler is not None:
        profiler.enable()
    server_started = server_cpu_seconds()
    started = time.perf_counter()
    cpu_started = time.process_time()
    with path.open("rb") as handle:
        job = jobs.import_job_create(upload=handle, file_name=path.name, actor=None, publish=publish)
    job = jobs.import_job_run(job_id=job.pk)
    if profiler is not None:
        profiler.disable()
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    server_ended = server_cpu_seconds()
    server = None if server_started is None or server_ended is None else server_ended - server_started
    peak = 0
    if trace:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    rows = job.rows_total or 0
    print(
        f"job #{job.pk} {job.status}: {rows} rows in {elapsed:.2f} s = {rows / max(elapsed, 1e-9):,.0f} rows/s; "
        f"created {job.created_count}, updated {job.updated_count}, unchanged {job.unchanged_count}, "
        f"errors {job.error_count}; this process's CPU {cpu:.2f} s = {rows / max(cpu, 1e-9):,.0f} rows per CPU s"
        + (
            ""
            if server is None
            else f"; PostgreSQL server CPU {server:.2f} s; both: {rows / max(cpu + server, 1e-9):,.0f} rows per CPU s"
        )
        + (f"; peak traced memory {peak / 1e6:.1f} MB (tracemalloc slows the run)" if trace else "")
    )
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--again", action="store_true", help="Import the same file a second time.")
    parser.add_argument("--changed", action="store_true", help="Then import a file changing every row.")
    parser.add_argument("--draft", action="store_true", help="Import as drafts (default: --publish).")
    parser.add_argument("--tracemalloc", action="store_true", help="Also measure peak Python memory (slower).")
    parser.add_argument("--profile", action="store_true", help="Print a cProfile of each import (slower).")
    args = parser.parse_args()
    settings.DEBUG = False  # DEBUG keeps every SQL statement in memory; workers run without it
    settings.IMPORT_MAX_BYTES = max(settings.IMPORT_MAX_BYTES, 400 * 1024 * 1024)
    with tempfile.TemporaryDirectory() as tmp:
        settings.MEDIA_ROOT = tmp
        path = Path(tmp) / f"bench-{args.rows}.csv"
        run = uuid.uuid4().hex[:8]
        write_csv(path, args.rows, run)
        print(f"{settings.DATABASES['default']['ENGINE']}: {path.stat().st_size / 1e6:.1f} MB file")
        timed_import(path, publish=not args.draft, trace=args.tracemalloc, profile=args.profile)
        if args.again:
            timed_import(path, publish=not args.draft, trace=args.tracemalloc, profile=args.profile)
        if args.changed:
            changed = Path(tmp) / f"bench-{args.rows}-changed.csv"
            write_csv(changed, args.rows, run, title="sepsis quality improvement, revised")
            timed_import(changed, publish=not args.draft, trace=args.tracemalloc, profile=args.profile)
    print(f"max RSS of the process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
