"""Due reminders: one function for beat and the quickstart, notifications in the app, absolute links,
practice follow-ups three and six months after a completed program."""

from __future__ import annotations

import datetime
import re
import threading

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from careers.models import ShortlistEntry, ShortlistStatus
from outcomes.models import OutcomeProject
from supervision import reminders, tasks
from supervision.middleware import CACHE_KEY
from supervision.models import PracticeFollowUp, Reminder, ReminderKind
from supervision.services import invitation_create
from tests.factories import ClinicianFactory, ProgramFactory, SupervisorFactory, TeamFactory

from .helpers import funding_request, history

pytestmark = pytest.mark.django_db
SITE = "https://cme.example.org"
URL = re.compile(r"(?:https?://|/)[^\s]*")


def completed(user, on: datetime.date, title: str = "Pediatric UTI update") -> ShortlistEntry:
    return ShortlistEntry.objects.create(
        user=user, program=ProgramFactory(title=title), status=ShortlistStatus.COMPLETED, completed_on=on
    )


# --- The month arithmetic and the due rules at their edges ---------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (datetime.date(2026, 8, 31), 3, datetime.date(2026, 11, 30)),
        (datetime.date(2026, 8, 31), 6, datetime.date(2027, 2, 28)),
        (datetime.date(2027, 8, 31), 6, datetime.date(2028, 2, 29)),  # leap year
        (datetime.date(2026, 1, 15), 3, datetime.date(2026, 4, 15)),
        (datetime.date(2026, 10, 31), 3, datetime.date(2027, 1, 31)),
        (datetime.date(2026, 5, 31), -3, datetime.date(2026, 2, 28)),
    ],
)
def test_add_months_clamps_to_the_month_end(start, months, expected):
    assert reminders.add_months(start, months) == expected


def test_follow_up_is_due_exactly_three_months_after_a_month_end_completion(world):
    entry = completed(world.owner, datetime.date(2026, 8, 31))
    assert reminders.follow_up_reminders_send(today=datetime.date(2026, 11, 29)) == 0
    assert reminders.follow_up_reminders_send(today=datetime.date(2026, 11, 30)) == 1
    reminder = Reminder.objects.get(user=world.owner)
    assert reminder.kind == ReminderKind.FOLLOWUP_3M
    assert reminder.due_on == datetime.date(2026, 11, 30)
    assert reminder.link == reverse("supervision:follow_up", args=[entry.pk, 3])


def test_six_month_follow_up_from_31_august_is_due_on_28_february(world):
    completed(world.owner, datetime.date(2026, 8, 31))
    reminders.follow_up_reminders_send(today=datetime.date(2026, 11, 30))
    assert reminders.follow_up_reminders_send(today=datetime.date(2027, 2, 27)) == 0
    assert reminders.follow_up_reminders_send(today=datetime.date(2027, 2, 28)) == 1
    kinds = sorted(Reminder.objects.filter(user=world.owner).values_list("kind", "due_on"))
    assert kinds == [
        (ReminderKind.FOLLOWUP_3M, datetime.date(2026, 11, 30)),
        (ReminderKind.FOLLOWUP_6M, datetime.date(2027, 2, 28)),
    ]


def test_a_follow_up_missed_by_more_than_the_grace_period_is_not_sent(world):
    completed(world.owner, datetime.date(2026, 1, 10))
    due = datetime.date(2026, 4, 10)
    late = due + datetime.timedelta(days=reminders.FOLLOW_UP_GRACE_DAYS)
    assert reminders.follow_up_reminders_send(today=late + datetime.timedelta(days=1)) == 0
    assert reminders.follow_up_reminders_send(today=late) == 1


def test_no_follow_up_for_a_completion_undone_or_deleted(world):
    undone = completed(world.owner, datetime.date(2026, 1, 10), title="Undone")
    deleted = completed(world.owner, datetime.date(2026, 1, 10), title="Deleted")
    ShortlistEntry.objects.filter(pk=undone.pk).update(status=ShortlistStatus.ENROLLED)
    deleted.delete()
    assert reminders.follow_up_reminders_send(today=datetime.date(2026, 4, 10)) == 0


