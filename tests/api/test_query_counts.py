"""Every API list answers in a constant number of queries: measured at two data sizes."""

from __future__ import annotations

import pytest
from django.utils import timezone

from careers.models import ClinicianProfile, CreditAmount, CreditClaim, ShortlistEntry, ShortlistStatus
from tests.factories import ClinicianFactory, ProgramFactory, SupervisorFactory, TeamFactory, TeamMembershipFactory
from tests.programs.ranking_helpers import goal_for
from tests.supervision.helpers import funding_request, policy, profile

from .conftest import bearer

pytestmark = pytest.mark.django_db

# Measured per endpoint (token caller, including the token lookup and throttle): the ceilings asserted.
CEILINGS = {
    "catalog_ranked": 13,
    "catalog_unranked": 5,
    "shortlist": 4,
    "credits": 4,
    "licence_progress": 5,
    "plan": 9,
    "team_figures": 7,
    "funding_requests": 5,
    "funding_request": 6,
    "funding_request_create": 33,
}


def _grow(user, team, size):
    programs = ProgramFactory.create_batch(size, status="published")
    for program in programs:
        ShortlistEntry.objects.create(user=user, program=program, status=ShortlistStatus.PLANNED)
        claim = CreditClaim.objects.create(user=user, title=program.title, completed_on=timezone.localdate())
        CreditAmount.objects.create(claim=claim, credit_type="ama_pra_1", amount=1)
    for _ in range(size):
        member = ClinicianFactory()
        TeamMembershipFactory(team=team, user=member)
        ClinicianProfile.objects.create(user=member, profession="nurse", confirmed_profession="nurse")


@pytest.mark.parametrize(
    ("name", "path", "who"),
    [
        ("catalog_ranked", "/api/v1/programs/", "clinician"),
        ("catalog_unranked", "/api/v1/programs/", "plain"),
        ("shortlist", "/api/v1/shortlist/", "clinician"),
        ("credits", "/api/v1/credits/", "clinician"),
        ("licence_progress", "/api/v1/licences/progress/", "clinician"),
        ("plan", "/api/v1/plan/", "clinician"),
        ("team_figures", "/api/v1/teams/{team}/figures/", "supervisor"),
    ],
)
def test_list_query_count_does_not_grow(api, django_assert_max_num_queries, name, path, who):
    clinician = ClinicianFactory()
    goal_for(clinician)
    plain = ClinicianFactory()
    team = TeamFactory()
    supervisor = SupervisorFactory()
    team.supervisors.add(supervisor)
    headers = bearer({"clinician": clinician, "plain": plain, "supervisor": supervisor}[who])
    url = path.format(team=team.pk)
    counts = []
    for size in (3, 30):
        _grow(clinician, team, size)
        api.get(url, **headers)  # fills the catalog's option caches and records the token's use (once a minute)
        with django_assert_max_num_queries(CEILINGS[name]) as captured:
            assert api.get(url, **headers).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1], f"{name}: {counts} queries at 3 and 33 rows"
    print(f"api queries {name}: {counts[1]}")


def _team_member():
    """A physician with a goal in a team with a supervisor and a generous policy; their token."""
    clinician = ClinicianFactory()
    goal_for(clinician)
    profile(clinician, "physician")
    team = TeamFactory()
    supervisor = SupervisorFactory()
    team.supervisors.add(supervisor)
    TeamMembershipFactory(team=team, user=clinician)
    policy(team=team, profession="physician", amount="100000", days="1000")
    return clinician, team, supervisor


def _grow_requests(user, team, size):
    """`size` more decided requests of `user`, each with two cost items, and `size` more shortlisted programs."""
    _grow(user, team, size)
    for _ in range(size):
        made = funding_request(user, team, status="approved", amount_approved="1")
        made.cost_items.create(kind="registration", amount=400)
        made.cost_items.create(kind="travel", amount=100)


@pytest.mark.parametrize(("name", "who"), [("funding_requests", "clinician"), ("funding_request", "supervisor")])
def test_funding_request_reads_query_count_does_not_grow(api, django_assert_max_num_queries, name, who):
    clinician, team, supervisor = _team_member()
    one = funding_request(clinician, team)
    url = "/api/v1/funding-requests/" + (f"{one.pk}/" if name == "funding_request" else "")
    headers = bearer(clinician if who == "clinician" else supervisor)
    counts = []
    for size in (3, 30):
        _grow_requests(clinician, team, size)
        api.get(url, **headers)  # records the token's use (once a minute)
        with django_assert_max_num_queries(CEILINGS[name]) as captured:
            assert api.get(url, **headers).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1], f"{name}: {counts} queries at 3 and 33 rows"
    print(f"api queries {name}: {counts[1]}")


def test_funding_request_create_query_count_does_not_grow(api, django_assert_max_num_queries):
    """POST /funding-requests/ with 3 and with 33 earlier requests, shortlisted programs and team-mates."""
    clinician, team, _ = _team_member()
    headers = bearer(clinician)
    counts = []
    for size in (3, 30):
        _grow_requests(clinician, team, size)
        program = ProgramFactory(status="published")
        body = {"program_id": program.pk, "costs": {"registration": "100"}, "leave_days": "1", "justification": "QI"}
        api.get("/api/v1/funding-requests/", **headers)  # records the token's use (once a minute)
        with django_assert_max_num_queries(CEILINGS["funding_request_create"]) as captured:
            assert api.post("/api/v1/funding-requests/", body, format="json", **headers).status_code == 201
        counts.append(len(captured))
    assert counts[0] == counts[1], f"funding_request_create: {counts} queries at 3 and 33 rows"
    print(f"api queries funding_request_create: {counts[1]}")
