"""Team dashboard and equity view: a constant number of queries whatever the team's size and history (issue 15),
and the dashboard's SQL-summed licence hours equal to careers.progress's arithmetic."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from careers.models import CreditAmount, CreditClaim, Licence
from careers.selectors import licence_hours_for_users, licence_progress_for_users
from supervision.models import FundingRequest, RequestStatus
from tests.factories import ClinicianFactory, ProgramFactory, TeamMembershipFactory

from .helpers import policy, profile

pytestmark = pytest.mark.django_db

PROFESSIONS = ["nurse", "nurse", "physician", "pharmacist", "nurse"]
STATUSES = [RequestStatus.PENDING, RequestStatus.APPROVED, RequestStatus.DECLINED, RequestStatus.PARTIALLY_APPROVED]


def _add_members(team, supervisor, count: int, months: int) -> None:
    """`count` members, each with a licence, a claim a month for `months` months and a request a month."""
    today = timezone.localdate()
    now = timezone.now()
    programs = [ProgramFactory() for _ in range(months)]  # one request per member and program
    for index in range(count):
        user = ClinicianFactory()
        TeamMembershipFactory(team=team, user=user)
        profile(user, PROFESSIONS[index % len(PROFESSIONS)])
        Licence.objects.create(
            user=user,
            jurisdiction="California",
            licence_type="Licence",
            renewal_date=today + datetime.timedelta(days=20 + 13 * index),
            hours_required=Decimal("50"),
        )
        claims = CreditClaim.objects.bulk_create(
            CreditClaim(user=user, title=f"Activity {month}", completed_on=today - datetime.timedelta(days=30 * month))
            for month in range(months)
        )
        CreditAmount.objects.bulk_create(
            CreditAmount(claim=claim, credit_type="ama_pra_1", amount=Decimal("2")) for claim in claims
        )
        FundingRequest.objects.bulk_create(
            FundingRequest(
                requester=user,
                team=team,
                program=programs[month],
                amount_requested=Decimal("300"),
                leave_days_requested=Decimal("1"),
                costs_on=today - datetime.timedelta(days=30 * month),
                justification="history",
                status=(status := STATUSES[month % len(STATUSES)]),
                amount_approved=Decimal("300") if status == RequestStatus.APPROVED else Decimal("0"),
                decided_by=None if status == RequestStatus.PENDING else supervisor,
                decided_at=None if status == RequestStatus.PENDING else now - datetime.timedelta(days=30 * month),
            )
            for month in range(months)
        )


def _queries(client, url: str, params: dict[str, str] | None = None, **headers: str) -> int:
    client.get(url, params or {}, **headers)  # warm per-process caches (content types, session)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {}, **headers)
    assert response.status_code == 200
    return len(ctx.captured_queries)


PAGES = {
    "dashboard": ("supervision:dashboard", {}, {}),
    "dashboard htmx sort": ("supervision:dashboard", {"sort": "renewal", "order": "desc"}, {"HTTP_HX_REQUEST": "true"}),
    "dashboard htmx filter": (
        "supervision:dashboard",
        {"at_risk": "on", "sort": "funding"},
        {"HTTP_HX_REQUEST": "true"},
    ),
    "equity": ("supervision:equity", {}, {}),
    "csv": ("supervision:dashboard_csv", {}, {}),
}


# Measured with this test's data (a signed-in supervisor: session, user, groups, the nav's team and unread count,
# then the page's own). Each page reads its members as plain values: the memberships with their activities
# counted, the policies (the allowances' requests when a policy applies); the dashboard and the CSV also the
# licences' hours; the whole dashboard its pending requests (which it counts), invitations and enrolment; its
# htmx partial and the CSV count the pending requests in the memberships' query; the equity view reads the
# decided requests and enrolment.
QUERIES = {"dashboard": 13, "dashboard htmx sort": 8, "dashboard htmx filter": 8, "equity": 11, "csv": 8}


def _all_queries(client, team) -> dict[str, int]:
    return {
        name: _queries(client, reverse(url_name, args=[team.pk]), params, **headers)
        for name, (url_name, params, headers) in PAGES.items()
    }


def test_dashboard_and_equity_queries_do_not_grow_with_members_or_history(client, world):
    for profession in set(PROFESSIONS):
        policy(team=world.team, profession=profession)
    client.force_login(world.team_supervisor)
    _add_members(world.team, world.team_supervisor, 5, months=1)
    small = _all_queries(client, world.team)
    _add_members(world.team, world.team_supervisor, 45, months=24)
    large = _all_queries(client, world.team)
    assert small == large, (small, large)
    assert large == QUERIES, large
    html = client.get(reverse("supervision:dashboard", args=[world.team.pk])).content.decode()
    assert "51 of 51 members shown" in html  # the fixture's owner and the 50 added


def test_licence_hours_in_sql_equal_licence_progress():
    """Month-end cycle starts, accepted credit types, a claim with several types, claims outside the cycle."""
    today = datetime.date(2026, 5, 15)
    user, other = ClinicianFactory(), ClinicianFactory()
    march_end = Licence.objects.create(
        user=user,
        jurisdiction="Ohio",
        licence_type="RN",
        renewal_date=datetime.date(2026, 3, 31),
        cycle_months=1,  # the cycle starts on February 28 (clamped), not March 3
        hours_required=Decimal("10"),
    )
    nursing = Licence.objects.create(
        user=user,
        jurisdiction="California",
        licence_type="RN",
        renewal_date=datetime.date(2026, 8, 31),
        cycle_months=6,
        hours_required=Decimal("30"),
        accepted_credit_types=["ancc", "ipce"],
    )
    Licence.objects.create(user=other, jurisdiction="", licence_type="MD", renewal_date=today, hours_required=5)
    claims = {
        datetime.date(2026, 2, 27): {"ama_pra_1": "1"},  # before both cycles
        datetime.date(2026, 2, 28): {"ama_pra_1": "2.5", "ancc": "3"},  # first day of the March licence's cycle
        datetime.date(2026, 3, 2): {"ancc": "1.25", "ipce": "4", "moc": "9"},  # largest accepted, never a sum
        datetime.date(2026, 3, 31): {"moc": "7"},  # not accepted by the nursing licence
        datetime.date(2026, 4, 1): {"ancc": "2"},  # after the March licence's renewal
    }
    for completed_on, amounts in claims.items():
        claim = CreditClaim.objects.create(user=user, title=str(completed_on), completed_on=completed_on)
        for credit_type, amount in amounts.items():
            CreditAmount.objects.create(claim=claim, credit_type=credit_type, amount=Decimal(amount))
    ids = [user.pk, other.pk, ClinicianFactory().pk]
    expected = licence_progress_for_users(user_ids=ids, today=today)
    found = licence_hours_for_users(user_ids=ids, today=today)
    assert set(found) == set(expected)
    for user_id, items in expected.items():
        assert [
            (item.licence_id, item.name, item.hours_earned, item.hours_short, item.days_to_renewal) for item in items
        ] == [
            (item.licence_id, item.name, item.hours_earned, item.hours_short, item.days_to_renewal)
            for item in found[user_id]
        ]
    by_id = {item.licence_id: item.hours_earned for item in found[user.pk]}
    assert by_id == {march_end.pk: Decimal("3") + Decimal("9") + Decimal("7"), nursing.pk: Decimal("3") + 4 + 2}


def test_licence_hours_queries_do_not_grow_with_claims():
    user = ClinicianFactory()
    Licence.objects.create(
        user=user, jurisdiction="X", licence_type="Y", renewal_date=timezone.localdate(), hours_required=5
    )
    with CaptureQueriesContext(connection) as few:
        licence_hours_for_users(user_ids=[user.pk])
    claims = CreditClaim.objects.bulk_create(
        CreditClaim(user=user, title="c", completed_on=timezone.localdate() - datetime.timedelta(days=day))
        for day in range(60)
    )
    CreditAmount.objects.bulk_create(CreditAmount(claim=c, credit_type="moc", amount=Decimal("1")) for c in claims)
    with CaptureQueriesContext(connection) as many:
        hours = licence_hours_for_users(user_ids=[user.pk])
    assert len(few.captured_queries) == len(many.captured_queries) == 1
    assert hours[user.pk][0].hours_earned == 60


def test_pending_counts_are_the_same_counted_in_sql_or_from_the_rows_the_page_read(world):
    # The htmx members partial counts in SQL; the full page counts the pending requests it lists.
    from supervision.selectors import pending_requests_for_dashboard, team_member_rows

    _add_members(world.team, world.team_supervisor, 5, months=9)
    counted_in_sql = {row.user_id: row.pending_requests for row in team_member_rows(team=world.team)}
    pending = pending_requests_for_dashboard(team=world.team)
    from_rows = {row.user_id: row.pending_requests for row in team_member_rows(team=world.team, pending=pending)}
    assert counted_in_sql == from_rows
    assert sum(from_rows.values()) == len(pending) > 0
