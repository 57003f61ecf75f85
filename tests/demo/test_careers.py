import pytest

from careers.models import CareerGoal, CreditClaim, ShortlistEntry
from demo.careers import seed_careers
from demo.catalog import seed_catalog
from demo.users import seed_accounts
from supervision.selectors import ranking_context_for_user

pytestmark = pytest.mark.django_db


def test_demo_careers_are_complete_and_idempotent():
    accounts = seed_accounts()
    seed_catalog(actor=None)
    first = seed_careers(accounts=accounts)
    assert first["profiles"] == 4 and first["goals"] >= 4 and first["shortlist"] >= 8 and first["credits"] >= 4
    assert seed_careers(accounts=accounts) == dict.fromkeys(first, 0)
    physician = accounts.users["clinician@demo.test"]
    goal = CareerGoal.objects.get(user=physician, is_active=True)
    assert goal.track == "executive_leadership"
    assert set(goal.competencies) == {"healthcare_finance", "strategic_planning", "organizational_management"}
    assert CareerGoal.objects.get(user=accounts.users["np@demo.test"], is_active=True).track == "advanced_practice"
    assert (
        CareerGoal.objects.get(user=accounts.users["pharmacist@demo.test"], is_active=True).track
        == "quality_improvement"
    )
    assert ShortlistEntry.objects.filter(user=physician, program__title="Emory Chief Medical Officer Program").exists()
    assert CreditClaim.objects.filter(user=physician).count() == 3
    context = ranking_context_for_user(user=physician)
    assert context is not None and context.clinician.licences[0].hours_short > 0
