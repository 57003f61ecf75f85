"""A policy cannot be confirmed on a day that has not come: one rule, used by the form and the service."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from supervision import rules, services
from supervision.models import EmployerCmePolicy

pytestmark = pytest.mark.django_db


def test_rule_allows_today_and_refuses_tomorrow():
    today = datetime.date(2026, 6, 15)
    assert rules.policy_confirmed_on_problem(today, today=today) is None
    assert rules.policy_confirmed_on_problem(datetime.date(2030, 1, 1), today=today) == (
        "The date confirmed cannot be in the future."
    )


def test_policy_form_refuses_a_confirmation_in_2030(world, client):
    client.force_login(world.team_supervisor)
    data = {
        "profession": "nurse",
        "yearly_reimbursement_amount": "1000",
        "paid_leave_days": "2",
        "year_starts_month": "1",
        "confirmed_on": "2030-01-10",
        "over_allowance_rule": "refuse",
        "source_url": "https://example.test/p",
    }
    response = client.post(reverse("supervision:policy_new", args=[world.team.pk]), data)
    assert "The date confirmed cannot be in the future." in response.content.decode()
    assert not EmployerCmePolicy.objects.exists()
    today = timezone.localdate().isoformat()
    assert (
        client.post(
            reverse("supervision:policy_new", args=[world.team.pk]), {**data, "confirmed_on": today}
        ).status_code
        == 302
    )


def test_policy_service_refuses_a_future_confirmation(world):
    policy = EmployerCmePolicy(
        team=world.team,
        profession="physician",
        yearly_reimbursement_amount=Decimal("1000"),
        paid_leave_days=Decimal("1"),
        over_allowance_rule="warn",
        source_url="https://example.test/p",
        confirmed_on=timezone.localdate() + datetime.timedelta(days=1),
    )
    with pytest.raises(ValidationError) as refused:
        services.policy_save(policy=policy, confirmed_by=world.team_supervisor)
    assert refused.value.message_dict == {"confirmed_on": ["The date confirmed cannot be in the future."]}
    assert not EmployerCmePolicy.objects.exists()
