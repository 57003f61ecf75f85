import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import User
from accounts.roles import Role
from tests.factories import TEST_PASSWORD, ClinicianFactory

pytestmark = pytest.mark.django_db


def test_users_sign_in_with_their_email_address_in_any_case(client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    user = ClinicianFactory(email="maya@example.test")
    user.set_password(TEST_PASSWORD)
    user.save()
    response = client.post(reverse("login"), {"username": "Maya@Example.test", "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_passwords_are_hashed_with_argon2():
    from cme_portal import settings as project_settings

    assert project_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_wrong_password_gets_a_clear_message(client):
    ClinicianFactory(email="maya@example.test")
    response = client.post(reverse("login"), {"username": "maya@example.test", "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct email address and password" in response.content.decode()


def test_repeated_failed_sign_ins_lock_the_account_for_that_address(client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    ClinicianFactory(email="maya@example.test")
    for _ in range(3):
        client.post(reverse("login"), {"username": "maya@example.test", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "maya@example.test", "password": TEST_PASSWORD})
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.content.decode()


def test_logout_needs_post_and_ends_the_session(client):
    user = ClinicianFactory()
    client.force_login(user)
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_password_reset_sends_a_link_by_email(client):
    ClinicianFactory(email="maya@example.test")
    response = client.post(reverse("password_reset"), {"email": "maya@example.test"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/accounts/password/reset/" in mail.outbox[0].body


def _reset_link(body: str) -> str:
    (link,) = re.findall(r"\S*/accounts/password/reset/\S+", body)
    return link


def test_password_reset_link_is_absolute_from_site_url_and_works(client, settings):
    settings.SITE_URL = "https://cme.example.org"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "evil.example.net"]
    user = ClinicianFactory(email="maya@example.test")
    # The Host the request claims is not where the link goes (a forged Host must not get the token).
    client.post(reverse("password_reset"), {"email": "maya@example.test"}, HTTP_HOST="evil.example.net")
    link = _reset_link(mail.outbox[0].body)
    assert link.startswith("https://cme.example.org/accounts/password/reset/"), link
    assert "evil.example.net" not in mail.outbox[0].body
    path = urlsplit(link).path
    form_page = client.get(path, follow=True)  # Django swaps the token for a session key, then shows the form
    assert form_page.status_code == 200 and form_page.context["validlink"] is True
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(
        set_url, {"new_password1": "A-new-long-passphrase-9", "new_password2": "A-new-long-passphrase-9"}
    )
    assert done.status_code == 302 and done["Location"] == "/accounts/password/reset/complete/"
    user.refresh_from_db()
    assert user.check_password("A-new-long-passphrase-9")
    assert client.get(path, follow=True).context["validlink"] is False  # used once only


def test_password_change_page_shows_the_three_password_fields(client):
    client.force_login(ClinicianFactory())
    body = client.get(reverse("password_change")).content.decode()
    assert 'name="old_password"' in body and 'name="new_password1"' in body and 'name="new_password2"' in body


def test_users_have_roles_from_their_groups():
    user = ClinicianFactory()
    assert user.roles == frozenset({Role.CLINICIAN})
    assert User.objects.get(pk=user.pk).is_clinician
