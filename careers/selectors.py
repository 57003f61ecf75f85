"""Read functions for careers: the ranking context, licence progress, plan and credits.

Every function here runs a fixed number of queries whatever the number of
licences, claims or users involved.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Prefetch
from django.utils import timezone

from accounts.models import User
from programs import scoring
from programs.models import CreditOffering

from . import calendar as ical
from . import progress
from .models import (
    CareerGoal,
    ClinicianProfile,
    CreditAmount,
    CreditClaim,
    Licence,
    LicenceTopicRequirement,
    ShortlistEntry,
    ShortlistStatus,
)
from .progress import ClaimCredits, LicenceProgress, LicenceTerms


@dataclass(frozen=True)
class RankingContext:
    """Everything the catalog ranking needs about one clinician with an active goal."""

    goal: scoring.GoalCriteria
    weights: scoring.Weights
    clinician: scoring.ClinicianContext
    goal_id: int


# --- Budget and leave ---------------------------------------------------------


def remaining_budget_for(profile: ClinicianProfile | None) -> Decimal | None:
    """Money the clinician can still spend on CME this budget year; None when no profile.

    The single place to add other funding (e.g. an employer allowance granted
    through supervision) to what the clinician entered.
    """
    if profile is None:
        return None
    return profile.remaining_budget


def remaining_leave_for(profile: ClinicianProfile | None) -> Decimal | None:
    """Paid CME leave days still available; the single place to add leave granted elsewhere."""
    if profile is None:
        return None
    return profile.remaining_leave_days


# --- Licence progress ---------------------------------------------------------


def licence_name(licence: Licence) -> str:
    return f"{licence.jurisdiction} {licence.licence_type}".strip()


def licence_terms(licence: Licence) -> LicenceTerms:
    """The pure-arithmetic view of a licence; expects `topic_requirements` prefetched."""
    return LicenceTerms(
        licence_id=licence.pk,
        name=licence_name(licence),
        renewal_date=licence.renewal_date,
        cycle_months=licence.cycle_months,
        hours_required=licence.hours_required,
        accepted_credit_types=frozenset(licence.accepted_credit_types),
        topic_hours={item.topic: item.hours for item in licence.topic_requirements.all()},
    )


def _licences_for_users(user_ids: Iterable[int]) -> list[Licence]:
    """Licences with their topic requirements: two queries."""
    return list(
        Licence.objects.filter(user_id__in=list(user_ids))
        .prefetch_related(Prefetch("topic_requirements", queryset=LicenceTopicRequirement.objects.order_by("topic")))
        .order_by("user_id", "renewal_date", "id")
    )


def _claims_in_windows(*, user_ids: Iterable[int], terms: Iterable[LicenceTerms]) -> dict[int, list[ClaimCredits]]:
    """Per user, the claims completed between the earliest cycle start and the latest renewal: one query."""
    terms = list(terms)
    claims: dict[int, dict[int, ClaimCredits]] = defaultdict(dict)
    if not terms:
        return {}
    earliest = min(progress.cycle_start(item.renewal_date, item.cycle_months) for item in terms)
    latest = max(item.renewal_date for item in terms)
    rows = (
        CreditAmount.objects.filter(
            claim__user_id__in=list(user_ids),
            claim__completed_on__gte=earliest,
            claim__completed_on__lte=latest,
        )
        .values_list("claim__user_id", "claim_id", "claim__completed_on", "claim__topics", "credit_type", "amount")
        .order_by("claim_id", "credit_type")
    )
    amounts: dict[int, dict[str, Decimal]] = defaultdict(dict)
    meta: dict[int, tuple[int, datetime.date, frozenset[str]]] = {}
    for user_id, claim_id, completed_on, topics, credit_type, amount in rows:
        amounts[claim_id][credit_type] = amount
        meta[claim_id] = (user_id, completed_on, frozenset(topics or ()))
    for claim_id, (user_id, completed_on, topics) in meta.items():
        claims[user_id][claim_id] = ClaimCredits(
            claim_id=claim_id, completed_on=completed_on, amounts=amounts[claim_id], topics=topics
        )
    return {user_id: list(by_id.values()) for user_id, by_id in claims.items()}


def licence_progress_for_users(
    *, user_ids: Iterable[int], today: datetime.date | None = None
) -> dict[int, list[LicenceProgress]]:
    """Each user's licences with progress against the hours entered as required, in three queries.

    Users without licences map to an empty list. Licences come in renewal order.
    """
    today = today or timezone.localdate()
    user_ids = list(dict.fromkeys(user_ids))
    licences = _licences_for_users(user_ids)
    terms = [(licence.user_id, licence_terms(licence)) for licence in licences]
    claims = _claims_in_windows(user_ids=user_ids, terms=[item for _, item in terms])
    result: dict[int, list[LicenceProgress]] = {user_id: [] for user_id in user_ids}
    for user_id, item in terms:
        result[user_id].append(progress.licence_progress(item, claims.get(user_id, []), today=today))
    return result


def licence_progress_for_user(*, user_id: int, today: datetime.date | None = None) -> list[LicenceProgress]:
    return licence_progress_for_users(user_ids=[user_id], today=today)[user_id]


def licence_need(item: LicenceProgress) -> scoring.LicenceNeed:
    return scoring.LicenceNeed(
        licence_id=item.licence_id,
        name=item.name,
        renewal_date=item.renewal_date,
        accepted_credit_types=item.accepted_credit_types,
        hours_short=item.hours_short,
        missing_topics=item.missing_topics,
    )


def activities_last_12_months_for_users(
    *, user_ids: Iterable[int], today: datetime.date | None = None
) -> dict[int, int]:
    """Per user, how many CME activities they logged as completed in the 12 months up to today.

    One aggregate query, no per-user query; every user asked about has an entry (0 when none).
    """
    today = today or timezone.localdate()
    user_ids = list(dict.fromkeys(user_ids))
    since = progress.months_before(today, 12)
    result = dict.fromkeys(user_ids, 0)
    counts = (
        CreditClaim.objects.filter(user_id__in=user_ids, completed_on__gt=since, completed_on__lte=today)
        .values_list("user_id")
        .annotate(n=Count("id"))
        .order_by("user_id")
    )
    for user_id, n in counts:
        result[user_id] = n
    return result


# --- Ranking context ----------------------------------------------------------


def active_goal_for_user(*, user: User) -> CareerGoal | None:
    return CareerGoal.objects.filter(user=user, is_active=True).first()


def ranking_context_for_user(*, user: User | None, today: datetime.date | None = None) -> RankingContext | None:
    """The goal, weights and fit-constraint situation of a clinician, or None without an active goal.

    Queries: active goal, profile, licences, topic requirements, credit amounts
    of the current cycles (five at most, one when there is no active goal).
    """
    if user is None or not user.is_authenticated:
        return None
    today = today or timezone.localdate()
    goal = active_goal_for_user(user=user)
    if goal is None:
        return None
    profile = ClinicianProfile.objects.filter(user=user).first()
    licences = licence_progress_for_users(user_ids=[user.pk], today=today)[user.pk]
    # Imported here: supervision's selectors import this module.
    from supervision.selectors import employer_allowance_for_user

    budget, leave = remaining_budget_for(profile), remaining_leave_for(profile)
    allowance = employer_allowance_for_user(user=user, today=today)
    if allowance is not None:  # the employer allowance still unspent this policy year adds to both
        budget = (budget or Decimal("0")) + allowance.amount_remaining
        leave = (leave or Decimal("0")) + allowance.leave_remaining
    clinician = scoring.ClinicianContext(
        today=today,
        profession=profile.profession if profile else None,
        remaining_budget=budget,
        remaining_leave_days=leave,
        horizon=goal.horizon_date,
        next_review=profile.next_review_date if profile else None,
        licences=tuple(licence_need(item) for item in licences),
    )
    return RankingContext(
        goal=goal_criteria(goal),
        weights=goal_weights(goal),
        clinician=clinician,
        goal_id=goal.pk,
    )


def goal_criteria(goal: CareerGoal) -> scoring.GoalCriteria:
    competencies = frozenset(goal.competencies)
    return scoring.GoalCriteria(
        track=goal.track,
        competencies=competencies,
        essential_competencies=frozenset(goal.essential_competencies) & competencies,
    )


def goal_weights(goal: CareerGoal) -> scoring.Weights:
    """The goal's weights; falls back to equal weights if the stored ones are all zero."""
    try:
        return scoring.Weights(
            outcome=goal.weight_outcome,
            independence=goal.weight_independence,
            interprofessional=goal.weight_interprofessional,
            career=goal.weight_career,
        )
    except ValueError:
        return scoring.Weights()


