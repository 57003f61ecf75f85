"""Curators' program outcome evidence pages: add, edit, verify, unverify, delete, and what the program page shows."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from outcomes.models import ProgramOutcomeEvidence
from programs.models import Program
from tests.factories import ProgramFactory

pytestmark = pytest.mark.django_db

EVIDENCE = {
    "metric": "First-line antibiotic use",
    "moore_level": "5",
    "baseline": "43.4%",
    "follow_up": "62.4%",
    "significance": "P < .0001",
    "n": "2142",
    "n_unit": "UTIs",
    "time_window": "18 months",
    "source_url": "https://example.org/outcomes",
}


def _flag(program: Program) -> bool:
    return Program.objects.get(pk=program.pk).has_verified_outcome_evidence


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def curator_client(client, world):
    client.force_login(world.admin)
    return client


def _add(client, program, **changes):
    return client.post(reverse("outcomes:evidence_new", args=[program.pk]), {**EVIDENCE, **changes})


def test_added_evidence_is_unverified_and_reads_as_the_providers_claim(curator_client, client, world):
    program = ProgramFactory()
    response = _add(curator_client, program)
    assert response.status_code == 302
    assert response["Location"] == reverse("outcomes:evidence_list", args=[program.pk])
    evidence = ProgramOutcomeEvidence.objects.get(program=program)
    assert evidence.verified is False and evidence.verified_by is None and evidence.verified_on is None
    assert _flag(program) is False

    listing = curator_client.get(reverse("outcomes:evidence_list", args=[program.pk])).content.decode()
    assert "First-line antibiotic use" in listing and "Not verified" in listing and "stated by the provider" in listing

    client.force_login(world.owner)
    page = client.get(reverse("programs:detail", args=[program.pk])).content.decode()
    assert "Claims not verified" in page
    assert "Provider&#x27;s claim about First-line antibiotic use (18 months), not verified" in page
    assert "62.4%" not in page  # an unverified claim's figures are not shown as fact


def test_verify_records_who_and_when_and_sets_the_flag_unverify_clears_it(curator_client, world):
    program = ProgramFactory()
    _add(curator_client, program)
    evidence = ProgramOutcomeEvidence.objects.get(program=program)
    url = reverse("outcomes:evidence_verify", args=[evidence.pk])

    response = curator_client.post(url, {"verified": "on"})
    assert response.status_code == 302
    evidence.refresh_from_db()
    assert evidence.verified is True
    assert evidence.verified_by == world.admin
    assert evidence.verified_on == timezone.localdate()
    assert _flag(program) is True
    listing = curator_client.get(reverse("outcomes:evidence_list", args=[program.pk])).content.decode()
    assert "Verified</span> by" in listing

    curator_client.post(url, {"verified": "off"})
    evidence.refresh_from_db()
    assert evidence.verified is False and evidence.verified_by is None and evidence.verified_on is None
    assert _flag(program) is False


def test_verify_with_an_unreadable_choice_changes_nothing(curator_client):
    program = ProgramFactory()
    _add(curator_client, program)
    evidence = ProgramOutcomeEvidence.objects.get(program=program)
    response = curator_client.post(reverse("outcomes:evidence_verify", args=[evidence.pk]), {"verified": "maybe"})
    assert response.status_code == 302
    assert any("nothing was changed" in text for text in _messages(response))
    evidence.refresh_from_db()
    assert evidence.verified is False and _flag(program) is False


def test_edit_keeps_the_verification_and_unticking_it_clears_who_and_when(curator_client, world):
    program = ProgramFactory()
    _add(curator_client, program, verified="on")
    evidence = ProgramOutcomeEvidence.objects.get(program=program)
    assert evidence.verified_by == world.admin and _flag(program) is True
    ProgramOutcomeEvidence.objects.filter(pk=evidence.pk).update(verified_on=datetime.date(2026, 1, 2))

    url = reverse("outcomes:evidence_edit", args=[evidence.pk])
    assert curator_client.get(url).status_code == 200
    curator_client.post(url, {**EVIDENCE, "follow_up": "63.0%", "verified": "on"})
    evidence.refresh_from_db()
    assert evidence.follow_up == "63.0%"
    assert evidence.verified_on == datetime.date(2026, 1, 2)  # an edit does not restamp the verification

    curator_client.post(url, {**EVIDENCE})  # verified unticked
    evidence.refresh_from_db()
    assert evidence.verified is False and evidence.verified_by is None and evidence.verified_on is None
    assert _flag(program) is False


def test_delete_removes_the_evidence_and_refreshes_the_flag(curator_client):
    program = ProgramFactory()
    _add(curator_client, program, verified="on")
    evidence = ProgramOutcomeEvidence.objects.get(program=program)
    assert _flag(program) is True
    response = curator_client.post(reverse("outcomes:evidence_delete", args=[evidence.pk]))
    assert response.status_code == 302
    assert not ProgramOutcomeEvidence.objects.filter(pk=evidence.pk).exists()
    assert _flag(program) is False
    # GET asks for confirmation (issue 13); once deleted there is nothing left to confirm.
    assert curator_client.get(reverse("outcomes:evidence_delete", args=[evidence.pk])).status_code == 404


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"source_url": ""}, "source_url"),
        ({"source_url": "not a url"}, "source_url"),
        ({"moore_level": "9"}, "moore_level"),
    ],
)
def test_bad_input_gets_a_message_and_writes_nothing(curator_client, changes, field):
    program = ProgramFactory()
    response = _add(curator_client, program, **changes)
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert "The evidence was not saved" in response.content.decode()
    assert not ProgramOutcomeEvidence.objects.exists()

    _add(curator_client, program)
    evidence = ProgramOutcomeEvidence.objects.get()
    response = curator_client.post(reverse("outcomes:evidence_edit", args=[evidence.pk]), {**EVIDENCE, **changes})
    assert response.status_code == 400
    evidence.refresh_from_db()
    assert evidence.source_url == EVIDENCE["source_url"] and evidence.moore_level == "5"


def test_unknown_program_or_evidence_is_404(curator_client):
    assert curator_client.get(reverse("outcomes:evidence_list", args=[999999])).status_code == 404
    assert curator_client.get(reverse("outcomes:evidence_new", args=[999999])).status_code == 404
    assert curator_client.get(reverse("outcomes:evidence_edit", args=[999999])).status_code == 404
    assert curator_client.post(reverse("outcomes:evidence_delete", args=[999999])).status_code == 404
    assert (
        curator_client.post(reverse("outcomes:evidence_verify", args=[999999]), {"verified": "on"}).status_code == 404
    )


@pytest.mark.parametrize("role", ["owner", "other_clinician", "team_supervisor", "other_supervisor"])
def test_non_curators_are_refused_and_nothing_changes(client, world, role):
    program = ProgramFactory()
    evidence = ProgramOutcomeEvidence.objects.create(program=program, **{**EVIDENCE, "n": 2142})
    client.force_login(world.by_role()[role])
    assert client.get(reverse("outcomes:evidence_list", args=[program.pk])).status_code == 403
    assert _add(client, program).status_code == 403
    assert client.post(reverse("outcomes:evidence_verify", args=[evidence.pk]), {"verified": "on"}).status_code == 403
    assert client.post(reverse("outcomes:evidence_delete", args=[evidence.pk])).status_code == 403
    evidence.refresh_from_db()
    assert evidence.verified is False and ProgramOutcomeEvidence.objects.count() == 1


def test_listing_pages_link_to_the_evidence(curator_client):
    program = ProgramFactory()
    evidence_url = reverse("outcomes:evidence_list", args=[program.pk])
    for name in ("programs:curation:listing_edit", "programs:curation:listing_history"):
        body = curator_client.get(reverse(name, args=[program.pk])).content.decode()
        assert f'href="{evidence_url}">Outcome evidence</a>' in body


def _evidence_rows(program, count, verifier):
    ProgramOutcomeEvidence.objects.bulk_create(
        ProgramOutcomeEvidence(
            program=program,
            **{**EVIDENCE, "n": 10, "metric": f"Measure {i}"},
            verified=i % 2 == 0,
            verified_by=verifier if i % 2 == 0 else None,
            verified_on=timezone.localdate() if i % 2 == 0 else None,
        )
        for i in range(count)
    )


def test_list_page_query_count_does_not_grow_with_the_evidence(curator_client, world, django_assert_num_queries):
    small, large = ProgramFactory(), ProgramFactory()
    _evidence_rows(small, 2, world.admin)
    _evidence_rows(large, 30, world.admin)
    curator_client.get(reverse("outcomes:evidence_list", args=[small.pk]))  # warm the session

    with CaptureQueriesContext(connection) as few:
        assert curator_client.get(reverse("outcomes:evidence_list", args=[small.pk])).status_code == 200
    assert len(few.captured_queries) <= 6, [query["sql"] for query in few.captured_queries]
    with django_assert_num_queries(len(few.captured_queries)):
        response = curator_client.get(reverse("outcomes:evidence_list", args=[large.pk]))
    assert response.content.decode().count('<tr id="evidence-') == 30
