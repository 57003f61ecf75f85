"""Files that tests upload or import land in the test's own folder, never in the checkout's var/."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from careers.models import CreditClaim
from programs.models import ImportJob
from supervision.models import EmployerCmePolicy
from tests.programs.import_helpers import csv_text, good_row

pytestmark = pytest.mark.django_db

CHECKOUT_VAR = Path(settings.BASE_DIR) / "var"


def _checkout_files() -> dict[Path, int]:
    """Every file under the checkout's var/ with its modification time, except the dev database `make run` uses."""
    if not CHECKOUT_VAR.exists():
        return {}
    return {
        path: path.stat().st_mtime_ns
        for path in CHECKOUT_VAR.rglob("*")
        if path.is_file() and not path.name.startswith("db.sqlite3")
    }


def _files_under(folder: Path) -> set[str]:
    return {path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()}


def test_every_storage_points_into_the_tests_own_folder(tmp_path):
    media = tmp_path / "private"
    assert Path(settings.MEDIA_ROOT) == media
    assert Path(default_storage.location) == media
    for field in (
        ImportJob._meta.get_field("file"),
        CreditClaim._meta.get_field("certificate"),
        EmployerCmePolicy._meta.get_field("source_document"),
    ):
        assert Path(field.storage.path("x")).parent == media, field


def test_an_import_a_certificate_and_a_policy_document_write_nothing_under_the_checkout(client, world, tmp_path):
    before = _checkout_files()

    client.force_login(world.admin)
    feed = io.BytesIO(csv_text([good_row(1)]).encode())
    feed.name = "feed.csv"
    response = client.post(reverse("programs:curation:import_start"), {"file": feed})
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("programs:curation:import_detail", args=[job.pk])

    client.force_login(world.owner)
    certificate = SimpleUploadedFile("cert.pdf", b"%PDF-1.4\n%certificate\n")
    claim_data = {"title": "Outside course", "completed_on": "2026-01-10", "amount_ama_pra_1": "4"}
    response = client.post(reverse("careers:credit_new"), {**claim_data, "certificate": certificate})
    claim = CreditClaim.objects.get()
    assert response.status_code == 302

    client.force_login(world.team_supervisor)
    policy = {
        "profession": "nurse",
        "yearly_reimbursement_amount": "1000",
        "paid_leave_days": "2",
        "year_starts_month": "1",
        "confirmed_on": "2026-01-10",
        "over_allowance_rule": "refuse",
        "source_document": SimpleUploadedFile("policy.pdf", b"%PDF-1.7\n%policy\n"),
    }
    response = client.post(reverse("supervision:policy_new", args=[world.team.pk]), policy)
    document = world.team.cme_policies.get().source_document
    assert response.status_code == 302

    assert _files_under(tmp_path / "private") == {job.file.name, claim.certificate.name, document.name}
    assert _checkout_files() == before
