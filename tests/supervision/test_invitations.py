"""Invitations: single use, 7-day expiry, accept signed in or sign up; removal keeps history."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import TeamMembership, User
from supervision import services
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


# --- The acceptance service, called directly ------------------------------------


def _invitation(world, email, **fields):
    values = {"expires_at": timezone.now() + datetime.timedelta(days=7)} | fields
    return Invitation.objects.create(team=world.team, email=email, invited_by=world.team_supervisor, **values)


NEW_NURSE = services.NewAccount(full_name="New Nurse", password="a-long-pass-phrase-9", profession="nurse")


def _nothing_written(invitation, users_before):
    invitation.refresh_from_db()
    assert invitation.accepted_at is None and invitation.accepted_by is None
    assert User.objects.count() == users_before


def test_accepting_with_a_new_account_creates_the_clinician_and_spends_the_link(world):
    invitation = _invitation(world, "new.nurse@example.test")
    membership = services.invitation_accept(token=invitation.token, new_account=NEW_NURSE)
    user = membership.user
    assert user.email == "new.nurse@example.test" and user.full_name == "New Nurse"
    assert user.check_password("a-long-pass-phrase-9")
    assert user.is_clinician and user.clinician_profile.profession == "nurse"
    assert membership.team == world.team and membership.ended_at is None
    invitation.refresh_from_db()
    assert invitation.accepted_by == user and invitation.accepted_at is not None
    with pytest.raises(services.InvitationUnusable):
        services.invitation_accept(token=invitation.token, new_account=NEW_NURSE)


def test_accepting_signed_in_joins_grants_the_clinician_role_and_spends_the_link(world):
    supervisor = world.other_supervisor
    assert not supervisor.is_clinician
    invitation = _invitation(world, supervisor.email.upper())
    membership = services.invitation_accept(token=invitation.token, user=supervisor)
    supervisor = User.objects.get(pk=supervisor.pk)
    assert membership.user == supervisor and membership.team == world.team
    assert supervisor.is_clinician and supervisor.is_supervisor
    with pytest.raises(services.InvitationUnusable):
        services.invitation_accept(token=invitation.token, user=supervisor)
    assert TeamMembership.objects.filter(user=supervisor, team=world.team).count() == 1


def test_acceptance_refusals_write_nothing(world):
    users = User.objects.count()
    someone_elses = _invitation(world, "someone@example.test")
    with pytest.raises(PermissionDenied):
        services.invitation_accept(token=someone_elses.token, user=world.other_clinician)
    _nothing_written(someone_elses, users)
    assert TeamMembership.objects.current().get(user=world.other_clinician).team == world.other_team

    existing = _invitation(world, world.other_clinician.email)
    with pytest.raises(ValidationError, match="sign in to accept"):
        services.invitation_accept(token=existing.token, new_account=NEW_NURSE)
    _nothing_written(existing, users)

    expired = _invitation(world, "late@example.test", expires_at=timezone.now() - datetime.timedelta(seconds=1))
    with pytest.raises(services.InvitationUnusable):
        services.invitation_accept(token=expired.token, new_account=NEW_NURSE)
    _nothing_written(expired, users)

    with pytest.raises(services.InvitationUnusable):
        services.invitation_accept(token="unknown", user=world.other_clinician)
    with pytest.raises(TypeError):
        services.invitation_accept(token=existing.token)
    with pytest.raises(TypeError):
        services.invitation_accept(token=existing.token, user=world.other_clinician, new_account=NEW_NURSE)
    _nothing_written(existing, users)
