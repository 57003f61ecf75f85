"""Small-group suppression holds on every path: the equity view and its charts, the dashboard, its filters
and sort, and the team CSV (supervision.disclosure decides; every path asks it)."""

import csv
import datetime
import io
from dataclasses import replace
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from programs.choices import Profession
from supervision.allowance import Allowance
from supervision.disclosure import (
    MIN_GROUP_SIZE,
    PROFESSION_NOT_SHOWN,
    disclosure_for,
)
from supervision.equity import MemberFigures, equity_report
from supervision.models import EmployerCmePolicy
from supervision.presenters import equity_page
from supervision.selectors import MemberRow, dashboard_view
from tests.factories import ClinicianFactory, TeamMembershipFactory

from .helpers import funding_request, history, policy, profile

# --- The rule ---------------------------------------------------------------


def test_threshold_edge_four_is_hidden_five_is_shown():
    assert disclosure_for({"pharmacist": 5, "nurse": 5}).suppressed == frozenset()
    # Four pharmacists are hidden; hidden alone, they could be worked out, so the nurses go with them.
    assert disclosure_for({"pharmacist": 4, "nurse": 5}).suppressed == {"pharmacist", "nurse"}


def test_one_small_group_takes_the_next_smallest_with_it():
    decided = disclosure_for({"pharmacist": 1, "nurse": 6, "physician": 5, "nurse_practitioner": 7})
    assert decided.suppressed == {"pharmacist", "physician"}
    assert decided.shown == {"nurse", "nurse_practitioner"}
    # Ties go alphabetically.
    assert disclosure_for({"pharmacist": 1, "physician": 5, "nurse": 5}).suppressed == {"pharmacist", "nurse"}


def test_two_small_groups_under_five_together_take_another():
    assert disclosure_for({"pharmacist": 1, "nurse_practitioner": 2, "nurse": 9, "physician": 6}).suppressed == {
        "pharmacist",
        "nurse_practitioner",
        "physician",
    }
    assert disclosure_for({"pharmacist": 1, "nurse_practitioner": 4, "nurse": 9}).suppressed == {
        "pharmacist",
        "nurse_practitioner",
    }


def test_not_entered_is_a_group_and_absent_professions_are_not_shown():
    decided = disclosure_for({"": 2, "nurse": 5, "physician": 6})
    assert decided.suppressed == {"not_entered", "nurse"}
    assert not decided.shows("") and not decided.shows("pharmacist") and decided.shows("physician")


# --- The pages --------------------------------------------------------------


def _member(team, profession, *, name="", at_risk=False, funding="0"):
    user = ClinicianFactory(full_name=name) if name else ClinicianFactory()
    TeamMembershipFactory(team=team, user=user)
    profile(user, profession)
    if at_risk:
        history(user, claims=1, renewal_in_days=30)
    if funding != "0":
        funding_request(user, team, amount=funding, status="approved", amount_approved=funding)
    return user


def _team_with_one_pharmacist(world):
    """Five nurses, six physicians, one pharmacist (Pat Lone, at risk, $777 approved)."""
    profile(world.owner, "physician")
    policy(team=world.team, profession="pharmacist", amount="1500")
    policy(team=world.team, profession="nurse", amount="1000")
    policy(team=world.team, profession="physician", amount="5000")
    for index in range(5):
        _member(world.team, "nurse", at_risk=index == 0, funding="100")
    for _ in range(5):
        _member(world.team, "physician", funding="900")
    return _member(world.team, "pharmacist", name="Pat Lone", at_risk=True, funding="777")


def _csv(client, team, **params):
    response = client.get(reverse("supervision:dashboard_csv", args=[team.pk]), params)
    return response, list(csv.reader(io.StringIO(response.content.decode())))


