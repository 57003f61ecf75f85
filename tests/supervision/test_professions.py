"""A profession that decides policy is confirmed: the stated one waits for the team's supervisor (or a curator).

The finding: a nurse under a $150 "refuse" policy stated "physician assistant" on their profile and
got the PA policy at once, moving themselves between equity groups. Now the policy, the equity
figures and the funding request's recorded profession follow `confirmed_profession` only.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from careers.models import ClinicianProfile
from supervision import services
from supervision.allowance import employer_allowance_for_user
from supervision.models import FundingRequest
from supervision.selectors import team_member_figures
from tests.factories import ClinicianFactory, TeamMembershipFactory

from .helpers import policy, profile, shortlisted
from .test_requests import _create

pytestmark = pytest.mark.django_db

PROFILE_FORM = {
    "yearly_budget_amount": "0",
    "budget_used_amount": "0",
    "yearly_leave_days": "0",
    "leave_used_days": "0",
}
WAITING = (
    "Physician assistant</strong> — waiting for your supervisor to confirm; "
    "your policy follows Nurse (confirmed) until then."
)


@pytest.fixture
def nurse_under_refuse(world):
    """The owner: a confirmed nurse under a $150 refuse policy; the team's PA policy grants $2,000."""
    profile(world.owner, "nurse")
    nurse = policy(team=world.team, profession="nurse", amount="150", days="1", rule="refuse")
    pa = policy(team=world.team, profession="physician_assistant", amount="2000", days="3", rule="refuse")
    return world, nurse, pa


def _state(client, user, profession: str) -> None:
    client.force_login(user)
    response = client.post(reverse("careers:profile"), {**PROFILE_FORM, "profession": profession})
    assert response.status_code == 302, response.content.decode()


def _decide(client, world, user, decision: str, profession: str = "physician_assistant", team=None):
    client.force_login(user)
    team = team or world.team
    return client.post(
        reverse("supervision:profession_decide", args=[team.pk, world.owner.pk]),
        {"decision": decision, "profession": profession},
    )


def _equity_group(world) -> str:
    """The owner's equity group (the owner is team A's only member)."""
    (figures,) = team_member_figures(team=world.team)
    return figures.profession


def test_switching_to_physician_assistant_changes_nothing_until_the_supervisor_confirms(client, nurse_under_refuse):
    world, nurse, pa = nurse_under_refuse
    _state(client, world.owner, "physician_assistant")

    stored = ClinicianProfile.objects.get(user=world.owner)
    assert (stored.profession, stored.confirmed_profession) == ("physician_assistant", "nurse")
    assert employer_allowance_for_user(user=world.owner).policy == nurse
    assert _equity_group(world) == "nurse"
    with pytest.raises(ValidationError, match="refuses requests over the allowance"):
        _create(world.owner, shortlisted(world.owner), amount="500", leave="1")
    assert not FundingRequest.objects.exists()

    # Both sides see that it waits.
    assert WAITING in client.get(reverse("careers:profile")).content.decode()
    client.force_login(world.team_supervisor)
    dashboard = client.get(reverse("supervision:dashboard", args=[world.team.pk])).content.decode()
    assert "1 profession change waiting" in dashboard
    # A team this small is a suppressed group (supervision.disclosure): the dashboard withholds the profession,
    # the Confirm professions page, where the supervisor decides, names it.
    assert "States another profession" in dashboard and "States Physician assistant" not in dashboard
    page = client.get(reverse("supervision:professions", args=[world.team.pk])).content.decode()
    assert "Confirm Physician assistant" in page and "Nurse" in page

    response = _decide(client, world, world.team_supervisor, "confirm")
    assert response.status_code == 302

    stored.refresh_from_db()
    assert stored.confirmed_profession == "physician_assistant"
    assert stored.profession_confirmed_by == world.team_supervisor and stored.profession_confirmed_at
    assert employer_allowance_for_user(user=world.owner).policy == pa
    assert _equity_group(world) == "physician_assistant"
    request, _ = _create(world.owner, shortlisted(world.owner), amount="500", leave="1")
    assert request.profession == "physician_assistant"
    client.force_login(world.owner)
    assert "Physician assistant (confirmed by" in client.get(reverse("careers:profile")).content.decode()


