"""Curators create and edit listings in the app: one validation with the importer, edits held for review."""

from __future__ import annotations

import pytest
from django.urls import reverse

from programs.choices import ProgramStatus
from programs.curation import review
from programs.curation.forms import ListingForm
from programs.exchange.validation import row_validate
from programs.models import ChangeLogEntry, ChangeSource, Program, ProgramRevision, RevisionStatus
from programs.selectors import catalog_base
from tests.factories import AdminFactory, ProgramFactory, ProviderFactory

from .import_helpers import csv_text, good_row, run_import

pytestmark = pytest.mark.django_db


def _form_data(program: Program, **changes: str) -> dict[str, str]:
    form = ListingForm(program=program)
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(changes)
    return data


@pytest.fixture
def curator(client):
    user = AdminFactory(email="curator@example.test")
    client.force_login(user)
    return user


@pytest.fixture
def published():
    return ProgramFactory(provider=ProviderFactory(name="Mercy CME"), external_id="X-1", title="Live title")


def test_edit_of_a_published_listing_waits_for_review_then_goes_live(client, curator, published):
    url = reverse("programs:curation:listing_edit", args=[published.pk])
    response = client.post(url, _form_data(published, title="New title", fee_amount="750"))
    assert response.status_code == 302
    assert catalog_base().get(pk=published.pk).title == "Live title"
    assert catalog_base().get(pk=published.pk).fee_amount == 500
    revision = ProgramRevision.objects.get(program=published, status=RevisionStatus.PENDING)
    assert (revision.source, revision.proposed_by) == (ChangeSource.CURATION, curator)
    queue = client.get(reverse("programs:curation:review"))
    html = queue.content.decode()
    assert "Live title" in html and "New title" in html and "750" in html and "edited by" in html
    _page, (item,) = review.review_queue_page(kind="revision", page_number=1)
    assert {change.field: (change.before, change.after) for change in item.changes} == {
        "title": ("Live title", "New title"),
        "fee_amount": ("500", "750"),
    }
    client.post(reverse("programs:curation:review_decide"), {"approve_one": f"revision:{revision.pk}"})
    live = catalog_base().get(pk=published.pk)
    assert (live.title, live.fee_amount) == ("New title", 750)


def test_rejected_edit_is_discarded(client, curator, published):
    client.post(
        reverse("programs:curation:listing_edit", args=[published.pk]), _form_data(published, title="Wrong title")
    )
    revision = ProgramRevision.objects.get(program=published)
    client.post(
        reverse("programs:curation:review_decide"), {"reject_one": f"revision:{revision.pk}", "note": "Not the title"}
    )
    revision.refresh_from_db()
    assert revision.status == RevisionStatus.REJECTED
    assert catalog_base().get(pk=published.pk).title == "Live title"
    assert "Not the title" in ChangeLogEntry.objects.filter(program=published).first().note


def test_edit_diff_equals_the_import_diff(curator, published):
    """The same change typed in the form and read from a file is held with the same diff."""
    other = ProgramFactory(provider=published.provider, external_id="X-2", title="Other live")
    form = ListingForm(_form_data(published, title="Proposed title"), program=published)
    assert form.is_valid(), form.errors
    from programs.curation.editing import listing_edit

    listing_edit(program_id=published.pk, record=form.record, actor=curator)
    run_import(csv_text([good_row(2, title="Proposed title", provider_name="Mercy CME")]))
    by_form = ProgramRevision.objects.get(program=published)
    by_import = ProgramRevision.objects.get(program=other)
    assert by_form.changes["title"] == ["Live title", "Proposed title"]
    assert by_import.changes["title"] == ["Other live", "Proposed title"]


def test_second_edit_supersedes_the_pending_one(curator, published):
    from programs.curation.editing import listing_edit

    for title in ("First try", "Second try"):
        form = ListingForm(_form_data(published, title=title), program=published)
        assert form.is_valid()
        listing_edit(program_id=published.pk, record=form.record, actor=curator)
    statuses = dict(ProgramRevision.objects.values_list("record__title", "status"))
    assert statuses == {"First try": RevisionStatus.SUPERSEDED, "Second try": RevisionStatus.PENDING}


def test_draft_edit_applies_at_once_and_keeps_the_status(client, curator):
    draft = ProgramFactory(status=ProgramStatus.DRAFT, title="Draft title")
    client.post(reverse("programs:curation:listing_edit", args=[draft.pk]), _form_data(draft, title="Better title"))
    draft.refresh_from_db()
    assert (draft.title, draft.status) == ("Better title", ProgramStatus.DRAFT)
    entry = ChangeLogEntry.objects.filter(program=draft).first()
    assert (entry.source, entry.actor, entry.changes["title"]) == (
        ChangeSource.CURATION,
        curator,
        ["Draft title", "Better title"],
    )


