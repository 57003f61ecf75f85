"""Supervision access rules beyond role and ownership, and what the allowed person's actions do.

Who may open each supervision URL (every role, GET and POST, cross-team ids) is the matrix in
tests/test_access_matrix.py.
"""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from supervision.models import FundingRequest, RequestStatus

from .helpers import funding_request, policy, profile, shortlisted

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(world):
    profile(world.owner, "physician")
    profile(world.other_clinician, "nurse")
    req = funding_request(world.owner, world.team)
    team_policy = policy(team=world.team, profession="physician")
    team_policy.source_document.save("policy.pdf", ContentFile(b"%PDF-1.4 policy"), save=True)
    return {"req": req, "policy": team_policy}


def test_supervisor_cannot_reach_another_teams_objects_through_their_own_team_id(client, world, setup):
    """The object must belong to the team in the URL, not just the team to the supervisor."""
    client.force_login(world.other_supervisor)
    other_team = world.other_team.pk
    assert client.get(reverse("supervision:policy_edit", args=[other_team, setup["policy"].pk])).status_code == 404
    response = client.post(reverse("supervision:member_remove", args=[other_team, world.owner.pk]))
    assert response.status_code == 404
    assert world.owner.team_memberships.current().filter(team=world.team).exists()


def test_team_supervisor_removes_a_member_and_the_history_stays(client, world, setup):
    client.force_login(world.team_supervisor)
    response = client.post(reverse("supervision:member_remove", args=[world.team.pk, world.owner.pk]))
    assert response["Location"] == reverse("supervision:dashboard", args=[world.team.pk])
    assert not world.owner.team_memberships.current().exists()
    assert world.owner.team_memberships.filter(team=world.team, ended_at__isnull=False).exists()


def test_team_supervisor_declines_a_request_from_its_page(client, world, setup):
    client.force_login(world.team_supervisor)
    response = client.post(
        reverse("supervision:request_decide", args=[setup["req"].pk]), {"outcome": "declined", "reason": "Staffing"}
    )
    assert response["Location"] == reverse("supervision:request_detail", args=[setup["req"].pk])
    setup["req"].refresh_from_db()
    assert setup["req"].status == RequestStatus.DECLINED
    assert setup["req"].decided_by == world.team_supervisor


def test_requester_withdraws_a_pending_request_from_its_page(client, world, setup):
    client.force_login(world.owner)
    response = client.post(reverse("supervision:request_withdraw", args=[setup["req"].pk]))
    assert response["Location"] == reverse("supervision:request_detail", args=[setup["req"].pk])
    assert FundingRequest.objects.get(pk=setup["req"].pk).status == RequestStatus.WITHDRAWN


@pytest.mark.parametrize("role", ["owner", "other_clinician"])
def test_my_requests_lists_only_the_clinicians_own_requests(client, world, setup, role):
    client.force_login(getattr(world, role))
    response = client.get(reverse("supervision:my_requests"))
    assert response.status_code == 200
    assert (setup["req"].program.title in response.content.decode()) == (role == "owner")


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
