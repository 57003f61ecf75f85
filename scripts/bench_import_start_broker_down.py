"""How long the request that starts an import takes when the broker (Redis) is down.

Usage: point REDIS_URL at an address where nothing listens (or stop Redis) and run
    REDIS_URL=redis://127.0.0.1:6390/0 DATABASE_URL=... .venv/bin/python scripts/bench_import_start_broker_down.py

Posts a small CSV to the curator upload page R times through the full middleware
stack and prints p50 / max of the server time and what the admin is told.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6390/0")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"

from _bench import django_setup

HEADER = "external_id,title,provider_name,format\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5)
    args = parser.parse_args()
    django_setup()
    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from accounts.models import User
    from accounts.roles import Role
    from accounts.services import user_role_grant
    from programs.models import ImportJob

    settings.CELERY_TASK_ALWAYS_EAGER = False
    curator, _ = User.objects.get_or_create(email="bench-curator@bench.test")
    user_role_grant(user=curator, role=Role.ADMIN)
    client = Client()
    client.force_login(curator)
    print(f"broker: {settings.CELERY_BROKER_URL}")
    timings = []
    for attempt in range(args.requests):
        body = HEADER + f"BENCH-{time.time_ns()}-{attempt},Broker down test,Bench provider,course\n"
        upload = SimpleUploadedFile("broker-down.csv", body.encode(), content_type="text/csv")
        started = time.perf_counter()
        response = client.post("/programs/curation/imports/start/", {"file": upload, "file_format": "csv"}, follow=True)
        timings.append((time.perf_counter() - started) * 1000)
        messages = [str(message) for message in response.wsgi_request._messages]
    job = ImportJob.objects.order_by("-pk").first()
    print(
        f"start request with the broker down: p50={statistics.median(timings):.0f} ms  max={max(timings):.0f} ms "
        f"({args.requests} requests); last job status: {job.status if job else '-'}"
    )
    print("the admin is told:", " | ".join(messages))


if __name__ == "__main__":
    main()
