import datetime
from decimal import Decimal

import pytest

from careers.models import CareerGoal, ClinicianProfile, CreditAmount, CreditClaim, Licence, LicenceTopicRequirement
from supervision.selectors import ranking_context_for_user
from tests.factories import ClinicianFactory

TODAY = datetime.date(2025, 6, 1)


def _claim(user, day, amounts, topics=()):
    claim = CreditClaim.objects.create(user=user, title="Course", completed_on=day, topics=list(topics))
    for kind, amount in amounts.items():
        CreditAmount.objects.create(claim=claim, credit_type=kind, amount=Decimal(amount))
    return claim


@pytest.mark.django_db
def test_ranking_context_is_none_without_active_goal():
    user = ClinicianFactory()
    CareerGoal.objects.create(user=user, track="education", target_role="Educator", is_active=False)
    assert ranking_context_for_user(user=user, today=TODAY) is None


@pytest.mark.django_db
def test_ranking_context_builds_goal_weights_and_licence_needs(django_assert_num_queries):
    user = ClinicianFactory()
    ClinicianProfile.objects.create(
        user=user,
        profession="physician",
        yearly_budget_amount=Decimal("3000"),
        budget_used_amount=Decimal("500"),
        yearly_leave_days=Decimal("5"),
        leave_used_days=Decimal("1"),
        next_review_date=datetime.date(2025, 11, 1),
    )
    goal = CareerGoal.objects.create(
        user=user,
        track="executive_leadership",
        target_role="CMO",
        competencies=["healthcare_finance", "strategic_planning"],
        essential_competencies=["healthcare_finance"],
        horizon_date=datetime.date(2027, 1, 1),
        weight_career=5,
        is_active=True,
    )
    licence = Licence.objects.create(
        user=user,
        jurisdiction="California",
        licence_type="Physician and surgeon",
        renewal_date=datetime.date(2026, 1, 31),
        cycle_months=24,
        hours_required=Decimal("50"),
        accepted_credit_types=["ama_pra_1"],
    )
    LicenceTopicRequirement.objects.create(licence=licence, topic="opioids", hours=Decimal("3"))
    _claim(user, datetime.date(2024, 5, 1), {"ama_pra_1": "10", "ancc": "12"}, topics=["opioids"])
    _claim(user, datetime.date(2024, 6, 1), {"ancc": "20"})
    _claim(user, datetime.date(2023, 1, 1), {"ama_pra_1": "30"})  # before the cycle
    # the goal with the profile (and the catalog version), the pending and approved requests, the licences with
    # their topic requirements, the credit amounts; no policy query: no confirmed profession, so no policy applies
    with django_assert_num_queries(4):
        context = ranking_context_for_user(user=user, today=TODAY)
    assert context is not None
    assert context.goal_id == goal.pk
    assert context.goal.competencies == {"healthcare_finance", "strategic_planning"}
    assert context.weights.career == 5
    assert context.clinician.remaining_budget == Decimal("2500")
    assert context.clinician.remaining_leave_days == Decimal("4")
    assert context.clinician.horizon == datetime.date(2027, 1, 1)
    (need,) = context.clinician.licences
    assert need.hours_short == Decimal("40")
    assert need.missing_topics == {}
    assert need.accepted_credit_types == {"ama_pra_1"}


@pytest.mark.django_db
def test_ranking_budget_adds_the_employer_allowance_left_this_policy_year(world):
    from tests.supervision.helpers import policy

    ClinicianProfile.objects.create(
        user=world.owner,
        profession="physician",
        confirmed_profession="physician",
        yearly_budget_amount=Decimal("1000"),
        budget_used_amount=Decimal("400"),
        yearly_leave_days=Decimal("2"),
    )
    CareerGoal.objects.create(user=world.owner, track="research", target_role="PI", is_active=True)
    policy(team=world.team, profession="physician", amount="2000", days="3")
    context = ranking_context_for_user(user=world.owner)
    assert context is not None
    assert context.clinician.remaining_budget == Decimal("2600")
    assert context.clinician.remaining_leave_days == Decimal("5")
