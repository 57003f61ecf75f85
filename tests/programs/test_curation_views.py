"""Curator pages: upload flow, progress partial, review actions, query counts (roles: tests/test_access_matrix.py)."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from programs.models import ImportJob, Program, ProgramRevision
from tests.factories import ProgramFactory, ProviderFactory

from .import_helpers import csv_text, good_row, run_import

pytestmark = pytest.mark.django_db


def _upload(rows=None, name="feed.csv"):
    upload = io.BytesIO(csv_text(rows or [good_row(1), good_row(2, format="bad")]).encode())
    upload.name = name
    return upload


@pytest.fixture
def job(db):
    return run_import(csv_text([good_row(1), good_row(2, format="=bad")]))


def test_curator_starts_an_import_and_approves_a_draft(client, world):
    """What the allowed person's POSTs do; who may send them is tests/test_access_matrix.py."""
    client.force_login(world.admin)
    program = ProgramFactory(status="draft")
    start = client.post(reverse("programs:curation:import_start"), {"file": _upload()})
    job = ImportJob.objects.get()
    assert start["Location"] == reverse("programs:curation:import_detail", args=[job.pk])
    decide = client.post(reverse("programs:curation:review_decide"), {"approve_one": f"draft:{program.pk}"})
    assert decide["Location"] == reverse("programs:curation:review")
    program.refresh_from_db()
    assert program.status == "published"


def test_upload_runs_and_shows_report_with_errors(client, world):
    client.force_login(world.admin)
    response = client.post(reverse("programs:curation:import_start"), {"file": _upload()}, follow=True)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Rows processed: 2 of 2" in page and "<progress" in page
    assert "Not an allowed value" in page
    assert 'hx-trigger="every 1s"' not in page  # finished: no more polling
    job = ImportJob.objects.get()
    assert job.created_by == world.admin and job.file.name.startswith("imports/")


def test_progress_partial_polls_while_running(client, world):
    client.force_login(world.admin)
    job = ImportJob.objects.create(file_name="f.csv", file_format="csv", status="running", rows_total=10, rows_done=4)
    response = client.get(reverse("programs:curation:import_detail", args=[job.pk]), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith("<section")
    assert 'hx-trigger="every 1s"' in body and 'value="4"' in body and 'max="10"' in body


def test_invalid_upload_gets_a_clear_message_and_writes_nothing(client, world):
    client.force_login(world.admin)
    response = client.post(reverse("programs:curation:import_start"), {})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_rejected_file_shows_the_reason(client, world):
    client.force_login(world.admin)
    upload = io.BytesIO(b"external_id,title\nA,B\n")
    upload.name = "bad.csv"
    response = client.post(reverse("programs:curation:import_start"), {"file": upload}, follow=True)
    assert "Required column(s) missing" in response.content.decode()
    assert not Program.objects.exists()


def test_error_csv_download_is_neutralized(client, world, job):
    client.force_login(world.admin)
    response = client.get(reverse("programs:curation:import_errors", args=[job.pk]))
    body = b"".join(response.streaming_content).decode()
    assert "'=bad" in body and response["Content-Type"].startswith("text/csv")


def test_export_of_filtered_catalog(client, world):
    client.force_login(world.admin)
    ProgramFactory(title="Journal club", format="journal")
    ProgramFactory(title="Course", format="course")
    response = client.get(reverse("programs:curation:export") + "?file_format=json&scope=catalog&format=journal")
    body = b"".join(response.streaming_content).decode()
    assert "Journal club" in body and "Course" not in body


def test_bulk_reject_needs_a_note(client, world):
    client.force_login(world.admin)
    program = ProgramFactory(status="draft")
    response = client.post(
        reverse("programs:curation:review_decide"),
        {"draft": [program.pk], "decision": "reject", "kind": "draft"},
        follow=True,
    )
    assert "Say why you reject" in response.content.decode()
    client.post(
        reverse("programs:curation:review_decide"),
        {"draft": [program.pk], "decision": "reject", "note": "Wrong provider", "kind": "draft"},
    )
    program.refresh_from_db()
    assert program.status == "archived"


def _held_changes(count):
    provider = ProviderFactory()
    for _ in range(count):
        program = ProgramFactory(provider=provider)
        record = {"title": "Proposed", "status": "published"}
        from programs.exchange.format import program_record

        full = {**program_record(program), **record}
        ProgramRevision.objects.create(program=program, record=full)


@pytest.mark.parametrize("kind", ["revision", "draft"])
def test_review_queue_query_count_does_not_grow(client, world, kind):
    client.force_login(world.admin)
    url = reverse("programs:curation:review") + f"?kind={kind}"

    def make(n):
        if kind == "revision":
            _held_changes(n)
        else:
            ProgramFactory.create_batch(n, status="draft")

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make(3)
    with CaptureQueriesContext(connection) as small:
        body = client.get(url).content.decode()
    assert body.count('name="approve_one"') == 3
    make(20)
    with CaptureQueriesContext(connection) as large:
        body = client.get(url).content.decode()
    assert len(large) == len(small)
    assert body.count('name="approve_one"') == 23


def test_review_page_shows_the_diff(client, world):
    client.force_login(world.admin)
    provider = ProviderFactory(name="Mercy CME")
    ProgramFactory(provider=provider, external_id="X-1", title="Live title")
    run_import(csv_text([good_row(1, title="Proposed title")]))
    page = client.get(reverse("programs:curation:review")).content.decode()
    assert "Live title" in page and "Proposed title" in page
