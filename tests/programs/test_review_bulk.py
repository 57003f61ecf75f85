"""Deciding many at once: a selection or a whole import, one transaction, queries that do not grow with size."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from programs.choices import ProgramStatus
from programs.curation import review
from programs.models import ChangeLogEntry, ChangeSource, Program, ProgramRevision, RevisionStatus
from programs.selectors import catalog_base
from tests.factories import AdminFactory

from .import_helpers import csv_text, good_row, run_import

pytestmark = pytest.mark.django_db


def assert_same_queries(small: int, large: int) -> None:
    """Equal on PostgreSQL. SQLite caps a statement at 999 parameters, so Django splits each bulk
    statement into a few more batches there; still far from one query per item (hundreds here)."""
    if connection.vendor == "postgresql":
        assert small == large, (small, large)
    else:
        assert large - small <= 15, (small, large)


def _queue(size: int, *, prefix: str = "A"):
    """An import that left `size` drafts and `size` held changes to published listings."""
    run_import(csv_text([good_row(n, external_id=f"{prefix}L-{n}") for n in range(size)]), publish=True)
    rows = [good_row(n, external_id=f"{prefix}L-{n}", title=f"Changed {n}") for n in range(size)]
    rows += [good_row(n, external_id=f"{prefix}D-{n}", title=f"Draft {n}") for n in range(size)]
    return run_import(csv_text(rows))


def _decide_queries(size: int, prefix: str, **kwargs) -> tuple[int, review.ReviewOutcome]:
    job = _queue(size, prefix=prefix)
    curator = AdminFactory()
    with CaptureQueriesContext(connection) as queries:
        outcome = review.review_decide_import(job_id=job.pk, actor=curator, **kwargs)
    return len(queries), outcome


def test_approving_a_whole_import_takes_the_same_queries_at_20_and_300_items():
    small, small_outcome = _decide_queries(10, "S", approve=True)
    large, large_outcome = _decide_queries(150, "L", approve=True)
    assert (small_outcome.approved, large_outcome.approved) == (20, 300)
    assert_same_queries(small, large)
    assert catalog_base().filter(title__startswith="Changed").count() == 160
    assert catalog_base().filter(title__startswith="Draft").count() == 160


def test_rejecting_a_whole_import_takes_the_same_queries_and_keeps_the_live_listings():
    small, _ = _decide_queries(10, "S", approve=False, note="Wrong feed")
    large, outcome = _decide_queries(150, "L", approve=False, note="Wrong feed")
    assert outcome.rejected == 300
    assert_same_queries(small, large)
    assert not catalog_base().filter(title__startswith="Changed").exists()
    assert Program.objects.filter(title__startswith="Draft", status=ProgramStatus.ARCHIVED).count() == 160
    assert set(ProgramRevision.objects.values_list("status", flat=True)) == {RevisionStatus.REJECTED}


def test_a_whole_import_approves_only_that_import_and_records_who_and_which_import():
    first = _queue(3, prefix="F")
    second = _queue(2, prefix="G")
    curator = AdminFactory()
    outcome = review.review_decide_import(job_id=first.pk, approve=True, actor=curator)
    assert outcome.approved == 6
    assert ProgramRevision.objects.filter(import_job=second, status=RevisionStatus.PENDING).count() == 2
    assert Program.objects.filter(external_id__startswith="GD-", status=ProgramStatus.DRAFT).count() == 2
    entry = ChangeLogEntry.objects.filter(program__external_id="FL-0").first()
    assert (entry.actor, entry.source, entry.import_job_id) == (curator, ChangeSource.REVIEW, first.pk)
    assert entry.changes["title"] == ["Sepsis quality improvement 0", "Changed 0"]
    assert f"import #{first.pk}" in entry.note
    assert [(e.job_id, e.drafts, e.revisions) for e in review.imports_in_queue()] == [(second.pk, 2, 2)]


def test_review_page_offers_the_whole_import_with_its_count_and_its_button_approves_it(client):
    job = _queue(150, prefix="P")
    curator = AdminFactory()
    client.force_login(curator)
    page = client.get(reverse("programs:curation:review")).content.decode()
    assert f"Approve all 300 from import #{job.pk}" in page
    assert "121 pages" not in page
    response = client.post(reverse("programs:curation:review_decide_import", args=[job.pk]), {"decision": "approve"})
    assert response["Location"] == reverse("programs:curation:review")
    assert catalog_base().filter(external_id__startswith="P").count() == 300
    detail = client.get(reverse("programs:curation:import_detail", args=[job.pk])).content.decode()
    assert "Approve all" not in detail


def test_rejecting_a_whole_import_needs_a_note(client):
    job = _queue(2, prefix="N")
    client.force_login(AdminFactory())
    client.post(reverse("programs:curation:review_decide_import", args=[job.pk]), {"decision": "reject"})
    assert ProgramRevision.objects.filter(status=RevisionStatus.PENDING).count() == 2


def test_ticked_selection_is_decided_with_the_same_queries_at_two_sizes():
    def ticked(size: int, prefix: str) -> int:
        job = _queue(size, prefix=prefix)
        revision_ids, draft_ids = review.import_job_queue(job_id=job.pk)
        with CaptureQueriesContext(connection) as queries:
            review.review_decide(revision_ids=revision_ids, draft_ids=draft_ids, approve=True, actor=AdminFactory())
        return len(queries)

    assert_same_queries(ticked(5, "T"), ticked(100, "U"))
