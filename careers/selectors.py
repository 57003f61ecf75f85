"""Read functions for careers: the ranking context, licence progress, plan and credits.

Every function here runs a fixed number of queries whatever the number of
licences, claims or users involved.
"""

from __future__ import annotations

import datetime
import hashlib
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import cast

from django.db import connection
from django.db.models import (
    IntegerField,
    Model,
    Prefetch,
    QuerySet,
)
from django.db.models.expressions import RawSQL
from django.utils import timezone

from accounts.models import User
from cme_portal.tokens import token_presented_digest
from programs.models import CreditOffering
from programs.ranking import fit, scoring

from . import calendar as ical
from . import progress, rules, transcript
from .models import (
    CareerGoal,
    ClinicianProfile,
    CreditAmount,
    CreditClaim,
    Licence,
    ShortlistEntry,
    ShortlistStatus,
    TranscriptMapping,
)
from .progress import ClaimCredits, LicenceProgress, LicenceTerms
from .queries import licence_cycle_hours_sql

CENT = Decimal("0.01")


@dataclass(frozen=True)
class RankingContext:
    """Everything the catalog ranking needs about one clinician with an active goal."""

    goal: scoring.GoalCriteria
    weights: scoring.Weights
    clinician: fit.ClinicianContext
    goal_id: int
    # The catalog version read with the goal (programs.catalog_version.version_token); None: rank without cache.
    catalog_version: str | None = None


# --- Budget and leave ---------------------------------------------------------


def remaining_budget_for(profile: ClinicianProfile | None) -> Decimal | None:
    """Money the clinician can still spend on CME this budget year; None when no profile.

    What the clinician entered; the ranking adds the employer allowance on top
    (see `ranking_context_for_goal`).
    """
    if profile is None:
        return None
    return profile.remaining_budget


def remaining_leave_for(profile: ClinicianProfile | None) -> Decimal | None:
    """Paid CME leave days still available, as the clinician entered them."""
    if profile is None:
        return None
    return profile.remaining_leave_days


# --- Licence progress ---------------------------------------------------------


def licence_name(licence: Licence) -> str:
    return _licence_name(licence.jurisdiction, licence.licence_type)


def _licence_name(jurisdiction: str, licence_type: str) -> str:
    return f"{jurisdiction} {licence_type}".strip()


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


def _licence_terms_for_users(user_ids: Iterable[int]) -> list[tuple[int, LicenceTerms]]:
    """Each licence (by user, renewal date) with its topic requirements, as `licence_terms` gives it: one query.

    The requirements come with their licence in one LEFT JOIN (a licence without any has one row).
    """
    rows = (
        Licence.objects.filter(user_id__in=list(user_ids))
        .order_by("user_id", "renewal_date", "id", "topic_requirements__topic")
        .values_list(
            "id",
            "user_id",
            "jurisdiction",
            "licence_type",
            "renewal_date",
            "cycle_months",
            "hours_required",
            "accepted_credit_types",
            "topic_requirements__topic",
            "topic_requirements__hours",
        )
    )
    found: dict[int, tuple[int, LicenceTerms]] = {}
    topics: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for licence_id, user_id, jurisdiction, licence_type, renewal, months, hours, accepted, topic, topic_hours in rows:
        found.setdefault(
            licence_id,
            (
                user_id,
                LicenceTerms(
                    licence_id=licence_id,
                    name=f"{jurisdiction} {licence_type}".strip(),
                    renewal_date=renewal,
                    cycle_months=months,
                    hours_required=hours,
                    accepted_credit_types=frozenset(accepted),
                    topic_hours=topics[licence_id],
                ),
            ),
        )
        if topic is not None:
            topics[licence_id][topic] = topic_hours
    return list(found.values())


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
    for user_id, claim_id, completed_on, claim_topics, credit_type, amount in rows:
        amounts[claim_id][credit_type] = amount
        meta[claim_id] = (user_id, completed_on, frozenset(claim_topics or ()))
    for claim_id, (user_id, completed_on, topics) in meta.items():
        claims[user_id][claim_id] = ClaimCredits(
            claim_id=claim_id, completed_on=completed_on, amounts=amounts[claim_id], topics=topics
        )
    return {user_id: list(by_id.values()) for user_id, by_id in claims.items()}


def licence_progress_for_users(
    *, user_ids: Iterable[int], today: datetime.date | None = None
) -> dict[int, list[LicenceProgress]]:
    """Each user's licences with progress against the hours entered as required, in two queries.

    Users without licences map to an empty list. Licences come in renewal order.
    """
    today = today or timezone.localdate()
    user_ids = list(dict.fromkeys(user_ids))
    terms = _licence_terms_for_users(user_ids)
    claims = _claims_in_windows(user_ids=user_ids, terms=[item for _, item in terms])
    result: dict[int, list[LicenceProgress]] = {user_id: [] for user_id in user_ids}
    for user_id, item in terms:
        result[user_id].append(progress.licence_progress(item, claims.get(user_id, []), today=today))
    return result


