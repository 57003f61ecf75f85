"""Every supervision view for every role, including cross-team URL tampering."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from supervision.models import FundingRequest, RequestStatus
from tests.conftest import ROLES, login_as

from .helpers import funding_request, policy, profile, shortlisted

pytestmark = pytest.mark.django_db

SUPERVISOR_ONLY = {
    "anonymous": 302,
    "owner": 404,
    "other_clinician": 404,
    "team_supervisor": 200,
    "other_supervisor": 404,
    "admin": 404,
}


@pytest.fixture
def setup(world):
    profile(world.owner, "physician")
    profile(world.other_clinician, "nurse")
    req = funding_request(world.owner, world.team)
    team_policy = policy(team=world.team, profession="physician")
    team_policy.source_document.save("policy.pdf", ContentFile(b"%PDF-1.4 policy"), save=True)
    return {"req": req, "policy": team_policy}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", ["dashboard", "dashboard_csv", "equity", "invite", "policies", "policy_new"])
def test_team_pages_only_for_the_teams_supervisor(client, world, setup, role, name):
    login_as(client, world, role)
    response = client.get(reverse(f"supervision:{name}", args=[world.team.pk]))
    assert response.status_code == SUPERVISOR_ONLY[role]


@pytest.mark.parametrize("role", ROLES)
def test_policy_edit_only_for_the_teams_supervisor(client, world, setup, role):
    login_as(client, world, role)
    response = client.get(reverse("supervision:policy_edit", args=[world.team.pk, setup["policy"].pk]))
    assert response.status_code == SUPERVISOR_ONLY[role]


def test_other_supervisor_tampering_with_team_and_object_ids_gets_404(client, world, setup):
    client.force_login(world.other_supervisor)
    team_id = world.team.pk
    for url in [
        reverse("supervision:dashboard", args=[team_id]),
        reverse("supervision:equity", args=[team_id]),
        reverse("supervision:dashboard_csv", args=[team_id]),
        reverse("supervision:policy_edit", args=[team_id, setup["policy"].pk]),
        reverse("supervision:policy_document", args=[setup["policy"].pk]),
        reverse("supervision:request_detail", args=[setup["req"].pk]),
    ]:
        assert client.get(url).status_code == 404, url
    # Their own team id with an object of the other team.
    other_team = world.other_team.pk
    assert client.get(reverse("supervision:policy_edit", args=[other_team, setup["policy"].pk])).status_code == 404
    response = client.post(reverse("supervision:member_remove", args=[other_team, world.owner.pk]))
    assert response.status_code == 404
    response = client.post(reverse("supervision:member_remove", args=[team_id, world.owner.pk]))
    assert response.status_code == 404
    response = client.post(
        reverse("supervision:request_decide", args=[setup["req"].pk]), {"outcome": "approved", "reason": "x"}
    )
    assert response.status_code == 404
    assert FundingRequest.objects.get(pk=setup["req"].pk).status == RequestStatus.PENDING
    assert world.owner.team_memberships.current().exists()


@pytest.mark.parametrize("role", ROLES)
def test_request_detail(client, world, setup, role):
    login_as(client, world, role)
    response = client.get(reverse("supervision:request_detail", args=[setup["req"].pk]))
    expected = {"anonymous": 302, "owner": 200, "team_supervisor": 200}.get(role, 404)
    assert response.status_code == expected


@pytest.mark.parametrize("role", ROLES)
def test_request_decide(client, world, setup, role):
    login_as(client, world, role)
    response = client.post(
        reverse("supervision:request_decide", args=[setup["req"].pk]), {"outcome": "declined", "reason": "Staffing"}
    )
    expected = {"anonymous": 302, "team_supervisor": 302}.get(role, 404)
    assert response.status_code == expected
    setup["req"].refresh_from_db()
    assert (setup["req"].status == RequestStatus.DECLINED) == (role == "team_supervisor")


@pytest.mark.parametrize("role", ROLES)
def test_request_withdraw(client, world, setup, role):
    login_as(client, world, role)
    response = client.post(reverse("supervision:request_withdraw", args=[setup["req"].pk]))
    expected = {"anonymous": 302, "owner": 302}.get(role, 404)
    assert response.status_code == expected
    setup["req"].refresh_from_db()
    assert (setup["req"].status == RequestStatus.WITHDRAWN) == (role == "owner")


@pytest.mark.parametrize("role", ROLES)
def test_member_remove(client, world, setup, role):
    login_as(client, world, role)
    response = client.post(reverse("supervision:member_remove", args=[world.team.pk, world.owner.pk]))
    expected = {"anonymous": 302, "team_supervisor": 302}.get(role, 404)
    assert response.status_code == expected
    still_member = world.owner.team_memberships.current().filter(team=world.team).exists()
    assert still_member == (role != "team_supervisor")
    if role == "team_supervisor":
        assert world.owner.team_memberships.filter(team=world.team, ended_at__isnull=False).exists()


@pytest.mark.parametrize("role", ROLES)
def test_policy_document(client, world, setup, role):
    login_as(client, world, role)
    response = client.get(reverse("supervision:policy_document", args=[setup["policy"].pk]))
    expected = {"anonymous": 302, "owner": 200, "team_supervisor": 200}.get(role, 404)
    assert response.status_code == expected


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", ["my_requests", "my_policy", "reminders"])
def test_personal_pages_show_only_own_records(client, world, setup, role, name):
    login_as(client, world, role)
    response = client.get(reverse(f"supervision:{name}"))
    assert response.status_code == (302 if role == "anonymous" else 200)
    if name == "my_requests" and role != "anonymous":
        assert (setup["req"].program.title in response.content.decode()) == (role == "owner")


@pytest.mark.parametrize("role", ROLES)
def test_request_new_is_for_clinicians(client, world, setup, role):
    login_as(client, world, role)
    response = client.get(reverse("supervision:request_new"))
    expected = {"anonymous": 302, "owner": 200, "other_clinician": 200}.get(role, 404)
    assert response.status_code == expected


@pytest.mark.parametrize("role", ROLES)
def test_team_home(client, world, role):
    login_as(client, world, role)
    response = client.get(reverse("supervision:team_home"))
    expected = {"anonymous": 302, "team_supervisor": 302, "other_supervisor": 302}.get(role, 404)
    assert response.status_code == expected


def test_dashboard_never_shows_private_notes_or_goals(client, world, setup):
    entry = shortlisted(world.owner)
    entry.note = "PRIVATE-NOTE-TEXT"
    entry.save()
    from careers.models import CareerGoal

    CareerGoal.objects.create(user=world.owner, track="executive_leadership", target_role="SECRET-GOAL", is_active=True)
    client.force_login(world.team_supervisor)
    html = client.get(reverse("supervision:dashboard", args=[world.team.pk])).content.decode()
    assert str(world.owner) in html
    assert "PRIVATE-NOTE-TEXT" not in html
    assert "SECRET-GOAL" not in html
    assert str(world.other_clinician) not in html


def test_supervisor_of_a_former_member_no_longer_sees_their_requests(client, world, setup):
    from accounts.services import team_member_add

    team_member_add(team=world.other_team, user=world.owner)
    client.force_login(world.team_supervisor)
    assert client.get(reverse("supervision:request_detail", args=[setup["req"].pk])).status_code == 404