def test_renewal_window_edges_exactly_90_and_30_days(world):
    today = timezone.localdate()
    history(world.owner, claims=0, renewal_in_days=91, today=today)
    assert reminders.renewal_reminders_send(today=today) == 0
    assert reminders.renewal_reminders_send(today=today + datetime.timedelta(days=1)) == 1  # exactly 90
    assert reminders.renewal_reminders_send(today=today + datetime.timedelta(days=60)) == 0  # 31 days
    assert reminders.renewal_reminders_send(today=today + datetime.timedelta(days=61)) == 1  # exactly 30
    kinds = sorted(Reminder.objects.filter(user=world.owner).values_list("kind", flat=True))
    assert kinds == [ReminderKind.RENEWAL_30, ReminderKind.RENEWAL_90]


# --- One function, idempotent, for beat and the quickstart ------------------------------------


def _everything_due(world, today: datetime.date) -> None:
    history(world.owner, claims=0, renewal_in_days=40, today=today)
    completed(world.owner, reminders.add_months(today, -3))
    funding_request(world.owner, world.team)


def test_reminders_send_due_sends_every_kind_once_and_a_second_run_nothing(world):
    today = timezone.localdate()
    _everything_due(world, today)
    first = reminders.reminders_send_due(today=today)
    assert first["renewal"] == 1 and first["follow_up"] == 1 and first["digest"] == 1
    emails = len(mail.outbox)
    assert emails == sum(first.values())
    assert sum(reminders.reminders_send_due(today=today).values()) == 0
    assert tasks.reminders_send_due.delay().get() == {"renewal": 0, "review": 0, "digest": 0, "follow_up": 0}
    call_command("reminders_send_due", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert len(mail.outbox) == emails


def test_beat_runs_the_same_function_hourly(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["supervision-reminders-send-due"]
    assert entry["task"] == "supervision.reminders_send_due"
    assert entry["schedule"] <= 60 * 60


def test_the_request_runner_sends_due_reminders_at_most_once_per_window(world, client, settings):
    settings.REMINDERS_RUN_ON_REQUEST_MINUTES = 10
    cache.delete(CACHE_KEY)
    completed(world.owner, reminders.add_months(timezone.localdate(), -3))
    client.get(reverse("programs:catalog"))  # anonymous: nothing runs
    assert not Reminder.objects.exists()
    client.force_login(world.owner)
    page = client.get(reverse("programs:catalog"))
    assert Reminder.objects.filter(user=world.owner).count() == 1
    assert "Notifications (1 unread)" in page.content.decode()
    completed(world.owner, reminders.add_months(timezone.localdate(), -3), title="Second")
    client.get(reverse("programs:catalog"))  # inside the window: no second run
    assert Reminder.objects.filter(user=world.owner).count() == 1
    cache.delete(CACHE_KEY)  # the window passed
    client.get(reverse("programs:catalog"))
    assert Reminder.objects.filter(user=world.owner).count() == 2
    cache.delete(CACHE_KEY)


def test_the_request_runner_is_off_when_set_to_zero(world, client):
    cache.delete(CACHE_KEY)
    completed(world.owner, reminders.add_months(timezone.localdate(), -3))
    client.force_login(world.owner)
    client.get(reverse("programs:catalog"))
    assert not Reminder.objects.exists()


# --- Email links are absolute, to SITE_URL ----------------------------------------------------


def _links(message) -> list[str]:
    return URL.findall(message.body)


def test_every_reminder_email_carries_only_absolute_links_to_site_url(
    world, settings, client, django_capture_on_commit_callbacks
):
    settings.SITE_URL = SITE
    today = timezone.localdate()
    _everything_due(world, today)
    reminders.reminders_send_due(today=today)
    # An invitation (supervision) and a password reset (Django's form, domain from the request).
    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(team=world.team, email="new.nurse@example.test", invited_by=world.team_supervisor)
    client.post(reverse("password_reset"), {"email": world.owner.email})
    kinds = [message.subject for message in mail.outbox]
    assert any("Invitation" in subject for subject in kinds), kinds
    for message in mail.outbox:
        links = _links(message)
        if "reset" in message.subject.lower() or "password" in message.subject.lower():
            # Django's reset email builds on the request's protocol and host (ALLOWED_HOSTS guards it).
            assert all(link.startswith(("http://", "https://")) for link in links), links
            continue
        assert links, message.subject
        assert all(link.startswith(SITE + "/") for link in links), (message.subject, links)


# --- Notifications in the app ------------------------------------------------------------------


def test_notifications_newest_first_mark_read_and_read_all(world, client):
    one = reminders.reminder_send(
        user=world.owner,
        kind=ReminderKind.REVIEW_60,
        subject="a",
        due_on=timezone.localdate(),
        title="First one",
        body="b",
    )
    two = reminders.reminder_send(
        user=world.owner,
        kind=ReminderKind.RENEWAL_90,
        subject="b",
        due_on=timezone.localdate(),
        title="Second one",
        body="b",
        link="/programs/",
    )
    assert one is not None and two is not None
    Reminder.objects.filter(pk=one.pk).update(created_at=timezone.now() - datetime.timedelta(days=1))
    client.force_login(world.owner)
    page = client.get(reverse("supervision:reminders")).content.decode()
    assert page.index("Second one") < page.index("First one")
    assert "Notifications (2 unread)" in page
    assert "2 unread." in page
    client.post(reverse("supervision:notification_read", args=[two.pk]))
    assert "Notifications (1 unread)" in client.get(reverse("supervision:reminders")).content.decode()
    client.post(reverse("supervision:notifications_read_all"))
    page = client.get(reverse("supervision:reminders")).content.decode()
    assert "unread)" not in page
    assert "Nothing unread." in page


def test_another_users_notification_cannot_be_marked_read(world, client):
    theirs = reminders.reminder_send(
        user=world.other_clinician,
        kind=ReminderKind.REVIEW_60,
        subject="x",
        due_on=timezone.localdate(),
        title="t",
        body="b",
    )
    assert theirs is not None
    client.force_login(world.owner)
    assert client.post(reverse("supervision:notification_read", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def _unread(user, count: int) -> None:
    for index in range(count):
        reminders.reminder_send(
            user=user,
            kind=ReminderKind.REVIEW_60,
            subject=f"s{index}",
            due_on=timezone.localdate(),
            title=f"T{index}",
            body="b",
        )


@pytest.mark.parametrize("count", [1, 12])
def test_the_nav_count_is_one_query_whatever_the_number_of_notifications(
    world, client, django_assert_num_queries, count
):
    client.force_login(world.owner)
    client.get(reverse("careers:profile"))  # warm the session
    baseline = _captured(client, django_assert_num_queries)
    _unread(world.owner, count)
    with django_assert_num_queries(baseline + 1):
        page = client.get(reverse("careers:profile"))
    assert f"Notifications ({count} unread)" in page.content.decode()


def _captured(client, django_assert_num_queries) -> int:
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(reverse("careers:profile"))
    return len(captured.captured_queries) - 1  # without unread rows the count still runs once


def test_the_nav_count_query_is_a_single_count(world, client):
    from django.test.utils import CaptureQueriesContext

    _unread(world.owner, 3)
    client.force_login(world.owner)
    with CaptureQueriesContext(connection) as captured:
        client.get(reverse("careers:profile"))
    counts = [q["sql"] for q in captured.captured_queries if "supervision_reminder" in q["sql"]]
    assert len(counts) == 1 and "COUNT" in counts[0].upper()


@pytest.mark.parametrize("count", [2, 20])
def test_the_notifications_page_query_count_is_constant(world, client, django_assert_max_num_queries, count):
    _unread(world.owner, count)
    client.force_login(world.owner)
    client.get(reverse("supervision:reminders"))
    with django_assert_max_num_queries(12):
        client.get(reverse("supervision:reminders"))


# --- Practice follow-ups ------------------------------------------------------------------------


def _asked(world) -> ShortlistEntry:
    entry = completed(world.owner, reminders.add_months(timezone.localdate(), -3))
    reminders.follow_up_reminders_send(today=timezone.localdate())
    return entry


def test_follow_up_answered_once_then_starts_a_prefilled_project_linked_to_the_program(world, client):
    entry = _asked(world)
    client.force_login(world.owner)
    url = reverse("supervision:follow_up", args=[entry.pk, 3])
    page = client.get(url).content.decode()
    assert 'name="submission"' in page
    assert client.post(url, {"changed": "Culture before the first dose."}).status_code == 302
    answer = PracticeFollowUp.objects.get()
    assert answer.program == entry.program and answer.months == 3
    assert Reminder.objects.get(user=world.owner).read_at is not None
    # A second answer is refused, nothing written.
    client.post(url, {"changed": "Something else."})
    assert PracticeFollowUp.objects.count() == 1
    assert PracticeFollowUp.objects.get().changed == "Culture before the first dose."
    # Not asked again for the same completion and interval.
    assert reminders.follow_up_reminders_send(today=timezone.localdate()) == 0
    response = client.get(reverse("outcomes:project_create") + f"?follow_up={answer.pk}")
    assert "Culture before the first dose." in response.content.decode()
    assert response.context["form"].initial["linked_programs"] == [entry.program.pk]
    assert not OutcomeProject.objects.exists()  # prefilled, not saved


def test_follow_up_blank_answer_shows_the_error_summary_and_writes_nothing(world, client):
    entry = _asked(world)
    client.force_login(world.owner)
    response = client.post(reverse("supervision:follow_up", args=[entry.pk, 3]), {"changed": "   "})
    assert response.status_code == 200
    assert "error-summary" in response.content.decode()
    assert not PracticeFollowUp.objects.exists()


def test_follow_up_of_another_clinician_undone_or_not_asked_is_404(world, client):
    entry = _asked(world)
    client.force_login(world.other_clinician)
    assert client.get(reverse("supervision:follow_up", args=[entry.pk, 3])).status_code == 404
    client.force_login(world.owner)
    assert client.get(reverse("supervision:follow_up", args=[entry.pk, 6])).status_code == 404  # not asked yet
    assert client.get(reverse("supervision:follow_up", args=[entry.pk, 4])).status_code == 404
    ShortlistEntry.objects.filter(pk=entry.pk).update(status=ShortlistStatus.ENROLLED)
    assert client.get(reverse("supervision:follow_up", args=[entry.pk, 3])).status_code == 404


def test_another_clinicians_answer_does_not_prefill_a_project(world, client):
    entry = _asked(world)
    reminder = Reminder.objects.get(user=world.owner)
    answer = reminders.practice_follow_up_answer(reminder=reminder, entry=entry, months=3, changed="Private answer")
    client.force_login(world.other_clinician)
    page = client.get(reverse("outcomes:project_create") + f"?follow_up={answer.pk}").content.decode()
    assert "Private answer" not in page
    assert client.get(reverse("outcomes:project_create") + "?follow_up=not-a-number").status_code == 200


# --- Two runs at once (PostgreSQL: real concurrent transactions) --------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_send_each_reminder_once():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent transactions need PostgreSQL (DATABASE_URL=postgres://...)")
    today = timezone.localdate()
    supervisor = SupervisorFactory()
    TeamFactory(supervisors=[supervisor])
    users = [ClinicianFactory() for _ in range(6)]
    for user in users:
        history(user, claims=0, renewal_in_days=40, today=today)
        completed(user, reminders.add_months(today, -3), title=f"Program for {user.pk}")
    barrier = threading.Barrier(2)
    results: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(reminders.reminders_send_due(today=today))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert Reminder.objects.count() == 12
    assert sum(sum(result.values()) for result in results) == 12
    assert len(mail.outbox) == 12
