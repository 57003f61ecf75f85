"""Invitations: single use, 7-day expiry, accept signed in or sign up; removal keeps history."""

import dataclasses
import datetime
import re

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from accounts.models import TeamMembership, User
from cme_portal.tokens import token_digest, token_new
from supervision import services
from supervision.models import Invitation

pytestmark = pytest.mark.django_db


def _invite(client, world, email):
    client.force_login(world.team_supervisor)
    with TestCase.captureOnCommitCallbacks(execute=True):  # the email goes once the invitation is committed
        response = client.post(reverse("supervision:invite", args=[world.team.pk]), {"email": email})
    assert response.status_code == 302
    client.logout()
    invitation = Invitation.objects.get(email=email)
    # The raw token exists only in the email: the test reads it from there, as the invitee would.
    invitation.token = re.search(r"/team/invitations/([^/\s]+)/", mail.outbox[-1].body).group(1)
    return invitation


def test_invite_emails_a_single_use_link_and_new_clinician_signs_up(client, world):
    invitation = _invite(client, world, "new.nurse@example.test")
    url = reverse("supervision:invitation", args=[invitation.token])
    response = client.post(
        url,
        {
            "invited_email": "New.Nurse@example.test ",
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
    token = token_new()
    values = {"expires_at": timezone.now() + datetime.timedelta(days=7), "token_digest": token_digest(token)} | fields
    invitation = Invitation.objects.create(team=world.team, email=email, invited_by=world.team_supervisor, **values)
    invitation.token = token  # what the emailed link carries; the database holds only its digest
    return invitation


NEW_NURSE = services.NewAccount(
    full_name="New Nurse", password="a-long-pass-phrase-9", profession="nurse", email="new.nurse@example.test"
)


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
        services.invitation_accept(
            token=existing.token, new_account=dataclasses.replace(NEW_NURSE, email=world.other_clinician.email)
        )
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


# --- Issue 11: tokens stored hashed, invitations bound to the invited address -----------------------


def _signup(email, **overrides):
    return {
        "invited_email": email,
        "full_name": "Link Holder",
        "profession": "nurse",
        "password1": "a-long-pass-phrase-9",
        "password2": "a-long-pass-phrase-9",
    } | overrides


def test_the_database_holds_only_the_digest_of_the_emailed_token(client, world):
    invitation = _invite(client, world, "new.nurse@example.test")
    stored = Invitation.objects.filter(pk=invitation.pk).values().get()
    assert invitation.token not in [str(value) for value in stored.values()]
    assert stored["token_digest"] == token_digest(invitation.token)
    # A leaked database value used as the link opens nothing.
    assert client.get(reverse("supervision:invitation", args=[stored["token_digest"]])).status_code == 404
    assert client.get(reverse("supervision:invitation", args=[invitation.token])).status_code == 200


def test_holding_the_link_without_the_invited_address_creates_no_account(client, world):
    invitation = _invite(client, world, "new.nurse@example.test")
    url = reverse("supervision:invitation", args=[invitation.token])
    page = client.get(url).content.decode()
    assert "new.nurse@example.test" not in page  # the page does not give the address away
    response = client.post(url, _signup("attacker@example.test"))
    assert response.status_code == 200
    assert "not the address this invitation was sent to" in response.content.decode()
    assert not User.objects.filter(email__in=["new.nurse@example.test", "attacker@example.test"]).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None and invitation.wrong_email_attempts == 1


def test_five_wrong_addresses_spend_the_invitation(client, world):
    invitation = _invite(client, world, "new.nurse@example.test")
    url = reverse("supervision:invitation", args=[invitation.token])
    for attempt in range(services.INVITATION_EMAIL_ATTEMPTS):
        client.post(url, _signup(f"guess{attempt}@example.test"))
    response = client.post(url, _signup("new.nurse@example.test"))
    assert response.status_code == 410
    assert not User.objects.filter(email="new.nurse@example.test").exists()
    with pytest.raises(services.InvitationUnusable):
        services.invitation_accept(token=invitation.token, new_account=NEW_NURSE)


def test_a_wrong_address_in_the_service_is_counted_and_refused(world):
    users = User.objects.count()
    invitation = _invitation(world, "new.nurse@example.test")
    with pytest.raises(services.InvitationEmailMismatch) as refused:
        services.invitation_accept(token=invitation.token, new_account=dataclasses.replace(NEW_NURSE, email="x@y.test"))
    assert refused.value.attempts_left == services.INVITATION_EMAIL_ATTEMPTS - 1
    _nothing_written(invitation, users)
    assert services.invitation_accept(token=invitation.token, new_account=NEW_NURSE).user.email == NEW_NURSE.email


def test_another_signed_in_user_is_not_told_the_invited_address(client, world):
    invitation = _invite(client, world, "someone@example.test")
    client.force_login(world.other_clinician)
    body = client.get(reverse("supervision:invitation", args=[invitation.token])).content.decode()
    assert "someone@example.test" not in body and "sent to another address" in body


def test_an_invitation_rolled_back_sends_no_email(world):
    outbox_before = len(mail.outbox)
    with TestCase.captureOnCommitCallbacks(execute=True), transaction.atomic():
        services.invitation_create(team=world.team, email="later@example.test", invited_by=world.team_supervisor)
        transaction.set_rollback(True)
    assert len(mail.outbox) == outbox_before
    assert not Invitation.objects.filter(email="later@example.test").exists()
