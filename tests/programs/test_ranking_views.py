import re
from decimal import Decimal

import pytest
from django.urls import reverse

from demo.synthetic import synthetic_programs_create
from programs.choices import ProgramStatus
from tests.conftest import ROLES, login_as
from tests.factories import ProgramFactory, ProviderFactory
from tests.programs.ranking_helpers import goal_for

pytestmark = pytest.mark.django_db

CATALOG = reverse("programs:catalog")


def _titles_in_order(body: str) -> list[str]:
    return re.findall(r'<h3><a href="/programs/\d+/">([^<]+)</a></h3>', body)


@pytest.fixture
def leader_and_clinician():
    """A leadership program and a clinical update: which wins depends on the weights."""
    ProgramFactory(
        title="CMO leadership",
        competencies=["healthcare_finance", "strategic_planning"],
        career_tracks=["executive_leadership"],
        outcome_level_measured="",
        fee_amount=Decimal("900"),
    )
    ProgramFactory(
        title="Clinical update",
        outcome_level_measured="6",
        publishes_outcomes=True,
        requires_practice_project=True,
        fee_amount=Decimal("100"),
    )


def test_clinician_with_goal_sees_ranked_catalog_with_totals_bars_and_reasons(client, world, leader_and_clinician):
    goal_for(world.owner, weights=(0, 0, 0, 5))
    client.force_login(world.owner)
    body = client.get(CATALOG).content.decode()
    assert _titles_in_order(body) == ["CMO leadership", "Clinical update"]
    assert "/ 100 for your goal" in body
    assert body.count("<meter") >= 8
    # The top reasons carry their points and the factor they count for.
    assert (
        '<span class="reason-points">+60</span> career alignment: covers 2 of your 2 competencies: finance, strategy'
        in (body)
    )
    # Every point of each card, and every point short of 100 named with what would earn it.
    assert '<span class="reason-points">+40</span>: built for executive leadership</li>' in body
    assert '<span class="reason-points">+30</span>: covers finance</li>' in body  # the clinical update lacks it
    assert '<span class="reason-points">+40</span>: built for executive leadership (your career track)</li>' in body
    # A number input that shows its own value without script; app.js makes it a slider (issue 13).
    assert re.search(r'<input type="number" name="w_career" value="\d"[^>]* data-weight-slider', body)
    assert "Best fit for your goal" in body


def test_weights_in_the_query_override_the_goal_and_reorder(client, world, leader_and_clinician):
    goal_for(world.owner, weights=(0, 0, 0, 5))
    client.force_login(world.owner)
    response = client.get(CATALOG, {"w_outcome": 5, "w_independence": 0, "w_interprofessional": 0, "w_career": 0})
    assert _titles_in_order(response.content.decode()) == ["Clinical update", "CMO leadership"]


