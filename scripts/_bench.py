"""Shared by the benchmark scripts: production-like Django settings and request timing.

Benchmarks print figures; they assert nothing about speed.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RANKED_USER = "bench-ranked@bench.test"

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def django_setup() -> None:
    """Set Django up as production runs it (DEBUG off: cached templates, no SQL log), minus TLS."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cme_portal.settings")
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "benchmark-only-" + "x" * 50)
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.SECURE_SSL_REDIRECT = False
    simple_storage = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    settings.STORAGES = {**settings.STORAGES, "staticfiles": simple_storage}
    call_command("migrate", verbosity=0)


@dataclass(frozen=True)
class Timing:
    name: str
    queries: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    per_second: float


def queries_of(client: Any, url: str, params: dict[str, str], headers: dict[str, str]) -> int:
    """The number of queries one request of `url` runs (call it after a warm-up request)."""
    from django.db import connection

    queries: list[str] = []

    def count(execute: Any, sql: str, sql_params: Any, many: bool, context: Any) -> Any:
        queries.append(sql)
        return execute(sql, sql_params, many, context)

    with connection.execute_wrapper(count):
        client.get(url, params, **headers)
    return len(queries)


def measure(client: Any, name: str, url: str, params: dict[str, str], headers: dict[str, str], requests: int) -> Timing:
    """Warm up, count the queries of one request, then time `requests` requests and print one line."""
    response = client.get(url, params, **headers)
    assert response.status_code == 200, (name, response.status_code)
    queries = queries_of(client, url, params, headers)
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url, params, **headers)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    timings.sort()
    result = Timing(
        name=name,
        queries=queries,
        p50_ms=statistics.median(timings),
        p95_ms=timings[max(0, int(len(timings) * 0.95) - 1)],
        max_ms=timings[-1],
        per_second=1000 / statistics.fmean(timings),
    )
    print(
        f"{name:<44} queries={result.queries:>2}  p50={result.p50_ms:6.1f} ms  p95={result.p95_ms:6.1f} ms  "
        f"max={result.max_ms:6.1f} ms  {result.per_second:7.1f} req/s  ({requests} requests)"
    )
    return result


def clinician_with_goal_create(email: str = RANKED_USER) -> Any:
    """The ranked catalog's clinician (created or brought back to this state): a physician's profile with
    budget and leave, a California MD licence accepting AMA PRA Category 1, an active leadership goal."""
    import datetime
    from decimal import Decimal

    from django.utils import timezone

    from accounts.models import User
    from accounts.roles import Role
    from accounts.services import user_role_grant
    from careers.models import CareerGoal, ClinicianProfile, Licence

    today = timezone.localdate()
    user, _ = User.objects.get_or_create(email=email)
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
    return user
