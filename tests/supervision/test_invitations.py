"""Invitations: single use, 7-day expiry, accept signed in or sign up; removal keeps history."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import TeamMembership, User
from supervision.models import Invitation

pytestmark = pytest.mark.django_db


def _invite(client, world, email):
    client.force_login(world.team_supervisor)
    response = client.post(reverse("supervision:invite", args=[world.team.pk]), {"email": email})
    assert response.status_code == 302
    client.logout()
    return Invitation.objects.get(email=email)


def test_invite_emails_a_single_use_link_and_new_clinician_signs_up(client, world):
    invitation = _invite(client, world, "new.nurse@example.test")
    assert invitation.token in mail.outbox[0].body
    url = reverse("supervision:invitation", args=[invitation.token])
    response = client.post(
        url,
        {
            "full_name": "New Nurse",
            "profession": "nurse",
            "password1": "a-long-pass-phrase-9",
            "password2": "a-long-pass-phrase-9",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="new.nurse@example.test")
    assert user.is_clinician and user.clinician_profile.profession == "nurse"
    assert TeamMembership.objects.current().get(user=user).team == world.team
    client.logout()
    used = client.get(url)
    assert used.status_code == 410
    assert "This invitation link was already used or has expired." in used.content.decode()


def test_signed_in_clinician_accepts_and_leaves_previous_team_with_history(client, world):
    invitation = _invite(client, world, world.other_clinician.email)
    client.force_login(world.other_clinician)
    response = client.post(reverse("supervision:invitation", args=[invitation.token]))
    assert response.status_code == 302
    assert TeamMembership.objects.current().get(user=world.other_clinician).team == world.team
    assert TeamMembership.objects.filter(
        user=world.other_clinician, team=world.other_team, ended_at__isnull=False
    ).exists()


def test_invitation_for_another_address_is_refused(client, world):
    invitation = _invite(client, world, "someone@example.test")
    client.force_login(world.other_clinician)
    client.post(reverse("supervision:invitation", args=[invitation.token]))
    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    assert TeamMembership.objects.current().get(user=world.other_clinician).team == world.other_team


def test_expired_invitation_is_refused(client, world):
    invitation = _invite(client, world, "late@example.test")
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = client.post(
        reverse("supervision:invitation", args=[invitation.token]),
        {
            "full_name": "Late",
            "profession": "nurse",
            "password1": "a-long-pass-phrase-9",
            "password2": "a-long-pass-phrase-9",
        },
    )
    assert response.status_code == 410
    assert "This invitation link was already used or has expired." in response.content.decode()
    assert not User.objects.filter(email="late@example.test").exists()


def test_unknown_token_is_404_and_existing_member_cannot_be_invited(client, world):
    assert client.get(reverse("supervision:invitation", args=["nope"])).status_code == 404
    client.force_login(world.team_supervisor)
    response = client.post(reverse("supervision:invite", args=[world.team.pk]), {"email": world.owner.email})
    assert response.status_code == 200
    assert "already a member" in response.content.decode()
    assert not Invitation.objects.exists()
