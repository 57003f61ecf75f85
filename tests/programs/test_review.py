"""The review queue services: held changes and drafts, approve / reject with a note."""

from __future__ import annotations

import pytest

from programs.choices import ProgramStatus
from programs.curation import review
from programs.models import ChangeLogEntry, ChangeSource, Program, ProgramRevision, RevisionStatus
from programs.selectors import catalog_base
from tests.factories import AdminFactory, ProgramFactory, ProviderFactory

from .import_helpers import csv_text, good_row, run_import

pytestmark = pytest.mark.django_db


@pytest.fixture
def held():
    provider = ProviderFactory(name="Mercy CME")
    live = ProgramFactory(provider=provider, external_id="X-1", title="Live title")
    job = run_import(csv_text([good_row(1, title="Proposed title")]))
    return live, ProgramRevision.objects.get(program=live), job


def test_queue_shows_field_by_field_diff_against_the_published_listing(held):
    _live, revision, _ = held
    _page, items = review.review_queue_page(kind="revision", page_number=1)
    (item,) = items
    changes = {c.field: (c.before, c.after) for c in item.changes}
    assert changes["title"] == ("Live title", "Proposed title")
    assert "external_id" not in changes
    assert item.import_job_id == revision.import_job_id


def test_catalog_shows_the_live_version_until_approved(held):
    live, revision, _ = held
    assert catalog_base().get(pk=live.pk).title == "Live title"
    admin = AdminFactory()
    outcome = review.review_decide(revision_ids=[revision.pk], approve=True, actor=admin)
    assert outcome.approved == 1
    assert catalog_base().get(pk=live.pk).title == "Proposed title"
    revision.refresh_from_db()
    assert revision.status == RevisionStatus.APPROVED and revision.reviewed_by == admin
    entry = ChangeLogEntry.objects.filter(program=live).first()
    assert (entry.source, entry.actor, entry.import_job_id) == (ChangeSource.REVIEW, admin, revision.import_job_id)
    assert entry.changes["title"] == ["Live title", "Proposed title"]


def test_reject_keeps_the_live_listing_and_records_the_note(held):
    live, revision, _ = held
    admin = AdminFactory()
    with pytest.raises(review.NoteRequired):
        review.review_decide(revision_ids=[revision.pk], approve=False, actor=admin, note="  ")
    review.review_decide(revision_ids=[revision.pk], approve=False, actor=admin, note="Title is wrong")
    live.refresh_from_db()
    assert live.title == "Live title"
    revision.refresh_from_db()
    assert (revision.status, revision.review_note) == (RevisionStatus.REJECTED, "Title is wrong")
    assert "Title is wrong" in ChangeLogEntry.objects.filter(program=live).first().note


def test_second_decision_on_the_same_item_is_skipped(held):
    _, revision, _ = held
    admin = AdminFactory()
    review.review_decide(revision_ids=[revision.pk], approve=True, actor=admin)
    assert review.review_decide(revision_ids=[revision.pk], approve=True, actor=admin).skipped == 1


def test_bulk_approve_and_reject_drafts():
    run_import(csv_text([good_row(n) for n in range(1, 5)]))
    ids = list(Program.objects.order_by("pk").values_list("pk", flat=True))
    admin = AdminFactory()
    assert review.review_decide(draft_ids=ids[:3], approve=True, actor=admin).approved == 3
    assert review.review_decide(draft_ids=ids[3:], approve=False, actor=admin, note="Duplicate").rejected == 1
    statuses = list(Program.objects.order_by("pk").values_list("status", flat=True))
    assert statuses == ["published"] * 3 + ["archived"]
    assert ChangeLogEntry.objects.filter(program_id=ids[3], source=ChangeSource.REVIEW).get().note.endswith("Duplicate")


def test_drafts_in_queue_carry_quality_hints():
    run_import(csv_text([good_row(1, description="8 credits on sepsis.", commercial_support="disclosed")]))
    _, items = review.review_queue_page(kind="draft", page_number=1)
    codes = {hint.code for hint in items[0].hints}
    assert {"description_only_hours_and_topics", "supporter_not_named"} <= codes
    assert items[0].program.status == ProgramStatus.DRAFT


def test_reimport_matching_live_supersedes_the_pending_change(held):
    _live, revision, _ = held
    run_import(csv_text([good_row(1, title="Live title")]))
    revision.refresh_from_db()
    # The factory listing differs from good_row in other fields, so this is still a change: held again.
    assert revision.status == RevisionStatus.PENDING
    assert revision.record["title"] == "Live title"