@pytest.mark.django_db
def test_the_pharmacist_attack_on_the_csv_and_the_dashboard_filter_is_refused(client, world):
    _team_with_one_pharmacist(world)
    client.force_login(world.team_supervisor)
    for params in ({"profession": "pharmacist"}, {"profession": "pharmacist", "at_risk": "on"}):
        response, _ = _csv(client, world.team, **params)
        assert response.status_code == 400
        body = response.content.decode()
        assert "Filtering by Pharmacist is not available" in body and "Pat Lone" not in body and "777" not in body
        url = reverse("supervision:dashboard", args=[world.team.pk])
        page = client.get(url, params, HTTP_HX_REQUEST="true").content.decode()
        assert "Filtering by Pharmacist is not available" in page
        assert "Pat Lone" not in page and "777" not in page
    # The complementary group (nurses: the smallest other one) is refused alike, and so is an absent profession.
    for absent in ("nurse", "nurse_practitioner"):
        response, _ = _csv(client, world.team, profession=absent)
        assert response.status_code == 400
        assert response.content.decode() == _csv(client, world.team, profession="pharmacist")[
            0
        ].content.decode().replace("Pharmacist", dict(Profession.choices)[absent])


@pytest.mark.django_db
def test_the_unfiltered_csv_and_dashboard_withhold_the_hidden_groups_profession(client, world):
    pharmacist = _team_with_one_pharmacist(world)
    client.force_login(world.team_supervisor)
    response, rows = _csv(client, world.team)
    assert response.status_code == 200
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name[str(pharmacist)][2] == PROFESSION_NOT_SHOWN  # still listed: the supervisor manages them
    professions = {row[2] for row in rows[1:]}
    assert professions == {PROFESSION_NOT_SHOWN, "Physician"}  # nurses are hidden with the pharmacist
    assert sum(1 for row in rows[1:] if row[2] == PROFESSION_NOT_SHOWN) == 6
    html = client.get(reverse("supervision:dashboard", args=[world.team.pk])).content.decode()
    assert "<td>Pharmacist</td>" not in html and "<td>Nurse</td>" not in html


@pytest.mark.django_db
def test_sort_by_profession_keeps_hidden_members_together_in_name_order(client, world):
    _team_with_one_pharmacist(world)
    client.force_login(world.team_supervisor)
    _, rows = _csv(client, world.team, sort="profession")
    hidden = [row[0] for row in rows[1:] if row[2] == PROFESSION_NOT_SHOWN]
    assert hidden == sorted(hidden, key=str.lower)


@pytest.mark.django_db
def test_equity_page_and_its_charts_name_no_hidden_group(client, world):
    _team_with_one_pharmacist(world)
    client.force_login(world.team_supervisor)
    html = client.get(reverse("supervision:equity", args=[world.team.pk])).content.decode()
    assert "Pharmacist" not in html and ">Nurse<" not in html
    svg = html[html.index("<svg") :]
    assert 'class="bar-label">Physician<' in svg and "$777" not in html
    assert "not shown: groups of fewer than 5 people" in html


@pytest.mark.django_db
@pytest.mark.parametrize("pharmacists", [MIN_GROUP_SIZE - 1, MIN_GROUP_SIZE])
def test_threshold_edge_on_the_pages(client, world, pharmacists):
    profile(world.owner, "physician")
    for _ in range(5):
        _member(world.team, "physician")
    for _ in range(pharmacists):
        _member(world.team, "pharmacist")
    client.force_login(world.team_supervisor)
    response, rows = _csv(client, world.team, profession="pharmacist")
    html = client.get(reverse("supervision:equity", args=[world.team.pk])).content.decode()
    if pharmacists < MIN_GROUP_SIZE:
        assert response.status_code == 400 and "Pharmacist" not in html
    else:
        assert response.status_code == 200 and len(rows) == 1 + pharmacists
        assert 'class="bar-label">Pharmacist<' in html