def test_htmx_rerank_returns_the_results_partial_only(client, world, leader_and_clinician):
    goal_for(world.owner)
    client.force_login(world.owner)
    response = client.get(CATALOG, {"w_outcome": 5}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="results"')
    assert "/ 100 for your goal" in body


def test_all_zero_weights_give_a_message_and_use_the_goals_weights(client, world, leader_and_clinician):
    goal_for(world.owner, weights=(0, 0, 0, 5))
    client.force_login(world.owner)
    response = client.get(CATALOG, {"w_outcome": 0, "w_independence": 0, "w_interprofessional": 0, "w_career": 0})
    body = response.content.decode()
    assert "All four weights are 0" in body
    assert _titles_in_order(body) == ["CMO leadership", "Clinical update"]


def test_invalid_weight_is_reported_and_ignored(client, world, leader_and_clinician):
    goal_for(world.owner, weights=(0, 0, 0, 5))
    client.force_login(world.owner)
    body = client.get(CATALOG, {"w_outcome": "9"}).content.decode()
    assert "whole number from 0 to 5" in body
    assert _titles_in_order(body) == ["CMO leadership", "Clinical update"]


def test_only_programs_that_fit_hides_those_over_budget(client, world):
    ProgramFactory(title="Affordable", fee_amount=Decimal("500"))
    ProgramFactory(title="Too dear", fee_amount=Decimal("9000"))
    goal_for(world.owner, budget="2000")
    client.force_login(world.owner)
    everything = client.get(CATALOG).content.decode()
    assert set(_titles_in_order(everything)) == {"Affordable", "Too dear"}
    assert "$7,000 more than the $2,000 you have left" in everything
    fitting = client.get(CATALOG, {"fits_only": "on"}).content.decode()
    assert _titles_in_order(fitting) == ["Affordable"]


def test_catalog_filters_still_work_with_ranking(client, world):
    ProgramFactory(title="Nurses only", professions=["nurse"])
    ProgramFactory(title="Physicians", professions=["physician"])
    goal_for(world.owner)
    client.force_login(world.owner)
    body = client.get(CATALOG, {"profession": "nurse"}).content.decode()
    assert _titles_in_order(body) == ["Nurses only"]
    assert "1 program" in body


def test_another_sort_keeps_scores_but_orders_by_it(client, world):
    ProgramFactory(title="B later", fee_amount=Decimal("10"))
    ProgramFactory(title="A cheap", fee_amount=Decimal("0"))
    goal_for(world.owner)
    client.force_login(world.owner)
    body = client.get(CATALOG, {"sort": "title"}).content.decode()
    assert _titles_in_order(body) == ["A cheap", "B later"]
    assert "/ 100 for your goal" in body


def test_clinician_without_goal_is_invited_and_sees_unranked_catalog(client, world):
    ProgramFactory(title="Any")
    client.force_login(world.owner)
    body = client.get(CATALOG).content.decode()
    assert "Set a career goal" in body
    assert 'href="/careers/goals/new/">Set a career goal</a>' in body
    assert "/ 100 for your goal" not in body
    assert 'name="w_outcome"' not in body
    assert "Best fit for your goal" not in body


def test_another_clinicians_goal_never_ranks_my_catalog(client, world, leader_and_clinician):
    goal_for(world.other_clinician)
    client.force_login(world.owner)
    body = client.get(CATALOG).content.decode()
    assert "/ 100 for your goal" not in body


@pytest.mark.parametrize("role", ROLES)
def test_catalog_permissions_for_every_role(client, world, role):
    ProgramFactory(title="Visible")
    goal_for(world.owner)
    user = login_as(client, world, role)
    response = client.get(CATALOG)
    if user is None:
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
        return
    assert response.status_code == 200
    body = response.content.decode()
    assert "Visible" in body
    # Only the owner has a goal: only the owner's catalog is ranked.
    assert ("/ 100 for your goal" in body) is (role == "owner")


@pytest.mark.parametrize("role", ROLES)
def test_program_page_breakdown_for_every_role(client, world, role):
    program = ProgramFactory(title="Detail", topics=["opioids"], credits={"ama_pra_1": "20"})
    goal_for(world.owner)
    user = login_as(client, world, role)
    response = client.get(reverse("programs:detail", args=[program.pk]))
    if user is None:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
        return
    assert response.status_code == 200
    body = response.content.decode()
    assert "<h1>Detail</h1>" in body
    assert ("How it fits your goal" in body) is (role == "owner")


def test_program_page_shows_full_breakdown_and_fit_numbers(client, world):
    program = ProgramFactory(
        title="Detail",
        topics=["opioids"],
        credits={"ama_pra_1": "20"},
        fee_amount=Decimal("3200"),
        competencies=["healthcare_finance"],
    )
    goal_for(world.owner, budget="2000")
    client.force_login(world.owner)
    body = client.get(reverse("programs:detail", args=[program.pk])).content.decode()
    assert "Score breakdown by factor" in body
    assert "Weight (0 to 5)" in body
    assert '<span class="reason-points">+30</span>: covers 1 of your 2 competencies: finance</li>' in body
    assert '<span class="reason-points">+30</span>: covers strategy</li>' in body
    assert '<span class="reason-points">+40</span>: built for executive leadership (your career track)</li>' in body
    assert "$1,200 more than the" in body
    assert "counts 20 AMA PRA Category 1 toward your California MD licence" in body
    assert "covers opioids: 3 h still missing for California MD" in body


@pytest.mark.parametrize("status", [ProgramStatus.DRAFT, ProgramStatus.ARCHIVED])
@pytest.mark.parametrize("with_goal", [False, True])
def test_program_page_for_hidden_programs_is_404_with_or_without_a_goal(client, world, status, with_goal):
    hidden = ProgramFactory(status=status)
    if with_goal:
        goal_for(world.owner)
    client.force_login(world.owner)
    response = client.get(reverse("programs:detail", args=[hidden.pk]))
    assert response.status_code == 404
    assert hidden.title not in response.content.decode()


def test_ranked_page_query_count_does_not_grow_with_the_catalog(client, world):
    """The same page again (its ids and listings cached), and new weights after a catalog write (nothing cached):
    the same queries at 100 and at 2,000 listings."""
    from django.db import connection
    from django.db.models import F
    from django.test.utils import CaptureQueriesContext

    from programs.models import Program

    goal_for(world.owner)
    client.force_login(world.owner)
    counts = []
    for count, seed in ((100, 3), (1900, 4)):
        synthetic_programs_create(count=count, seed=seed)
        client.get(CATALOG)  # warm the tag-option cache
        with CaptureQueriesContext(connection) as again:
            response = client.get(CATALOG)
        assert "/ 100 for your goal" in response.content.decode()
        Program.objects.filter(pk=Program.objects.order_by("pk").values("pk")[:1]).update(title=F("title"))
        with CaptureQueriesContext(connection) as fresh:
            response = client.get(CATALOG, {"fits_only": "on", "w_career": 5})
        assert "/ 100 for your goal" in response.content.decode()
        counts.append((len(again.captured_queries), len(fresh.captured_queries)))
    assert counts[0] == counts[1]


def test_ranked_pages_count_the_whole_catalog_and_a_page_past_the_end_shows_the_last(client, world):
    goal_for(world.owner)
    for index in range(25):
        ProgramFactory(title=f"Program {index:02d}")
    client.force_login(world.owner)
    first = client.get(CATALOG).content.decode()
    assert "25 programs" in first
    assert "Page 1 of 2" in first
    past_the_end = client.get(CATALOG, {"page": "9"}).content.decode()
    assert "Page 2 of 2" in past_the_end
    assert past_the_end.count('class="program-card ranked-card"') == 5
    not_a_number = client.get(CATALOG, {"page": "x"}).content.decode()
    assert "Page 1 of 2" in not_a_number


def _breakdown_rows(body: str) -> dict[str, tuple[float, list[float], list[float], str]]:
    """Per factor row of the program page's breakdown: sub-score, reason points, missing points, missing cell."""
    rows = {}
    table = body[body.index('<table class="breakdown-table">') : body.index("</table>")]
    for row in re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</tr>", table, re.S):
        label, rest = row.split("</th>", 1)
        cells = re.findall(r"<td>(.*?)</td>", rest, re.S)
        score = float(re.sub(r"<[^>]+>", "", cells[0]).strip())

        def points(cell: str) -> list[float]:
            return [
                float(value.replace("\u2212", "-")) for value in re.findall(r'class="reason-points">([^<]+)<', cell)
            ]

        rows[label] = (score, points(cells[2]), points(cells[3]), cells[3])
    return rows


def test_program_page_gives_a_reason_for_every_point_and_names_every_missing_one(client, world):
    """The demo's "What is missing: Nothing" at 73, 80, 90, 95: every shortfall is now named with its points."""
    program = ProgramFactory(
        title="Partly there",
        outcome_level_measured="5",
        designed_to_change=["competence", "performance"],
        publishes_outcomes=True,
        requires_practice_project=True,
        provider=ProviderFactory(accreditor="joint_accreditation"),
        commercial_support="none",
        disclosures_published=True,
        ancillary_marketing=False,
        professions=["physician", "nurse"],
        planning_professions=["physician", "nurse", "pharmacist"],
        competencies=["healthcare_finance", "strategic_planning"],
        career_tracks=["executive_leadership"],
    )
    goal_for(world.owner)
    client.force_login(world.owner)
    body = client.get(reverse("programs:detail", args=[program.pk])).content.decode()
    rows = _breakdown_rows(body)
    assert set(rows) == {"Outcome tracking", "Commercial independence", "Interprofessional design", "Career alignment"}
    for label, (score, reasons, missing, missing_cell) in rows.items():
        assert round(sum(reasons), 1) == score, label
        assert round(score + sum(missing), 1) == 100, label
        assert ("Nothing missing" in missing_cell) is (score == 100), label
    assert rows["Outcome tracking"][0] == 73
    outcome_missing = rows["Outcome tracking"][3]
    for item in [
        "+5</span>: measures patient health (Moore level 6; now level 5)",
        "+5</span>: measures community health (Moore level 7)",
        "+2</span>: designed to change patient outcomes",
        "+10</span>: its published outcomes verified by the CME office",
        "+5</span>: the description speaks of practice change (an unverified hint)",
    ]:
        assert item in outcome_missing, item
    assert rows["Commercial independence"][0] == 95
    assert "+5</span>: provider holds recognized accreditation with commendation" in rows["Commercial independence"][3]
    assert rows["Career alignment"][:3] == (100, [60, 40], [])
    assert "Nothing" not in re.sub(r"Nothing missing: full marks", "", body[body.index("breakdown-table") :])


def test_catalog_program_page_and_compare_query_counts_do_not_grow_with_the_catalog(client, world):
    """Takeable-first ordering is one CASE in the ranking query: every page keeps its query count."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    goal_for(world.owner, budget="600")
    client.force_login(world.owner)
    mine = [ProgramFactory(title=f"Mine {index}", fee_amount=Decimal(300 * index)) for index in range(4)]
    requests = {
        "default": (CATALOG, {}),
        "score alone": (CATALOG, {"sort": "score"}),
        "fits only": (CATALOG, {"fits_only": "on"}),
        "program page": (reverse("programs:detail", args=[mine[3].pk]), {}),
        "compare": (reverse("programs:compare"), {"ids": [program.pk for program in mine]}),
    }

    def counts() -> dict[str, int]:
        client.get(CATALOG)  # warm the tag-option cache
        result = {}
        for name, (url, params) in requests.items():
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url, params)
            assert response.status_code == 200, name
            result[name] = len(captured.captured_queries)
        return result

    synthetic_programs_create(count=20, seed=5)
    small = counts()
    synthetic_programs_create(count=300, seed=6)
    assert counts() == small


def _seattle_programs():
    heart = ProviderFactory(name="Cascadia Heart Institute")
    ProgramFactory(
        title="Seattle cardiology",
        provider=heart,
        specialties=["Cardiology"],
        topics=["pain_management"],
        delivery="in_person",
        location_city="Seattle",
        location_state="WA",
        fee_amount=Decimal("900"),
    )
    ProgramFactory(title="Online cardiology", specialties=["cardiology"], fee_amount=Decimal("100"))
    ProgramFactory(title="Seattle dermatology", location_city="Seattle", delivery="in_person", fee_amount=Decimal("50"))
    return heart


def test_search_and_the_new_filters_narrow_the_ranking(client, world):
    heart = _seattle_programs()
    goal_for(world.owner)
    client.force_login(world.owner)
    for query, expected in [
        ({"q": "seattle"}, {"Seattle cardiology", "Seattle dermatology"}),
        ({"q": "Cardiology", "sort": "relevance"}, {"Seattle cardiology", "Online cardiology"}),
        ({"q": "cascadia"}, {"Seattle cardiology"}),
        ({"specialty": "Cardiology"}, {"Seattle cardiology", "Online cardiology"}),
        ({"topic": "Pain management"}, {"Seattle cardiology"}),
        ({"provider": str(heart.pk)}, {"Seattle cardiology"}),
        ({"city": "SEATTLE", "min_cost": "100"}, {"Seattle cardiology"}),
        ({"state": "WA"}, {"Seattle cardiology"}),
        ({"attendance": "online"}, {"Online cardiology"}),
        ({"min_cost": "60", "max_cost": "1000"}, {"Seattle cardiology", "Online cardiology"}),
    ]:
        body = client.get(CATALOG, query).content.decode()
        assert set(_titles_in_order(body)) == expected, query
        assert "/ 100 for your goal" in body
        partial = client.get(CATALOG, query, headers={"HX-Request": "true"}).content.decode()
        assert set(_titles_in_order(partial)) == expected, query
        assert "<html" not in partial


def test_a_cost_range_upside_down_is_reported_on_the_ranked_page(client, world):
    _seattle_programs()
    goal_for(world.owner)
    client.force_login(world.owner)
    body = client.get(CATALOG, {"min_cost": "500", "max_cost": "100"}).content.decode()
    assert len(_titles_in_order(body)) == 3
    assert "so the cost range is not applied" in body


NEW_FILTERS = {"q": "seattle cardio", "city": "seattle", "state": "WA", "attendance": "in_person", "min_cost": "1"}


def _queries_for(client, query, count) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(CATALOG, query)  # warm the option caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(CATALOG, query)
    assert f'class="results-count">{count} program' in response.content.decode()
    return len(captured)


@pytest.mark.parametrize("ranked", [False, True])
def test_query_count_with_search_and_new_filters_does_not_grow(client, world, ranked):
    heart = _seattle_programs()
    if ranked:
        goal_for(world.owner)
    client.force_login(world.owner)
    query = {**NEW_FILTERS, "provider": str(heart.pk), "specialty": "cardiology", "topic": "pain management"}
    small = _queries_for(client, query, 1)
    ProgramFactory.create_batch(
        30,
        provider=heart,
        specialties=["Cardiology"],
        topics=["pain_management"],
        location_city="Seattle",
        location_state="WA",
        delivery="in_person",
        fee_amount=Decimal("700"),
    )
    synthetic_programs_create(count=300, seed=5)
    large = _queries_for(client, query, 31)
    assert small == large
