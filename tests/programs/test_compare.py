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
    assert "$400 more than the" in body
    assert '<span class="reason-points">+30</span>: covers 1 of your 2 competencies: finance</li>' in body
    assert '<span class="reason-points">+30</span>: covers strategy</li>' in body


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
    with CaptureQueriesContext(connection) as four_with_pair:
        paired = client.get(
            COMPARE, {"ids": [p.pk for p in programs], "pair": [programs[3].pk, programs[2].pk]}
        ).content.decode()
    assert len(two.captured_queries) == len(four.captured_queries) == len(four_with_pair.captured_queries)
    assert [program.title in small for program in programs] == [True, True, False, False]
    assert all(program.title in large for program in programs)
    assert all("What each factor adds to each total" in body for body in (small, large, paired))


# --- "Why is B above A?" -----------------------------------------------------------------


@pytest.fixture
def outcomes_and_leadership():
    """With weights outcome 2, career 3 the leadership program leads; lowering career to 1 swaps them."""
    outcomes = ProgramFactory(title="Outcomes program", outcome_level_measured="6", requires_practice_project=True)
    leadership = ProgramFactory(
        title="Leadership program",
        competencies=["healthcare_finance", "strategic_planning"],
        career_tracks=["executive_leadership"],
    )
    return outcomes, leadership


def _why_section(body: str) -> str:
    return body[body.index('<section id="why"') : body.index("</section>", body.index('<section id="why"'))]


def _why_rows(section: str) -> dict[str, list[str]]:
    import re

    rows = {}
    for row in re.findall(r"<tr><th scope=\"row\">(.*?)</tr>|<tr>\s*<th scope=\"row\">(.*?)</tr>", section, re.S):
        text = row[0] or row[1]
        label, rest = text.split("</th>", 1)
        rows[label.strip()] = [
            re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", rest, re.S)
        ]
    return rows


def test_why_is_b_above_a_shows_contributions_side_by_side_and_the_smallest_weight_change(
    client, world, outcomes_and_leadership
):
    outcomes, leadership = outcomes_and_leadership
    goal_for(world.owner, weights=(2, 0, 0, 3))
    client.force_login(world.owner)
    body = client.get(COMPARE, {"ids": [outcomes.pk, leadership.pk]}).content.decode()
    section = _why_section(body)
    assert "Why is “Leadership program” above “Outcomes program”?" in section
    rows = _why_rows(section)
    assert rows["Outcome tracking"] == ["2", "0.0 (sub-score 0)", "22.8 (sub-score 57)", "\u221222.8"]
    assert rows["Career alignment"] == ["3", "60.0 (sub-score 100)", "0.0 (sub-score 0)", "+60.0"]
    assert rows["Commercial independence"][0] == "0"
    assert rows["Total"] == ["", "60.0", "22.8", "+37.2"]
    assert (
        "Lowering the weight of Career alignment from 3 to 1 would put “Outcomes program” above "
        "“Leadership program” (38.0 against 33.3)."
    ) in section
    # A plain GET form chooses the pair, keeping the programs compared; the top two are chosen by default.
    assert f'<input type="hidden" name="ids" value="{outcomes.pk}">' in section
    assert (
        f'<option value="{leadership.pk}" selected>Leadership program</option>' in section.split('id="why-second"')[0]
    )
    assert f'<option value="{outcomes.pk}" selected>Outcomes program</option>' in section.split('id="why-second"')[1]


def test_why_explains_the_pair_chosen_whichever_way_round(client, world, outcomes_and_leadership):
    outcomes, leadership = outcomes_and_leadership
    third = ProgramFactory(title="Third program", competencies=["healthcare_finance"])
    goal_for(world.owner, weights=(2, 0, 0, 3))
    client.force_login(world.owner)
    ids = [outcomes.pk, leadership.pk, third.pk]
    body = client.get(COMPARE, {"ids": ids, "pair": [outcomes.pk, third.pk]}).content.decode()
    section = _why_section(body)
    # Weighted: Outcomes 2 x 57 = 114 against Third 3 x 30 = 90, so Outcomes is above; career 4 would swap them.
    assert "Why is “Outcomes program” above “Third program”?" in section
    assert "would put “Third program” above “Outcomes program”" in section
    assert "Choose two different programs" not in section
    reverse_order = _why_section(client.get(COMPARE, {"ids": ids, "pair": [third.pk, outcomes.pk]}).content.decode())
    assert "Why is “Outcomes program” above “Third program”?" in reverse_order


@pytest.mark.parametrize("pair", [["same", "same"], ["999999", "leadership"], ["abc", "leadership"], ["leadership"]])
def test_an_unusable_pair_falls_back_to_the_top_two_with_a_message(client, world, outcomes_and_leadership, pair):
    outcomes, leadership = outcomes_and_leadership
    goal_for(world.owner, weights=(2, 0, 0, 3))
    client.force_login(world.owner)
    values = {"same": outcomes.pk, "leadership": leadership.pk}
    raw = [values.get(value, value) for value in pair]
    section = _why_section(client.get(COMPARE, {"ids": [outcomes.pk, leadership.pk], "pair": raw}).content.decode())
    assert "Choose two different programs from those compared" in section
    assert "Why is “Leadership program” above “Outcomes program”?" in section


def test_why_says_plainly_when_no_single_weight_change_can_swap_them(client, world):
    weak = ProgramFactory(title="Weak", outcome_level_measured="3a")
    strong = ProgramFactory(
        title="Strong",
        outcome_level_measured="6",
        competencies=["healthcare_finance"],
        career_tracks=["executive_leadership"],
    )
    goal_for(world.owner)
    client.force_login(world.owner)
    section = _why_section(client.get(COMPARE, {"ids": [weak.pk, strong.pk]}).content.decode())
    assert (
        "No change to a single weight (each 0 to 5) would put “Weak” above “Strong”: "
        "“Strong” scores at least as well on every factor."
    ) in section


def test_why_is_only_for_a_clinician_with_a_goal(client, world, outcomes_and_leadership):
    outcomes, leadership = outcomes_and_leadership
    client.force_login(world.owner)
    body = client.get(COMPARE, {"ids": [outcomes.pk, leadership.pk]}).content.decode()
    assert '<section id="why"' not in body


def test_ticking_two_cards_in_the_catalog_leads_to_the_why_section(client, world, outcomes_and_leadership):
    outcomes, leadership = outcomes_and_leadership
    goal_for(world.owner, weights=(2, 0, 0, 3))
    client.force_login(world.owner)
    catalog = client.get(reverse("programs:catalog")).content.decode()
    assert f'<form id="compare-form" class="compare-form" method="get" action="{COMPARE}">' in catalog
    for program in (outcomes, leadership):
        assert f'<input type="checkbox" name="ids" value="{program.pk}" form="compare-form">' in catalog
    # What the browser submits when both are ticked (the form works without JavaScript).
    body = client.get(COMPARE, {"ids": [leadership.pk, outcomes.pk]}).content.decode()
    assert "Why is “Leadership program” above “Outcomes program”?" in body
