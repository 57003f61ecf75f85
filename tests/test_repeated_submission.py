"""A double click, Back and resubmit, or two tabs at once: answered, never a 500, never a duplicate.

Every form posted twice in a row is tests/test_form_fuzz.py::test_submitting_a_form_twice_gives_no_server_error.
Here: the credit log of a shortlist entry (the finding: a 500 from the claim's unique shortlist
entry, one claim stored), the SQLite path of a simultaneous submission, and on PostgreSQL two
threads submitting at once to each form a unique constraint backs. Then the one-submission token
of the create forms (accounts.submissions): a repeat of one loaded form saves once and says so,
a correction after an error still saves, no token works as before, and on PostgreSQL two
submissions of one token at once make one record.
"""

from __future__ import annotations

import datetime
import re
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import SubmissionReceipt
from accounts.submissions import ALREADY_SAVED_MESSAGE, submission_receipts_prune
from careers import services as career_services
from careers.models import CareerGoal, ClinicianProfile, CreditClaim, Licence, ShortlistEntry
from outcomes.models import OutcomeProject, PortfolioShareLink, Presentation, ProjectTeamMember
from programs.models import ImportJob
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


# --- One submission per loaded form (accounts.submissions) ------------------------------------

TOKEN = re.compile(r'<input type="hidden" name="submission" value="([^"]+)">')
GOAL_BODY = {"track": "education", "target_role": "Educator", "weight_outcome": 3, "weight_independence": 3,
             "weight_interprofessional": 3, "weight_career": 3}  # fmt: skip


def _tokens(response: Any) -> list[str]:
    return TOKEN.findall(response.content.decode())


def _messages(response: Any) -> str:
    return " ".join(str(message) for message in get_messages(response.wsgi_request))


def _project(owner: Any) -> OutcomeProject:
    return OutcomeProject.objects.create(
        owner=owner, title="Sepsis bundle", gap_statement="Few get the bundle.", measure_name="Bundle given",
        measure_kind="proportion", higher_is_better=True, moore_level="5", baseline_start=datetime.date(2024, 1, 1),
        baseline_end=datetime.date(2024, 12, 31), baseline_numerator=20, baseline_denominator=100, status="measuring",
    )  # fmt: skip


@pytest.mark.django_db
def test_a_form_submitted_twice_saves_once_and_the_second_is_sent_where_the_first_went(
    client: Client, world: RoleWorld
) -> None:
    client.force_login(world.owner)
    (token,) = _tokens(client.get(reverse("careers:goal_new")))
    first = client.post(reverse("careers:goal_new"), {**GOAL_BODY, "submission": token})
    second = client.post(reverse("careers:goal_new"), {**GOAL_BODY, "submission": token})
    assert (first.status_code, second.status_code) == (302, 302)
    assert second["Location"] == first["Location"] == reverse("careers:profile")
    assert ALREADY_SAVED_MESSAGE in _messages(second)
    assert CareerGoal.objects.filter(user=world.owner).count() == 1
    assert SubmissionReceipt.objects.get().location == reverse("careers:profile")


@pytest.mark.django_db
def test_a_form_corrected_after_an_error_keeps_its_token_and_saves(client: Client, world: RoleWorld) -> None:
    client.force_login(world.owner)
    (token,) = _tokens(client.get(reverse("careers:goal_new")))
    refused = client.post(reverse("careers:goal_new"), {**GOAL_BODY, "target_role": "", "submission": token})
    assert refused.status_code == 400
    assert _tokens(refused) == [token]
    assert not SubmissionReceipt.objects.exists()
    saved = client.post(reverse("careers:goal_new"), {**GOAL_BODY, "submission": token})
    assert saved.status_code == 302
    assert ALREADY_SAVED_MESSAGE not in _messages(saved)
    assert CareerGoal.objects.filter(user=world.owner).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("token", [None, "", "short", "x" * 65, "not a token at all!", "é" * 20, "a" * 30 + "\x00"])
def test_a_missing_or_malformed_token_saves_as_before(client: Client, world: RoleWorld, token: str | None) -> None:
    client.force_login(world.owner)
    body = GOAL_BODY if token is None else {**GOAL_BODY, "submission": token}
    statuses = [client.post(reverse("careers:goal_new"), body).status_code for _ in range(2)]
    assert statuses == [302, 302]
    assert CareerGoal.objects.filter(user=world.owner).count() == 2
    assert not SubmissionReceipt.objects.exists()


@pytest.mark.django_db
def test_one_token_is_one_persons(client: Client, world: RoleWorld) -> None:
    token = "t" * 32
    for user in (world.owner, world.other_clinician):
        client.force_login(user)
        assert client.post(reverse("careers:goal_new"), {**GOAL_BODY, "submission": token}).status_code == 302
    assert CareerGoal.objects.count() == 2


@pytest.mark.django_db
def test_after_an_error_in_one_form_the_other_forms_on_the_page_get_fresh_tokens(
    client: Client, world: RoleWorld
) -> None:
    project = _project(world.owner)
    client.force_login(world.owner)
    page = client.get(reverse("outcomes:project_detail", args=[project.pk]))
    team_token, presentation_token = _tokens(page)
    assert team_token != presentation_token
    refused = client.post(
        reverse("outcomes:presentation_add", args=[project.pk]),
        {"venue_kind": "department", "title": "", "submission": presentation_token},
    )
    assert refused.status_code < 500
    team_again, presentation_again = _tokens(refused)
    assert presentation_again == presentation_token
    assert team_again not in (team_token, presentation_token)
    body = {"venue_kind": "department", "title": "Grand rounds", "presented_on": "2026-02-05"}
    for _ in range(2):
        client.post(reverse("outcomes:presentation_add", args=[project.pk]), {**body, "submission": presentation_token})
    client.post(reverse("outcomes:team_member_add", args=[project.pk]),
                {"name": "Sam Nurse", "profession": "nurse", "submission": team_again})  # fmt: skip
    assert Presentation.objects.filter(project=project).count() == 1
    assert ProjectTeamMember.objects.filter(project=project).count() == 1


