"""Read functions for supervision: who may see what, policies and allowances, the team dashboard, equity."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from accounts.models import Team, TeamMembership, User
from careers.models import CareerGoal, ShortlistEntry, ShortlistStatus
from careers.progress import LicenceProgress
from careers.selectors import activities_last_12_months_for_users, licence_progress_for_users
from programs import scoring
from programs.choices import Profession
from programs.models import Program
from programs.selectors import program_signals

from . import equity
from .models import (
    APPROVED_STATUSES,
    DECIDED_STATUSES,
    EmployerCmePolicy,
    FundingRequest,
    Invitation,
    Reminder,
    ReminderKind,
    ReminderPreference,
    RequestStatus,
)

AT_RISK_DAYS = 90


# --- Who may see what -------------------------------------------------------


def teams_supervised_by(*, supervisor: User) -> QuerySet[Team]:
    """Teams the user leads, with their organization."""
    if not supervisor.is_authenticated or not supervisor.is_supervisor:
        return Team.objects.none()
    return Team.objects.filter(supervisors=supervisor).select_related("organization").order_by("name", "id")


def team_for_supervisor(*, supervisor: User, team_id: int) -> Team | None:
    """The team when the user supervises it, else None (the view answers 404)."""
    return teams_supervised_by(supervisor=supervisor).filter(pk=team_id).first()


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
    return FundingRequest.objects.filter(requester=user).select_related("program", "decided_by").order_by("-created_at")


def shortlist_for_request(*, user: User) -> QuerySet[ShortlistEntry]:
    """Shortlisted programs a clinician may ask funding for (not completed or dropped)."""
    return (
        ShortlistEntry.objects.filter(user=user)
        .exclude(status__in=[ShortlistStatus.COMPLETED, ShortlistStatus.DROPPED])
        .select_related("program")
        .order_by("program__title")
    )


# --- Policy and allowance ---------------------------------------------------


@dataclass(frozen=True)
class Allowance:
    """What the employer policy grants this policy year, what approvals used and what is left."""

    policy: EmployerCmePolicy
    year_start: datetime.date
    year_end: datetime.date  # exclusive
    amount_total: Decimal
    amount_used: Decimal
    leave_total: Decimal
    leave_used: Decimal

    @property
    def amount_remaining(self) -> Decimal:
        return max(Decimal("0"), self.amount_total - self.amount_used)

    @property
    def leave_remaining(self) -> Decimal:
        return max(Decimal("0"), self.leave_total - self.leave_used)


def policy_year(*, start_month: int, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """[start, end) of the policy year containing `today`."""
    year = today.year if today.month >= start_month else today.year - 1
    return datetime.date(year, start_month, 1), datetime.date(year + 1, start_month, 1)


def _profession_of(user: User) -> str | None:
    profile = getattr(user, "clinician_profile", None)
    return profile.profession if profile else None


def policies_for_members(*, memberships: Iterable[TeamMembership], professions: dict[int, str]) -> dict[int, Any]:
    """The policy applying to each member (team policy first, then organization), in one query."""
    memberships = list(memberships)
    team_ids = {m.team_id for m in memberships}
    org_ids = {m.team.organization_id for m in memberships}
    if not memberships:
        return {}
    policies = list(
        EmployerCmePolicy.objects.filter(Q(team_id__in=team_ids) | Q(organization_id__in=org_ids, team__isnull=True))
    )
    by_team = {(p.team_id, p.profession): p for p in policies if p.team_id}
    by_org = {(p.organization_id, p.profession): p for p in policies if p.organization_id}
    found: dict[int, Any] = {}
    for membership in memberships:
        profession = professions.get(membership.user_id)
        if not profession:
            found[membership.user_id] = None
            continue
        found[membership.user_id] = by_team.get((membership.team_id, profession)) or by_org.get(
            (membership.team.organization_id, profession)
        )
    return found


def employer_allowances_for_users(
    *, user_ids: Iterable[int], today: datetime.date | None = None
) -> dict[int, Allowance | None]:
    """Each user's employer allowance this policy year (None without a policy). A fixed number of queries."""
    today = today or timezone.localdate()
    user_ids = list(user_ids)
    memberships = list(
        TeamMembership.objects.current().filter(user_id__in=user_ids).select_related("team", "user__clinician_profile")
    )
    professions = {m.user_id: _profession_of(m.user) for m in memberships}
    policies = policies_for_members(memberships=memberships, professions=professions)
    years = {
        user_id: policy_year(start_month=policy.year_starts_month, today=today)
        for user_id, policy in policies.items()
        if policy is not None
    }
    used: dict[int, tuple[Decimal, Decimal]] = {}
    if years:
        earliest = min(start for start, _ in years.values())
        rows = FundingRequest.objects.filter(
            requester_id__in=list(years), status__in=APPROVED_STATUSES, decided_at__date__gte=earliest
        ).values_list("requester_id", "decided_at", "amount_approved", "leave_days_approved")
        for requester_id, decided_at, amount, leave in rows:
            start, end = years[requester_id]
            if start <= timezone.localtime(decided_at).date() < end:
                money, days = used.get(requester_id, (Decimal("0"), Decimal("0")))
                used[requester_id] = (money + amount, days + leave)
    result: dict[int, Allowance | None] = dict.fromkeys(user_ids)
    for user_id, policy in policies.items():
        if policy is None:
            continue
        start, end = years[user_id]
        money, days = used.get(user_id, (Decimal("0"), Decimal("0")))
        result[user_id] = Allowance(
            policy=policy,
            year_start=start,
            year_end=end,
            amount_total=policy.yearly_reimbursement_amount,
            amount_used=money,
            leave_total=policy.paid_leave_days,
            leave_used=days,
        )
    return result