def test_the_funding_request_records_the_confirmed_profession_not_the_stated(client, nurse_under_refuse):
    world, _, _ = nurse_under_refuse
    _state(client, world.owner, "physician_assistant")
    request, _ = _create(world.owner, shortlisted(world.owner), amount="100", leave="0")
    assert request.profession == "nurse"


def test_decline_keeps_the_confirmed_profession_and_both_sides_see_it(client, nurse_under_refuse):
    world, nurse, _ = nurse_under_refuse
    _state(client, world.owner, "physician_assistant")
    assert _decide(client, world, world.team_supervisor, "decline").status_code == 302

    stored = ClinicianProfile.objects.get(user=world.owner)
    assert (stored.confirmed_profession, stored.declined_profession) == ("nurse", "physician_assistant")
    assert not stored.profession_pending and stored.profession_declined
    assert employer_allowance_for_user(user=world.owner).policy == nurse
    assert (
        "No profession change is waiting"
        in client.get(reverse("supervision:professions", args=[world.team.pk])).content.decode()
    )
    client.force_login(world.owner)
    html = client.get(reverse("careers:profile")).content.decode()
    assert "declined by" in html and "your policy follows Nurse (confirmed)" in html

    # Saving the profile again (same profession) does not ask again; stating another one does.
    _state(client, world.owner, "physician_assistant")
    assert not ClinicianProfile.objects.get(user=world.owner).profession_pending
    _state(client, world.owner, "pharmacist")
    stored.refresh_from_db()
    assert stored.profession_pending and stored.declined_profession == ""


def test_only_the_teams_supervisor_or_a_curator_decides(client, nurse_under_refuse):
    world, _, _ = nurse_under_refuse
    _state(client, world.owner, "physician_assistant")
    # Team B's supervisor: 404 on team A's URL, and 404 for team A's member through their own team.
    assert _decide(client, world, world.other_supervisor, "confirm").status_code == 404
    assert _decide(client, world, world.other_supervisor, "confirm", team=world.other_team).status_code == 404
    # The clinician: 403 (the wrong role), on the team and on the curator's URL.
    assert _decide(client, world, world.owner, "confirm").status_code == 403
    url = reverse("supervision:profession_decide_any", args=[world.owner.pk])
    assert client.post(url, {"decision": "confirm", "profession": "physician_assistant"}).status_code == 403
    assert ClinicianProfile.objects.get(user=world.owner).confirmed_profession == "nurse"
    # A curator may.
    client.force_login(world.admin)
    assert "Confirm Physician assistant" in client.get(reverse("supervision:professions_all")).content.decode()
    assert client.post(url, {"decision": "confirm", "profession": "physician_assistant"}).status_code == 302
    assert ClinicianProfile.objects.get(user=world.owner).confirmed_profession == "physician_assistant"


def test_a_change_made_meanwhile_is_not_confirmed_unseen(client, nurse_under_refuse):
    world, _, _ = nurse_under_refuse
    _state(client, world.owner, "physician_assistant")
    _state(client, world.owner, "physician")  # after the supervisor opened the page
    response = _decide(client, world, world.team_supervisor, "confirm", profession="physician_assistant")
    assert response.status_code == 302
    assert ClinicianProfile.objects.get(user=world.owner).confirmed_profession == "nurse"
    page = client.get(response["Location"]).content.decode()
    assert "now states Physician" in page


