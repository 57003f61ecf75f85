"""Read functions for supervision: who may see what, policies and allowances, the team dashboard, equity."""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal
from typing import Any, Literal, cast

from django.db import connection
from django.db.models import (
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import Team, TeamMembership, User
from careers.models import (
    CareerGoal,
    ClinicianProfile,
    CreditClaim,
    ShortlistEntry,
    ShortlistStatus,
    stated_profession_pending,
)
from careers.selectors import (
    LicenceHours,
    MoneySituation,
    RankingContext,
    active_goal_for_user,
    activities_last_12_months_count,
    goal_criteria,
    goal_weights,
    licence_hours_for_users,
    ranking_context_with_profile,
)
from outcomes.models import ProgramOutcomeEvidence
from outcomes.presenters import evidence_line
from programs.catalog_version import version_annotations, version_token
from programs.choices import Profession
from programs.models import Program
from programs.presenters import claims_snapshot
from programs.ranking import fit, scoring
from programs.ranking.fit import format_date
from programs.selectors import program_signals

from . import disclosure, equity, rules
from .allowance import (
    Allowance,
    MemberScope,
    employer_allowance_for_user,
    employer_allowances_for_users,
    policy_for_user_annotations,
    policy_from_annotations,
)
from .ledger import ledgers_for_ranking
from .models import (
    APPROVED_STATUSES,
    DECIDED_STATUSES,
    FOLLOW_UP_MONTHS,
    EmployerCmePolicy,
    EnrolmentProposal,
    FundingRequest,
    Invitation,
    PracticeFollowUp,
    ProposalStatus,
    Reminder,
    ReminderKind,
    ReminderPreference,
    RequestStatus,
    follow_up_subject,
)

AT_RISK_DAYS = 90
PROFESSION_CHOICE_LABELS: dict[str, str] = {str(code): str(label) for code, label in Profession.choices}
RANKED_YEARS = 6  # policy years the catalog checks money against: this one and the next five


# --- Who may see what -------------------------------------------------------


def program_on_record(*, user: User, program_id: int) -> bool:
    """Whether the user has this program in their plan, a credit claim or a funding request. One query."""
    held = (
        Exists(ShortlistEntry.objects.filter(user=user, program_id=OuterRef("pk")))
        | Exists(CreditClaim.objects.filter(user=user, program_id=OuterRef("pk")))
        | Exists(FundingRequest.objects.filter(requester=user, program_id=OuterRef("pk")))
    )
    return Program.objects.filter(held, pk=program_id).exists()


def teams_supervised_by(*, supervisor: User) -> QuerySet[Team]:
    """Teams the user leads, with their organization."""
    if not supervisor.is_authenticated or not supervisor.is_supervisor:
        return Team.objects.none()
    return Team.objects.filter(supervisors=supervisor).select_related("organization").order_by("name", "id")


def team_member_for_supervisor(*, team: Team, user_id: int) -> User | None:
    """A current member of the team, else None."""
    membership = TeamMembership.objects.current().filter(team=team, user_id=user_id).select_related("user").first()
    return membership.user if membership else None


def funding_requests_visible_to_supervisor(*, supervisor: User) -> QuerySet[FundingRequest]:
    """Requests made in a team the user leads, by someone who is still a current member of it."""
    if not supervisor.is_authenticated or not supervisor.is_supervisor:
        return FundingRequest.objects.none()
    return FundingRequest.objects.filter(
        team__supervisors=supervisor,
        requester__team_memberships__team=F("team"),
        requester__team_memberships__ended_at__isnull=True,
    ).distinct()


def funding_request_for_viewer(*, viewer: User, request_id: int) -> FundingRequest | None:
    """The request when the viewer made it or supervises the requester's team; None otherwise."""
    base = FundingRequest.objects.select_related("requester", "program__provider", "team", "decided_by")
    own = base.filter(pk=request_id, requester=viewer).first()
    if own is not None:
        return own
    if funding_requests_visible_to_supervisor(supervisor=viewer).filter(pk=request_id).exists():
        return base.get(pk=request_id)
    return None


def funding_requests_for_requester(*, user: User) -> QuerySet[FundingRequest]:
    """The user's requests, newest first (ties by id, so pages never overlap)."""
    return (
        FundingRequest.objects.filter(requester=user)
        .select_related("program", "decided_by")
        .order_by("-created_at", "-id")
    )


def shortlist_for_request(*, user: User) -> QuerySet[ShortlistEntry]:
    """Shortlisted programs a clinician may ask funding for: still in the catalog, not completed or dropped."""
    return (
        ShortlistEntry.objects.filter(user=user, program__in=Program.objects.visible_in_catalog().values("pk"))
        .exclude(status__in=[ShortlistStatus.COMPLETED, ShortlistStatus.DROPPED])
        .select_related("program")
        .order_by("program__title", "id")
    )


class ProgramNotRequestable(Exception):
    """The user may see the program (it is on their record), but funding can no longer be asked for it."""

    def __init__(self, program: Program, message: str) -> None:
        super().__init__(message)
        self.program = program


def program_for_request(*, user: User, program_id: int, today: datetime.date | None = None) -> Program:
    """The program a clinician asks funding for: published and not over (what the catalog shows).

    Raises Program.DoesNotExist for an id the user may not see, as the program page does
    (unknown, or unpublished or past and not on their record), and ProgramNotRequestable,
    with the reason, for a past or unpublished program they have on record.
    """
    today = today or timezone.localdate()
    found = Program.objects.published().current(today=today).select_related("provider").filter(pk=program_id).first()
    if found is not None:
        return found
    if not program_on_record(user=user, program_id=program_id):
        raise Program.DoesNotExist
    program = Program.objects.get(pk=program_id)
    if program.end_date is not None and program.end_date < today:
        reason = f"ended on {format_date(program.end_date)}"
    else:
        reason = "is no longer published in the catalog"
    raise ProgramNotRequestable(
        program, f"“{program.title}” {reason}: funding can be asked only for a program still to come or under way."
    )


def program_terms(program: Program) -> rules.ProgramTerms:
    """What the program states that bounds a request (fee, leave days, dates), for supervision.rules."""
    return rules.ProgramTerms(
        fee_amount=program.fee_amount,
        fee_currency=program.fee_currency,
        leave_days=program.leave_days,
        start_date=program.start_date,
        end_date=program.end_date,
    )


def request_prefill(program: Program) -> dict[str, Decimal]:
    """The request form's starting figures: the stated fee as registration (when in USD), the stated leave days."""
    terms = program_terms(program)
    initial: dict[str, Decimal] = {}
    if terms.fee_comparable and program.fee_amount:
        initial["registration"] = program.fee_amount
    if program.leave_days is not None:
        initial["leave_days"] = program.leave_days
    return initial


def pending_request_for_program(*, user: User, program_id: int) -> FundingRequest | None:
    """The user's pending request for this program, if any (there is at most one)."""
    return FundingRequest.objects.filter(requester=user, program_id=program_id, status=RequestStatus.PENDING).first()


# --- Policy and allowance ---------------------------------------------------


def ranking_context_for_user(*, user: User | None, today: datetime.date | None = None) -> RankingContext | None:
    """The goal, weights and fit-constraint situation of a clinician, or None without an active goal.

    The money and leave are the ledger's (supervision.ledger) for this policy year and
    the next five, so each program is checked against the year its costs fall in.
    Composed here because supervision is the layer that may see both careers and
    the allowance. Four queries whatever the clinician has: the active goal with the
    profile, the employer policy and the catalog version (read with it, so a ranked page
    pays no query for them); the pending and approved requests; the licences with their
    topic requirements; their credit in the current cycles. One without an active goal.
    Pages call `ranking_context_for_request`, which reads it once per request.
    """
    return _ranking_context_read(user=user, today=today)[0]


def _ranking_context_read(
    *, user: User | None, today: datetime.date | None
) -> tuple[RankingContext | None, int | None]:
    """`ranking_context_for_user`, and the user's unread notification count read with the goal (None without one)."""
    if user is None or not user.is_authenticated:
        return None, None
    today = today or timezone.localdate()
    goal = (
        CareerGoal.objects.filter(user=user, is_active=True)
        .select_related("user__clinician_profile")
        .annotate(
            **version_annotations(),
            **policy_for_user_annotations(model=CareerGoal, user_field="user_id"),
            notifications_unread=_unread_count_of(OuterRef("user_id")),
        )
        .first()
    )
    if goal is None:
        return None, None
    profile = getattr(goal.user, "clinician_profile", None)
    annotated = cast(Any, goal)  # the annotations above
    context = ranking_context_with_profile(
        goal=goal,
        profile=profile,
        user=user,
        money=money_situation(user=user, today=today, profile=profile, policy=policy_from_annotations(goal)),
        today=today,
        catalog_version=version_token(annotated.catalog_version, annotated.catalog_changed_here),
    )
    return context, annotated.notifications_unread


_REQUEST_MEMO = "_ranking_context_memo"
_UNREAD_MEMO = "_notifications_unread_memo"


def ranking_context_for_request(request: HttpRequest) -> RankingContext | None:
    """`ranking_context_for_user` for the request's user, assembled at most once per request.

    Kept on the request object (never in the process), so the catalog, its htmx partial, the
    program and compare pages and the API share one assembly path and pay for it once. The
    unread notification count read with the goal is kept too, for the navigation
    (`notifications_unread_for_request`).
    """
    memo: dict[datetime.date, RankingContext | None] | None = getattr(request, _REQUEST_MEMO, None)
    today = timezone.localdate()
    if memo is None or today not in memo:
        context, unread = _ranking_context_read(user=getattr(request, "user", None), today=today)
        memo = {today: context}
        setattr(request, _REQUEST_MEMO, memo)
        if unread is not None:
            setattr(request, _UNREAD_MEMO, unread)
    return memo[today]


def notifications_unread_for_request(request: HttpRequest, *, user: User) -> int:
    """The user's unread notification count for this request's navigation: the one read with the ranking
    context when this request assembled it (no query), else `notifications_unread_count`."""
    found: int | None = getattr(request, _UNREAD_MEMO, None)
    return found if found is not None else notifications_unread_count(user=user)


def money_situation(
    *,
    user: User,
    today: datetime.date,
    profile: ClinicianProfile | bool | None = False,
    policy: EmployerCmePolicy | Literal[False] | None = False,
) -> MoneySituation:
    """The ledger's money and leave per policy year, for this year and the next five, and the programs already
    requested, whose own request reserves their costs (two queries, three without `profile`; one less with
    `policy`, read by the caller with `allowance.policy_for_user_annotations`)."""
    days = {datetime.date(today.year + k, today.month, min(today.day, 28)) for k in range(1, RANKED_YEARS)} | {today}
    if profile is False:
        profile = ClinicianProfile.objects.filter(user=user).first()
    assert profile is None or isinstance(profile, ClinicianProfile)
    ledgers, requested = ledgers_for_ranking(user=user, profile=profile, days=days, policy=policy)
    years: dict[datetime.date, fit.MoneyYear] = {}
    for ledger in ledgers.values():
        years[ledger.year_start] = fit.MoneyYear(
            start=ledger.year_start, end=ledger.year_end, money=ledger.money_left, leave=ledger.leave_left
        )
    last = ledgers[max(ledgers)]
    own, own_leave, allowance = last.own_money, last.own_leave, last.allowance
    if allowance is None:
        beyond_money, beyond_leave = own, own_leave
    else:  # no request reaches this far: the whole allowance
        beyond_money = (own or Decimal("0")) + allowance.amount_total
        beyond_leave = (own_leave or Decimal("0")) + allowance.leave_total
    return MoneySituation(
        years=tuple(years[start] for start in sorted(years)),
        beyond_money=beyond_money,
        beyond_leave=beyond_leave,
        requested_program_ids=requested,
    )


def policies_for_team(*, team: Team) -> list[EmployerCmePolicy]:
    """Team policies and the organization's, with the team ones overriding per profession."""
    policies = EmployerCmePolicy.objects.filter(
        Q(team=team) | Q(organization_id=team.organization_id, team__isnull=True)
    ).select_related("confirmed_by", "team", "organization")
    return sorted(policies, key=lambda p: (p.profession, p.team_id is None))


def policy_document_for_viewer(*, viewer: User, policy_id: int) -> EmployerCmePolicy | None:
    """A policy whose document the viewer may open: supervisors of its scope, clinicians it applies to."""
    policy = EmployerCmePolicy.objects.filter(pk=policy_id).select_related("team").first()
    if policy is None:
        return None
    supervised = teams_supervised_by(supervisor=viewer)
    if policy.team_id and supervised.filter(pk=policy.team_id).exists():
        return policy
    if policy.organization_id and supervised.filter(organization_id=policy.organization_id).exists():
        return policy
    allowance = employer_allowance_for_user(user=viewer) if viewer.is_authenticated else None
    if allowance is not None and allowance.policy.pk == policy.pk:
        return policy
    return None


# --- Request snapshot -------------------------------------------------------


def _outcome_evidence_rows(program: Program) -> list[dict[str, str]]:
    """The program's curated outcome evidence, as plain text for the snapshot.

    Worded by outcomes.presenters.evidence_line, as on the program page: verified rows as a
    reported before/after change (never as proof that the program caused it), unverified
    rows as the provider's claim without its figures. `shown_as` marks rows written with
    this wording (older snapshots are read by supervision.presenters).
    """
    rows = []
    for evidence in ProgramOutcomeEvidence.objects.filter(program=program).order_by("-verified", "id"):
        line = evidence_line(evidence)
        row = {
            "summary": line.text,
            "shown_as": "fact" if line.verified else "claim",
            "source_url": line.source_url,
            "source_text": line.source_text,
            "verified": "yes" if line.verified else "no",
        }
        if line.verified:
            row["moore_level"] = evidence.get_moore_level_display()
        rows.append(row)
    return rows


def program_facts(program: Program) -> dict[str, str | None]:
    """The listing's fee, days, dates and delivery as plain text: kept in a request's snapshot, shown beside it.

    Read by supervision.presenters.program_fact_lines (snapshots before issue 10 hold only
    title, provider, fee_amount, leave_days and start_date).
    """
    location = ", ".join(part for part in (program.location_city, program.location_state) if part)
    return {
        "title": program.title,
        "provider": program.provider.name,
        "fee_amount": str(program.fee_amount) if program.fee_amount is not None else None,
        "fee_currency": program.fee_currency,
        "leave_days": str(program.leave_days) if program.leave_days is not None else None,
        "start_date": program.start_date.isoformat() if program.start_date else None,
        "end_date": program.end_date.isoformat() if program.end_date else None,
        "format": program.get_format_display(),
        "delivery": program.get_delivery_display() if program.delivery else "",
        "location": location,
    }


def funding_request_snapshot(*, program: Program, user: User) -> dict[str, Any]:
    """What the clinician sees about the program when asking: factors, provider claims, outcome evidence, goal link.

    Claims and evidence keep the program page's wording (programs.presenters, outcomes.presenters).
    """
    program = Program.objects.select_related("provider").prefetch_related("credit_offerings").get(pk=program.pk)
    evidence = _outcome_evidence_rows(program)
    signals = program_signals(program)
    goal = active_goal_for_user(user=user)
    if goal is not None:
        scored = scoring.score_program(signals, goal_criteria(goal), goal_weights(goal))
        factors, total = scored.factors, scored.total
    else:
        factors = (
            scoring.outcome_factor(signals),
            scoring.independence_factor(signals),
            scoring.interprofessional_factor(signals),
        )
        total = None
    return {
        "taken_at": timezone.now().isoformat(),
        "program": program_facts(program),
        "total": total,
        "factors": [
            {
                "factor": str(item.factor),
                "label": item.label,
                "score": round(item.score * 100),
                "evidence": list(item.evidence),
                "missing": list(item.missing),
                # Since issue 10: every point with its reason, every missing point with what would earn it.
                "shown": item.shown,
                "reasons": [{"text": r.text, "points": r.points, "shown": r.shown} for r in item.reasons],
                "shortfalls": [{"text": m.text, "points": m.points, "shown": m.shown} for m in item.shortfalls],
            }
            for item in factors
        ],
        "claims": claims_snapshot(program),
        "outcome_evidence": evidence,
        "goal": {"id": goal.pk, "target_role": goal.target_role, "track": goal.get_track_display()} if goal else None,
    }


# --- Team dashboard ---------------------------------------------------------


DASHBOARD_SORTS: dict[str, str] = {
    "name": "Name",
    "profession": "Profession",
    "renewal": "Next renewal",
    "short": "Hours short",
    "funding": "Funding used",
    "pending": "Pending requests",
}


@dataclass(frozen=True)
class MemberAccess:
    """A current member as the equity figures read them (and the dashboard line starts from): who they are,
    their confirmed profession, their CME in the last 12 months, their employer allowance this policy year."""

    user_id: int
    name: str
    email: str
    profession: str  # confirmed ("" when none): what policy and equity follow
    stated_profession: str | None  # None without a profile
    stated_profession_pending: bool
    activities_12_months: int
    allowance: Allowance | None

    @property
    def participated(self) -> bool:
        return self.activities_12_months > 0

    @property
    def funding_used(self) -> Decimal:
        return self.allowance.amount_used if self.allowance else Decimal("0")

    @property
    def leave_used(self) -> Decimal:
        return self.allowance.leave_used if self.allowance else Decimal("0")


@dataclass(frozen=True)
class MemberRow(MemberAccess):
    """One member's line on the team dashboard: their access figures and, beyond them, their licences' hours,
    renewal and pending requests; never private notes or goals."""

    profession_label: str
    licences: list[LicenceHours] = field(default_factory=list)  # renewal order
    days_to_next_renewal: int | None = None
    at_risk: bool = False
    pending_requests: int = 0
    profession_shown: bool = True  # False: a small group's member, whose profession the dashboard withholds
    profession_waiting: str = ""  # a stated profession waiting for confirmation (label), not in force

    @property
    def hours_short_total(self) -> Decimal:
        return sum((line.hours_short for line in self.licences), Decimal("0"))


_ACCESS_FIELDS = tuple(item.name for item in fields(MemberAccess))


def team_member_access(*, team: Team, today: datetime.date | None = None) -> list[MemberAccess]:
    """Every current member's access figures, by name: three queries whatever the team's size and history.

    Read as plain values (no model instances): the memberships with each user's profile and their
    activities counted in SQL, the policies and the requests the allowances sum.
    """
    return _team_member_access_read(team=team, today=today or timezone.localdate(), count_pending=False)[0]


def _team_member_access_read(
    *, team: Team, today: datetime.date, count_pending: bool
) -> tuple[list[MemberAccess], dict[int, int]]:
    """`team_member_access` and, with `count_pending`, each member's pending requests in this team, counted in
    the memberships' query (else an empty dict)."""
    annotations: dict[str, RawSQL] = {
        "activities": activities_last_12_months_count(model=TeamMembership, user_field="user_id", today=today)
    }
    if count_pending:
        annotations["pending"] = _pending_requests_count(team=team)
    memberships = list(
        TeamMembership.objects.current()
        .filter(team=team)
        .annotate(**annotations)
        .order_by("user__full_name", "user__email")
        .values_list(
            "user_id",
            "user__full_name",
            "user__email",
            "user__clinician_profile__id",
            "user__clinician_profile__profession",
            "user__clinician_profile__confirmed_profession",
            "user__clinician_profile__declined_profession",
            *annotations,
        )
    )
    user_ids = [membership[0] for membership in memberships]
    # profession_of's rule: the confirmed profession, or None (no profile, or none confirmed yet).
    scopes = [MemberScope(row[0], team.pk, team.organization_id, row[5] or None) for row in memberships]
    allowances = employer_allowances_for_users(user_ids=user_ids, today=today, scopes=scopes)
    members = [
        MemberAccess(
            user_id=user_id,
            name=full_name or email,  # as User.__str__
            email=email,
            profession=confirmed or "",
            stated_profession=stated if profile_id is not None else None,
            stated_profession_pending=profile_id is not None
            and stated_profession_pending(stated=stated, confirmed=confirmed, declined=declined),
            activities_12_months=activities,
            allowance=allowances.get(user_id),
        )
        for user_id, full_name, email, profile_id, stated, confirmed, declined, activities, *_ in memberships
    ]
    return members, {row[0]: row[8] for row in memberships} if count_pending else {}


def _pending_requests_count(*, team: Team) -> RawSQL:
    """The pending requests in `team` of the member of a TeamMembership query's row, as its annotation. In SQL,
    as `activities_last_12_months_count`: the ORM's subquery cost more to compile than to run."""
    quote = connection.ops.quote_name
    requests, membership = quote(FundingRequest._meta.db_table), quote(TeamMembership._meta.db_table)
    sql = (
        f"(SELECT COUNT(*) FROM {requests} r "  # noqa: S608 - names from the models, no input
        f"WHERE r.{quote('requester_id')} = {membership}.{quote('user_id')} "
        f"AND r.{quote('team_id')} = %s AND r.{quote('status')} = %s)"
    )
    return RawSQL(sql, (team.pk, RequestStatus.PENDING.value), output_field=IntegerField())  # noqa: S611


def team_member_rows(
    *, team: Team, today: datetime.date | None = None, pending: Sequence[PendingRequestRow] | None = None
) -> list[MemberRow]:
    """Every current member's dashboard line: `team_member_access` and, summed in SQL, their licences' hours this
    cycle and their pending requests. Four queries whatever the team's size and history: the pending requests
    are counted in the memberships' query, or from the team's `pending` requests when the caller already read
    them (`pending_requests_for_dashboard`)."""
    today = today or timezone.localdate()
    members, pending_counts = _team_member_access_read(team=team, today=today, count_pending=pending is None)
    user_ids = [member.user_id for member in members]
    if pending is not None:
        pending_counts = Counter(request.requester_id for request in pending)
    progress = licence_hours_for_users(user_ids=user_ids, today=today) if user_ids else {}
    rows = []
    for member in members:
        lines = progress.get(member.user_id, [])
        upcoming = [line.days_to_renewal for line in lines if line.days_to_renewal >= 0]
        stated = member.stated_profession
        not_confirmed = "Not confirmed" if stated is not None else "Not entered"
        waiting = PROFESSION_CHOICE_LABELS.get(stated or "", stated or "") if member.stated_profession_pending else ""
        rows.append(
            MemberRow(
                **{name: getattr(member, name) for name in _ACCESS_FIELDS},
                profession_label=PROFESSION_CHOICE_LABELS.get(member.profession, not_confirmed),
                licences=lines,
                days_to_next_renewal=min(upcoming) if upcoming else None,
                at_risk=any(0 <= line.days_to_renewal <= AT_RISK_DAYS and line.hours_short > 0 for line in lines),
                pending_requests=pending_counts.get(member.user_id, 0),
                profession_waiting=waiting,
            )
        )
    return rows


def dashboard_rows_filtered(
    rows: list[MemberRow],
    *,
    profession: str = "",
    at_risk_only: bool = False,
    sort: str = "name",
    descending: bool = False,
) -> list[MemberRow]:
    """Filter and order dashboard lines (in Python: they are already computed).

    Give it disclosed rows (`dashboard_view` does): it filters and sorts on what the rows show.
    """
    if profession:
        rows = [row for row in rows if row.profession == profession]
    if at_risk_only:
        rows = [row for row in rows if row.at_risk]
    far = 10**6
    keys = {
        "name": lambda r: (r.name.lower(),),
        "profession": lambda r: (r.profession_label, r.name.lower()),
        "renewal": lambda r: (r.days_to_next_renewal if r.days_to_next_renewal is not None else far, r.name.lower()),
        "short": lambda r: (r.hours_short_total, r.name.lower()),
        "funding": lambda r: (r.funding_used, r.name.lower()),
        "pending": lambda r: (r.pending_requests, r.name.lower()),
    }
    return sorted(rows, key=keys.get(sort, keys["name"]), reverse=descending)


def rows_disclosed(rows: list[MemberRow]) -> tuple[list[MemberRow], disclosure.Disclosure]:
    """The rows with the profession withheld for members of groups supervision.disclosure suppresses.

    A withheld row carries no profession code at all, confirmed or stated, so no filter, sort or template can
    reveal it.
    """
    decided = disclosure.disclosure_for_professions(row.profession for row in rows)
    shown = [
        row
        if decided.shows(row.profession)
        else replace(
            row,
            profession="",
            stated_profession=None if row.stated_profession is None else "",
            profession_label=disclosure.PROFESSION_NOT_SHOWN,
            profession_shown=False,
            profession_waiting="another profession" if row.profession_waiting else "",
        )
        for row in rows
    ]
    return shown, decided


@dataclass(frozen=True)
class DashboardView:
    """What the dashboard and the team CSV show: every path of the team's member list goes through here."""

    all_rows: list[MemberRow]  # disclosed, unfiltered
    rows: list[MemberRow]  # disclosed, filtered and sorted
    refused: str = ""  # why the profession filter shows nothing, when it is refused


def dashboard_view(
    rows: list[MemberRow],
    *,
    profession: str = "",
    at_risk_only: bool = False,
    sort: str = "name",
    descending: bool = False,
) -> DashboardView:
    """Disclose, filter and sort the team's rows; a profession filter is refused unless its group is shown.

    A profession absent from the team is refused in the same words as a suppressed one, so the
    answer does not tell them apart. No queries.
    """
    disclosed, decided = rows_disclosed(rows)
    if profession and not decided.shows(profession):
        label = dict(Profession.choices).get(profession, profession)
        return DashboardView(all_rows=disclosed, rows=[], refused=disclosure.filter_refused_text(label))
    filtered = dashboard_rows_filtered(
        disclosed, profession=profession, at_risk_only=at_risk_only, sort=sort, descending=descending
    )
    return DashboardView(all_rows=disclosed, rows=filtered)


def pending_requests_for_team(*, team: Team) -> QuerySet[FundingRequest]:
    return (
        funding_requests_visible_to_supervisor_of_team(team=team)
        .filter(status=RequestStatus.PENDING)
        .select_related("requester", "program")
        .order_by("created_at")
    )


@dataclass(frozen=True)
class PendingRequestRow:
    """A pending request as the dashboard's table words it (supervision.presenters.pending_lines)."""

    request_id: int
    requester_id: int
    requester: str  # as User.__str__
    program_title: str
    amount_requested: Decimal
    leave_days_requested: Decimal
    exceeds_allowance: bool
    created_at: datetime.datetime


def pending_requests_for_dashboard(*, team: Team) -> list[PendingRequestRow]:
    """`pending_requests_for_team`, oldest first, as plain values with only what the dashboard's table words
    (one query, no model instances)."""
    return [
        PendingRequestRow(request_id, requester_id, full_name or email, title, amount, leave, exceeds, created_at)
        for request_id, requester_id, full_name, email, title, amount, leave, exceeds, created_at in (
            pending_requests_for_team(team=team).values_list(
                "id",
                "requester_id",
                "requester__full_name",
                "requester__email",
                "program__title",
                "amount_requested",
                "leave_days_requested",
                "exceeds_allowance",
                "created_at",
            )
        )
    ]


def pending_request_count_of_member(*, team: Team, user: User) -> int:
    """How many of the member's requests in this team wait for a decision (one query)."""
    return pending_requests_for_team(team=team).filter(requester=user).count()


def funding_requests_visible_to_supervisor_of_team(*, team: Team) -> QuerySet[FundingRequest]:
    """The team's requests by people who are still current members."""
    return FundingRequest.objects.filter(
        team=team,
        requester__team_memberships__team=team,
        requester__team_memberships__ended_at__isnull=True,
    )


def profession_changes_waiting(*, team: Team | None = None) -> QuerySet[ClinicianProfile]:
    """Stated professions waiting for confirmation: of the team's current members, or everyone's (curator).

    One query, with the user selected.
    """
    profiles = ClinicianProfile.objects.exclude(profession=F("confirmed_profession")).exclude(
        profession=F("declined_profession")
    )
    if team is not None:
        profiles = profiles.filter(user_id__in=TeamMembership.objects.current().filter(team=team).values("user_id"))
    return profiles.select_related("user").order_by("user__full_name", "user__email")


def open_invitations_for_team(*, team: Team) -> QuerySet[Invitation]:
    return Invitation.objects.filter(team=team, accepted_at__isnull=True, expires_at__gt=timezone.now())


# --- Equity -----------------------------------------------------------------


def team_member_figures(
    *, team: Team, rows: Sequence[MemberAccess] | None = None, today: datetime.date | None = None
) -> list[equity.MemberFigures]:
    """Equity inputs for the team's current members: participation, approvals and decision times.

    `rows`: the equity view's `team_member_access` or the dashboard's `team_member_rows` (the
    same figures). One query beyond the rows: per decided request its requester, status and days to the decision."""
    today = today or timezone.localdate()
    rows = rows if rows is not None else team_member_access(team=team, today=today)
    user_ids = [row.user_id for row in rows]
    # A pre-approval made with an enrolment proposal was never asked for: its money counts (through the
    # allowance, in funding_used), but not as a request decided, nor in the days to a decision.
    asked = FundingRequest.objects.filter(
        team=team, requester_id__in=user_ids, status__in=DECIDED_STATUSES, proposal__isnull=True
    )
    # One narrow row per decided request: the counts and, for the median (no portable SQL median), each duration.
    counts: dict[int, list[int]] = {}  # requester -> [decided, approved]
    durations: dict[int, list[float]] = {}
    for requester_id, status, took in (
        asked.annotate(took=ExpressionWrapper(F("decided_at") - F("created_at"), output_field=DurationField()))
        .order_by("requester_id", "id")
        .values_list("requester_id", "status", "took")
    ):
        tally = counts.setdefault(requester_id, [0, 0])
        tally[0] += 1
        tally[1] += status in APPROVED_STATUSES
        if took is not None:
            durations.setdefault(requester_id, []).append(took.total_seconds() / 86400)
    figures = []
    for row in rows:
        decided, approved = counts.get(row.user_id, (0, 0))
        figures.append(
            equity.MemberFigures(
                profession=row.profession or "not_entered",
                participated=row.participated,
                funding_approved=row.funding_used,
                leave_days_approved=row.leave_used,
                requests_decided=decided,
                requests_approved=approved,
                days_to_decision=tuple(durations.get(row.user_id, ())),
            )
        )
    return figures


# --- Reminders --------------------------------------------------------------


def reminders_for_user(*, user: User) -> QuerySet[Reminder]:
    return Reminder.objects.filter(user=user).order_by("-created_at", "-id")


def reminder_preferences_for_user(*, user: User) -> dict[str, bool]:
    """Every reminder kind with whether the user gets it (on unless switched off)."""
    stored = dict(ReminderPreference.objects.filter(user=user).values_list("kind", "enabled"))
    return {kind: stored.get(kind, True) for kind in ReminderKind.values}


# --- Team enrolment in an interprofessional activity -------------------------

PROPOSABLE_PROGRAMS_SHOWN = 20


def interprofessional_programs(*, query: str = "", today: datetime.date | None = None) -> list[Program]:
    """Published programs still to come or under way, designed for several professions; title search. One query.

    At most PROPOSABLE_PROGRAMS_SHOWN, soonest first (on-demand ones last).
    """
    today = today or timezone.localdate()
    programs = Program.objects.published().current(today=today).designed_for_several_professions()
    if query.strip():
        programs = programs.filter(title__icontains=query.strip())
    return list(
        programs.select_related("provider").order_by(F("start_date").asc(nulls_last=True), "title", "id")[
            :PROPOSABLE_PROGRAMS_SHOWN
        ]
    )


def proposable_program(*, program_id: int, today: datetime.date | None = None) -> Program | None:
    """A published, current program by id, whatever its audience (the service says why it is refused)."""
    today = today or timezone.localdate()
    return Program.objects.published().current(today=today).select_related("provider").filter(pk=program_id).first()


def proposals_sent_by_team(*, team: Team) -> QuerySet[EnrolmentProposal]:
    """The team's proposals to its current members, newest first, with member and program. One query."""
    current = TeamMembership.objects.current().filter(team=team).values("user_id")
    return (
        EnrolmentProposal.objects.filter(team=team, member_id__in=current)
        .select_related("member", "program", "proposed_by")
        .order_by("-created_at", "-id")
    )


def open_proposals_for_member(*, user: User) -> QuerySet[EnrolmentProposal]:
    """Proposals waiting for the member's answer, from the team they are a current member of. One query."""
    current = TeamMembership.objects.current().filter(user=user).values("team_id")
    return (
        EnrolmentProposal.objects.filter(member=user, status=ProposalStatus.PROPOSED, team_id__in=current)
        .select_related("program__provider", "proposed_by", "team")
        .order_by("program__start_date", "program__title", "id")
    )


def open_proposal_count_of_member(*, team: Team, user: User) -> int:
    """How many of the team's proposals to the member wait for their answer (one query)."""
    return EnrolmentProposal.objects.filter(team=team, member=user, status=ProposalStatus.PROPOSED).count()


def accepted_proposal_program_ids(*, user: User) -> set[int]:
    """Programs on the member's plan because they accepted a supervisor's proposal. One query."""
    return set(
        EnrolmentProposal.objects.filter(member=user, status=ProposalStatus.ACCEPTED).values_list(
            "program_id", flat=True
        )
    )


def proposal_for_member(*, user: User, proposal_id: int) -> EnrolmentProposal | None:
    """The member's own proposal (any status); None for anyone else's."""
    return (
        EnrolmentProposal.objects.select_related("program__provider", "proposed_by", "team", "funding_request")
        .filter(pk=proposal_id, member=user)
        .first()
    )


def team_enrolment_counts(*, team: Team, rows: Sequence[MemberAccess] | None = None) -> equity.EnrolmentCounts:
    """Proposals and acceptances by confirmed profession over the team's current members: the one home of
    these figures, read by the dashboard and the equity view. One query beyond the rows."""
    rows = rows if rows is not None else team_member_access(team=team)
    statuses: dict[int, list[str]] = {row.user_id: [] for row in rows}
    for member_id, status in EnrolmentProposal.objects.filter(team=team, member_id__in=list(statuses)).values_list(
        "member_id", "status"
    ):
        statuses[member_id].append(status)
    return equity.enrolment_counts((row.profession, statuses[row.user_id]) for row in rows)


def notifications_unread_count(*, user: User) -> int:
    """How many of the user's notifications are unread: one count on the (user, read_at) index."""
    return Reminder.objects.filter(user=user, read_at__isnull=True).count()


def _unread_count_of(user_id: OuterRef) -> Coalesce:
    """`notifications_unread_count` as an expression inside another query (`user_id` refers to its user)."""
    unread = Reminder.objects.filter(user_id=user_id, read_at__isnull=True).order_by().values("user_id")
    return Coalesce(Subquery(unread.annotate(count=Count("pk")).values("count")), 0)


def follow_up_for_user(*, user: User, entry_id: int, months: int) -> tuple[ShortlistEntry, Reminder] | None:
    """The user's completed shortlist entry and the follow-up reminder they were sent about it.

    None when the entry is not theirs, is no longer completed (undone), or was never asked about
    at this interval: a follow-up exists only for a completion that still stands.
    """
    kind = FOLLOW_UP_MONTHS.get(months)
    if kind is None:
        return None
    entry = (
        ShortlistEntry.objects.filter(pk=entry_id, user=user, status=ShortlistStatus.COMPLETED)
        .select_related("program", "user")
        .first()
    )
    if entry is None or entry.completed_on is None:
        return None
    reminder = (
        Reminder.objects.filter(
            user=user, kind=kind, subject=follow_up_subject(entry_id=entry.pk, completed_on=entry.completed_on)
        )
        .select_related("practice_follow_up")
        .first()
    )
    return None if reminder is None else (entry, reminder)


def practice_follow_up_for_user(*, user: User, follow_up_id: int) -> PracticeFollowUp | None:
    """One of the user's follow-up answers, with its program; None for anyone else's."""
    return PracticeFollowUp.objects.filter(pk=follow_up_id, user=user).select_related("program").first()


def outcome_project_initial_from_follow_up(*, follow_up: PracticeFollowUp) -> dict[str, Any]:
    """Initial values for a new outcome project started from a follow-up answer, linked to its program."""
    return {
        "title": f"Practice change after {follow_up.program.title}"[:200],
        "change_implemented": follow_up.changed,
        "linked_programs": [follow_up.program.pk],
    }
