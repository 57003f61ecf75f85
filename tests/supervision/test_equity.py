"""The equity arithmetic (pure) and the equity page."""

from decimal import Decimal

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from supervision.equity import (
    MIN_GROUP_SIZE,
    MemberFigures,
    below_four_fifths,
    equity_report,
)
from supervision.presenters import bar_chart

from .helpers import funding_request, policy, profile


def _members(profession, n, *, participated=0, funding="0", decided=0, approved=0):
    return [
        MemberFigures(
            profession=profession,
            participated=i < participated,
            funding_approved=Decimal(funding),
            requests_decided=1 if i < decided else 0,
            requests_approved=1 if i < approved else 0,
            days_to_decision=(float(i + 1),) if i < decided else (),
        )
        for i in range(n)
    ]


def test_rates_per_profession():
    report = equity_report(_members("physician", 5, participated=4, funding="1000", decided=4, approved=3))
    (group,) = report.professions
    assert group.size == 5
    assert group.participation_rate == Decimal("0.8")
    assert group.funding_per_member == Decimal("1000.00")
    assert group.approval_rate == Decimal("0.75")
    assert group.median_days_to_decision == 2.5
    assert group.flagged == frozenset()


def test_four_fifths_flag_on_the_less_served_profession():
    members = _members("physician", 5, participated=5, funding="1000") + _members(
        "nurse", 6, participated=3, funding="790"
    )
    report = equity_report(members)
    nurse = next(g for g in report.professions if g.profession == "nurse")
    physician = next(g for g in report.professions if g.profession == "physician")
    assert nurse.flagged == {"participation_rate", "funding_per_member"}
    assert physician.flagged == frozenset()


def test_exactly_four_fifths_is_not_flagged():
    assert not below_four_fifths(Decimal("0.8"), Decimal("1"))
    assert below_four_fifths(Decimal("0.7999"), Decimal("1"))
    assert not below_four_fifths(Decimal("0"), Decimal("0"))
    assert not below_four_fifths(None, Decimal("1"))


def test_small_groups_are_suppressed_and_take_no_part_in_comparison():
    # Two small groups (4 + 1 people): hidden together, nothing else needs hiding.
    members = (
        _members("physician", 5, participated=2)
        + _members("pharmacist", MIN_GROUP_SIZE - 1, participated=4)
        + _members("nurse_practitioner", 1, participated=1)
        + _members("nurse", 5, participated=1)
    )
    report = equity_report(members)
    pharmacist = next(g for g in report.professions if g.profession == "pharmacist")
    assert pharmacist.suppressed
    assert pharmacist.size is None and pharmacist.participation_rate is None and not pharmacist.flagged
    # The best shown rate is the physicians' 0.4, not the hidden pharmacists' 1.0.
    assert report.best["participation_rate"] == Decimal("0.4")
    nurse = next(g for g in report.professions if g.profession == "nurse")
    assert nurse.flagged == {"participation_rate"}


def test_no_decided_requests_means_no_approval_rate_and_no_flag():
    report = equity_report(_members("nurse", 5) + _members("physician", 5, decided=2, approved=2))
    nurse = next(g for g in report.professions if g.profession == "nurse")
    assert nurse.approval_rate is None
    assert "approval_rate" not in nurse.flagged


member_strategy = st.builds(
    MemberFigures,
    profession=st.sampled_from(["physician", "nurse", "pharmacist", "nurse_practitioner"]),
    participated=st.booleans(),
    funding_approved=st.decimals(min_value=0, max_value=10000, places=2),
    leave_days_approved=st.decimals(min_value=0, max_value=10, places=1),
    requests_decided=st.integers(min_value=0, max_value=3),
    requests_approved=st.just(0),
)


@given(st.lists(member_strategy, max_size=40))
def test_property_suppressed_groups_expose_nothing_and_best_group_is_never_flagged(members):
    report = equity_report(members)
    sizes: dict[str, int] = {}
    for member in members:
        sizes[member.profession] = sizes.get(member.profession, 0) + 1
    for group in report.professions:
        if sizes[group.profession] < MIN_GROUP_SIZE or group.suppressed:  # small, or hidden with a small one
            assert group.suppressed and group.size is None and group.participation_rate is None
            assert group.funding_per_member is None and not group.flagged
        else:
            assert group.size == sizes[group.profession]
        for metric in group.flagged:
            assert group.value(metric) < report.best[metric] * Decimal("0.8")
    for metric, best in report.best.items():
        assert all(metric not in g.flagged for g in report.shown if g.value(metric) == best)


@given(st.lists(st.decimals(min_value=0, max_value=100000, places=2), min_size=1, max_size=8))
def test_property_bars_fit_the_chart_and_the_largest_is_full_width(values):
    bars = bar_chart([(str(i), value, "", False) for i, value in enumerate(values)], width=300)
    assert all(0 <= bar.width <= 300 for bar in bars)
    if max(values) > 0:
        assert max(bar.width for bar in bars) == 300


@pytest.mark.django_db
def test_equity_page_shows_flag_table_chart_and_suppression(client, world):
    from tests.factories import ClinicianFactory, TeamMembershipFactory

    profile(world.owner, "pharmacist")
    for i in range(5):
        user = ClinicianFactory()
        TeamMembershipFactory(team=world.team, user=user)
        profile(user, "physician")
        policy_needed = i == 0
        if policy_needed:
            policy(team=world.team, profession="physician", amount="5000")
        req = funding_request(user, world.team, amount="1000", status="approved", amount_approved="1000")
        assert req.pk
    for _ in range(5):
        user = ClinicianFactory()
        TeamMembershipFactory(team=world.team, user=user)
        profile(user, "nurse")
    for _ in range(4):
        user = ClinicianFactory()
        TeamMembershipFactory(team=world.team, user=user)
        profile(user, "nurse_practitioner")
    policy(team=world.team, profession="nurse", amount="1000")
    client.force_login(world.team_supervisor)
    html = client.get(reverse("supervision:equity", args=[world.team.pk])).content.decode()
    # The lone pharmacist and the four NPs are hidden together, and not named.
    assert "not shown: groups of fewer than 5 people" in html
    assert "Pharmacist" not in html and "Nurse practitioner" not in html
    assert "below 4/5 of best" in html
    assert "<svg" in html and "<table" in html
    assert "style=" not in html


def test_equity_page_words_each_cell_and_charts_only_shown_groups():
    from supervision.presenters import equity_page

    report = equity_report(
        _members("physician", 5, participated=5, funding="1000", decided=2, approved=2)
        + _members("nurse", 5, participated=2, decided=1, approved=0)
        + _members("pharmacist", 2, participated=2)
        + _members("nurse_practitioner", 3, participated=0)
    )
    page = equity_page(report)
    rows = {row.label: row for row in page.table}
    assert list(rows) == ["Nurse", "Physician", "Other professions"]
    assert rows["Physician"].cells == [("100%", False), ("$1,000", False), ("0.0 days", False), ("100%", False)]
    assert rows["Nurse"].cells == [("40%", True), ("$0", True), ("0.0 days", False), ("0%", True)]
    assert rows["Other professions"].group.suppressed and rows["Other professions"].cells[0] == ("no data", False)
    participation = page.charts[0]
    assert participation.metric == "participation_rate"
    assert [(bar.label, bar.value_text, bar.flagged) for bar in participation.bars] == [
        ("Nurse", "40%", True),
        ("Physician", "100%", False),
    ]
    assert participation.bars[1].width == 300 and participation.bars[0].width == 120