@dataclass(frozen=True)
class LicenceHours:
    """A licence's current-cycle hours against what was entered as required, without topics (the team view)."""

    licence_id: int
    user_id: int
    name: str
    renewal_date: datetime.date
    hours_required: Decimal
    hours_earned: Decimal
    days_to_renewal: int

    @property
    def hours_short(self) -> Decimal:
        return max(Decimal("0"), self.hours_required - self.hours_earned)


def licence_hours_for_users(
    *, user_ids: Iterable[int], today: datetime.date | None = None
) -> dict[int, list[LicenceHours]]:
    """Each user's licences (renewal order) with the hours earned this cycle, summed in SQL: one query.

    The same figure as `licence_progress_for_users` (careers.progress: a claim counts in the
    cycle window, once, for the largest amount among the credit types the licence accepts),
    but aggregated by the database, so the cost does not grow with the claims' history.
    Topic hours are not computed. Users without licences map to an empty list.
    """
    today = today or timezone.localdate()
    user_ids = list(dict.fromkeys(user_ids))
    result: dict[int, list[LicenceHours]] = {user_id: [] for user_id in user_ids}
    if not user_ids:
        return result
    with connection.cursor() as cursor:
        cursor.execute(licence_cycle_hours_sql(user_count=len(user_ids)), user_ids)
        licences = cursor.fetchall()
    for licence_id, user_id, jurisdiction, licence_type, renewal_date, required, earned in licences:
        result[user_id].append(
            LicenceHours(
                licence_id=licence_id,
                user_id=user_id,
                name=_licence_name(jurisdiction, licence_type),
                renewal_date=renewal_date,
                # SQLite gives numbers as int or float: back to the fields' cents, as the ORM would.
                hours_required=Decimal(required).quantize(CENT),
                hours_earned=Decimal(earned).quantize(CENT),
                days_to_renewal=(renewal_date - today).days,
            )
        )
    return result


def licence_progress_for_user(*, user_id: int, today: datetime.date | None = None) -> list[LicenceProgress]:
    return licence_progress_for_users(user_ids=[user_id], today=today)[user_id]


def licence_need(item: LicenceProgress) -> fit.LicenceNeed:
    return fit.LicenceNeed(
        licence_id=item.licence_id,
        name=item.name,
        renewal_date=item.renewal_date,
        accepted_credit_types=item.accepted_credit_types,
        hours_short=item.hours_short,
        missing_topics=item.missing_topics,
    )


def activities_last_12_months_count(*, model: type[Model], user_field: str, today: datetime.date) -> RawSQL:
    """How many CME activities a user logged as completed in the 12 months up to `today`, as an annotation of a
    query of `model` whose column `user_field` holds the user's id: counted with that query's rows, no query of
    its own. Written in SQL: the ORM's correlated subquery cost twice as much to compile as to run."""
    quote = connection.ops.quote_name
    claim = quote(CreditClaim._meta.db_table)
    user_column = f"{quote(model._meta.db_table)}.{quote(user_field)}"
    sql = (
        f"(SELECT COUNT(*) FROM {claim} c "  # noqa: S608 - names from the models, no input
        f"WHERE c.{quote('user_id')} = {user_column} "
        f"AND c.{quote('completed_on')} > %s AND c.{quote('completed_on')} <= %s)"
    )
    since = progress.months_before(today, 12)
    return RawSQL(sql, (since.isoformat(), today.isoformat()), output_field=IntegerField())  # noqa: S611


# --- Ranking context ----------------------------------------------------------


def active_goal_for_user(*, user: User) -> CareerGoal | None:
    return CareerGoal.objects.filter(user=user, is_active=True).first()


@dataclass(frozen=True)
class MoneySituation:
    """What the ledger (supervision.ledger, which sees both apps) says is left, per policy year and beyond them."""

    years: tuple[fit.MoneyYear, ...]
    beyond_money: Decimal | None  # for costs after the last year given
    beyond_leave: Decimal | None
    requested_program_ids: frozenset[int] = frozenset()  # their own request reserves their costs


def ranking_context_for_goal(
    *, goal: CareerGoal, user: User, money: MoneySituation | None, today: datetime.date | None = None
) -> RankingContext:
    """The weights and fit-constraint situation of a clinician for their goal.

    `money` is the ledger's; without it, the budget and leave the clinician entered.
    Queries: profile, licences with their topic requirements, credit amounts of the
    current cycles (three).
    """
    profile = ClinicianProfile.objects.filter(user=user).first()
    return ranking_context_with_profile(goal=goal, profile=profile, user=user, money=money, today=today)


