"""Every API list answers in a constant number of queries: measured at two data sizes."""

from __future__ import annotations

import pytest
from django.utils import timezone

from careers.models import ClinicianProfile, CreditAmount, CreditClaim, ShortlistEntry, ShortlistStatus
from tests.factories import ClinicianFactory, ProgramFactory, SupervisorFactory, TeamFactory, TeamMembershipFactory
from tests.programs.ranking_helpers import goal_for

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
    "team_figures": 10,
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