def employer_allowance_for_user(*, user: User, today: datetime.date | None = None) -> Allowance | None:
    """The employer policy that applies to the user (team over organization) and what is left of it."""
    return employer_allowances_for_users(user_ids=[user.pk], today=today).get(user.pk)


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
    """The program's published outcome evidence (outcomes app), as plain text for the snapshot.

    Worded as a reported before/after change, never as proof that the program caused it.
    """
    try:
        apps.get_model("outcomes", "ProgramOutcomeEvidence")
    except LookupError:
        return []
    rows = []
    for evidence in program.outcome_evidence.order_by("-verified", "id"):  # type: ignore[attr-defined]
        parts = [f"{evidence.metric}: {evidence.baseline} to {evidence.follow_up}"]
        if evidence.time_window:
            parts.append(f"over {evidence.time_window}")
        if evidence.n:
            parts.append(f"(n = {evidence.n} {evidence.n_unit})".replace(" )", ")"))
        if evidence.significance:
            parts.append(evidence.significance)
        rows.append(
            {
                "summary": " ".join(parts) + " (reported before/after change; not proof of causation)",
                "moore_level": evidence.get_moore_level_display(),
                "source_url": evidence.source_url,
                "verified": "yes" if evidence.verified else "no",
            }
        )
    return rows


def funding_request_snapshot(*, program: Program, user: User) -> dict[str, Any]:
    """What the clinician sees about the program when asking: factors, outcome evidence, goal link."""
    program = Program.objects.select_related("provider").prefetch_related("credit_offerings").get(pk=program.pk)
    evidence = _outcome_evidence_rows(program)
    signals = program_signals(program, has_verified_outcome_evidence=any(r.get("verified") == "yes" for r in evidence))
    goal = CareerGoal.objects.filter(user=user, is_active=True).first()
    if goal is not None:
        criteria = scoring.GoalCriteria(
            track=goal.track,
            competencies=frozenset(goal.competencies),
            essential_competencies=frozenset(goal.essential_competencies),
        )
        weights = scoring.Weights(
            outcome=goal.weight_outcome,
            independence=goal.weight_independence,
            interprofessional=goal.weight_interprofessional,
            career=goal.weight_career,
        )
        scored = scoring.score_program(signals, criteria, weights)
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
        "program": {
            "title": program.title,
            "provider": program.provider.name,
            "fee_amount": str(program.fee_amount) if program.fee_amount is not None else None,
            "leave_days": str(program.leave_days) if program.leave_days is not None else None,
            "start_date": program.start_date.isoformat() if program.start_date else None,
        },
        "total": total,
        "factors": [
            {
                "factor": str(item.factor),
                "label": item.label,
                "score": round(item.score * 100),
                "evidence": list(item.evidence),
                "missing": list(item.missing),
            }
            for item in factors
        ],
        "outcome_evidence": evidence,
        "goal": {"id": goal.pk, "target_role": goal.target_role, "track": goal.get_track_display()} if goal else None,
    }


# --- Team dashboard ---------------------------------------------------------


@dataclass
class LicenceLine:
    licence_id: int
    name: str
    renewal_date: datetime.date
    hours_required: Decimal
    hours_earned: Decimal
    hours_short: Decimal
    days_to_renewal: int


@dataclass
class MemberRow:
    """One member's line on the team dashboard: access figures, never private notes or goals."""

    user_id: int
    name: str
    email: str
    profession: str
    profession_label: str
    activities_12_months: int
    licences: list[LicenceLine] = field(default_factory=list)
    days_to_next_renewal: int | None = None
    at_risk: bool = False
    allowance: Allowance | None = None
    funding_used: Decimal = Decimal("0")
    leave_used: Decimal = Decimal("0")
    pending_requests: int = 0

    @property
    def participated(self) -> bool:
        return self.activities_12_months > 0

    @property
    def hours_short_total(self) -> Decimal:
        return sum((line.hours_short for line in self.licences), Decimal("0"))