@pytest.mark.django_db
def test_a_repeated_share_link_says_its_address_was_shown_once_and_a_fresh_form_makes_another(
    client: Client, world: RoleWorld
) -> None:
    client.force_login(world.owner)
    url = reverse("outcomes:share_links")
    body = {"label": "Review", "expires_on": (TODAY + datetime.timedelta(days=30)).isoformat()}
    (token,) = _tokens(client.get(url))
    created = client.post(url, {**body, "submission": token})
    assert created.status_code == 200
    (next_token,) = _tokens(created)
    assert next_token != token  # the empty form shown after a success is a new submission
    repeated = client.post(url, {**body, "submission": token})
    assert repeated.status_code == 302
    assert repeated["Location"] == url
    assert "already created; nothing was added" in _messages(repeated)
    assert PortfolioShareLink.objects.filter(owner=world.owner).count() == 1
    assert client.post(url, {**body, "submission": next_token}).status_code == 200
    assert PortfolioShareLink.objects.filter(owner=world.owner).count() == 2


@pytest.mark.django_db
def test_an_invalid_share_link_form_is_a_400_and_keeps_no_receipt(client: Client, world: RoleWorld) -> None:
    client.force_login(world.owner)
    response = client.post(reverse("outcomes:share_links"), {"label": "", "submission": "s" * 32})
    assert response.status_code == 400
    assert not SubmissionReceipt.objects.exists()


@pytest.mark.django_db
def test_an_import_uploaded_twice_from_one_form_is_one_job_and_the_second_goes_to_its_page(
    client: Client, world: RoleWorld
) -> None:
    client.force_login(world.admin)
    (token,) = _tokens(client.get(reverse("programs:curation:imports")))
    content = (
        b"external_id,title,provider_name,format,delivery,start_date,end_date,credits,professions\n"
        b"TWICE-1,Twice course,Mercy CME,course,live_online,2030-03-01,2030-03-02,ama_pra_1:8,physician\n"
    )

    def upload() -> Any:
        body = {"file": SimpleUploadedFile("feed.csv", content, content_type="text/csv"), "file_format": "csv"}
        return client.post(reverse("programs:curation:import_start"), {**body, "submission": token})

    first, second = upload(), upload()
    job = ImportJob.objects.get()
    assert first["Location"] == second["Location"] == reverse("programs:curation:import_detail", args=[job.pk])
    assert ALREADY_SAVED_MESSAGE in _messages(second)
    assert job.is_finished  # queued (here: run inline) once the job and its receipt were committed


@pytest.mark.django_db
def test_receipts_older_than_a_day_are_pruned(world: RoleWorld) -> None:
    now = timezone.now()
    old = SubmissionReceipt.objects.create(
        user=world.owner, token="o" * 32, created_at=now - datetime.timedelta(hours=25)
    )
    recent = SubmissionReceipt.objects.create(
        user=world.owner, token="r" * 32, created_at=now - datetime.timedelta(hours=23)
    )
    assert submission_receipts_prune(now=now) == 1
    assert list(SubmissionReceipt.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not SubmissionReceipt.objects.filter(pk=old.pk).exists()


def test_receipts_are_pruned_by_beat() -> None:
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "accounts.submission_receipts_prune" in tasks


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_one_form_submitted_twice_at_once_makes_one_goal(  # pragma: no cover - PostgreSQL
    world: RoleWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first save is slowed, so the second arrives mid-transaction: it waits on the receipt, then sees it."""
    token = "g" * 32
    real_save = career_services.goal_save
    saves = {"count": 0}

    def slow_save(**kwargs: Any) -> CareerGoal:
        saves["count"] += 1
        time.sleep(0.5)
        return real_save(**kwargs)

    monkeypatch.setattr(career_services, "goal_save", slow_save)

    @_signed_in(world.owner)
    def post(client: Client) -> int:
        return client.post(reverse("careers:goal_new"), {**GOAL_BODY, "submission": token}).status_code

    started = time.perf_counter()
    assert _at_once(post) == [302, 302]
    assert time.perf_counter() - started >= 0.5
    assert saves["count"] == 1  # the second never reached the view
    assert CareerGoal.objects.filter(user=world.owner).count() == 1
    assert SubmissionReceipt.objects.filter(user=world.owner, token=token).count() == 1


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_one_presentation_form_submitted_three_times_at_once_makes_one(world: RoleWorld) -> None:  # pragma: no cover
    project = _project(world.owner)
    body = {"venue_kind": "department", "title": "Grand rounds", "presented_on": "2026-02-05", "submission": "p" * 32}

    @_signed_in(world.owner)
    def post(client: Client) -> int:
        return client.post(reverse("outcomes:presentation_add", args=[project.pk]), body).status_code

    assert _at_once(post, times=3) == [302, 302, 302]
    assert Presentation.objects.filter(project=project).count() == 1
