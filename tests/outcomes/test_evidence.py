"""Program outcome evidence: the program page, the scoring signal and the admin."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from outcomes.models import ProgramOutcomeEvidence
from outcomes.selectors import programs_with_verified_evidence
from outcomes.services import evidence_program_scores_refresh
from outcomes.templatetags.outcomes_tags import program_evidence
from programs.models import Program
from programs.ranking import scoring
from programs.selectors import program_signals
from tests.factories import OperatorFactory, ProgramFactory

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
    evidence = ProgramOutcomeEvidence.objects.create(program=program, **values)
    evidence_program_scores_refresh(program_ids=[program.pk])  # rows written directly, as a seed does
    return evidence


def _signals(program):
    return program_signals(Program.objects.select_related("provider").get(pk=program.pk))


def test_verified_evidence_satisfies_the_publishes_outcomes_signal():
    program = ProgramFactory()
    assert _signals(program).has_verified_outcome_evidence is False
    _evidence(program, verified=False)
    assert _signals(program).has_verified_outcome_evidence is False
    _evidence(program, metric="Duration", verified=True)
    assert _signals(program).has_verified_outcome_evidence is True


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
    operator = OperatorFactory()  # the admin is for operators (issue 11)
    client.force_login(operator)
    response = client.post(reverse("admin:outcomes_programoutcomeevidence_add"), _admin_form(program, verified="on"))
    assert response.status_code == 302, response.content.decode()[:2000]
    evidence = ProgramOutcomeEvidence.objects.get()
    assert evidence.verified_by == operator and evidence.verified_on is not None
    verified_score = Program.objects.get(pk=program.pk).outcome_points
    assert verified_score > before
    response = client.post(
        reverse("admin:outcomes_programoutcomeevidence_change", args=[evidence.pk]), _admin_form(program)
    )
    assert response.status_code == 302
    evidence.refresh_from_db()
    assert evidence.verified is False and evidence.verified_by is None
    assert Program.objects.get(pk=program.pk).outcome_points == before


def _stored(program):
    """The program's stored flag and outcome points, and the points its evidence should earn."""
    row = Program.objects.select_related("provider").get(pk=program.pk)
    verified = ProgramOutcomeEvidence.objects.filter(program=program, verified=True).exists()
    expected = scoring.static_scores(program_signals(row, has_verified_outcome_evidence=verified)).outcome
    return row.has_verified_outcome_evidence, row.outcome_points, verified, expected


def _assert_in_line(program, *, verified):
    flag, points, has_verified, expected = _stored(program)
    assert flag is verified and has_verified is verified
    assert points == expected


def test_admin_actions_delete_and_moves_keep_the_flag_and_the_points_right(client, world):
    program = ProgramFactory(publishes_outcomes=None)
    other = ProgramFactory(publishes_outcomes=None)
    plain_points = Program.objects.get(pk=program.pk).outcome_points
    evidence = _evidence(program, verified=False)
    second = _evidence(program, metric="Duration", verified=False)
    _assert_in_line(program, verified=False)
    operator = OperatorFactory()  # the admin is for operators (issue 11)
    client.force_login(operator)
    changelist = reverse("admin:outcomes_programoutcomeevidence_changelist")

    response = client.post(changelist, {"action": "mark_verified", "_selected_action": [evidence.pk]})
    assert response.status_code == 302
    evidence.refresh_from_db()
    assert evidence.verified and evidence.verified_by == operator and evidence.verified_on == timezone.localdate()
    _assert_in_line(program, verified=True)
    assert Program.objects.get(pk=program.pk).outcome_points > plain_points

    client.post(changelist, {"action": "mark_verified", "_selected_action": [second.pk]})
    client.post(changelist, {"action": "mark_not_verified", "_selected_action": [evidence.pk]})
    evidence.refresh_from_db()
    assert not evidence.verified and evidence.verified_by is None and evidence.verified_on is None
    _assert_in_line(program, verified=True)  # the second row is still verified

    # Moving verified evidence to another program moves the points with it.
    response = client.post(
        reverse("admin:outcomes_programoutcomeevidence_change", args=[second.pk]),
        _admin_form(other, metric="Duration", verified="on"),
    )
    assert response.status_code == 302
    _assert_in_line(program, verified=False)
    _assert_in_line(other, verified=True)
    assert Program.objects.get(pk=program.pk).outcome_points == plain_points

    response = client.post(reverse("admin:outcomes_programoutcomeevidence_delete", args=[second.pk]), {"post": "yes"})
    assert response.status_code == 302 and not ProgramOutcomeEvidence.objects.filter(pk=second.pk).exists()
    _assert_in_line(other, verified=False)

    third = _evidence(program, metric="Readmissions", verified=True)
    _assert_in_line(program, verified=True)
    response = client.post(
        changelist, {"action": "delete_selected", "_selected_action": [evidence.pk, third.pk], "post": "yes"}
    )
    assert response.status_code == 302 and not ProgramOutcomeEvidence.objects.exists()
    _assert_in_line(program, verified=False)
    assert Program.objects.get(pk=program.pk).outcome_points == plain_points


def test_verified_evidence_set_apart_by_one_selector_in_one_query(django_assert_num_queries):
    verified, unverified, none = ProgramFactory(), ProgramFactory(), ProgramFactory()
    _evidence(verified, verified=True)
    _evidence(verified, metric="Other", verified=True)
    _evidence(unverified, verified=False)
    with django_assert_num_queries(1):
        found = programs_with_verified_evidence(program_ids=[verified.pk, unverified.pk, none.pk])
    assert found == {verified.pk}


@pytest.mark.parametrize("role", ["owner", "team_supervisor"])
def test_only_curators_reach_the_evidence_admin(client, world, role):
    client.force_login(getattr(world, role))
    response = client.get(reverse("admin:outcomes_programoutcomeevidence_changelist"))
    assert response.status_code in (302, 403)


def test_outcome_projects_are_not_in_the_admin(client, world):
    operator = OperatorFactory()  # the admin is for operators (issue 11)
    client.force_login(operator)
    body = client.get(reverse("admin:index")).content.decode()
    assert "outcome evidence" in body.lower()
    assert "outcomeproject" not in body.lower()
