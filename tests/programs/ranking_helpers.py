"""Careers rows for ranking tests, created directly."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from careers.models import CareerGoal, ClinicianProfile, Licence, LicenceTopicRequirement


def goal_for(
    user,
    *,
    track: str = "executive_leadership",
    competencies: tuple[str, ...] = ("healthcare_finance", "strategic_planning"),
    weights: tuple[int, int, int, int] = (3, 3, 3, 3),
    horizon: datetime.date | None = None,
    budget: str = "2000",
    leave: str = "5",
    licence: bool = True,
) -> CareerGoal:
    """An active goal, a profile and (optionally) a California licence accepting AMA PRA Category 1."""
    today = timezone.localdate()
    ClinicianProfile.objects.update_or_create(
        user=user,
        defaults={
            "profession": "physician",
            "confirmed_profession": "physician",  # confirmed by their supervisor: the employer policy applies
            "yearly_budget_amount": Decimal(budget),
            "yearly_leave_days": Decimal(leave),
            "next_review_date": today + datetime.timedelta(days=300),
        },
    )
    if licence:
        item = Licence.objects.create(
            user=user,
            jurisdiction="California",
            licence_type="MD",
            renewal_date=today + datetime.timedelta(days=200),
            cycle_months=24,
            hours_required=Decimal("50"),
            accepted_credit_types=["ama_pra_1"],
        )
        LicenceTopicRequirement.objects.create(licence=item, topic="opioids", hours=Decimal("3"))
    return CareerGoal.objects.create(
        user=user,
        track=track,
        target_role="Chief Medical Officer",
        competencies=list(competencies),
        horizon_date=horizon or today + datetime.timedelta(days=400),
        weight_outcome=weights[0],
        weight_independence=weights[1],
        weight_interprofessional=weights[2],
        weight_career=weights[3],
        is_active=True,
    )
