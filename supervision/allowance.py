"""The employer CME allowance: what the employer policy grants a clinician in a policy year and what is left.

A request's costs fall on one day (`FundingRequest.costs_on`: the program's start,
or the day of asking when it is on demand or already running), and count in the
policy year containing that day: approved requests use the allowance, pending ones
reserve it. `supervision.ledger` adds the clinician's own budget and plan to this
and is what pages read. Depends on accounts, supervision and careers models (and the pure rule
`programs.ranking.fit.costs_fall_on`, the rule for `costs_on`) only, so every supervision module can import it.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import JSONField, Model, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from accounts.models import Team, TeamMembership, User
from careers.models import ClinicianProfile

from .models import APPROVED_STATUSES, EmployerCmePolicy, FundingRequest, RequestStatus


@dataclass(frozen=True)
class Allowance:
    """What the employer policy grants in one policy year, what approvals used, what pending requests reserve."""

    policy: EmployerCmePolicy
    year_start: datetime.date
    year_end: datetime.date  # exclusive
    amount_total: Decimal
    amount_used: Decimal
    leave_total: Decimal
    leave_used: Decimal
    amount_pending: Decimal = Decimal("0")
    leave_pending: Decimal = Decimal("0")

    @property
    def year_last_day(self) -> datetime.date:
        return self.year_end - datetime.timedelta(days=1)

    @property
    def amount_left_after_approvals(self) -> Decimal:
        """Left if every pending request were declined: what a decision checks against."""
        return max(Decimal("0"), self.amount_total - self.amount_used)

    @property
    def leave_left_after_approvals(self) -> Decimal:
        return max(Decimal("0"), self.leave_total - self.leave_used)

    @property
    def amount_remaining(self) -> Decimal:
        """Left after approvals and pending requests (never below zero)."""
        return max(Decimal("0"), self.amount_total - self.amount_used - self.amount_pending)

    @property
    def leave_remaining(self) -> Decimal:
        return max(Decimal("0"), self.leave_total - self.leave_used - self.leave_pending)


def _decimal(value: Decimal | None) -> Decimal:
    """A sum from the database: None (nothing summed) is zero; SQLite's float-backed sums back to cents."""
    return Decimal("0") if value is None else Decimal(value).quantize(Decimal("0.01"))