def ranking_context_with_profile(
    *,
    goal: CareerGoal,
    profile: ClinicianProfile | None,
    user: User,
    money: MoneySituation | None,
    today: datetime.date | None = None,
    catalog_version: str | None = None,
) -> RankingContext:
    """`ranking_context_for_goal` for a profile already read: licences and their credit (two queries)."""
    today = today or timezone.localdate()
    licences = licence_progress_for_users(user_ids=[user.pk], today=today)[user.pk]
    budget, leave = remaining_budget_for(profile), remaining_leave_for(profile)
    if money is not None:
        budget, leave = money.beyond_money, money.beyond_leave
    clinician = fit.ClinicianContext(
        today=today,
        profession=profile.profession if profile else None,
        remaining_budget=budget,
        remaining_leave_days=leave,
        money_years=money.years if money is not None else (),
        requested_program_ids=money.requested_program_ids if money is not None else frozenset(),
        horizon=goal.horizon_date,
        next_review=profile.next_review_date if profile else None,
        licences=tuple(licence_need(item) for item in licences),
    )
    return RankingContext(
        goal=goal_criteria(goal),
        weights=goal_weights(goal),
        clinician=clinician,
        goal_id=goal.pk,
        catalog_version=catalog_version,
    )


def goal_criteria(goal: CareerGoal) -> scoring.GoalCriteria:
    """The goal's track and competencies as the scoring module takes them (essential ones within the goal's)."""
    competencies = frozenset(goal.competencies)
    return scoring.GoalCriteria(
        track=goal.track,
        competencies=competencies,
        essential_competencies=frozenset(goal.essential_competencies) & competencies,
    )


def goal_weights(goal: CareerGoal) -> scoring.Weights:
    """The goal's weights; falls back to equal weights if the stored ones are all zero.

    The one place a goal becomes ranking weights: the catalog ranking, the comparison
    and the funding-request snapshot all call it.
    """
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


def loggable_credit_types_for_user(*, user: User) -> rules.LoggableCreditTypes:
    """The credit types the user's licences accept (all of them when no licence limits them). One query."""
    accepted = Licence.objects.filter(user=user).values_list("accepted_credit_types", flat=True)
    return rules.loggable_credit_types(accepted)


def shortlisted_program_ids(*, user: User, program_ids: Collection[int] | None = None) -> set[int]:
    """The ids of the programs on the user's shortlist (only among `program_ids` when given): one query."""
    entries = ShortlistEntry.objects.filter(user=user)
    if program_ids is not None:
        entries = entries.filter(program_id__in=program_ids)
    return set(entries.values_list("program_id", flat=True))


@dataclass(frozen=True)
class PlanItem:
    entry: ShortlistEntry
    start: datetime.date | None
    end: datetime.date | None  # the start date when the program states no end
    in_window: bool  # runs during the 12 months of the plan
    counted: bool  # counts toward the budget and leave totals


@dataclass(frozen=True)
class PlanDate:
    """A date the plan is measured against: the next performance review or a licence renewal."""

    kind: str  # "review" or "renewal"
    day: datetime.date
    licence_name: str = ""  # for renewals


@dataclass(frozen=True)
class Plan:
    """Planned and enrolled programs over the next 12 months, against review and renewals.

    Data only; careers.presenters lays it out as the timeline the plan page draws.
    """

    window_start: datetime.date
    window_end: datetime.date  # inclusive
    items: list[PlanItem]
    dates: list[PlanDate]
    fee_total: Decimal
    unknown_fee_titles: list[str]
    leave_total: Decimal


def plan_for_user(*, user: User, entries: list[ShortlistEntry], today: datetime.date | None = None) -> Plan:
    """The planned and enrolled entries over the 12 months from this month: two queries (profile, licences).

    A program counts toward the plan's totals when it runs during the window or
    has no start date (on demand); its full fee and leave days count. What is left
    to spend is the ledger's (supervision.ledger), per policy year.
    """
    today = today or timezone.localdate()
    start = today.replace(day=1)
    end = progress.months_before(start, -12) - datetime.timedelta(days=1)
    profile = ClinicianProfile.objects.filter(user=user).first()
    items: list[PlanItem] = []
    fee_total = Decimal("0")
    leave_total = Decimal("0")
    unknown_fee: list[str] = []
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
        items.append(PlanItem(entry, first_day, last_day, in_window, counted))
    dates: list[PlanDate] = []
    if profile and profile.next_review_date and start <= profile.next_review_date <= end:
        dates.append(PlanDate("review", profile.next_review_date))
    for licence in Licence.objects.filter(user=user, renewal_date__gte=start, renewal_date__lte=end):
        dates.append(PlanDate("renewal", licence.renewal_date, licence_name(licence)))
    return Plan(
        window_start=start,
        window_end=end,
        items=items,
        dates=dates,
        fee_total=fee_total,
        unknown_fee_titles=unknown_fee,
        leave_total=leave_total,
    )