BAD_VALUES = [
    ("format", "lecture"),
    ("fee_amount", "-3"),
    ("credits", "ama_pra_1:twenty"),
    ("professions", "physician;wizard"),
    ("start_date", "31/12/2026"),
    ("url", "ftp://example.org"),
    ("title", ""),
]


@pytest.mark.parametrize(("field", "value"), BAD_VALUES)
def test_form_and_importer_give_the_same_message_and_write_nothing(client, curator, field, value):
    data = {**good_row(1), field: value}
    data.pop("status", None)
    _record, problems = row_validate(data)
    (problem,) = [p for p in problems if p.field == field]
    before = (Program.objects.count(), ChangeLogEntry.objects.count())
    response = client.post(reverse("programs:curation:listing_new"), data)
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [problem.message]
    assert (Program.objects.count(), ChangeLogEntry.objects.count()) == before


def test_end_before_start_is_refused_like_the_importer(client, curator):
    data = {**good_row(1), "start_date": "2026-05-02", "end_date": "2026-05-01"}
    response = client.post(reverse("programs:curation:listing_new"), data)
    assert response.status_code == 400
    assert "end date is before" in response.context["form"].errors["end_date"][0]


def test_create_makes_a_draft_and_refuses_a_taken_identity(client, curator):
    data = {**good_row(1), "status": "published"}
    response = client.post(reverse("programs:curation:listing_new"), data)
    program = Program.objects.get(external_id=data["external_id"])
    assert response["Location"] == reverse("programs:curation:listing_history", args=[program.pk])
    assert program.status == ProgramStatus.DRAFT
    again = client.post(reverse("programs:curation:listing_new"), data)
    assert again.status_code == 400 and "already has a listing" in again.context["form"].errors["external_id"][0]
    assert Program.objects.count() == 1


def test_identity_cannot_be_changed_by_an_edit(client, curator, published):
    data = _form_data(published, external_id="HIJACK", provider_name="Other provider", title="T2")
    client.post(reverse("programs:curation:listing_edit", args=[published.pk]), data)
    revision = ProgramRevision.objects.get(program=published)
    assert (revision.record["external_id"], revision.record["provider_name"]) == ("X-1", "Mercy CME")


def test_history_tells_who_changed_what_via_import_or_edit_and_who_approved(client, curator, published):
    editor = AdminFactory(first_name="Edna", last_name="Editor")
    from programs.curation.editing import listing_edit

    form = ListingForm(_form_data(published, title="Edited title"), program=published)
    assert form.is_valid()
    revision = listing_edit(program_id=published.pk, record=form.record, actor=editor).revision
    review.review_decide(revision_ids=[revision.pk], approve=True, actor=curator)
    job = run_import(csv_text([good_row(1, title="Imported title")]))
    held = ProgramRevision.objects.get(program=published, status=RevisionStatus.PENDING)
    review.review_decide(revision_ids=[held.pk], approve=False, actor=curator, note="Keep the edited title")
    response = client.get(reverse("programs:curation:listing_history", args=[published.pk]))
    events = response.context["events"]
    proposals = [(e.source, e.actor, e.status, e.reviewed_by) for e in events if e.kind == "proposal"]
    assert proposals == [
        ("Import", None, "Rejected", curator),
        ("Curation form", editor, "Approved", curator),
    ]
    applied = next(e for e in events if e.kind == "change" and e.source == "Review queue" and e.changes)
    assert applied.actor == curator and "edited by" in applied.note
    assert [(c.field, c.before, c.after) for c in applied.changes] == [("title", "Live title", "Edited title")]
    html = response.content.decode()
    assert f"import #{job.pk}" in html and "Keep the edited title" in html and str(editor) in html


def test_history_and_listing_pages_take_the_same_queries_at_two_sizes(client, curator, published):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from programs.curation.editing import listing_edit

    def counts() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as history:
            client.get(reverse("programs:curation:listing_history", args=[published.pk]))
        with CaptureQueriesContext(connection) as listings:
            client.get(reverse("programs:curation:listings"))
        return len(history), len(listings)

    small = counts()
    for n in range(8):
        form = ListingForm(_form_data(published, title=f"Try {n}"), program=published)
        assert form.is_valid()
        listing_edit(program_id=published.pk, record=form.record, actor=AdminFactory())
        ProgramFactory()
    ChangeLogEntry.objects.create(program=published, object_repr="x", action="updated", source="admin", actor=curator)
    assert counts() == small