# --- Shortlist and plan -------------------------------------------------------

PLAN_ACTIVE_STATUSES = (ShortlistStatus.PLANNED, ShortlistStatus.ENROLLED)
PLAN_WIDTH = 960  # SVG user units of the 12-month timeline
PLAN_ROW = 30
PLAN_TOP = 34


def shortlist_for_user(*, user: User) -> list[ShortlistEntry]:
    """The clinician's shortlist with programs, providers, offerings and any logged claim: three queries."""
    return list(
        ShortlistEntry.objects.filter(user=user)
        .select_related("program__provider", "credit_claim")
        .prefetch_related(
            Prefetch("program__credit_offerings", queryset=CreditOffering.objects.order_by("credit_type"))
        )
        .order_by("status", "program__start_date", "program__title", "pk")
    )


def shortlist_entry_for_user(*, user: User, entry_id: int) -> ShortlistEntry:
    """One of the user's own entries; raises DoesNotExist for anyone else's."""
    return (
        ShortlistEntry.objects.select_related("program__provider", "credit_claim")
        .prefetch_related("program__credit_offerings")
        .get(user=user, pk=entry_id)
    )


def shortlisted_program_ids(*, user: User) -> set[int]:
    return set(ShortlistEntry.objects.filter(user=user).values_list("program_id", flat=True))