# --- Credits ------------------------------------------------------------------


def credit_claims_for_user(*, user: User) -> list[CreditClaim]:
    """The user's logged credits, newest first, with their amounts: two queries."""
    return list(
        CreditClaim.objects.filter(user=user)
        .select_related("program")
        .prefetch_related(Prefetch("amounts", queryset=CreditAmount.objects.order_by("credit_type")))
    )


def credit_claims_with_details() -> QuerySet[CreditClaim]:
    """Claims with their amounts and shortlist entry, for one claim's page (look it up with owned_or_404)."""
    return CreditClaim.objects.select_related("shortlist_entry").prefetch_related(
        Prefetch("amounts", queryset=CreditAmount.objects.order_by("credit_type"))
    )


def licences_with_topics() -> QuerySet[Licence]:
    """Licences with their mandated topics, for one licence's page (look it up with owned_or_404)."""
    return Licence.objects.prefetch_related("topic_requirements")


def goals_for_user(*, user: User) -> list[CareerGoal]:
    return list(CareerGoal.objects.filter(user=user).order_by("-is_active", "-updated_at", "-pk"))


# --- Calendar feed ------------------------------------------------------------


def calendar_feed_for_token(*, token: str, base_url: str, today: datetime.date | None = None) -> str | None:
    """The iCalendar text for the profile holding this token, or None for an unknown token.

    Planned and enrolled programs with dates, licence renewal deadlines with
    progress against the entered hours, and the next performance review.
    """
    digest = token_presented_digest(token)
    if digest is None:
        return None
    profile = ClinicianProfile.objects.filter(calendar_token_digest=digest).select_related("user").first()
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
                start=cast(datetime.date, program.start_date),  # the query excludes programs without one
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


# --- Transcript import ----------------------------------------------------------------------


def transcript_header_digest(table: transcript.TranscriptTable) -> str:
    """The key a saved mapping is stored under: SHA-256 of the file's header set."""
    return hashlib.sha256(table.header_key.encode()).hexdigest()


@dataclass(frozen=True)
class TranscriptMappingChoice:
    mapping: dict[str, int | None]
    date_order: str
    saved: bool  # from the clinician's saved mapping for this header set (else guessed)


def transcript_mapping_for(*, user: User, table: transcript.TranscriptTable) -> TranscriptMappingChoice:
    """The saved mapping for this header set, or a guess from the header names. One query."""
    saved = TranscriptMapping.objects.filter(user=user, header_key=transcript_header_digest(table)).first()
    if saved is not None:
        return TranscriptMappingChoice(
            mapping=transcript.mapping_from_saved(table.header, saved.columns), date_order=saved.date_order, saved=True
        )
    return TranscriptMappingChoice(mapping=transcript.mapping_guess(table.header), date_order="", saved=False)


def credit_keys_for_user(*, user: User, dates: Iterable[datetime.date]) -> set[transcript.ExistingKey]:
    """(activity, date, credit type, amount) of every credit the user logged on these dates. One query."""
    wanted = sorted(set(dates))
    if not wanted:
        return set()
    amounts = CreditAmount.objects.filter(claim__user=user, claim__completed_on__in=wanted).values_list(
        "claim__title", "claim__provider_name", "claim__completed_on", "credit_type", "amount"
    )
    return {
        (transcript.activity_key(title, provider), day, kind, Decimal(amount).quantize(Decimal("0.01")))
        for title, provider, day, kind, amount in amounts
    }


def transcript_reading(
    *, user: User, table: transcript.TranscriptTable, mapping: dict[str, int | None], date_order: str
) -> transcript.TranscriptReading:
    """Read the file for `user`: their loggable credit types and logged credits decide bad and duplicate rows.

    Two queries whatever the file's size (licences, logged amounts on the file's dates).
    """
    today = timezone.localdate()
    loggable = loggable_credit_types_for_user(user=user).codes
    reading = transcript.transcript_read(
        table, mapping=mapping, date_order=date_order, loggable=loggable, existing_keys=set(), today=today
    )
    dates = [row.completed_on for row in reading.rows if row.completed_on is not None]
    transcript.logged_duplicates_mark(reading, credit_keys_for_user(user=user, dates=dates))
    return reading
