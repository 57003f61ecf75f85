"""Issue 15's figures in one run: every page it targets at 1,000, 20,000 and 100,000 programs.

Usage (PostgreSQL and Redis; wrk at /usr/bin/wrk):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cme_bench REDIS_URL=redis://127.0.0.1:6379/7 \\
        .venv/bin/python scripts/bench_pages.py --keep-db

Uses one database per catalog size, named after DATABASE_URL's: cme_bench_1k, cme_bench_20k,
cme_bench_100k (created if missing, topped up to N synthetic published programs with
demo.synthetic.synthetic_programs_create, plus the bench clinicians and the 50-member team of
scripts/bench_dashboard.py); it touches no other database. Without --keep-db it drops them at
the end; with it the next run reuses them (seeding 100k takes minutes).

Method: per size, gunicorn with ONE sync worker (deploy/gunicorn.conf.py, GUNICORN_WORKERS=1)
and production settings (ENVIRONMENT=production, DEBUG=0: cached templates; the request says
X-Forwarded-Proto: https through TRUSTED_PROXIES=127.0.0.1, as nginx does; static files through
the plain storage as there is no collectstatic manifest; the cache in REDIS_URL with a key prefix
of this run and size, so no run or size reads another's entries). wrk, one connection, drives
each endpoint for --seconds in each of --rounds rounds; every round measures every endpoint of
every size, in an order rotated by one each round. Each ratio is the median over rounds of
(endpoint requests/s / trivial signed-in page requests/s in the same round and size); p50/p95
are the medians over rounds of wrk's per-round latency percentiles (one connection: server time
plus loopback, no queueing). Queries: one warm request through django.test.Client with a query
counter (the unseen-weights page: a combination not requested before). The import (validated,
10,000 rows: new, same file again, every row changed) runs in process after the servers stop,
on the largest size's database, and its listings are deleted afterwards. Prints figures and the
issue's targets with met / not met; asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from _bench import clinician_with_goal_create
from _bench_stats import (
    Target,
    Verdict,
    cost_ratio,
    median,
    median_ratio,
    parse_wrk_summary,
    queries_constant,
    rotated,
    verdict,
    weight_combinations,
)

ROOT = Path(__file__).resolve().parent.parent
WRK = shutil.which("wrk") or "/usr/bin/wrk"
RESULT_PREFIX = "BENCH-RESULT "
TRIVIAL = "trivial"
PLAIN_USER = "bench-plain@bench.test"
DASHBOARD_MEMBERS = 50
MIN_SAMPLES = 8
HTMX_WEIGHTS = (5, 2, 1, 4)  # outcome, independence, interprofessional, career
# The unseen-weights page's query count: warmed up with one combination, counted on another (a cache miss).
COUNT_WARM_WEIGHTS, COUNT_WEIGHTS = (2, 2, 2, 1), (1, 3, 0, 2)
WEIGHT_NAMES = ("w_outcome", "w_independence", "w_interprofessional", "w_career")
IMPORT_PROVIDER_PREFIX = "Bench provider pages-"

# Endpoint key -> label, in table order. "ranked_unseen" sends a weight combination not sent before in the run.
ENDPOINTS: dict[str, str] = {
    "healthz": "/healthz (no session)",
    TRIVIAL: "trivial signed-in page",
    "ranked": "ranked catalog, goal weights",
    "ranked_unseen": "ranked, unseen slider weights",
    "htmx": "htmx re-rank partial",
    "plain": "plain catalog (no goal)",
    "detail": "program detail",
    "compare": "compare 4 programs",
    "dashboard": "team dashboard (50 members)",
    "equity": "equity view",
}
IMPORT_CASES = {"new": "import: new rows", "unchanged": "import: unchanged", "changed": "import: all changed"}

TARGETS: list[Target] = [
    Target("ranked ratio >= 0.25 at 20k", "ranked", "ratio", True, 0.25, 20_000),
    Target("ranked ratio >= 0.15 at 100k", "ranked", "ratio", True, 0.15, 100_000),
    Target("ranked cost 100k/1k <= 1.5x", "ranked", "cost", False, 1.5),
    Target("ranked p95 <= 25 ms at 20k", "ranked", "p95_ms", False, 25, 20_000),
    Target("unseen weights ratio >= 0.25 at 20k", "ranked_unseen", "ratio", True, 0.25, 20_000),
    Target("unseen weights ratio >= 0.15 at 100k", "ranked_unseen", "ratio", True, 0.15, 100_000),
    Target("unseen weights cost 100k/1k <= 1.5x", "ranked_unseen", "cost", False, 1.5),
    Target("unseen weights p95 <= 25 ms at 20k", "ranked_unseen", "p95_ms", False, 25, 20_000),
    Target("ranked page queries <= 10, constant", "ranked", "queries", False, 10),
    Target("dashboard ratio >= 0.25", "dashboard", "ratio", True, 0.25),
    Target("dashboard p95 <= 50 ms", "dashboard", "p95_ms", False, 50),
    *[Target(f"{label} >= 5,000 rows/s", case, "rows_per_second", True, 5000) for case, label in IMPORT_CASES.items()],
]


def size_label(size: int) -> str:
    return f"{size // 1000}k" if size % 1000 == 0 else str(size)


# ---------------------------------------------------------------- in a child process, one database


def _settings_module(directory: Path) -> None:
    """A settings module: cme_portal.settings, plain static storage, the run's cache key prefix."""
    (directory / "bench_pages_settings.py").write_text(
        '"""Written by scripts/bench_pages.py: production settings, plain static files, a cache prefix."""\n'
        "import os\n\n"
        "from cme_portal.settings import *  # noqa: F403\n"
        "from cme_portal.settings import CACHES, STORAGES\n\n"
        'STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}\n'
        'CACHES = {name: {**config, "KEY_PREFIX": os.environ["BENCH_CACHE_PREFIX"]}\n'
        "          for name, config in CACHES.items()}\n"
        "# No collectstatic here: an empty directory, so whitenoise has nothing to warn about.\n"
        'STATIC_ROOT = os.environ["BENCH_STATIC_ROOT"]\n'
    )