@dataclass(frozen=True)
class PlanItem:
    entry: ShortlistEntry
    start: datetime.date | None
    end: datetime.date | None
    in_window: bool
    counted: bool  # counts toward the budget and leave totals
    x: int = 0
    width: int = 0
    y: int = 0


@dataclass(frozen=True)
class PlanMarker:
    kind: str  # "review" or "renewal"
    label: str
    day: datetime.date
    x: int


@dataclass(frozen=True)
class PlanMonth:
    label: str
    x: int


@dataclass(frozen=True)
class Plan:
    """Planned and enrolled programs over the next 12 months, against review and renewals."""

    window_start: datetime.date
    window_end: datetime.date
    months: list[PlanMonth]
    items: list[PlanItem]
    markers: list[PlanMarker]
    fee_total: Decimal
    unknown_fee_titles: list[str]
    leave_total: Decimal
    remaining_budget: Decimal | None
    remaining_leave: Decimal | None
    height: int

    @property
    def over_budget(self) -> bool:
        return self.remaining_budget is not None and self.fee_total > self.remaining_budget

    @property
    def over_leave(self) -> bool:
        return self.remaining_leave is not None and self.leave_total > self.remaining_leave


def _x(day: datetime.date, start: datetime.date, days: int) -> int:
    offset = min(max((day - start).days, 0), days)
    return round(PLAN_WIDTH * offset / days)


