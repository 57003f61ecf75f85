"""Reminder services: find who needs a reminder today, record it once, email it.

Each reminder is a Reminder row whose unique key (user, kind, subject, due date)
makes it go out once even when a job runs twice or two workers overlap. The row is
also the in-app notification (read_at), and its link is a path in the app that
emails prefix with SITE_URL.

`reminders_send_due` is the one entry point: Celery beat calls it in production,
`make run` and the quickstart's request-time runner (supervision.middleware) without a broker.
"""

from __future__ import annotations

import calendar
import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Team, TeamMembership, User
from careers.models import ClinicianProfile, ShortlistEntry, ShortlistStatus
from careers.selectors import licence_progress_for_users

from . import selectors
from .models import (
    FOLLOW_UP_MONTHS,
    PracticeFollowUp,
    Reminder,
    ReminderKind,
    ReminderPreference,
    follow_up_subject,
)

RENEWAL_WINDOWS = ((30, ReminderKind.RENEWAL_30), (90, ReminderKind.RENEWAL_90))
REVIEW_DAYS = 60
# A follow-up whose date passed more than this long ago (the runner was off, or the completion was
# recorded late) is not sent any more: a question about six months ago asked a year later helps nobody.
FOLLOW_UP_GRACE_DAYS = 30


def absolute_url(path: str) -> str:
    """SITE_URL followed by an in-app path; an empty path stays empty."""
    if not path:
        return ""
    return f"{settings.SITE_URL}{path}"


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later, clamped to the month's end (31 Aug + 3 months = 30 Nov)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def reminder_send(
    *, user: User, kind: str, subject: str, due_on: datetime.date, title: str, body: str, link: str = ""
) -> Reminder | None:
    """Record and email one reminder unless it exists already or the user switched this kind off.

    Returns the new reminder, or None when nothing was sent. Safe to call twice.
    """
    if ReminderPreference.objects.filter(user=user, kind=kind, enabled=False).exists():
        return None
    if Reminder.objects.filter(user=user, kind=kind, subject=subject, due_on=due_on).exists():
        return None
    try:
        with transaction.atomic():
            reminder = Reminder.objects.create(
                user=user, kind=kind, subject=subject, due_on=due_on, title=title, body=body, link=link
            )
    except IntegrityError:
        return None  # another run recorded it first
    send_mail(
        subject=title,
        message=f"{body}\n\n{absolute_url(link)}".strip(),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[user.email],
    )
    Reminder.objects.filter(pk=reminder.pk).update(emailed_at=timezone.now())
    return reminder


def reminder_preference_set(*, user: User, kind: str, enabled: bool) -> None:
    """Switch one kind of reminder on or off for the user."""
    if kind not in ReminderKind.values:
        raise ValueError(kind)
    ReminderPreference.objects.update_or_create(user=user, kind=kind, defaults={"enabled": enabled})


def renewal_reminders_send(*, today: datetime.date | None = None) -> int:
    """Remind clinicians whose licence renews within 90 (then 30) days while hours are still short."""
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=90)
    user_ids = list(
        User.objects.filter(licences__renewal_date__gte=today, licences__renewal_date__lte=horizon)
        .values_list("pk", flat=True)
        .distinct()
    )
    if not user_ids:
        return 0
    users = User.objects.in_bulk(user_ids)
    progress = licence_progress_for_users(user_ids=user_ids, today=today)
    sent = 0
    for user_id, items in progress.items():
        for item in items:
            if item.hours_short <= 0 or not 0 <= item.days_to_renewal <= 90:
                continue
            kind = next(kind for days, kind in RENEWAL_WINDOWS if item.days_to_renewal <= days)
            reminder = reminder_send(
                user=users[user_id],
                kind=kind,
                subject=f"licence:{item.licence_id}",
                due_on=item.renewal_date,
                title=f"{item.name} renews in {item.days_to_renewal} days: {item.hours_short} hours still to go",
                body=(
                    f"Your {item.name} renews on {item.renewal_date:%d %B %Y}. Against the requirement you entered, "
                    f"{item.hours_short} hours are still short. This is progress against what you entered, "
                    "not a statement of legal compliance."
                ),
                link=reverse("programs:catalog"),
            )
            sent += reminder is not None
    return sent


def review_reminders_send(*, today: datetime.date | None = None) -> int:
    """Remind clinicians whose performance review is within 60 days and who have no CME planned."""
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=REVIEW_DAYS)
    profiles = list(
        ClinicianProfile.objects.filter(next_review_date__gte=today, next_review_date__lte=horizon).select_related(
            "user"
        )
    )
    planned = set(
        ShortlistEntry.objects.filter(
            user_id__in=[p.user_id for p in profiles], status__in=[ShortlistStatus.PLANNED, ShortlistStatus.ENROLLED]
        ).values_list("user_id", flat=True)
    )
    sent = 0
    for profile in profiles:
        if profile.user_id in planned:
            continue
        review_on = profile.next_review_date
        assert review_on is not None  # the query keeps only profiles with a review date
        days = (review_on - today).days
        reminder = reminder_send(
            user=profile.user,
            kind=ReminderKind.REVIEW_60,
            subject="review",
            due_on=review_on,
            title=f"Your performance review is in {days} days and no CME is planned",
            body="Plan a program from your shortlist so it lands before the review.",
            link=reverse("programs:catalog"),
        )
        sent += reminder is not None
    return sent