def _django() -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.SECURE_SSL_REDIRECT = False  # django.test.Client speaks plain http
    call_command("migrate", verbosity=0)


def _weights_query(weights: tuple[int, ...]) -> str:
    return urllib.parse.urlencode(dict(zip(WEIGHT_NAMES, (str(w) for w in weights), strict=True)))


def _query_count(client: Any, path: str, headers: dict[str, str], warm_up: str | None = None) -> tuple[int, int]:
    """(status, queries) of one request of `path` after a warm-up request of `warm_up` (default: `path`)."""
    from django.db import connection

    client.get(warm_up or path, headers=headers)
    queries = 0

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get(path, headers=headers)
    return response.status_code, queries


def prepare(size: int) -> None:
    """Seed this database to `size` programs, sign the bench users in, count each page's queries.

    Prints one RESULT_PREFIX line of JSON: per endpoint its path, headers (session cookie
    included), queries and status, plus the unseen-weights path template.
    """
    _django()
    from bench_dashboard import seed as dashboard_seed
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from accounts.models import User
    from accounts.roles import Role
    from accounts.services import user_role_grant
    from demo.synthetic import synthetic_programs_create
    from programs.models import Program

    _import_leftovers_delete()
    have = Program.objects.published().count()
    if have < size:
        started = time.perf_counter()
        print(f"[{size_label(size)}] seeding {size - have} synthetic programs ...", file=sys.stderr, flush=True)
        synthetic_programs_create(count=size - have)
        print(f"[{size_label(size)}] seeded in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    seeded: Any = dashboard_seed(DASHBOARD_MEMBERS)  # (team, supervisor)
    team, supervisor = seeded
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in ("programs_program", "programs_creditoffering"):
                cursor.execute(f"VACUUM ANALYZE {table}")
    ranked_user = clinician_with_goal_create()
    plain_user, _ = User.objects.get_or_create(email=PLAIN_USER)
    user_role_grant(user=plain_user, role=Role.CLINICIAN)

    clients: dict[str, Any] = {}
    for key, user in (("ranked", ranked_user), ("plain", plain_user), ("supervisor", supervisor)):
        clients[key] = Client()
        clients[key].force_login(user)
    cookie = {
        key: f"{settings.SESSION_COOKIE_NAME}={c.cookies[settings.SESSION_COOKIE_NAME].value}"
        for key, c in clients.items()
    }

    program_ids = list(Program.objects.published().order_by("pk").values_list("pk", flat=True)[:4])
    catalog = reverse("programs:catalog")
    compare_query = urllib.parse.urlencode([("ids", pk) for pk in program_ids])
    htmx = {"HX-Request": "true"}
    pages: dict[str, tuple[str, str | None, dict[str, str]]] = {
        "healthz": (reverse("healthz"), None, {}),
        TRIVIAL: (reverse("password_change_done"), "ranked", {}),
        "ranked": (catalog, "ranked", {}),
        "ranked_unseen": (f"{catalog}?{_weights_query(COUNT_WEIGHTS)}", "ranked", {}),
        "htmx": (f"{catalog}?{_weights_query(HTMX_WEIGHTS)}", "ranked", htmx),
        "plain": (catalog, "plain", {}),
        "detail": (reverse("programs:detail", args=[program_ids[0]]), "ranked", {}),
        "compare": (f"{reverse('programs:compare')}?{compare_query}", "ranked", {}),
        "dashboard": (reverse("supervision:dashboard", args=[team.pk]), "supervisor", {}),
        "equity": (reverse("supervision:equity", args=[team.pk]), "supervisor", {}),
    }
    endpoints: dict[str, dict[str, Any]] = {}
    for key, (path, who, headers) in pages.items():
        client = clients[who] if who else Client()
        warm_up = f"{catalog}?{_weights_query(COUNT_WARM_WEIGHTS)}" if key == "ranked_unseen" else None
        status, queries = _query_count(client, path, headers, warm_up)
        if key == "ranked":
            ranked = b"for your goal" in client.get(path).content
            if not ranked:
                print(f"[{size_label(size)}] warning: the ranked page shows no goal score", file=sys.stderr)
        endpoints[key] = {
            "path": path,
            "headers": {**headers, **({"Cookie": cookie[who]} if who else {})},
            "queries": queries,
            "status": status,
        }
    result = {
        "programs": Program.objects.published().count(),
        "endpoints": endpoints,
        "catalog": catalog,
        "members": team.memberships.filter(ended_at__isnull=True).count(),
    }
    print(RESULT_PREFIX + json.dumps(result), flush=True)


def _import_leftovers_delete() -> int:
    """Delete the listings and providers this script's imports wrote, and their change history; returns listings.

    The history goes first: an entry must keep a target (a listing or provider) unless it records a deletion.
    """
    from django.db import transaction
    from django.db.models import Q

    from programs.models import ChangeLogEntry, Program, Provider

    ours = IMPORT_PROVIDER_PREFIX
    with transaction.atomic():
        ChangeLogEntry.objects.filter(
            Q(program__provider__name__startswith=ours) | Q(provider__name__startswith=ours)
        ).delete()
        programs = Program.objects.filter(provider__name__startswith=ours)
        deleted = programs.count()
        programs.delete()
        Provider.objects.filter(name__startswith=ours).delete()
    return deleted


def import_run(rows: int) -> None:
    """Validated imports of `rows` rows, in process: new, the same file again, every row changed; rows/s each.

    The listings are deleted afterwards, so the catalog keeps its size. Prints one RESULT_PREFIX line.
    """
    _django()
    from bench_import import write_csv
    from django.conf import settings

    from programs.exchange import jobs

    settings.IMPORT_MAX_BYTES = max(settings.IMPORT_MAX_BYTES, 400 * 1024 * 1024)
    run = "pages-" + uuid.uuid4().hex[:8]
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        settings.MEDIA_ROOT = tmp
        original, changed = Path(tmp) / "bench.csv", Path(tmp) / "bench-changed.csv"
        write_csv(original, rows, run)
        write_csv(changed, rows, run, title="sepsis quality improvement, revised")
        try:
            for case, path in (("new", original), ("unchanged", original), ("changed", changed)):
                started = time.perf_counter()
                with path.open("rb") as handle:
                    job = jobs.import_job_create(upload=handle, file_name=path.name, actor=None, publish=True)
                done = jobs.import_job_run(job_id=job.pk)
                elapsed = time.perf_counter() - started
                total = (done.rows_total or 0) if done else 0
                figures[case] = total / elapsed if elapsed > 0 else math.nan
                print(
                    f"[import] {case}: {total} rows in {elapsed:.2f} s; status {done.status if done else '?'}, "
                    f"created {done.created_count if done else '?'}, updated {done.updated_count if done else '?'}, "
                    f"unchanged {done.unchanged_count if done else '?'}, errors {done.error_count if done else '?'}",
                    file=sys.stderr,
                    flush=True,
                )
        finally:
            _import_leftovers_delete()
    print(RESULT_PREFIX + json.dumps(figures), flush=True)


# ---------------------------------------------------------------- the orchestrating process


def _database_url(base: str, size: int) -> str:
    parts = urllib.parse.urlsplit(base)
    name = parts.path.lstrip("/") or "cme_bench"
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}_{size_label(size)}"))