def plan_for_user(*, user: User, entries: list[ShortlistEntry], today: datetime.date | None = None) -> Plan:
    """Lay the planned and enrolled entries on a 12-month timeline: two queries (profile, licences).

    A program counts toward budget and leave when it runs during the window
    or has no start date (on demand); its full fee and leave days count.
    """
    today = today or timezone.localdate()
    start = today.replace(day=1)
    end = progress.months_before(start, -12) - datetime.timedelta(days=1)
    days = (end - start).days + 1
    profile = ClinicianProfile.objects.filter(user=user).first()
    months = []
    for index in range(12):
        first = progress.months_before(start, -index)
        months.append(PlanMonth(label=first.strftime("%b %Y"), x=_x(first, start, days)))
    items: list[PlanItem] = []
    fee_total = Decimal("0")
    leave_total = Decimal("0")
    unknown_fee: list[str] = []
    row = 0
    for entry in entries:
        if entry.status not in PLAN_ACTIVE_STATUSES:
            continue
        program = entry.program
        first_day, last_day = program.start_date, program.end_date or program.start_date
        in_window = first_day is not None and first_day <= end and (last_day or first_day) >= start
        counted = first_day is None or in_window
        if counted:
            if program.fee_amount is None:
                unknown_fee.append(program.title)
            else:
                fee_total += program.fee_amount
            leave_total += program.leave_days or Decimal("0")
        if in_window:
            x = _x(first_day, start, days)
            x_end = _x((last_day or first_day) + datetime.timedelta(days=1), start, days)
            items.append(
                PlanItem(entry, first_day, last_day, True, counted, x, max(x_end - x, 6), PLAN_TOP + row * PLAN_ROW)
            )
            row += 1
        else:
            items.append(PlanItem(entry, first_day, last_day, False, counted))
    markers: list[PlanMarker] = []
    if profile and profile.next_review_date and start <= profile.next_review_date <= end:
        markers.append(
            PlanMarker(
                "review", "Performance review", profile.next_review_date, _x(profile.next_review_date, start, days)
            )
        )
    for licence in Licence.objects.filter(user=user, renewal_date__gte=start, renewal_date__lte=end):
        markers.append(
            PlanMarker(
                "renewal",
                f"{licence_name(licence)} renewal",
                licence.renewal_date,
                _x(licence.renewal_date, start, days),
            )
        )
    markers.sort(key=lambda marker: (marker.day, marker.label))
    return Plan(
        window_start=start,
        window_end=end,
        months=months,
        items=items,
        markers=markers,
        fee_total=fee_total,
        unknown_fee_titles=unknown_fee,
        leave_total=leave_total,
        remaining_budget=remaining_budget_for(profile),
        remaining_leave=remaining_leave_for(profile),
        height=PLAN_TOP + max(row, 1) * PLAN_ROW + 10,
    )


# --- Credits ------------------------------------------------------------------


def credit_claims_for_user(*, user: User) -> list[CreditClaim]:
    """The user's logged credits, newest first, with their amounts: two queries."""
    return list(
        CreditClaim.objects.filter(user=user)
        .select_related("program")
        .prefetch_related(Prefetch("amounts", queryset=CreditAmount.objects.order_by("credit_type")))
    )


def goals_for_user(*, user: User) -> list[CareerGoal]:
    return list(CareerGoal.objects.filter(user=user).order_by("-is_active", "-updated_at", "-pk"))


# --- Calendar feed ------------------------------------------------------------


def calendar_feed_for_token(*, token: str, base_url: str, today: datetime.date | None = None) -> str | None:
    """The iCalendar text for the profile holding this token, or None for an unknown token.

    Planned and enrolled programs with dates, licence renewal deadlines with
    progress against the entered hours, and the next performance review.
    """
    if not token or len(token) > 64:
        return None
    profile = ClinicianProfile.objects.filter(calendar_token=token).select_related("user").first()
    if profile is None:
        return None
    user = profile.user
    base = base_url.rstrip("/")
    events: list[ical.CalendarEvent] = []
    entries = (
        ShortlistEntry.objects.filter(user=user, status__in=PLAN_ACTIVE_STATUSES, program__start_date__isnull=False)
        .select_related("program__provider")
        .order_by("program__start_date", "pk")
    )
    for entry in entries:
        program = entry.program
        events.append(
            ical.CalendarEvent(
                uid=f"shortlist-{entry.pk}@cme-portal",
                summary=f"{program.title} ({entry.get_status_display().lower()})",
                start=program.start_date,
                end=program.end_date,
                description=f"{program.provider.name}. CME program on your plan.",
                url=f"{base}/programs/{program.pk}/",
                categories="CME",
            )
        )
    for item in licence_progress_for_users(user_ids=[user.pk], today=today)[user.pk]:
        events.append(
            ical.CalendarEvent(
                uid=f"licence-{item.licence_id}-{item.renewal_date:%Y%m%d}@cme-portal",
                summary=f"Licence renewal: {item.name}",
                start=item.renewal_date,
                description=(
                    f"{item.hours_earned.normalize():f} of {item.hours_required.normalize():f} hours entered as "
                    "required are logged for this cycle (progress against what you entered)."
                ),
                categories="Licence renewal",
            )
        )
    if profile.next_review_date:
        events.append(
            ical.CalendarEvent(
                uid=f"review-{profile.pk}-{profile.next_review_date:%Y%m%d}@cme-portal",
                summary="Performance review",
                start=profile.next_review_date,
                categories="Review",
            )
        )
    return ical.render_calendar(events, name="CME plan", stamp=timezone.now())