def supervisor_digests_send(*, today: datetime.date | None = None) -> int:
    """A weekly digest per supervisor and team: pending requests and members at risk."""
    today = today or timezone.localdate()
    week_start = today - datetime.timedelta(days=today.weekday())
    sent = 0
    teams = Team.objects.prefetch_related("supervisors").filter(supervisors__isnull=False).distinct()
    for team in teams:
        if not TeamMembership.objects.current().filter(team=team).exists():
            continue
        pending = list(selectors.pending_requests_for_team(team=team))
        at_risk = [row for row in selectors.team_member_rows(team=team, today=today) if row.at_risk]
        if not pending and not at_risk:
            continue
        lines = [f"Pending requests: {len(pending)}"]
        lines += [f"- {r.requester}: {r.program.title} (since {r.created_at:%d %b})" for r in pending]
        lines.append(f"Members at risk (renewal within 90 days, hours short): {len(at_risk)}")
        lines += [f"- {row.name}: renewal in {row.days_to_next_renewal} days" for row in at_risk]
        for supervisor in team.supervisors.all():
            reminder = reminder_send(
                user=supervisor,
                kind=ReminderKind.SUPERVISOR_DIGEST,
                subject=f"team:{team.pk}",
                due_on=week_start,
                title=f"{team.name}: {len(pending)} pending request(s), {len(at_risk)} member(s) at risk",
                body="\n".join(lines),
                link=reverse("supervision:dashboard", args=[team.pk]),
            )
            sent += reminder is not None
    return sent


def follow_up_reminders_send(*, today: datetime.date | None = None) -> int:
    """Ask clinicians, three and six months after completing a program, what changed in their practice.

    A completion is a shortlist entry marked completed with its date; the reminder's subject names
    the entry and that date, so a completion undone before the date is never asked about, and one
    undone and completed again on another day is a new completion. Sent once per completion and
    interval (the reminder's unique key); not sent once FOLLOW_UP_GRACE_DAYS have passed.
    """
    today = today or timezone.localdate()
    sent = 0
    for months, kind in FOLLOW_UP_MONTHS.items():
        # A generous date range in SQL, the exact month arithmetic (month ends) below.
        earliest = today - datetime.timedelta(days=31 * months + FOLLOW_UP_GRACE_DAYS + 1)
        latest = today - datetime.timedelta(days=28 * months)
        entries = ShortlistEntry.objects.filter(
            status=ShortlistStatus.COMPLETED, completed_on__gte=earliest, completed_on__lte=latest
        ).select_related("user", "program")
        for entry in entries:
            assert entry.completed_on is not None  # the filter keeps only dated completions
            due_on = add_months(entry.completed_on, months)
            if not today - datetime.timedelta(days=FOLLOW_UP_GRACE_DAYS) <= due_on <= today:
                continue
            reminder = reminder_send(
                user=entry.user,
                kind=kind,
                subject=follow_up_subject(entry_id=entry.pk, completed_on=entry.completed_on),
                due_on=due_on,
                title=f"{months} months after {entry.program.title}: what changed in your practice?",
                body=(
                    f"You completed {entry.program.title} on {entry.completed_on:%d %B %Y}. Tell us in a few "
                    "lines what changed in your practice since; your answer can start an outcome project."
                ),
                link=reverse("supervision:follow_up", args=[entry.pk, months]),
            )
            sent += reminder is not None
    return sent


def reminders_send_due(*, today: datetime.date | None = None) -> dict[str, int]:
    """Send every reminder due today, once: renewals, reviews, weekly digests, practice follow-ups.

    The single entry point for Celery beat (production) and for the quickstart's runners. Safe to
    run any number of times and from two processes at once: each reminder's unique key lets only
    the first run record and email it. Returns how many of each were sent.
    """
    today = today or timezone.localdate()
    return {
        "renewal": renewal_reminders_send(today=today),
        "review": review_reminders_send(today=today),
        "digest": supervisor_digests_send(today=today),
        "follow_up": follow_up_reminders_send(today=today),
    }


def notification_mark_read(*, user: User, reminder_id: int) -> bool:
    """Mark one of the user's notifications read. False when it is not theirs (nothing written)."""
    updated = Reminder.objects.filter(pk=reminder_id, user=user, read_at__isnull=True).update(read_at=timezone.now())
    return bool(updated) or Reminder.objects.filter(pk=reminder_id, user=user).exists()


def notifications_mark_all_read(*, user: User) -> int:
    """Mark every unread notification of the user read; returns how many were unread."""
    return Reminder.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())


class FollowUpAlreadyAnswered(Exception):
    """The follow-up was answered before (by another tab or request)."""


def practice_follow_up_answer(
    *, reminder: Reminder, entry: ShortlistEntry, months: int, changed: str
) -> PracticeFollowUp:
    """Store the clinician's answer to one follow-up and mark its notification read.

    Runs in one transaction holding the reminder's row, so two submissions cannot both answer;
    raises FollowUpAlreadyAnswered for the second and writes nothing.
    """
    assert entry.completed_on is not None
    with transaction.atomic():
        locked = Reminder.objects.select_for_update().get(pk=reminder.pk)
        if PracticeFollowUp.objects.filter(reminder=locked).exists():
            raise FollowUpAlreadyAnswered
        answer = PracticeFollowUp.objects.create(
            reminder=locked,
            user=entry.user,
            program=entry.program,
            completed_on=entry.completed_on,
            months=months,
            changed=changed.strip(),
        )
        Reminder.objects.filter(pk=locked.pk, read_at__isnull=True).update(read_at=timezone.now())
    return answer
