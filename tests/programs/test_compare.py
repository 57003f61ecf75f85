from decimal import Decimal

import pytest
from django.urls import reverse

from programs.choices import ProgramStatus
from programs.ranking.compare import parse_ids
from tests.conftest import ROLES, login_as
from tests.factories import ProgramFactory
from tests.programs.ranking_helpers import goal_for

pytestmark = pytest.mark.django_db

COMPARE = reverse("programs:compare")


@pytest.fixture
def pair():
    cheap = ProgramFactory(title="Cheap one", fee_amount=Decimal("100"), credits={"ama_pra_1": "5"}, leave_days=0)
    rich = ProgramFactory(
        title="Rich one",
        fee_amount=Decimal("900"),
        credits={"ama_pra_1": "20", "ancc": "10"},
        outcome_level_measured="5",
        competencies=["healthcare_finance"],
        leave_days=Decimal("2"),
    )
    return cheap, rich


@pytest.mark.parametrize("role", ROLES)
def test_compare_permissions_for_every_role(client, world, role, pair):
    goal_for(world.owner)
    user = login_as(client, world, role)
    response = client.get(COMPARE, {"ids": [pair[0].pk, pair[1].pk]})
    if user is None:
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
        return
    assert response.status_code == 200
    body = response.content.decode()
    assert "Cheap one" in body and "Rich one" in body
    # The total and fit badges come from the viewer's own goal only.
    assert ("Total fit for your goal" in body) is (role == "owner")


def test_compare_shows_factors_cost_credits_leave_dates_fit_and_best_markers(client, world, pair):
    goal_for(world.owner, budget="500")
    client.force_login(world.owner)
    body = client.get(COMPARE, {"ids": [pair[0].pk, pair[1].pk]}).content.decode()
    for label in [
        "Total fit for your goal",
        "Outcome tracking (weight 3)",
        "Career alignment (weight 3)",
        "Cost",
        "Credit: AMA PRA Category 1 Credit",
        "Credit: ANCC nursing contact hours",
        "Time needed",
        "Leave from practice",
        "Dates",
        "Fit with your situation",
    ]:
        assert label in body, label
    assert '<strong class="best-marker">best</strong>' in body
    assert "$400 over your remaining budget" in body
    assert "Covers 1 of your 2 competencies: finance" in body


def test_best_value_is_marked_per_row(world, pair):
    from programs.ranking.compare import program_comparison
    from supervision.selectors import ranking_context_for_user

    goal_for(world.owner)
    comparison = program_comparison(
        raw_ids=[str(pair[0].pk), str(pair[1].pk)], ranking=ranking_context_for_user(user=world.owner)
    )
    rows = {row.label: row for row in comparison.rows}
    assert [cell.best for cell in rows["Cost"].cells] == [True, False]
    assert [cell.best for cell in rows["Credit: AMA PRA Category 1 Credit"].cells] == [False, True]
    assert [cell.best for cell in rows["Leave from practice"].cells] == [True, False]
    assert not any(cell.best for cell in rows["Dates"].cells)


def test_compare_without_goal_shows_three_factors_and_an_invitation(client, world, pair):
    client.force_login(world.owner)
    body = client.get(COMPARE, {"ids": [pair[0].pk, pair[1].pk]}).content.decode()
    assert "Outcome tracking" in body and "Commercial independence" in body
    assert "Total fit for your goal" not in body
    assert "Set a career goal" in body


def test_fewer_than_two_gives_a_clear_message(client, world, pair):
    client.force_login(world.owner)
    body = client.get(COMPARE, {"ids": [pair[0].pk]}).content.decode()
    assert "Choose at least 2 programs" in body
    assert "<table" not in body


def test_more_than_four_gives_a_clear_message(client, world):
    programs = [ProgramFactory() for _ in range(5)]
    client.force_login(world.owner)
    body = client.get(COMPARE, {"ids": [p.pk for p in programs]}).content.decode()
    assert "You chose 5 programs. Compare at most 4" in body
    assert "<table" not in body


def test_unknown_hidden_and_invalid_ids_are_ignored_with_a_message(client, world, pair):
    draft = ProgramFactory(title="Secret draft", status=ProgramStatus.DRAFT)
    client.force_login(world.owner)
    response = client.get(COMPARE, {"ids": [pair[0].pk, pair[1].pk, draft.pk, 999999, "abc"]})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Secret draft" not in body
    assert "3 of the programs asked for are not in the catalog" in body
    assert "Cheap one" in body and "Rich one" in body


def test_no_ids_at_all(client, world):
    client.force_login(world.owner)
    response = client.get(COMPARE)
    assert response.status_code == 200
    assert "Choose at least 2 programs" in response.content.decode()


def test_parse_ids_keeps_order_and_drops_duplicates():
    assert parse_ids(["3", "1", "3", "x", "-2", " 7 "]) == ([3, 1, 7], 2)


def test_compare_query_count_does_not_depend_on_how_many(client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    programs = [ProgramFactory() for _ in range(4)]
    goal_for(world.owner)
    client.force_login(world.owner)
    with CaptureQueriesContext(connection) as two:
        small = client.get(COMPARE, {"ids": [p.pk for p in programs[:2]]}).content.decode()
    with CaptureQueriesContext(connection) as four:
        large = client.get(COMPARE, {"ids": [p.pk for p in programs]}).content.decode()
    assert len(two.captured_queries) == len(four.captured_queries)
    assert [program.title in small for program in programs] == [True, True, False, False]
    assert all(program.title in large for program in programs)
