"""Program outcome evidence: the program page, the scoring signal and the admin."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from outcomes.models import ProgramOutcomeEvidence
from outcomes.templatetags.outcomes_tags import program_evidence
from programs.models import Program
from programs.selectors import program_signals
from tests.factories import ProgramFactory

pytestmark = pytest.mark.django_db


def _evidence(program, **fields):
    values = {
        "metric": "First-line antibiotic use",
        "baseline": "43.4%",
        "follow_up": "62.4%",
        "n": 2142,
        "n_unit": "UTIs",
        "time_window": "18 months",
        "moore_level": "5",
        "source_url": "https://example.org/outcomes",
    }
    values.update(fields)
    return ProgramOutcomeEvidence.objects.create(program=program, **values)


def test_verified_evidence_satisfies_the_publishes_outcomes_signal():
    program = ProgramFactory()
    assert program_signals(program).has_verified_outcome_evidence is False
    _evidence(program, verified=False)
    assert program_signals(program).has_verified_outcome_evidence is False
    _evidence(program, metric="Duration", verified=True)
    assert program_signals(program).has_verified_outcome_evidence is True


def test_program_page_shows_verified_evidence_as_fact_and_unverified_as_a_labelled_claim(client, world):
    program = ProgramFactory()
    _evidence(program, verified=True, verified_on=datetime.date(2026, 1, 2))
    _evidence(program, metric="Length of stay", baseline="5.1 days", follow_up="3.9 days", verified=False)
    client.force_login(world.owner)
    body = client.get(reverse("programs:detail", args=[program.pk])).content.decode()
    assert "43.4%" in body and "62.4%" in body and "2,142 UTIs" in body
    assert "Verified Jan 2, 2026" in body
    assert "Not verified" in body and "Length of stay" in body
    assert "5.1 days" not in body and "3.9 days" not in body


def test_evidence_tag_uses_one_query():
    program = ProgramFactory()
    _evidence(program, verified=True)
    _evidence(program, metric="Other", verified=False)
    with CaptureQueriesContext(connection) as captured:
        program_evidence(program)
    assert len(captured) == 1


def _admin_form(program, **overrides):
    data = {
        "program": str(program.pk),
        "metric": "First-line antibiotic use",
        "moore_level": "5",
        "baseline": "43.4%",
        "follow_up": "62.4%",
        "significance": "",
        "n": "2142",
        "n_unit": "UTIs",
        "time_window": "18 months",
        "source_url": "https://example.org/outcomes",
    }
    data.update(overrides)
    return data


def test_curator_verifying_evidence_in_the_admin_refreshes_the_program_score(client, world):
    program = ProgramFactory(publishes_outcomes=None)
    before = Program.objects.get(pk=program.pk).outcome_points
    client.force_login(world.admin)
    response = client.post(reverse("admin:outcomes_programoutcomeevidence_add"), _admin_form(program, verified="on"))
    assert response.status_code == 302, response.content.decode()[:2000]
    evidence = ProgramOutcomeEvidence.objects.get()
    assert evidence.verified_by == world.admin and evidence.verified_on is not None
    verified_score = Program.objects.get(pk=program.pk).outcome_points
    assert verified_score > before
    response = client.post(
        reverse("admin:outcomes_programoutcomeevidence_change", args=[evidence.pk]), _admin_form(program)
    )
    assert response.status_code == 302
    evidence.refresh_from_db()
    assert evidence.verified is False and evidence.verified_by is None
    assert Program.objects.get(pk=program.pk).outcome_points == before


@pytest.mark.parametrize("role", ["owner", "team_supervisor"])
def test_only_curators_reach_the_evidence_admin(client, world, role):
    client.force_login(getattr(world, role))
    response = client.get(reverse("admin:outcomes_programoutcomeevidence_changelist"))
    assert response.status_code in (302, 403)


def test_outcome_projects_are_not_in_the_admin(client, world):
    client.force_login(world.admin)
    body = client.get(reverse("admin:index")).content.decode()
    assert "outcome evidence" in body.lower()
    assert "outcomeproject" not in body.lower()