def _maintenance(url: str, statement: str) -> None:
    import psycopg

    parts = urllib.parse.urlsplit(url)
    with psycopg.connect(urllib.parse.urlunsplit(parts._replace(path="/postgres")), autocommit=True) as connection:
        connection.execute(statement)


def _database_exists(url: str) -> bool:
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(urllib.parse.urlunsplit(parts._replace(path="/postgres")), autocommit=True) as connection:
        return connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _child_env(settings_dir: Path, database_url: str, cache_prefix: str, extra: dict[str, str]) -> dict[str, str]:
    env = {
        **os.environ,
        "ENVIRONMENT": "production",
        "DEBUG": "0",
        "DJANGO_SETTINGS_MODULE": "bench_pages_settings",
        "SECRET_KEY": "bench-pages-only-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "TRUSTED_PROXIES": "127.0.0.1",
        "SITE_URL": "https://bench.example.test",
        "DATABASE_URL": database_url,
        "BENCH_CACHE_PREFIX": cache_prefix,
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join([str(settings_dir), str(ROOT), str(ROOT / "scripts")]),
        **extra,
    }
    return env


def _child(args: list[str], env: dict[str, str]) -> Any:
    """Run this script in a child process (one database), stream its stderr, return its JSON result."""
    completed = subprocess.run(  # noqa: S603 - this script and wrk, arguments of our own
        [sys.executable, str(Path(__file__).resolve()), *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    for line in completed.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX) :])
    sys.exit(f"{args[0]} failed ({completed.returncode}):\n{completed.stdout[-3000:]}")


