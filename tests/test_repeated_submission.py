"""A double click, Back and resubmit, or two tabs at once: answered, never a 500, never a duplicate.

Every form posted twice in a row is tests/test_form_fuzz.py::test_submitting_a_form_twice_gives_no_server_error.
Here: the credit log of a shortlist entry (the finding: a 500 from the claim's unique shortlist
entry, one claim stored), the SQLite path of a simultaneous submission, and on PostgreSQL two
threads submitting at once to each form a unique constraint backs.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from careers import services as career_services
from careers.models import CareerGoal, ClinicianProfile, CreditClaim, Licence, ShortlistEntry
from supervision.models import EmployerCmePolicy
from tests.conftest import RoleWorld
from tests.factories import ProgramFactory

TODAY = timezone.localdate()
on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent transactions need PostgreSQL")


def _finished_entry(world: RoleWorld) -> ShortlistEntry:
    Licence.objects.create(
        user=world.owner,
        jurisdiction="Oregon",
        licence_type="MD",
        renewal_date=TODAY + datetime.timedelta(days=300),
        hours_required=Decimal("40"),
        accepted_credit_types=["ama_pra_1"],
    )
    program = ProgramFactory(title="Finished course", start_date=TODAY - datetime.timedelta(days=3))
    return ShortlistEntry.objects.create(user=world.owner, program=program, status="enrolled")


def _claim_body() -> dict[str, Any]:
    return {"title": "Finished course", "completed_on": (TODAY - datetime.timedelta(days=1)).isoformat(),
            "amount_ama_pra_1": "4"}  # fmt: skip


@pytest.mark.django_db
def test_logging_credits_twice_for_an_entry_stores_one_claim_and_says_so(client: Client, world: RoleWorld) -> None:
    entry = _finished_entry(world)
    client.force_login(world.owner)
    url = reverse("careers:entry_complete", args=[entry.pk])
    first = client.post(url, _claim_body())
    second = client.post(url, _claim_body())
    assert (first.status_code, second.status_code) == (302, 302)
    assert second["Location"] == reverse("careers:credits")
    assert "were already logged; nothing was added" in " ".join(str(m) for m in get_messages(second.wsgi_request))
    assert CreditClaim.objects.filter(shortlist_entry=entry).count() == 1
    assert CreditClaim.objects.count() == 1


@pytest.mark.django_db
def test_a_simultaneous_credit_log_on_sqlite_is_caught_at_the_constraint(
    client: Client, world: RoleWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite takes no row lock: both submissions pass the check, the second meets the constraint."""
    entry = _finished_entry(world)
    client.force_login(world.owner)
    url = reverse("careers:entry_complete", args=[entry.pk])
    assert client.post(url, _claim_body()).status_code == 302
    checks = {"count": 0}
    real_check = career_services._refuse_second_claim

    def blind_the_first_time(entry: ShortlistEntry) -> None:
        checks["count"] += 1
        if checks["count"] > 1:  # as if the other submission had not committed when this one checked
            real_check(entry)

    monkeypatch.setattr(career_services, "_refuse_second_claim", blind_the_first_time)
    second = client.post(url, _claim_body())
    assert second.status_code == 302
    assert checks["count"] == 2
    assert CreditClaim.objects.count() == 1


# --- Two submissions at once (PostgreSQL) ------------------------------------------------------


def _at_once(post: Callable[[Client], int], times: int = 2) -> list[int]:
    """`post` from `times` threads released together, each with its own client and connection."""
    barrier = threading.Barrier(times)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def run(client: Client) -> None:
        try:
            barrier.wait()
            statuses.append(post(client))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    clients = [Client() for _ in range(times)]
    threads = [threading.Thread(target=run, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return sorted(statuses)


def _signed_in(user: Any) -> Callable[[Callable[[Client], int]], Callable[[Client], int]]:
    def wrap(post: Callable[[Client], int]) -> Callable[[Client], int]:
        def signed_in_post(client: Client) -> int:
            client.force_login(user)
            return post(client)

        return signed_in_post

    return wrap


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_credit_logs_at_once_store_exactly_one_claim(world: RoleWorld) -> None:  # pragma: no cover - PostgreSQL
    entry = _finished_entry(world)
    url = reverse("careers:entry_complete", args=[entry.pk])

    @_signed_in(world.owner)
    def post(client: Client) -> int:
        return client.post(url, _claim_body()).status_code

    assert _at_once(post) == [302, 302]
    assert CreditClaim.objects.filter(shortlist_entry=entry).count() == 1


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_first_profile_saves_at_once_make_one_profile(world: RoleWorld) -> None:  # pragma: no cover
    body = {"profession": "physician", "yearly_budget_amount": "1000", "budget_used_amount": "0",
            "yearly_leave_days": "2", "leave_used_days": "0"}  # fmt: skip

    @_signed_in(world.owner)
    def post(client: Client) -> int:
        return client.post(reverse("careers:profile"), body).status_code

    assert _at_once(post) == [302, 302]
    assert ClinicianProfile.objects.filter(user=world.owner).count() == 1


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_goal_activations_at_once_leave_one_active_goal(world: RoleWorld) -> None:  # pragma: no cover
    CareerGoal.objects.create(user=world.owner, track="education", target_role="Educator", is_active=True)
    goals = [CareerGoal.objects.create(user=world.owner, track="research", target_role=f"R{n}") for n in range(2)]
    remaining = list(goals)
    lock = threading.Lock()

    @_signed_in(world.owner)
    def post(client: Client) -> int:
        with lock:
            goal = remaining.pop()
        return client.post(reverse("careers:goal_activate", args=[goal.pk])).status_code

    assert _at_once(post) == [302, 302]
    assert CareerGoal.objects.filter(user=world.owner, is_active=True).count() == 1


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_new_active_goals_at_once_leave_one_active_goal(world: RoleWorld) -> None:  # pragma: no cover
    body = {"track": "education", "target_role": "Educator", "make_active": "on", "weight_outcome": 3,
            "weight_independence": 3, "weight_interprofessional": 3, "weight_career": 3}  # fmt: skip
    CareerGoal.objects.create(user=world.owner, track="research", target_role="Researcher", is_active=True)

    @_signed_in(world.owner)
    def post(client: Client) -> int:
        return client.post(reverse("careers:goal_new"), body).status_code

    assert _at_once(post) == [302, 302]
    assert CareerGoal.objects.filter(user=world.owner, is_active=True).count() == 1


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_same_policy_saved_twice_at_once_is_one_policy_and_a_message(world: RoleWorld) -> None:  # pragma: no cover
    body = {"profession": "nurse", "yearly_reimbursement_amount": "1500", "paid_leave_days": "2",
            "year_starts_month": "1", "confirmed_on": TODAY.isoformat(), "over_allowance_rule": "warn",
            "source_url": "https://example.test/policy"}  # fmt: skip
    url = reverse("supervision:policy_new", args=[world.team.pk])

    @_signed_in(world.team_supervisor)
    def post(client: Client) -> int:
        return client.post(url, body).status_code

    statuses = _at_once(post)
    assert all(status < 500 for status in statuses), statuses
    assert 302 in statuses
    assert EmployerCmePolicy.objects.filter(team=world.team, profession="nurse").count() == 1