DASHBOARD_SORTS: dict[str, str] = {
    "name": "Name",
    "profession": "Profession",
    "renewal": "Next renewal",
    "short": "Hours short",
    "funding": "Funding used",
    "pending": "Pending requests",
}


def _licence_line(item: LicenceProgress) -> LicenceLine:
    return LicenceLine(
        licence_id=item.licence_id,
        name=item.name,
        renewal_date=item.renewal_date,
        hours_required=item.hours_required,
        hours_earned=item.hours_earned,
        hours_short=item.hours_short,
        days_to_renewal=item.days_to_renewal,
    )


def team_member_rows(*, team: Team, today: datetime.date | None = None) -> list[MemberRow]:
    """Every current member's dashboard line, in a fixed number of queries whatever the team size."""
    today = today or timezone.localdate()
    memberships = list(
        TeamMembership.objects.current()
        .filter(team=team)
        .select_related("user__clinician_profile", "team")
        .order_by("user__full_name", "user__email")
    )
    user_ids = [m.user_id for m in memberships]
    activities = activities_last_12_months_for_users(user_ids=user_ids, today=today)
    pending = dict(
        FundingRequest.objects.filter(team=team, requester_id__in=user_ids, status=RequestStatus.PENDING)
        .values("requester_id")
        .annotate(n=Count("id"))
        .values_list("requester_id", "n")
    )
    allowances = employer_allowances_for_users(user_ids=user_ids, today=today)
    progress = licence_progress_for_users(user_ids=user_ids, today=today) if user_ids else {}
    labels = dict(Profession.choices)
    rows = []
    for membership in memberships:
        user = membership.user
        profession = _profession_of(user) or ""
        lines = [_licence_line(item) for item in progress.get(user.pk, [])]
        upcoming = [line.days_to_renewal for line in lines if line.days_to_renewal >= 0]
        allowance = allowances.get(user.pk)
        rows.append(
            MemberRow(
                user_id=user.pk,
                name=str(user),
                email=user.email,
                profession=profession,
                profession_label=labels.get(profession, "Not entered"),
                activities_12_months=activities[user.pk],
                licences=lines,
                days_to_next_renewal=min(upcoming) if upcoming else None,
                at_risk=any(0 <= line.days_to_renewal <= AT_RISK_DAYS and line.hours_short > 0 for line in lines),
                allowance=allowance,
                funding_used=allowance.amount_used if allowance else Decimal("0"),
                leave_used=allowance.leave_used if allowance else Decimal("0"),
                pending_requests=pending.get(user.pk, 0),
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
    """Filter and order dashboard lines (in Python: they are already computed)."""
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


def pending_requests_for_team(*, team: Team) -> QuerySet[FundingRequest]:
    return (
        funding_requests_visible_to_supervisor_of_team(team=team)
        .filter(status=RequestStatus.PENDING)
        .select_related("requester", "program")
        .order_by("created_at")
    )


def funding_requests_visible_to_supervisor_of_team(*, team: Team) -> QuerySet[FundingRequest]:
    """The team's requests by people who are still current members."""
    return FundingRequest.objects.filter(
        team=team,
        requester__team_memberships__team=team,
        requester__team_memberships__ended_at__isnull=True,
    )


def open_invitations_for_team(*, team: Team) -> QuerySet[Invitation]:
    return Invitation.objects.filter(team=team, accepted_at__isnull=True, expires_at__gt=timezone.now())


# --- Equity -----------------------------------------------------------------


def team_member_figures(
    *, team: Team, rows: list[MemberRow] | None = None, today: datetime.date | None = None
) -> list[equity.MemberFigures]:
    """Equity inputs for the team's current members: participation, approvals and decision times."""
    today = today or timezone.localdate()
    rows = rows if rows is not None else team_member_rows(team=team, today=today)
    user_ids = [row.user_id for row in rows]
    decided: dict[int, list[FundingRequest]] = {}
    for req in FundingRequest.objects.filter(team=team, requester_id__in=user_ids, status__in=DECIDED_STATUSES).only(
        "requester_id", "status", "created_at", "decided_at"
    ):
        decided.setdefault(req.requester_id, []).append(req)
    figures = []
    for row in rows:
        requests = decided.get(row.user_id, [])
        figures.append(
            equity.MemberFigures(
                profession=row.profession or "not_entered",
                participated=row.participated,
                funding_approved=row.funding_used,
                leave_days_approved=row.leave_used,
                requests_decided=len(requests),
                requests_approved=sum(1 for r in requests if r.status in APPROVED_STATUSES),
                days_to_decision=tuple(
                    (r.decided_at - r.created_at).total_seconds() / 86400 for r in requests if r.decided_at
                ),
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