def policy_year(*, start_month: int, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """[start, end) of the policy year containing `today`."""
    year = today.year if today.month >= start_month else today.year - 1
    return datetime.date(year, start_month, 1), datetime.date(year + 1, start_month, 1)


def profession_of(user: User) -> str | None:
    """The profession in force for policy and equity: the one a supervisor or curator confirmed.

    Never the profession the clinician merely states (a clinician would otherwise pick their
    own policy). None without a profile or before any confirmation. Expects `clinician_profile` selected.
    """
    profile = getattr(user, "clinician_profile", None)
    return (profile.confirmed_profession or None) if profile else None


@dataclass(frozen=True)
class MemberScope:
    """Where a current member's policy comes from: their team, its organization, their confirmed profession."""

    user_id: int
    team_id: int
    organization_id: int
    profession: str | None


def policies_for_members(*, members: Iterable[MemberScope]) -> dict[int, EmployerCmePolicy | None]:
    """The policy applying to each member (team policy first, then organization), in one query."""
    members = list(members)
    if not members:
        return {}
    team_ids = {m.team_id for m in members}
    org_ids = {m.organization_id for m in members}
    policies = list(
        EmployerCmePolicy.objects.filter(Q(team_id__in=team_ids) | Q(organization_id__in=org_ids, team__isnull=True))
    )
    by_team = {(p.team_id, p.profession): p for p in policies if p.team_id}
    by_org = {(p.organization_id, p.profession): p for p in policies if p.organization_id}
    found: dict[int, EmployerCmePolicy | None] = {}
    for member in members:
        if not member.profession:
            found[member.user_id] = None
            continue
        found[member.user_id] = by_team.get((member.team_id, member.profession)) or by_org.get(
            (member.organization_id, member.profession)
        )
    return found


def member_scopes(*, user_ids: Iterable[int]) -> list[MemberScope]:
    """The users' current memberships with their confirmed profession (as `profession_of` reads it). One query,
    plain values: no model instances for a team's worth of members."""
    rows = (
        TeamMembership.objects.current()
        .filter(user_id__in=list(user_ids))
        .values_list("user_id", "team_id", "team__organization_id", "user__clinician_profile__confirmed_profession")
    )
    # profession_of's rule: the confirmed profession, or None (no profile, or none confirmed yet).
    return [MemberScope(user_id, team_id, org_id, confirmed or None) for user_id, team_id, org_id, confirmed in rows]


def employer_allowances_for_users(
    *,
    user_ids: Iterable[int],
    today: datetime.date | None = None,
    on: datetime.date | None = None,
    excluding_request_id: int | None = None,
    scopes: list[MemberScope] | None = None,
) -> dict[int, Allowance | None]:
    """Each user's employer allowance in the policy year containing `on` (default today); None without a policy.

    `excluding_request_id` leaves one pending request out of the reservations (the one
    being decided). Three queries whatever the number of users; two when the caller
    already read the users' `scopes` (as `member_scopes` gives them).
    """
    on = on or today or timezone.localdate()
    return {
        user_id: by_year.get(on) if by_year is not None else None
        for user_id, by_year in employer_allowances_by_day(
            days_by_user={user_id: {on} for user_id in user_ids},
            excluding_request_id=excluding_request_id,
            scopes=scopes,
        ).items()
    }


def employer_allowances_by_day(
    *,
    days_by_user: dict[int, set[datetime.date]],
    excluding_request_id: int | None = None,
    scopes: list[MemberScope] | None = None,
) -> dict[int, dict[datetime.date, Allowance] | None]:
    """For each user and each day asked, the allowance of the policy year containing that day. Three queries
    (two with `scopes`).

    None for a user without a policy. Requests count in the year their costs fall in.
    """
    user_ids = list(days_by_user)
    policies = policies_for_members(members=scopes if scopes is not None else member_scopes(user_ids=user_ids))
    years: dict[int, dict[datetime.date, tuple[datetime.date, datetime.date]]] = {}
    for user_id, policy in policies.items():
        if policy is not None:
            years[user_id] = {
                day: policy_year(start_month=policy.year_starts_month, today=day) for day in days_by_user[user_id]
            }
    rows: list[RequestCosts] = []
    spans = [span for by_day in years.values() for span in by_day.values()]
    if spans:
        requests = FundingRequest.objects.filter(
            requester_id__in=list(years),
            status__in=[*APPROVED_STATUSES, RequestStatus.PENDING],
            costs_on__gte=min(start for start, _ in spans),
            costs_on__lt=max(end for _, end in spans),
        )
        if excluding_request_id is not None:
            requests = requests.exclude(pk=excluding_request_id)
        rows = list(requests.values_list(*REQUEST_COSTS_FIELDS))
    result: dict[int, dict[datetime.date, Allowance] | None] = dict.fromkeys(user_ids)
    result.update(_allowances(policies=policies, years=years, rows=rows))
    return result


# What a request reserves or uses, as `FundingRequest.values_list(*REQUEST_COSTS_FIELDS)` gives it.
REQUEST_COSTS_FIELDS = (
    "requester_id",
    "costs_on",
    "status",
    "amount_approved",
    "leave_days_approved",
    "amount_requested",
    "leave_days_requested",
    "program_id",
)
RequestCosts = tuple[int, datetime.date, str, Decimal, Decimal, Decimal, Decimal, int]


def _allowances(
    *,
    policies: dict[int, EmployerCmePolicy | None],
    years: dict[int, dict[datetime.date, tuple[datetime.date, datetime.date]]],
    rows: Iterable[RequestCosts],
) -> dict[int, dict[datetime.date, Allowance]]:
    """The arithmetic of the allowance: per user with a policy and per day, the policy year's figures.

    Approved requests use the allowance of the policy year their costs fall in; pending ones reserve it.
    Rows of users without a policy, or outside every year asked, count for nothing.
    """
    spans = {(user_id, start) for user_id, by_day in years.items() for start, _ in by_day.values()}
    totals: dict[tuple[int, datetime.date], list[Decimal]] = {}  # (user, year start) -> used, used leave, pending...
    for requester_id, costs_on, status, approved, leave_approved, requested, leave_requested, _ in rows:
        policy = policies.get(requester_id)
        if policy is None:
            continue
        start, _ = policy_year(start_month=policy.year_starts_month, today=costs_on)
        if (requester_id, start) not in spans:
            continue
        figures = totals.setdefault((requester_id, start), [Decimal("0")] * 4)
        if status == RequestStatus.PENDING:
            figures[2] += requested
            figures[3] += leave_requested
        elif status in APPROVED_STATUSES:
            figures[0] += approved
            figures[1] += leave_approved
    result: dict[int, dict[datetime.date, Allowance]] = {}
    for user_id, by_day in years.items():
        policy = policies[user_id]
        assert policy is not None
        found: dict[datetime.date, Allowance] = {}
        for day, (start, end) in by_day.items():
            used, leave_used, pending, leave_pending = totals.get((user_id, start), [Decimal("0")] * 4)
            found[day] = Allowance(
                policy=policy,
                year_start=start,
                year_end=end,
                amount_total=policy.yearly_reimbursement_amount,
                amount_used=used,
                leave_total=policy.paid_leave_days,
                leave_used=leave_used,
                amount_pending=pending,
                leave_pending=leave_pending,
            )
        result[user_id] = found
    return result


def policy_for_user(*, user_id: int, profession: str | None) -> EmployerCmePolicy | None:
    """The policy applying to one user with this confirmed profession, as `policies_for_members` picks it.

    Their current team's policy for the profession, else their organization's. One query.
    """
    if not profession:
        return None
    current = TeamMembership.objects.current().filter(user_id=user_id)
    policies = list(
        EmployerCmePolicy.objects.filter(profession=profession)
        .filter(
            Q(team_id__in=current.values("team_id"))
            | Q(team__isnull=True, organization_id__in=current.values("team__organization_id"))
        )
        .order_by("pk")
    )
    return next((policy for policy in policies if policy.team_id), None) or next(iter(policies), None)


# The policy columns the allowance and the ledger read; a policy read inside another query holds these only
# (any other field is deferred: reading it costs a query, as for any deferred field).
POLICY_ALLOWANCE_FIELDS = (
    "id",
    "team_id",
    "organization_id",
    "profession",
    "yearly_reimbursement_amount",
    "paid_leave_days",
    "year_starts_month",
)
_POLICY_ANNOTATION = "policy_for_user_row"


def policy_for_user_annotations(*, model: type[Model], user_field: str) -> dict[str, RawSQL]:
    """An annotation that reads, inside a query of another model, the policy `policy_for_user` picks for its user.

    `model` is that query's model and `user_field` its column holding the user's id (CareerGoal, "user_id").
    The same rule as `policy_for_user` (tests/supervision/test_policy_in_another_query.py holds them equal):
    the profession a supervisor confirmed on the user's profile (none confirmed: no policy), their current
    team's policy for it, else their organization's, the lowest id first. Written in SQL because the ORM
    spent milliseconds compiling the nested subqueries on every ranked page: one subquery giving the row as a
    JSON object, every value as text so decimals stay exact. Give the annotated row to `policy_from_annotations`.
    """
    quote = connection.ops.quote_name
    user_column = f"{quote(model._meta.db_table)}.{quote(user_field)}"
    policy, profile = quote(EmployerCmePolicy._meta.db_table), quote(ClinicianProfile._meta.db_table)
    membership, team = quote(TeamMembership._meta.db_table), quote(Team._meta.db_table)
    build = "JSONB_BUILD_OBJECT" if connection.vendor == "postgresql" else "JSON_OBJECT"
    values = ", ".join(f"'{name}', CAST(p.{quote(name)} AS TEXT)" for name in POLICY_ALLOWANCE_FIELDS)
    # One current membership per user (constraint membership_one_current_team), so the joins give one row per policy.
    sql = (
        f"SELECT {build}({values}) FROM {policy} p "  # noqa: S608 - names from the models, no input
        f"JOIN {profile} cp ON cp.user_id = {user_column} AND cp.confirmed_profession = p.profession "
        f"JOIN {membership} m ON m.user_id = {user_column} AND m.ended_at IS NULL "
        f"JOIN {team} t ON t.id = m.team_id "
        "WHERE cp.confirmed_profession <> '' "
        "AND (p.team_id = m.team_id OR (p.team_id IS NULL AND p.organization_id = t.organization_id)) "
        "ORDER BY CASE WHEN p.team_id IS NULL THEN 1 ELSE 0 END, p.id LIMIT 1"
    )
    return {_POLICY_ANNOTATION: RawSQL(f"({sql})", (), output_field=JSONField())}  # noqa: S611 - no input in it


def policy_from_annotations(row: object) -> EmployerCmePolicy | None:
    """The policy read by `policy_for_user_annotations` on `row`, or None when no policy applies."""
    read: dict[str, str | None] | str | None = getattr(row, _POLICY_ANNOTATION)
    found: dict[str, str | None] | None = json.loads(read) if isinstance(read, str) else read  # SQLite: text
    if found is None:
        return None
    fields = [field for field in EmployerCmePolicy._meta.concrete_fields if field.attname in POLICY_ALLOWANCE_FIELDS]
    # from_db takes the values of a partial row in the model's field order.
    values = [None if found[field.attname] is None else field.to_python(found[field.attname]) for field in fields]
    return EmployerCmePolicy.from_db(None, [field.attname for field in fields], values)


def allowances_by_day_for_user(
    *, user_id: int, policy: EmployerCmePolicy | None, days: set[datetime.date], rows: Iterable[RequestCosts]
) -> dict[datetime.date, Allowance]:
    """`employer_allowances_by_day` for one user whose policy and request rows the caller already read.

    `rows` are the user's pending and approved requests (any costs day); no query.
    """
    if policy is None:
        return {}
    years = {user_id: {day: policy_year(start_month=policy.year_starts_month, today=day) for day in days}}
    return _allowances(policies={user_id: policy}, years=years, rows=rows).get(user_id, {})


def employer_allowance_for_user(
    *,
    user: User,
    today: datetime.date | None = None,
    on: datetime.date | None = None,
    excluding_request_id: int | None = None,
) -> Allowance | None:
    """The employer policy that applies to the user (team over organization) and what is left of it on `on`."""
    return employer_allowances_for_users(
        user_ids=[user.pk], today=today, on=on, excluding_request_id=excluding_request_id
    ).get(user.pk)
