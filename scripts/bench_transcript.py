"""Time the transcript import: preview (GET, rendered) and confirm (POST, one transaction) of an N-row CSV.

Usage (against the database in DATABASE_URL; migrate it first):

    .venv/bin/python scripts/bench_transcript.py --rows 1000

Prints rows/s and the number of queries of each request. A clinician with a unique email is
created per run, with one credit already logged so the duplicate rule is exercised.
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cme_portal.settings")

import django

django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from accounts.roles import Role  # noqa: E402
from accounts.services import user_role_grant  # noqa: E402
from careers.services import credit_claim_create  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1000)
    rows = parser.parse_args().rows
    user = User.objects.create_user(email=f"bench-{uuid.uuid4().hex[:8]}@bench.test", password="x" * 20)
    user_role_grant(user=user, role=Role.CLINICIAN)
    credit_claim_create(
        user=user,
        title="Course 0",
        provider_name="Mercy",
        completed_on=datetime.date(2026, 1, 1),
        topics=[],
        amounts={"ancc": Decimal("1")},
    )
    body = "Activity Title,Provider,Completion Date,Credit Type,Credits,Certificate ID\n" + "".join(
        f"Course {n},Mercy,2026-01-{1 + n % 28:02d},ANCC,1,C-{n}\n" for n in range(rows)
    )
    with tempfile.TemporaryDirectory() as media, override_settings(MEDIA_ROOT=media, ALLOWED_HOSTS=["*"]):
        client = Client()
        client.force_login(user)
        upload = client.post(
            "/careers/credits/import/", {"file": SimpleUploadedFile("t.csv", body.encode(), content_type="text/csv")}
        )
        path = upload["Location"]
        with CaptureQueriesContext(connection) as preview_queries:
            started = time.perf_counter()
            page = client.get(path)
            preview_seconds = time.perf_counter() - started
        assert page.status_code == 200, page.status_code
        html = page.content.decode()
        form = html[html.index('action="/careers/credits/import/') :]
        data = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
        data.pop("csrfmiddlewaretoken", None)
        with CaptureQueriesContext(connection) as confirm_queries:
            started = time.perf_counter()
            done = client.post(f"{path}confirm/", data)
            confirm_seconds = time.perf_counter() - started
        assert done.status_code == 302, done.status_code
    written = user.credit_claims.count() - 1
    print(
        f"{rows} rows ({len(body.encode()) / 1024:.0f} KiB) on {connection.vendor}: "
        f"preview {preview_seconds:.2f} s ({rows / preview_seconds:,.0f} rows/s, {len(preview_queries)} queries), "
        f"confirm {confirm_seconds:.2f} s ({rows / confirm_seconds:,.0f} rows/s, {len(confirm_queries)} queries), "
        f"{written} credits written (1 duplicate skipped)"
    )


if __name__ == "__main__":
    main()
