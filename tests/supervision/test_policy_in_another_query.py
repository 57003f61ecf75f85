"""The employer policy read inside the ranking context's goal query is the one `policy_for_user` picks."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from careers.models import CareerGoal
from supervision.allowance import (
    POLICY_ALLOWANCE_FIELDS,
    policy_for_user,
    policy_for_user_annotations,
    policy_from_annotations,
)
from tests.factories import TeamFactory
from tests.programs.ranking_helpers import goal_for
from tests.supervision.helpers import policy, profile

pytestmark = pytest.mark.django_db


def _both(user):
    goal = (
        CareerGoal.objects.filter(user=user, is_active=True)
        .annotate(**policy_for_user_annotations(model=CareerGoal, user_field="user_id"))
        .get()
    )
    confirmed = getattr(getattr(user, "clinician_profile", None), "confirmed_profession", "") or None
    return policy_for_user(user_id=user.pk, profession=confirmed), policy_from_annotations(goal)


def _same(user) -> None:
    user.refresh_from_db()
    expected, found = _both(user)
    if expected is None:
        assert found is None
        return
    assert found is not None
    for name in POLICY_ALLOWANCE_FIELDS:
        assert getattr(found, name) == getattr(expected, name), name


def test_no_confirmed_profession_no_policy_whatever_the_team_has(world):
    goal_for(world.owner)
    world.owner.clinician_profile.confirmed_profession = ""
    world.owner.clinician_profile.save()
    policy(team=world.team, profession="physician")
    _same(world.owner)
    assert _both(world.owner)[1] is None


def test_the_organization_policy_then_the_team_one_over_it(world):
    goal_for(world.owner)  # confirmed physician
    policy(team=world.team, profession="nurse", amount="9999")  # another profession: never picked
    policy(organization=world.other_team.organization, profession="physician", amount="7777")  # another org
    _same(world.owner)
    assert _both(world.owner)[1] is None or _both(world.owner)[1].team_id is None
    organization_wide = policy(organization=world.team.organization, profession="physician", amount="1000")
    _same(world.owner)
    assert _both(world.owner)[1].pk == organization_wide.pk
    team_one = policy(team=world.team, profession="physician", amount="2500")
    _same(world.owner)
    found = _both(world.owner)[1]
    assert found.pk == team_one.pk and found.yearly_reimbursement_amount == Decimal("2500")


def test_an_ended_membership_takes_its_policy_away(world):
    goal_for(world.owner)
    policy(team=world.team, profession="physician")
    membership = world.owner.team_memberships.get()
    membership.ended_at = timezone.now() + datetime.timedelta(seconds=1)
    membership.started_at = min(membership.started_at, membership.ended_at)
    membership.save()
    _same(world.owner)
    assert _both(world.owner)[1] is None


def test_a_clinician_without_profile_or_team(world):
    loner = world.other_clinician
    loner.team_memberships.all().delete()
    profile(loner, "nurse")
    CareerGoal.objects.create(user=loner, track="executive_leadership", is_active=True)
    policy(team=TeamFactory(), profession="nurse")
    _same(loner)
    assert _both(loner)[1] is None


def test_the_read_policy_defers_the_rest_of_the_row(world, django_assert_num_queries):
    goal_for(world.owner)
    created = policy(team=world.team, profession="physician")
    _, found = _both(world.owner)
    with django_assert_num_queries(1):  # a field not read with the goal costs its own query, and is right
        assert found.over_allowance_rule == created.over_allowance_rule
