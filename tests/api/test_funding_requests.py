"""POST/GET /api/v1/funding-requests/: the request page's form and service, answered as JSON."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection
from rest_framework.test import APIClient

from careers.models import ShortlistEntry
from supervision.models import FundingRequest, RequestCostItem
from tests.factories import ClinicianFactory, ProgramFactory, SupervisorFactory, TeamFactory, TeamMembershipFactory
from tests.supervision.helpers import policy, profile, shortlisted

from .conftest import bearer

pytestmark = pytest.mark.django_db

URL = "/api/v1/funding-requests/"
PROBLEM = "application/problem+json"


def _problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    return response.json()


@pytest.fixture
def member():
    """A physician in a team with a supervisor, and a published program (fee $500, one day) still to come."""
    user = ClinicianFactory()
    team = TeamFactory()
    TeamMembershipFactory(team=team, user=user)
    supervisor = SupervisorFactory()
    team.supervisors.add(supervisor)
    profile(user, "physician")
    program = shortlisted(user, fee_amount=Decimal("500"), leave_days=Decimal("1")).program
    return {"user": user, "team": team, "supervisor": supervisor, "program": program}


def _body(program, **overrides):
    body = {
        "program_id": program.pk,
        "costs": {"registration": "300", "travel": "120.50"},
        "leave_days": "1",
        "justification": "Closes the unit's sepsis gap.",
    }
    body.update(overrides)
    return body


def test_create_answers_201_with_the_request_and_the_ledger(api, member):
    policy(team=member["team"], profession="physician", amount="2000", days="3")
    response = api.post(URL, _body(member["program"]), format="json", **bearer(member["user"]))
    assert response.status_code == 201, response.content
    body = response.json()
    created = FundingRequest.objects.get()
    assert body["request"]["id"] == created.pk and body["request"]["status"] == "pending"
    assert body["request"]["amount_requested"] == "420.50" == f"{created.amount_requested}"
    assert body["request"]["leave_days_requested"] == "1.0"
    assert body["request"]["team_id"] == member["team"].pk
    assert body["request"]["page"] == f"/team/requests/{created.pk}/"
    assert [(item["kind"], item["amount"]) for item in body["request"]["cost_items"]] == [
        ("registration", "300.00"),
        ("travel", "120.50"),
    ]
    assert body["warning"] == ""
    assert Decimal(body["ledger"]["employer_money_left"]) == Decimal("2000") - Decimal("420.50")
    assert Decimal(body["ledger"]["employer_leave_left"]) == Decimal("2")


def test_create_matches_the_request_page(api, client, member):
    """The same figures through the page and the API give the same stored request."""
    other = shortlisted(member["user"], fee_amount=Decimal("500"), leave_days=Decimal("1")).program
    client.force_login(member["user"])
    page = client.post(
        f"/team/requests/new/?program={other.pk}",
        {
            "registration": "300",
            "travel": "120.50",
            "leave_days": "1",
            "justification": "Closes the unit's sepsis gap.",
        },
    )
    assert page.status_code == 302
    api.post(URL, _body(member["program"]), format="json", **bearer(member["user"]))
    from_page, from_api = (
        FundingRequest.objects.get(program=other),
        FundingRequest.objects.get(program=member["program"]),
    )
    fields = ("amount_requested", "leave_days_requested", "travel_days", "costs_on", "justification", "team_id")
    assert [getattr(from_page, name) for name in fields] == [getattr(from_api, name) for name in fields]
    assert list(from_page.cost_items.values_list("kind", "amount")) == list(
        from_api.cost_items.values_list("kind", "amount")
    )


def test_list_is_the_callers_own_newest_first_and_paged(api, member):
    headers = bearer(member["user"])
    mine = [api.post(URL, _body(shortlisted(member["user"]).program), format="json", **headers) for _ in range(3)]
    assert all(response.status_code == 201 for response in mine)
    other = ClinicianFactory()
    TeamMembershipFactory(team=member["team"], user=other)
    api.post(URL, _body(member["program"]), format="json", **bearer(other))
    body = api.get(URL, **headers).json()
    assert body["count"] == 3 and body["pages"] == 1 and body["next"] is None
    assert [item["id"] for item in body["results"]] == [r.json()["request"]["id"] for r in reversed(mine)]
    _problem(api.get(URL + "?page=2", **headers), 404)
    _problem(api.get(URL + "?page=x", **headers), 400)


def test_detail_for_the_requester_and_their_supervisor_only(api, member):
    created = api.post(URL, _body(member["program"]), format="json", **bearer(member["user"])).json()["request"]
    url = f"{URL}{created['id']}/"
    assert api.get(url, **bearer(member["user"], "read")).json() == created
    assert api.get(url, **bearer(member["supervisor"], "read")).json()["id"] == created["id"]
    _problem(api.get(url, **bearer(ClinicianFactory(), "read")), 404)
    _problem(api.get(url, **bearer(SupervisorFactory(), "read")), 404)


# --- Refusals: per-field 400s, nothing written --------------------------------------------------


def _refused(api, member, body, status=400, user=None):
    before = (FundingRequest.objects.count(), RequestCostItem.objects.count(), ShortlistEntry.objects.count())
    answer = _problem(api.post(URL, body, format="json", **bearer(user or member["user"])), status)
    after = (FundingRequest.objects.count(), RequestCostItem.objects.count(), ShortlistEntry.objects.count())
    assert after == before, "a refused request wrote something"
    return answer


@pytest.mark.parametrize(
    ("costs", "field"),
    [
        ({"registration": "-5"}, "costs.registration"),
        ({"registration": "1e12"}, "costs.registration"),
        ({"travel": "99999999999999999999999999"}, "costs.travel"),
        ({"lodging": "abc"}, "costs.lodging"),
        ({"lodging": "NaN"}, "costs.lodging"),
        ({"registration": "10.123"}, "costs.registration"),
        ({"registration": "900"}, "costs.registration"),  # above the program's $500 fee
        ({"other": "40"}, "costs.other_description"),  # an "other" cost needs a description
    ],
)
def test_bad_amounts_are_400_naming_the_field(api, member, costs, field):
    body = _refused(api, member, _body(member["program"], costs=costs))
    assert field in body["errors"], body


def test_amount_above_the_costs_and_nothing_asked_are_refused(api, member):
    body = _refused(api, member, _body(member["program"], amount="1000"))
    assert "amount" in body["errors"]
    body = _refused(api, member, _body(member["program"], costs={}, leave_days="0"))
    assert body["errors"]["__all__"] == ["Ask for an amount, paid leave days, or both."]


def test_leave_over_the_program_and_over_a_refusing_policy(api, member):
    assert "leave_days" in _refused(api, member, _body(member["program"], leave_days="5"))["errors"]
    policy(team=member["team"], profession="physician", amount="2000", days="0.5", rule="refuse")
    body = _refused(api, member, _body(member["program"]))
    assert "refuses requests over the allowance" in body["errors"]["__all__"][0]


def test_missing_and_blank_justification(api, member):
    body = _body(member["program"])
    del body["justification"]
    assert "justification" in _refused(api, member, body)["errors"]
    assert "justification" in _refused(api, member, _body(member["program"], justification="   "))["errors"]


def test_unknown_unpublished_and_past_programs(api, member):
    stranger = ClinicianFactory()
    draft = ProgramFactory(status="draft")
    ShortlistEntry.objects.create(user=stranger, program=draft)  # another clinician's, unpublished
    assert "program_id" in _refused(api, member, _body(draft, costs={"registration": "10"}))["errors"]
    assert "program_id" in _refused(api, member, {**_body(member["program"]), "program_id": 10**9})["errors"]
    assert "program_id" in _refused(api, member, {**_body(member["program"]), "program_id": "x"})["errors"]
    # On the caller's own record but no longer published: the page's reason.
    ShortlistEntry.objects.create(user=member["user"], program=draft)
    body = _refused(api, member, _body(draft, costs={"registration": "10"}))
    assert "no longer published" in body["errors"]["program_id"][0]


def test_clinician_without_team_gets_the_pages_message(api):
    loner = ClinicianFactory()
    program = ProgramFactory()
    body = _refused(api, None, _body(program), user=loner)
    assert body["errors"]["__all__"] == ["You are not in a team yet, so there is no supervisor to ask."]


def test_second_submission_is_409_and_writes_nothing(api, member):
    headers = bearer(member["user"])
    first = api.post(URL, _body(member["program"]), format="json", **headers)
    assert first.status_code == 201
    body = _refused(api, member, _body(member["program"]), status=409)
    assert f"request #{first.json()['request']['id']}" in body["detail"]


def test_read_token_and_other_roles_are_403_anonymous_401(api, member):
    before = FundingRequest.objects.count()
    _problem(api.post(URL, _body(member["program"]), format="json", **bearer(member["user"], "read")), 403)
    _problem(api.post(URL, _body(member["program"]), format="json", **bearer(member["supervisor"])), 403)
    _problem(api.get(URL, **bearer(member["supervisor"])), 403)
    _problem(APIClient().post(URL, _body(member["program"]), format="json"), 401)
    assert FundingRequest.objects.count() == before == 0


def test_session_create_needs_csrf(member):
    strict = APIClient(enforce_csrf_checks=True)
    strict.force_login(member["user"])
    _problem(strict.post(URL, _body(member["program"]), format="json"), 403)
    assert not FundingRequest.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_creates_at_once_one_lands(member):  # pragma: no cover - PostgreSQL only
    headers = bearer(member["user"])
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def create():
        from django.db import connections

        barrier.wait()
        try:
            statuses.append(APIClient().post(URL, _body(member["program"]), format="json", **headers).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201, 409]
    assert FundingRequest.objects.count() == 1 and RequestCostItem.objects.count() == 2