@contextlib.contextmanager
def _gunicorn(env: dict[str, str], log: Path) -> Iterator[int]:
    """One sync worker on a free port with the repository's gunicorn config; yields the port."""
    port = _free_port()
    server_env = {**env, "GUNICORN_WORKERS": "1", "GUNICORN_BIND": f"127.0.0.1:{port}"}
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "cme_portal.wsgi:application"],
            cwd=ROOT,
            env=server_env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    sys.exit(f"gunicorn exited ({process.returncode}):\n{log.read_text()[-3000:]}")
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()
                    break
                except (OSError, urllib.error.URLError):
                    if time.monotonic() > deadline:
                        sys.exit(f"gunicorn did not answer in 60 s:\n{log.read_text()[-3000:]}")
                    time.sleep(0.3)
            yield port
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def _lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string literal is a valid Lua string literal for these characters


def _lua_script(headers: dict[str, str], paths: list[str] | None) -> str:
    """wrk script: headers, optionally a path per request (in order), non-200 count, and a BENCH summary line."""
    lines = ['wrk.headers["X-Forwarded-Proto"] = "https"']
    lines += [f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items()]
    if paths:
        lines.append("local paths = {" + ", ".join(_lua_string(p) for p in paths) + "}")
        lines.append("local next_path = 0")
        lines.append(
            "request = function()\n"
            "  next_path = next_path + 1\n"
            "  return wrk.format(nil, paths[((next_path - 1) % #paths) + 1])\n"
            "end"
        )
    lines.append(
        "local threads = {}\n"
        "function setup(thread) table.insert(threads, thread) end\n"
        "function init(args) bad = 0 end\n"
        "function response(status, headers, body) if status ~= 200 then bad = bad + 1 end end\n"
        "function done(summary, latency, requests)\n"
        "  local b = 0\n"
        '  for _, t in ipairs(threads) do b = b + t:get("bad") end\n'
        "  local e = summary.errors\n"
        '  io.write(string.format("BENCH requests=%d duration_us=%d p50_us=%d p95_us=%d mean_us=%d "\n'
        '    .. "bad=%d errors=%d\\n",\n'
        "    summary.requests, summary.duration, math.floor(latency:percentile(50)),\n"
        "    math.floor(latency:percentile(95)), math.floor(latency.mean), b,\n"
        "    e.connect + e.read + e.write + e.timeout))\n"
        "end"
    )
    return "\n".join(lines) + "\n"