def test_nobody_confirms_their_own_profession(world):
    profile(world.team_supervisor, "physician", confirmed=False)
    TeamMembershipFactory(team=world.team, user=world.team_supervisor)
    with pytest.raises(PermissionDenied):
        services.profession_confirm(
            team=world.team,
            clinician_id=world.team_supervisor.pk,
            profession="physician",
            confirmed_by=world.team_supervisor,
        )
    with pytest.raises(PermissionDenied):
        services.profession_confirm(
            team=None, clinician_id=world.owner.pk, profession="physician", confirmed_by=world.team_supervisor
        )


def test_the_profile_form_cannot_set_the_confirmed_profession(client, nurse_under_refuse):
    world, _, _ = nurse_under_refuse
    client.force_login(world.owner)
    client.post(
        reverse("careers:profile"),
        {**PROFILE_FORM, "profession": "physician_assistant", "confirmed_profession": "physician_assistant"},
    )
    assert ClinicianProfile.objects.get(user=world.owner).confirmed_profession == "nurse"


def test_a_first_profession_applies_no_policy_until_confirmed(client, world):
    policy(team=world.team, profession="physician", amount="2000")
    _state(client, world.owner, "physician")
    assert employer_allowance_for_user(user=world.owner) is None
    assert _equity_group(world) == "not_entered"
    html = client.get(reverse("careers:profile")).content.decode()
    assert "waiting for your supervisor to confirm; no employer policy applies until then" in html
    client.force_login(world.team_supervisor)
    dashboard = client.get(reverse("supervision:dashboard", args=[world.team.pk])).content.decode()
    assert "Not shown (small group)" in dashboard  # a one-member group, suppressed; the profile page says it waits


def test_an_invited_sign_up_states_a_profession_the_supervisor_still_confirms(world):
    import re

    from django.core import mail
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        services.invitation_create(team=world.team, email="new.nurse@example.test", invited_by=world.team_supervisor)
    token = re.search(r"/team/invitations/([^/\s]+)/", mail.outbox[-1].body).group(1)  # only the email has it
    membership = services.invitation_accept(
        token=token,
        new_account=services.NewAccount(
            full_name="New Nurse", password="a-long-pass-phrase-9", profession="nurse", email="new.nurse@example.test"
        ),
    )
    stated = membership.user.clinician_profile
    assert (stated.profession, stated.confirmed_profession) == ("nurse", "")
    assert stated.profession_pending


def _waiting_members(team, count: int) -> None:
    for index in range(count):
        user = ClinicianFactory()
        TeamMembershipFactory(team=team, user=user)
        stated = profile(user, "nurse")
        stated.profession = "physician_assistant" if index % 2 else "pharmacist"
        stated.save()


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("name", ["supervision:dashboard", "supervision:professions"])
def test_query_counts_do_not_grow_with_waiting_changes(client, world, name):
    policy(team=world.team, profession="nurse", amount="1000")
    _waiting_members(world.team, 2)
    client.force_login(world.team_supervisor)
    url = reverse(name, args=[world.team.pk])
    _queries(client, url)  # warm caches (content types, session)
    few = _queries(client, url)
    _waiting_members(world.team, 30)
    many = _queries(client, url)
    assert few == many, (few, many)
    assert (
        "32 profession changes waiting"
        in client.get(reverse("supervision:dashboard", args=[world.team.pk])).content.decode()
    )


def test_curator_page_query_count_does_not_grow(client, world):
    _waiting_members(world.team, 2)
    client.force_login(world.admin)
    url = reverse("supervision:professions_all")
    _queries(client, url)
    few = _queries(client, url)
    _waiting_members(world.other_team, 30)
    assert _queries(client, url) == few


def test_the_migration_treats_existing_professions_as_confirmed(world):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("careers.migrations.0002_profession_confirmed_by_supervisor")
    profile(world.owner, "nurse", confirmed=False)
    migration.confirm_existing_professions(apps, None)
    assert ClinicianProfile.objects.get(user=world.owner).confirmed_profession == "nurse"