@pytest.mark.django_db
def test_differencing_team_totals_and_filtered_views_reveals_only_two_groups_together(client, world):
    _team_with_one_pharmacist(world)
    client.force_login(world.team_supervisor)
    _, everyone = _csv(client, world.team)
    team_funding = sum(Decimal(row[7]) for row in everyone[1:])
    _, physicians = _csv(client, world.team, profession="physician")
    shown_funding = sum(Decimal(row[7]) for row in physicians[1:])
    # Team total minus every shown group: the pharmacist and the five nurses together, never the pharmacist.
    assert team_funding - shown_funding == Decimal("777") + 5 * Decimal("100")
    _, at_risk = _csv(client, world.team, at_risk="on")
    _, at_risk_physicians = _csv(client, world.team, at_risk="on", profession="physician")
    left = [row for row in at_risk[1:] if row not in at_risk_physicians[1:]]
    assert len(left) == 2 and {row[2] for row in left} == {PROFESSION_NOT_SHOWN}  # one nurse, the pharmacist


def _queries(client, url, params=None):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {}, HTTP_HX_REQUEST="true")
    assert response.status_code in (200, 400)
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_query_counts_are_the_same_at_two_sizes(client, world):
    profile(world.owner, "physician")
    client.force_login(world.team_supervisor)
    urls = [
        (reverse("supervision:dashboard_csv", args=[world.team.pk]), None),
        (reverse("supervision:dashboard_csv", args=[world.team.pk]), {"profession": "pharmacist"}),
        (reverse("supervision:dashboard", args=[world.team.pk]), {"profession": "pharmacist", "at_risk": "on"}),
        (reverse("supervision:dashboard", args=[world.team.pk]), {"sort": "profession"}),
        (reverse("supervision:equity", args=[world.team.pk]), None),
    ]
    _member(world.team, "pharmacist", at_risk=True, funding="100")
    for url, params in urls:
        _queries(client, url, params)  # warm caches
    small = [_queries(client, url, params) for url, params in urls]
    for index in range(30):
        _member(world.team, ("nurse", "pharmacist", "physician")[index % 3], at_risk=index % 4 == 0, funding="100")
    large = [_queries(client, url, params) for url, params in urls]
    assert small == large, (small, large)


# --- Nothing shown lets a hidden group be worked out ------------------------

PROFESSIONS = ["physician", "nurse", "pharmacist", "nurse_practitioner", ""]


def _row(index: int, profession: str, funding: Decimal, at_risk: bool, activities: int) -> MemberRow:
    """A member whose employer allowance this year has `funding` used (what the pages show as funding used)."""
    allowance = Allowance(
        policy=EmployerCmePolicy(),
        year_start=datetime.date(2026, 1, 1),
        year_end=datetime.date(2027, 1, 1),
        amount_total=Decimal("2500"),
        amount_used=funding,
        leave_total=Decimal("0"),
        leave_used=Decimal("0"),
    )
    return MemberRow(
        user_id=index,
        name=f"Member {index:02d}",
        email=f"m{index}@example.test",
        profession=profession,
        stated_profession=profession,
        stated_profession_pending=False,
        activities_12_months=activities,
        allowance=allowance,
        profession_label=dict(Profession.choices).get(profession, "Not entered"),
        at_risk=at_risk,
    )


def _relabel(row: MemberRow, profession: str) -> MemberRow:
    label = dict(Profession.choices).get(profession, "Not entered")
    return replace(row, profession=profession, profession_label=label)


def _figures(rows: list[MemberRow]) -> list[MemberFigures]:
    return [
        MemberFigures(
            profession=row.profession or "not_entered",
            participated=row.participated,
            funding_approved=row.funding_used,
        )
        for row in rows
    ]


def _everything_shown(rows: list[MemberRow]) -> tuple[object, ...]:
    """Every figure the equity page, its charts, the dashboard and the CSV show, under every filter."""
    page = equity_page(equity_report(_figures(rows)))
    equity = (
        [(row.label, row.cells, row.group.size) for row in page.table],
        [(chart.metric, [(bar.label, bar.value_text, bar.width) for bar in chart.bars]) for chart in page.charts],
    )
    views = []
    for profession in ["", *Profession.values]:
        for at_risk_only in (False, True):
            for sort in ("name", "profession", "funding"):
                view = dashboard_view(rows, profession=profession, at_risk_only=at_risk_only, sort=sort)
                shown = [
                    (r.name, r.profession_label, r.funding_used, r.at_risk, r.activities_12_months) for r in view.rows
                ]
                views.append((profession, at_risk_only, sort, view.refused, shown))
    return equity, views