def _wrk(port: int, path: str, script: Path, seconds: int, connections: int) -> dict[str, float]:
    completed = subprocess.run(  # noqa: S603 - this script and wrk, arguments of our own
        [
            WRK,
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "30s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}{path}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    figures = parse_wrk_summary(completed.stdout)
    if figures is None:
        sys.exit(f"wrk failed ({completed.returncode}): {completed.stdout}{completed.stderr}")
    if not figures.get("requests"):
        figures.update(per_second=math.nan, p50_us=math.nan, p95_us=math.nan)
    return figures


def _warm_up(port: int, endpoint: dict[str, Any]) -> tuple[int, float]:
    """(status, seconds) of the second of two requests: the first fills the worker's and the cache's state."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{endpoint['path']}", headers={**endpoint["headers"], "X-Forwarded-Proto": "https"}
    )
    status, elapsed = 0, 0.0
    for _ in range(2):
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 - our own local server
                response.read()
                status = int(response.status)
        except urllib.error.HTTPError as error:
            status = error.code
        elapsed = time.perf_counter() - started
    return status, elapsed


def _fmt(value: float | None, spec: str) -> str:
    """`value` formatted with `spec`; "-" (as wide as the spec says) when it was not measured."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        width = "".join(itertools.takewhile(str.isdigit, spec))
        return "-".rjust(int(width or 0))
    return format(value, spec)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,20000,100000", help="catalog sizes, comma-separated")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=int, default=4, help="per endpoint per round")
    parser.add_argument("--connections", type=int, default=1, help="wrk connections (1: latency without queueing)")
    parser.add_argument("--import-rows", type=int, default=10_000)
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--keep-db", action="store_true", help="keep the seeded databases for the next run")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""), help="default: DATABASE_URL")
    parser.add_argument("--prepare", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--import-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare is not None:
        return prepare(args.prepare)
    if args.import_child is not None:
        return import_run(args.import_child)

    if not args.database_url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench_pages.py measures on PostgreSQL: set DATABASE_URL=postgres://... (its name is the prefix)")
    if not os.environ.get("REDIS_URL"):
        sys.exit("bench_pages.py measures with the Redis cache: set REDIS_URL (a database number of your own)")
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    run_id = uuid.uuid4().hex[:8]
    urls = {size: _database_url(args.database_url, size) for size in sizes}
    machine = os.getloadavg()
    print(
        f"bench_pages run {run_id}: sizes {sizes}, {args.rounds} rounds x {args.seconds:g} s per endpoint, "
        f"{args.connections} wrk connection(s), {os.cpu_count()} cores, load average {machine[0]:.2f} at start"
    )
    for url in urls.values():
        if not _database_exists(url):
            _maintenance(url, f'CREATE DATABASE "{urllib.parse.urlsplit(url).path.lstrip("/")}"')
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as tmp_name:
        tmp = Path(tmp_name)
        _settings_module(tmp)
        (tmp / "static").mkdir()
        envs = {
            size: _child_env(
                tmp,
                url,
                f"bench-pages-{run_id}-{size_label(size)}",
                {"PRIVATE_MEDIA_ROOT": str(tmp / "media"), "BENCH_STATIC_ROOT": str(tmp / "static")},
            )
            for size, url in urls.items()
        }
        prepared: dict[int, dict[str, Any]] = {}
        for size in sizes:
            started = time.perf_counter()
            prepared[size] = _child(["--prepare", str(size)], envs[size])
            print(
                f"[{size_label(size)}] ready in {time.perf_counter() - started:.0f} s: {prepared[size]['programs']} "
                f"published programs, team of {prepared[size]['members']}",
                flush=True,
            )
        measured = _measure(sizes, prepared, envs, tmp, args, run_id)
        imports: dict[str, float] = {}
        if not args.skip_import:
            largest = max(sizes)
            print(f"import: {args.import_rows} rows, in process, on the {size_label(largest)} database", flush=True)
            imports = _child(["--import-child", str(args.import_rows)], envs[largest])
    _report(sizes, prepared, measured, imports, args)
    if not args.keep_db:
        for url in urls.values():
            name = urllib.parse.urlsplit(url).path.lstrip("/")
            _maintenance(url, f'DROP DATABASE IF EXISTS "{name}"')
            print(f"dropped {name} (pass --keep-db to reuse it)")


def _measure(
    sizes: list[int],
    prepared: dict[int, dict[str, Any]],
    envs: dict[int, dict[str, str]],
    tmp: Path,
    args: argparse.Namespace,
    run_id: str,
) -> dict[int, dict[str, list[dict[str, float]]]]:
    """Per size and endpoint, wrk's figures of each round (every size's server up at once, one measured at a time)."""
    measured: dict[int, dict[str, list[dict[str, float]]]] = {size: {key: [] for key in ENDPOINTS} for size in sizes}
    combinations = weight_combinations(
        5, exclude=[HTMX_WEIGHTS, COUNT_WARM_WEIGHTS, COUNT_WEIGHTS], seed=int(run_id, 16)
    )
    unseen_used = dict.fromkeys(sizes, 0)
    with contextlib.ExitStack() as stack:
        ports = {size: stack.enter_context(_gunicorn(envs[size], tmp / f"gunicorn-{size}.log")) for size in sizes}
        scripts: dict[tuple[int, str], Path] = {}
        durations: dict[tuple[int, str], int] = {}
        for size in sizes:
            for key, endpoint in prepared[size]["endpoints"].items():
                status, elapsed = _warm_up(ports[size], endpoint)
                # A slow page gets at least about MIN_SAMPLES requests a round (wrk drops the one in flight at the end).
                durations[size, key] = max(args.seconds, math.ceil(MIN_SAMPLES * elapsed))
                if status != 200:
                    print(f"[{size_label(size)}] warning: {key} answered {status} through gunicorn")
                if key != "ranked_unseen":
                    script = tmp / f"wrk-{size}-{key}.lua"
                    script.write_text(_lua_script(endpoint["headers"], None))
                    scripts[size, key] = script
        catalog = prepared[sizes[0]]["catalog"]
        for round_index in range(args.rounds):
            started = time.perf_counter()
            for size_int in rotated(sizes, round_index):
                for key in rotated(list(ENDPOINTS), round_index):
                    endpoint = prepared[size_int]["endpoints"][key]
                    if key == "ranked_unseen":
                        # Each request a combination this server has not been sent in the run, while they last.
                        start = unseen_used[size_int] % len(combinations)
                        order = combinations[start:] + combinations[:start]
                        paths = [f"{catalog}?{_weights_query(c)}" for c in order]
                        script = tmp / f"wrk-{size_int}-unseen.lua"
                        script.write_text(_lua_script(endpoint["headers"], paths))
                    else:
                        script = scripts[size_int, key]
                    port, path = ports[size_int], endpoint["path"]
                    figures = _wrk(port, path, script, durations[size_int, key], args.connections)
                    if not figures.get("requests"):
                        # Slower than its warm-up by far (a busy machine): once more, four times as long.
                        durations[size_int, key] *= 4
                        print(
                            f"[{size_label(size_int)}] {key}: no response in time; "
                            f"again for {durations[size_int, key]} s"
                        )
                        figures = _wrk(port, path, script, durations[size_int, key], args.connections)
                    if key == "ranked_unseen":
                        unseen_used[size_int] += int(figures["requests"])
                    if figures.get("bad") or figures.get("errors"):
                        print(
                            f"[{size_label(size_int)}] {key}: {figures.get('bad', 0):.0f} non-200 responses, "
                            f"{figures.get('errors', 0):.0f} socket errors"
                        )
                    measured[size_int][key].append(figures)
            print(
                f"round {round_index + 1}/{args.rounds} done in {time.perf_counter() - started:.0f} s, "
                f"load average {os.getloadavg()[0]:.2f}",
                flush=True,
            )
    for size, used in unseen_used.items():
        if used > len(combinations):
            print(
                f"[{size_label(size)}] note: {used} unseen-weight requests > {len(combinations)} combinations; "
                "later ones repeated a combination (a cache could serve those)"
            )
    return measured


def _report(
    sizes: list[int],
    prepared: dict[int, dict[str, Any]],
    measured: dict[int, dict[str, list[dict[str, float]]]],
    imports: dict[str, float],
    args: argparse.Namespace,
) -> None:
    figures: dict[tuple[str, int], dict[str, float]] = {}
    for size in sizes:
        rounds = [
            {key: runs[i]["per_second"] for key, runs in measured[size].items() if i < len(runs)}
            for i in range(args.rounds)
        ]
        for key in ENDPOINTS:
            runs = measured[size][key]
            figures[key, size] = {
                "ratio": median_ratio(rounds, key, TRIVIAL),
                "per_second": median([r["per_second"] for r in runs]),
                "p50_ms": median([r["p50_us"] / 1000 for r in runs]),
                "p95_ms": median([r["p95_us"] / 1000 for r in runs]),
                "queries": float(prepared[size]["endpoints"][key]["queries"]),
            }
    print()
    print("ratio = median over rounds of (requests/s / trivial signed-in page requests/s, same round);")
    print("p50/p95 = median over rounds of wrk's per-round percentiles, one connection;")
    print("q = queries of one warm request (unseen weights: of a combination not requested before)")
    header = f"{'endpoint':<32}" + "".join(f" | {size_label(s):>7} ratio   p50 ms   p95 ms  q" for s in sizes)
    print(header)
    print("-" * len(header))
    for key, label in ENDPOINTS.items():
        row = f"{label:<32}"
        for size in sizes:
            f = figures[key, size]
            row += (
                f" | {_fmt(f['ratio'], '13.3f')} {_fmt(f['p50_ms'], '8.1f')} {_fmt(f['p95_ms'], '8.1f')} "
                f"{f['queries']:>2.0f}"
            )
        print(row)
    print(
        "absolute throughput (median req/s): "
        + "; ".join(
            f"{size_label(s)}: trivial {_fmt(figures[TRIVIAL, s]['per_second'], '.0f')}, "
            f"ranked {_fmt(figures['ranked', s]['per_second'], '.1f')}"
            for s in sizes
        )
    )
    few = [
        f"{key} at {size_label(size)} ({median([r['requests'] for r in measured[size][key]]):.0f})"
        for size in sizes
        for key in ENDPOINTS
        if median([r["requests"] for r in measured[size][key]]) < 20
    ]
    if few:
        print("p95 rests on few requests a round (median requests per round): " + ", ".join(few))
    small, large = min(sizes), max(sizes)
    costs: dict[str, float] = {}
    for key in ("ranked", "ranked_unseen") if len(sizes) > 1 else ():
        costs[key] = cost_ratio(figures[key, small]["ratio"], figures[key, large]["ratio"])
        latency = (
            figures[key, large]["p50_ms"] / figures[key, small]["p50_ms"] if figures[key, small]["p50_ms"] else math.nan
        )
        print(
            f"{ENDPOINTS[key]} cost at {size_label(large)} relative to {size_label(small)}: "
            f"{_fmt(costs[key], '.2f')}x (ratio_{size_label(small)} / ratio_{size_label(large)}); "
            f"p50 latency {_fmt(latency, '.2f')}x"
        )
    for case, label in IMPORT_CASES.items():
        if case in imports:
            print(f"{label}: {imports[case]:,.0f} rows/s ({args.import_rows} rows, PostgreSQL, in process)")

    print()
    print(
        f"issue 15 targets (load average now {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; "
        "on a shared machine compare ratios, not absolute times)"
    )
    for target in TARGETS:
        for result in _verdicts(target, sizes, figures, costs, imports, prepared):
            state = {True: "met", False: "NOT MET", None: "not measured"}[result.met]
            at = result.target.size
            where = f" at {size_label(at)}" if target.size is None and at is not None else ""
            print(f"  {result.target.label + where:<46} {_fmt(result.value, '10.3f')}  {state}")


def _verdicts(
    target: Target,
    sizes: list[int],
    figures: dict[tuple[str, int], dict[str, float]],
    costs: dict[str, float],
    imports: dict[str, float],
    prepared: dict[int, dict[str, Any]],
) -> list[Verdict]:
    if target.figure == "rows_per_second":
        return [verdict(target, imports.get(target.endpoint))]
    if target.figure == "cost":
        measurable = len(sizes) > 1 and min(sizes) <= 1000 and max(sizes) >= 100_000
        return [verdict(target, costs[target.endpoint] if measurable else None)]
    if target.figure == "queries":
        counts = {size: prepared[size]["endpoints"][target.endpoint]["queries"] for size in sizes}
        constant = queries_constant(counts, limit=int(target.limit))
        worst = float(max(counts.values()))
        return [Verdict(target, worst, constant)]
    if target.size is not None:
        value = figures[target.endpoint, target.size][target.figure] if target.size in sizes else None
        return [verdict(target, value)]
    return [
        Verdict(
            Target(target.label, target.endpoint, target.figure, target.at_least, target.limit, size), v.value, v.met
        )
        for size in sizes
        for v in [verdict(target, figures[target.endpoint, size][target.figure])]
    ]


if __name__ == "__main__":
    main()
