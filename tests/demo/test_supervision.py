import pytest
from django.core.management import call_command
from django.db import models

from supervision.equity import equity_report
from supervision.models import FundingRequest, RequestStatus
from supervision.selectors import team_member_figures

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_tells_the_equity_story():
    call_command("seed_demo", verbosity=0)
    counts = FundingRequest.objects.count()
    call_command("seed_demo", verbosity=0)
    assert FundingRequest.objects.count() == counts
    assert set(FundingRequest.objects.values_list("status", flat=True)) == set(RequestStatus.values)
    from accounts.models import Team

    team = Team.objects.get(name="Hospital Medicine")
    report = equity_report(team_member_figures(team=team))
    nurse = next(g for g in report.professions if g.profession == "nurse")
    assert nurse.flagged and not nurse.suppressed
    assert next(g for g in report.professions if g.profession == "pharmacist").suppressed
    # Every demo profession is confirmed, so the demo's policies apply as before.
    from careers.models import ClinicianProfile

    assert ClinicianProfile.objects.exists()
    assert not ClinicianProfile.objects.exclude(confirmed_profession=models.F("profession")).exists()
    assert not FundingRequest.objects.filter(profession="").exists()


def test_seed_demo_enrols_the_team_in_an_interprofessional_program_once():
    from accounts.models import Team
    from supervision.models import EnrolmentProposal
    from supervision.selectors import team_enrolment_counts

    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", verbosity=0)
    team = Team.objects.get(name="Hospital Medicine")
    proposals = EnrolmentProposal.objects.filter(team=team)
    assert proposals.count() == 6
    assert {p.program_id for p in proposals} == {proposals[0].program_id}
    assert proposals[0].program.is_interprofessional_design
    statuses = sorted(proposals.values_list("status", flat=True))
    assert statuses == ["accepted", "declined", "proposed", "proposed", "proposed", "proposed"]
    funded = proposals.get(member__email="clinician@demo.test")
    assert funded.funding_request is not None and funded.funding_request.status == "approved"
    counts = team_enrolment_counts(team=team)
    assert (counts.team.proposed, counts.team.accepted, counts.team.declined) == (6, 1, 1)
