"""The employer CME allowance: what the employer policy grants a clinician this policy year and what is left.

One home for the figure. The team dashboard, funding requests and their decisions,
the clinician's policy page and the catalog ranking (through
`supervision.selectors.ranking_context_for_user`) all read it from here. Depends on
accounts and supervision models only, so every supervision module can import it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from accounts.models import TeamMembership, User

from .models import APPROVED_STATUSES, EmployerCmePolicy, FundingRequest


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


def profession_of(user: User) -> str | None:
    """The profession on the user's clinician profile (expects `clinician_profile` selected); None without one."""
    profile = getattr(user, "clinician_profile", None)
    return profile.profession if profile else None


def policies_for_members(
    *, memberships: Iterable[TeamMembership], professions: dict[int, str | None]
) -> dict[int, EmployerCmePolicy | None]:
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
    found: dict[int, EmployerCmePolicy | None] = {}
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
    professions = {m.user_id: profession_of(m.user) for m in memberships}
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
