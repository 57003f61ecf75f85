"""The API tokens page (accounts.views): create (shown once), list, revoke; another user's token is a 404."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from accounts.models import PersonalAccessToken
from accounts.services import access_token_create
from cme_portal.tokens import token_digest
from tests.factories import AdminFactory, ClinicianFactory, SupervisorFactory

pytestmark = pytest.mark.django_db

TOKENS = "/accounts/tokens/"
NEW_TOKEN = re.compile(r'id="new-token" value="([^"]+)"')


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    cache.clear()
    yield
    cache.clear()


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _create(client: Client, **data: str):
    return client.post(TOKENS, {"name": "Laptop script", "scope": "read", **data})


def test_url_is_the_tokens_page_and_linked_from_the_navigation():
    assert reverse("access_tokens") == TOKENS
    client = _signed_in(ClinicianFactory())
    page = client.get(TOKENS).content.decode()
    assert f'href="{TOKENS}" aria-current="page">API tokens</a>' in page


@pytest.mark.parametrize("factory", [ClinicianFactory, SupervisorFactory, AdminFactory])
def test_create_shows_the_raw_token_once_and_it_works_on_the_api(factory):
    user = factory()
    client = _signed_in(user)
    response = _create(client, scope="write")
    assert response.status_code == 200
    page = response.content.decode()
    match = NEW_TOKEN.search(page)
    assert match, "the new token is on the response"
    raw = match.group(1)
    token = PersonalAccessToken.objects.get(user=user)
    assert token.name == "Laptop script" and token.scope == "write"
    assert token.digest == token_digest(raw) and token.prefix == raw[:8]
    assert response["Cache-Control"] == "private, no-store"
    # Never again: the list page shows the prefix only.
    again = client.get(TOKENS).content.decode()
    assert raw not in again and 'id="new-token"' not in again
    assert f"{token.prefix}…" in again
    api = Client()
    assert api.get("/api/v1/programs/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200


def test_list_shows_each_token_and_never_a_raw_one():
    user = ClinicianFactory()
    used, used_raw = access_token_create(user=user, name="Used one", scope="read")
    unused, unused_raw = access_token_create(user=user, name="Unused one", scope="write")
    Client().get("/api/v1/programs/", HTTP_AUTHORIZATION=f"Bearer {used_raw}")
    revoked, revoked_raw = access_token_create(user=user, name="Old one", scope="read")
    revoked.revoked_at = revoked.created_at
    revoked.save()
    access_token_create(user=ClinicianFactory(), name="Someone else's", scope="read")
    page = _signed_in(user).get(TOKENS).content.decode()
    for raw in (used_raw, unused_raw, revoked_raw):
        assert raw not in page
    for token in (used, unused, revoked):
        assert token.name in page and f"{token.prefix}…" in page
    assert "Someone else" not in page
    assert "Read only" in page and "Read and write" in page
    assert "Never" in page  # the unused ones
    assert "Revoked" in page
    assert page.count("/revoke/") == 2  # only active tokens offer revoking
    assert 'aria-label="Your API tokens table"' in page


def test_revoke_asks_first_then_revokes_and_the_api_refuses_the_token():
    user = ClinicianFactory()
    token, raw = access_token_create(user=user, name="Laptop", scope="read")
    client = _signed_in(user)
    url = f"/accounts/tokens/{token.pk}/revoke/"
    question = client.get(url)
    assert question.status_code == 200
    assert "Revoke the token “Laptop”?" in question.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None  # GET asks, revokes nothing
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == TOKENS
    token.refresh_from_db()
    assert token.revoked_at is not None
    problem = Client().get("/api/v1/programs/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert problem.status_code == 401
    assert problem["Content-Type"].startswith("application/problem+json")


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_users_token_is_404_and_stays_active(method):
    owner = ClinicianFactory()
    token, _raw = access_token_create(user=owner, name="Mine", scope="read")
    for intruder in (ClinicianFactory(), SupervisorFactory(), AdminFactory()):
        response = getattr(_signed_in(intruder), method)(f"/accounts/tokens/{token.pk}/revoke/")
        assert response.status_code == 404
    assert _signed_in(owner).get("/accounts/tokens/999999/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"scope": "admin"}, "scope"),
        ({"scope": ""}, "scope"),
    ],
)
def test_bad_input_is_a_400_with_the_error_summary_and_writes_nothing(data, field):
    user = ClinicianFactory()
    response = _create(_signed_in(user), **data)
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="new-token"' not in page
    assert f"id_{field}_error" in page
    assert "data-error-summary" in page and f'href="#id_{field}"' in page
    assert not PersonalAccessToken.objects.exists()


def test_a_name_of_exactly_100_characters_is_kept_whole():
    user = ClinicianFactory()
    assert _create(_signed_in(user), name="n" * 100).status_code == 200
    assert PersonalAccessToken.objects.get(user=user).name == "n" * 100


def test_a_repeated_submission_creates_one_token():
    user = ClinicianFactory()
    client = _signed_in(user)
    form_page = client.get(TOKENS).content.decode()
    submission = re.search(r'name="submission" value="([^"]+)"', form_page)
    assert submission
    data = {"name": "Once", "scope": "read", "submission": submission.group(1)}
    first = client.post(TOKENS, data)
    assert first.status_code == 200 and NEW_TOKEN.search(first.content.decode())
    second = client.post(TOKENS, data, follow=True)
    assert not NEW_TOKEN.search(second.content.decode())
    assert PersonalAccessToken.objects.filter(user=user).count() == 1


def test_anonymous_goes_to_sign_in():
    response = Client().get(TOKENS)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert Client().post(TOKENS, {"name": "x", "scope": "read"}).status_code == 302
    assert not PersonalAccessToken.objects.exists()


@pytest.mark.parametrize("count", [1, 12])
def test_list_query_count_does_not_grow(count, django_assert_max_num_queries):
    user = ClinicianFactory()
    for index in range(count):
        access_token_create(user=user, name=f"Token {index}", scope="read")
    client = _signed_in(user)
    client.get(TOKENS)  # warm the session
    with django_assert_max_num_queries(8):
        response = client.get(TOKENS)
    assert response.content.decode().count("/revoke/") == count