member = st.tuples(
    st.sampled_from(PROFESSIONS),
    st.sampled_from([Decimal("0"), Decimal("100"), Decimal("777")]),
    st.booleans(),
    st.integers(min_value=0, max_value=2),
)


def _alternatives(rows: list[MemberRow], group: str, hidden: set[str]) -> list[list[MemberRow]]:
    """Teams that differ only inside the hidden groups: two members swap professions, or the group splits."""
    inside = [row for row in rows if (row.profession or "not_entered") == group]
    others = [row for row in rows if (row.profession or "not_entered") in hidden - {group}]
    teams = []
    for mine in inside:
        for theirs in others:
            swapped = {mine.user_id: theirs.profession, theirs.user_id: mine.profession}
            teams.append([_relabel(r, swapped.get(r.user_id, r.profession)) for r in rows])
    if not others and len(inside) > 1:
        fresh = next(
            p for p in PROFESSIONS if (p or "not_entered") not in {(r.profession or "not_entered") for r in rows}
        )
        for alone in inside:  # the group is one of its members, the rest are another hidden profession
            teams.append([r if r not in inside or r is alone else _relabel(r, fresh) for r in rows])
    return teams


@settings(max_examples=60, deadline=None)
@given(st.lists(member, max_size=24))
def test_property_no_hidden_groups_figure_can_be_derived_from_what_is_shown(members):
    rows = [_row(i, *spec) for i, spec in enumerate(members)]
    sizes: dict[str, int] = {}
    for row in rows:
        sizes[row.profession or "not_entered"] = sizes.get(row.profession or "not_entered", 0) + 1
    decided = disclosure_for(sizes)
    hidden = set(decided.suppressed)
    hidden_people = sum(sizes[group] for group in hidden)
    # What is hidden is two or more groups holding 5 or more people, or the whole team.
    assert not hidden or (len(hidden) >= 2 and hidden_people >= MIN_GROUP_SIZE) or hidden_people == len(rows)
    shown = _everything_shown(rows)
    for group in hidden:
        funding = {row.funding_used for row in rows if (row.profession or "not_entered") in hidden}
        total = sum((r.funding_used for r in rows if (r.profession or "not_entered") == group), Decimal("0"))
        differs = False
        for team in _alternatives(rows, group, hidden):
            alternative_total = sum(
                (r.funding_used for r in team if (r.profession or "not_entered") == group), Decimal("0")
            )
            # Whatever the alternative, every page shows exactly the same...
            assert _everything_shown(team) == shown
            differs = differs or alternative_total != total
        # ...and unless every hidden member has the same figure, the group's own total is not determined.
        assert differs or len(funding) == 1 or len(_alternatives(rows, group, hidden)) == 0


def test_a_withheld_row_carries_neither_its_confirmed_nor_its_stated_profession():
    """MemberRow extends MemberAccess: the stated profession it inherits is withheld with the confirmed one."""
    # One pharmacist is hidden, with the next smallest group (five physicians); the six nurses are shown.
    professions = ["pharmacist", *["nurse"] * 6, *["physician"] * 5]
    rows = [_row(i, profession, Decimal("0"), False, 1) for i, profession in enumerate(professions)]
    view = dashboard_view(rows)
    (withheld,) = [row for row in view.all_rows if row.user_id == 0]
    assert (withheld.profession, withheld.stated_profession, withheld.profession_shown) == ("", "", False)
    assert withheld.profession_label == PROFESSION_NOT_SHOWN
    assert {row.stated_profession for row in view.all_rows if row.profession_shown} == {"nurse"}
