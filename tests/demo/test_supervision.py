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
