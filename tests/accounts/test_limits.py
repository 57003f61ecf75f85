"""Sign-in and password-reset limits (accounts.limits) and the client address behind a proxy."""

from __future__ import annotations

import threading

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.db import connection, connections
from django.test import RequestFactory
from django.urls import reverse

from accounts.limits import password_reset_allowed
from cme_portal.client_address import client_address
from tests.factories import TEST_PASSWORD, ClinicianFactory

pytestmark = pytest.mark.django_db

PROXY = "172.30.0.2"  # the compose network's proxy (TRUSTED_PROXIES below)
ATTACKER = "198.51.100.7"


@pytest.fixture(autouse=True)
def _behind_the_compose_proxy(settings):
    settings.TRUSTED_PROXIES = ["172.30.0.0/24"]


def _sign_in(client, email, password="wrong", **meta):  # noqa: S107 - a test password
    return client.post(reverse("login"), {"username": email, "password": password}, **meta)


def _locked(response):
    return response.status_code == 429 and "Too many sign-in attempts" in response.content.decode()


def test_spraying_four_failures_on_each_of_many_accounts_locks_the_address(client, settings):
    accounts = [ClinicianFactory(email=f"nurse{n}@example.test") for n in range(13)]  # 13 x 4 = 52 >= 50
    assert settings.SIGN_IN_ADDRESS_FAILURE_LIMIT == 50 and settings.AXES_FAILURE_LIMIT == 5
    for user in accounts:
        for _ in range(4):
            _sign_in(client, user.email, REMOTE_ADDR=ATTACKER)
    victim = ClinicianFactory(email="victim@example.test")
    assert _locked(_sign_in(client, victim.email, TEST_PASSWORD, REMOTE_ADDR=ATTACKER))
    assert "_auth_user_id" not in client.session
    # Only that address: the same account from elsewhere still signs in.
    assert _sign_in(client, victim.email, TEST_PASSWORD, REMOTE_ADDR="203.0.113.9").status_code == 302


def test_an_account_is_locked_after_five_failures_from_different_addresses(client):
    user = ClinicianFactory(email="maya@example.test")
    for n in range(5):
        _sign_in(client, user.email, REMOTE_ADDR=f"203.0.113.{n + 1}")
    assert _locked(_sign_in(client, user.email, TEST_PASSWORD, REMOTE_ADDR="203.0.113.200"))


def test_clients_behind_a_trusted_proxy_are_told_apart_by_forwarded_for(client):
    """55 failures arrive from the proxy's address; the address limit applies to each client, not to the proxy."""
    for n in range(11):
        user = ClinicianFactory(email=f"typo{n}@example.test")
        for _ in range(5):
            _sign_in(client, user.email, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"203.0.113.{n + 1}")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {f"203.0.113.{n + 1}" for n in range(11)}
    colleague = ClinicianFactory(email="colleague@example.test")
    response = _sign_in(client, colleague.email, TEST_PASSWORD, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.50")
    assert response.status_code == 302


def test_a_spoofed_forwarded_for_from_an_untrusted_address_is_ignored(client):
    accounts = [ClinicianFactory(email=f"nurse{n}@example.test") for n in range(13)]
    for index, user in enumerate(accounts):
        for attempt in range(4):
            _sign_in(client, user.email, REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=f"10.9.{index}.{attempt}")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}
    victim = ClinicianFactory(email="victim@example.test")
    assert _locked(_sign_in(client, victim.email, TEST_PASSWORD, REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR="1.2.3.4"))


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        (ATTACKER, "1.2.3.4", ATTACKER),  # untrusted: the header is ignored
        (PROXY, "203.0.113.5", "203.0.113.5"),
        (PROXY, "1.2.3.4, 203.0.113.5", "203.0.113.5"),  # the client wrote 1.2.3.4 itself; the proxy appended its peer
        (PROXY, "203.0.113.5, 172.30.0.9", "203.0.113.5"),  # a second trusted hop is skipped
        (PROXY, "garbage, 203.0.113.5", "203.0.113.5"),
        (PROXY, "203.0.113.5, garbage", PROXY),  # an unparsable hop: the last trusted address
        (PROXY, "", PROXY),
        ("not-an-ip", "1.2.3.4", "not-an-ip"),
    ],
)
def test_client_address_takes_the_rightmost_untrusted_hop_only_from_a_trusted_proxy(remote, forwarded, expected):
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected


def test_forwarded_proto_is_believed_only_from_a_trusted_proxy(client, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    spoofed = client.get(reverse("login"), REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_PROTO="https")
    assert spoofed.status_code == 301 and spoofed["Location"].startswith("https://")  # not taken for https
    proxied = client.get(reverse("login"), REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_PROTO="https")
    assert proxied.status_code == 200


def _reset(client, email, address="203.0.113.7"):
    return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=address)


def test_eleven_rapid_resets_of_one_account_send_at_most_three_emails(client):
    ClinicianFactory(email="maya@example.test")
    responses = [_reset(client, "maya@example.test", address=f"203.0.113.{n + 1}") for n in range(11)]
    assert {(r.status_code, r["Location"]) for r in responses} == {(302, "done/")}  # the same answer every time
    assert len(mail.outbox) == 3
    print(f"\n11 reset requests for one account from 11 addresses: {len(mail.outbox)} emails sent")


def test_resets_from_one_address_stop_at_ten_across_accounts(client):
    for n in range(11):
        ClinicianFactory(email=f"nurse{n}@example.test")
    responses = [_reset(client, f"nurse{n}@example.test") for n in range(11)]
    assert {r.status_code for r in responses} == {302}
    assert len(mail.outbox) == 10
    assert _reset(client, "nurse10@example.test", address="203.0.113.99").status_code == 302
    assert len(mail.outbox) == 11  # another address is not held up
    print("\n11 reset requests from one address on 11 accounts: 10 emails; from another address: 1 more")


def test_a_reset_for_an_unknown_address_answers_the_same_and_sends_nothing(client):
    response = _reset(client, "nobody@example.test")
    assert (response.status_code, response["Location"]) == (302, "done/")
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent transactions need PostgreSQL")
def test_simultaneous_reset_requests_never_pass_the_limit(settings):
    """Six requests for one account at the same instant: exactly the limit (3) are counted."""
    settings.PASSWORD_RESET_LIMIT_PER_ACCOUNT = 3
    barrier = threading.Barrier(6)
    allowed: list[bool] = []
    errors: list[BaseException] = []

    def ask(index: int) -> None:
        try:
            barrier.wait()
            allowed.append(password_reset_allowed(email="owner@example.test", ip_address=f"198.51.100.{index}"))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=ask, args=(index,)) for index in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert sorted(allowed) == [False, False, False, True, True, True]
