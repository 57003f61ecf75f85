"""Reminders: sent once however often the job runs, switchable per kind, listed in-app."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from careers.models import ShortlistEntry
from supervision import reminders, tasks
from supervision.models import Reminder, ReminderKind

from .helpers import funding_request, history, profile, shortlisted

pytestmark = pytest.mark.django_db


def test_renewal_reminder_sent_once_even_if_job_runs_twice(world):
    history(world.owner, claims=1, renewal_in_days=80)
    assert reminders.renewal_reminders_send() == 1
    assert reminders.renewal_reminders_send() == 0
    tasks.renewal_reminders.delay()
    assert Reminder.objects.filter(user=world.owner, kind=ReminderKind.RENEWAL_90).count() == 1
    assert len(mail.outbox) == 1
    assert "hours still to go" in mail.outbox[0].subject


def test_30_day_reminder_follows_the_90_day_one(world):
    today = timezone.localdate()
    history(world.owner, claims=0, renewal_in_days=80, today=today)
    reminders.renewal_reminders_send(today=today)
    reminders.renewal_reminders_send(today=today + datetime.timedelta(days=55))
    reminders.renewal_reminders_send(today=today + datetime.timedelta(days=56))
    kinds = sorted(Reminder.objects.filter(user=world.owner).values_list("kind", flat=True))
    assert kinds == [ReminderKind.RENEWAL_30, ReminderKind.RENEWAL_90]


def test_no_renewal_reminder_when_hours_are_met_or_renewal_far(world):
    history(world.owner, claims=10, renewal_in_days=60)  # 10 x 5 = 50 hours of 50
    history(world.other_clinician, claims=0, renewal_in_days=200)
    assert reminders.renewal_reminders_send() == 0


def test_review_reminder_only_without_planned_cme(world):
    soon = timezone.localdate() + datetime.timedelta(days=40)
    owner_profile = profile(world.owner)
    owner_profile.next_review_date = soon
    owner_profile.save()
    other_profile = profile(world.other_clinician)
    other_profile.next_review_date = soon
    other_profile.save()
    shortlisted(world.other_clinician)  # planned
    assert reminders.review_reminders_send() == 1
    assert reminders.review_reminders_send() == 0
    assert Reminder.objects.get().user == world.owner


def test_switched_off_kind_is_not_sent(world, client):
    history(world.owner, claims=0, renewal_in_days=20)
    client.force_login(world.owner)
    response = client.post(
        reverse("supervision:reminders"), {ReminderKind.RENEWAL_90: "on", ReminderKind.REVIEW_60: "on"}
    )
    assert response.status_code == 302
    assert reminders.renewal_reminders_send() == 0
    assert not Reminder.objects.exists()


def test_supervisor_weekly_digest_once_per_week(world):
    history(world.owner, claims=0, renewal_in_days=30)
    funding_request(world.owner, world.team)
    assert reminders.supervisor_digests_send() == 1
    assert reminders.supervisor_digests_send() == 0
    digest = Reminder.objects.get(user=world.team_supervisor)
    assert "1 pending request(s), 1 member(s) at risk" in digest.title
    assert not Reminder.objects.filter(user=world.other_supervisor).exists()


def test_reminders_page_lists_own_reminders_only(world, client):
    reminders.reminder_send(
        user=world.owner,
        kind=ReminderKind.REVIEW_60,
        subject="review",
        due_on=timezone.localdate(),
        title="T-own",
        body="b",
    )
    reminders.reminder_send(
        user=world.other_clinician,
        kind=ReminderKind.REVIEW_60,
        subject="review",
        due_on=timezone.localdate(),
        title="T-other",
        body="b",
    )
    client.force_login(world.owner)
    html = client.get(reverse("supervision:reminders")).content.decode()
    assert "T-own" in html and "T-other" not in html
    assert ShortlistEntry.objects.count() == 0
