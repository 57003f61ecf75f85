"""Provider claims worded as what they are, the same on every page (programs.presenters)."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from outcomes.models import ProgramOutcomeEvidence
from outcomes.services import evidence_program_scores_refresh
from programs.models import Program
from programs.presenters import program_claims
from supervision import services
from supervision.models import FundingRequest
from supervision.rules import RequestCosts
from tests.factories import ProgramFactory, ProviderFactory
from tests.supervision.helpers import profile

pytestmark = pytest.mark.django_db

VERIFIED_ON = datetime.date(2026, 1, 5)

STATED = {
    "accreditation": "ACCME, accreditation with commendation (stated by the provider)",
    "outcome_level": "Level 5: performance (stated by the provider)",
    "designed_to_change": "Performance (level 5), Patient outcomes (level 6) (stated by the provider)",
    "outcome_results": "Outcome report linked by the provider (not verified by the CME office)",
}
VERIFIED = {
    "accreditation": "ACCME, accreditation with commendation (verified by the CME office on Jan 5, 2026)",
    "outcome_level": "Level 5: performance (verified by the CME office on Jan 5, 2026)",
    "designed_to_change": (
        "Performance (level 5), Patient outcomes (level 6) (verified by the CME office on Jan 5, 2026)"
    ),
    "outcome_results": "Published outcome evidence of past cohorts (verified by the CME office)",
}


def _program(**fields):
    values = {
        "provider": ProviderFactory(accreditor="accme", accreditation_status="commendation"),
        "outcome_level_measured": "5",
        "designed_to_change": ["performance", "patient_outcomes"],
        "publishes_outcomes": True,
        "outcomes_url": "https://provider.example/outcomes",
    }
    values.update(fields)
    return ProgramFactory(**values)


def _evidence(program, *, verified, **fields):
    values = {
        "metric": "First-line antibiotic use",
        "baseline": "43.4%",
        "follow_up": "62.4%",
        "n": 2142,
        "n_unit": "UTIs",
        "time_window": "18 months",
        "moore_level": "5",
        "source_url": "https://example.org/outcomes",
        "verified": verified,
        "verified_on": VERIFIED_ON if verified else None,
    }
    values.update(fields)
    evidence = ProgramOutcomeEvidence.objects.create(program=program, **values)
    evidence_program_scores_refresh(program_ids=[program.pk])
    return evidence


def _verify_listing(program):
    Program.objects.filter(pk=program.pk).update(last_verified_on=VERIFIED_ON)


def _request(world, program):
    """The demo-like path: the clinician shortlists the program and asks for funding."""
    from careers.models import ShortlistEntry

    profile(world.owner)
    entry = ShortlistEntry.objects.create(user=world.owner, program=program, status="planned")
    request, _ = services.funding_request_create(
        requester=world.owner,
        program=entry.program,
        costs=RequestCosts(registration=Decimal("300")),
        leave_days=Decimal("1"),
        justification="Sepsis bundle work on our unit.",
    )
    return request


def _pages(client, world, program, other, request):
    client.force_login(world.owner)
    detail = client.get(reverse("programs:detail", args=[program.pk])).content.decode()
    compare = client.get(reverse("programs:compare"), {"ids": [program.pk, other.pk]}).content.decode()
    catalog = client.get(reverse("programs:catalog")).content.decode()
    client.force_login(world.team_supervisor)
    supervisor = client.get(reverse("supervision:request_detail", args=[request.pk])).content.decode()
    return {"program page": detail, "compare": compare, "catalog": catalog, "request page": supervisor}


# --- The wording, from the presenter ---


def test_claims_read_stated_by_the_provider_until_the_listing_is_verified():
    program = _program()
    claims = program_claims(Program.objects.select_related("provider").get(pk=program.pk))
    assert {name: getattr(claims, name).text for name in STATED} == STATED
    assert not any(claim.verified for claim in claims.as_list())
    _verify_listing(program)
    _evidence(program, verified=True)
    claims = program_claims(Program.objects.select_related("provider").get(pk=program.pk))
    assert {name: getattr(claims, name).text for name in VERIFIED} == VERIFIED
    assert all(claim.verified for claim in claims.as_list())


def test_listing_verification_does_not_make_a_provider_link_published_evidence():
    program = _program()
    _verify_listing(program)
    _evidence(program, verified=False)  # a curated claim nobody has checked yet
    results = program_claims(Program.objects.select_related("provider").get(pk=program.pk)).outcome_results
    assert results.text == "Outcome report linked by the provider (not verified by the CME office)"
    assert results.url == "https://provider.example/outcomes" and not results.verified


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"outcomes_url": "", "publishes_outcomes": True},
            "The provider says it publishes outcome data (not verified by the CME office)",
        ),
        ({"outcomes_url": "", "publishes_outcomes": None}, "No verified outcome evidence"),
    ],
)
def test_outcome_results_without_a_link_are_the_providers_word(fields, expected):
    program = _program(**fields)
    assert program_claims(program).outcome_results.text == expected


def test_nothing_stated_reads_not_stated_and_vouches_for_nothing():
    program = _program(
        provider=ProviderFactory(accreditor="", accreditation_status=""),
        outcome_level_measured="",
        designed_to_change=[],
    )
    claims = program_claims(program)
    assert [claims.accreditation.text, claims.outcome_level.text, claims.designed_to_change.text] == ["Not stated"] * 3


# --- Every page says the same ---


@pytest.mark.parametrize("state", ["stated", "verified"])
def test_program_page_compare_catalog_and_request_page_word_the_claims_the_same(client, world, state):
    program = _program(title="Sepsis leadership")
    other = _program(title="Other program")
    if state == "verified":
        _verify_listing(program)
        _evidence(program, verified=True)
    expected = STATED if state == "stated" else VERIFIED
    request = _request(world, program)
    pages = _pages(client, world, program, other, request)
    for page, body in pages.items():
        texts = [expected["accreditation"]] if page == "catalog" else list(expected.values())
        for text in texts:
            assert text in body, f"{page} lacks {text!r}"
        assert "Measured:" not in body and "patientoutcomes" not in body
        if state == "stated":
            assert "verified by the CME office on" not in body.replace("not verified by the CME office", ""), page
            assert "Published outcome evidence" not in body, page


def test_unverified_outcome_figures_are_withheld_on_the_request_page_as_on_the_program_page(client, world):
    program = _program(outcomes_url="")
    _evidence(program, verified=True)
    _evidence(program, verified=False, metric="Length of stay", baseline="5.1 days", follow_up="3.9 days")
    request = _request(world, program)
    (verified_row, claim_row) = request.snapshot["outcome_evidence"]
    assert "5.1 days" not in str(request.snapshot) and "3.9 days" not in str(request.snapshot)
    assert claim_row["shown_as"] == "claim" and verified_row["shown_as"] == "fact"
    pages = _pages(client, world, program, _program(), request)
    claim = (
        "Provider&#x27;s claim about Length of stay (18 months), not verified by the CME office: "
        "its figures are not shown as fact"
    )
    for page in ("program page", "request page"):
        body = pages[page]
        assert claim in body, page
        assert "5.1 days" not in body and "3.9 days" not in body, page
        assert "43.4%" in body and "62.4%" in body, page  # verified figures are shown on both
    assert "verified by the CME office on Jan 5, 2026" in pages["request page"]


def test_a_request_recorded_before_claims_were_worded_still_hides_unverified_figures(client, world):
    program = _program()
    request = _request(world, program)
    legacy = {
        **request.snapshot,
        "outcome_evidence": [
            {
                "summary": "Length of stay: 5.1 days to 3.9 days over 18 months (reported before/after change; "
                "not proof of causation)",
                "moore_level": "Level 6: patient health",
                "source_url": "https://example.org/claim",
                "verified": "no",
            },
            {
                "summary": "First-line antibiotic use: 43.4% to 62.4% (reported before/after change; "
                "not proof of causation)",
                "moore_level": "Level 5: performance",
                "source_url": "https://example.org/source",
                "verified": "yes",
            },
        ],
    }
    legacy.pop("claims")
    FundingRequest.objects.filter(pk=request.pk).update(snapshot=legacy)
    client.force_login(world.team_supervisor)
    body = client.get(reverse("supervision:request_detail", args=[request.pk])).content.decode()
    assert "5.1 days" not in body and "3.9 days" not in body
    assert "An outcome the provider claims, not verified by the CME office: its figures are not shown as fact" in body
    assert "43.4% to 62.4%" in body and "verified by the CME office." in body
    assert "Accreditation and outcomes" not in body  # not recorded then: nothing is claimed for it


# --- Level names ---


def test_designed_to_change_uses_the_choice_labels_with_the_moore_level(client, world):
    program = _program(designed_to_change=["competence", "patient_outcomes"])
    client.force_login(world.owner)
    body = client.get(reverse("programs:detail", args=[program.pk])).content.decode()
    assert "Competence (level 4), Patient outcomes (level 6) (stated by the provider)" in body
    assert "patientoutcomes" not in body and "patient_outcomes" not in body
