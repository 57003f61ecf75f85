"""The ledger of money and paid CME leave: what a clinician has for one program, in one place.

Every page that shows these figures reads them from here: the catalog's fit
badges (through the ranking context), the program page, compare, the 12-month
plan, the funding request form, the clinician's requests and policy pages, the
supervisor's dashboard and request page, and the decision itself. The figures:

- own: the CME budget and leave the clinician entered as still theirs (careers profile);
- employer: the allowance of the policy year the program's costs fall in
  (`allowance.costs_fall_on`), less approved requests and less pending ones, which reserve it;
- plan: programs planned or enrolled in the same year, with no request yet, other than
  this one. They are shown as reserved by the plan but not taken off what is left:
  a plan is an intention, a pending request is a claim.

"Left" is own plus employer left. A program fits the budget when its fee is at
most what is left; the plan's reservation is a note beside it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.models import User
from careers.models import ClinicianProfile, ShortlistEntry
from careers.selectors import PLAN_ACTIVE_STATUSES, Plan
from programs.models import Program
from programs.ranking.fit import costs_fall_on

from .allowance import (
    REQUEST_COSTS_FIELDS,
    Allowance,
    allowances_by_day_for_user,
    employer_allowances_by_day,
    policy_for_user,
)
from .models import APPROVED_STATUSES, EmployerCmePolicy, FundingRequest, RequestStatus

ZERO = Decimal("0")


@dataclass(frozen=True)
class Ledger:
    """Money and paid CME leave for costs falling on `costs_on`."""

    costs_on: datetime.date
    year_start: datetime.date  # the policy year (or, without a policy, the calendar year) of costs_on
    year_end: datetime.date  # exclusive
    own_money: Decimal | None  # None: the clinician has entered no budget
    own_leave: Decimal | None
    allowance: Allowance | None  # None: no employer policy applies
    planned_money: Decimal = ZERO
    planned_leave: Decimal = ZERO
    planned_titles: tuple[str, ...] = ()
    planned_unknown_fee_titles: tuple[str, ...] = ()

    @property
    def year_last_day(self) -> datetime.date:
        return self.year_end - datetime.timedelta(days=1)

    @property
    def employer_money_left(self) -> Decimal | None:
        return self.allowance.amount_remaining if self.allowance else None

    @property
    def employer_leave_left(self) -> Decimal | None:
        return self.allowance.leave_remaining if self.allowance else None

    @property
    def money_left(self) -> Decimal | None:
        """Own budget plus the employer allowance left; None when neither is known."""
        if self.own_money is None and self.allowance is None:
            return None
        return (self.own_money or ZERO) + (self.employer_money_left or ZERO)

    @property
    def leave_left(self) -> Decimal | None:
        if self.own_leave is None and self.allowance is None:
            return None
        return (self.own_leave or ZERO) + (self.employer_leave_left or ZERO)

    @property
    def money_left_after_plan(self) -> Decimal | None:
        return None if self.money_left is None else self.money_left - self.planned_money

    @property
    def leave_left_after_plan(self) -> Decimal | None:
        return None if self.leave_left is None else self.leave_left - self.planned_leave

    def after(self, *, amount: Decimal, leave_days: Decimal) -> tuple[Decimal | None, Decimal | None]:
        """Money and leave left if `amount` and `leave_days` more were granted (may go below zero)."""
        money = None if self.money_left is None else self.money_left - amount
        leave = None if self.leave_left is None else self.leave_left - leave_days
        return money, leave


def _calendar_year(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    return datetime.date(day.year, 1, 1), datetime.date(day.year + 1, 1, 1)


def _ledgers(
    *,
    user: User,
    days: set[datetime.date],
    program_id: int | None,
    today: datetime.date,
    excluding_request_id: int | None = None,
    with_plan: bool = True,
) -> dict[datetime.date, Ledger]:
    """One ledger per costs day asked. Queries: profile, allowance (three), plan (one) — whatever the days."""
    profile = ClinicianProfile.objects.filter(user=user).first()
    allowances = (
        employer_allowances_by_day(days_by_user={user.pk: days}, excluding_request_id=excluding_request_id).get(user.pk)
        or {}
    )
    planned: list[tuple[datetime.date, Program]] = []
    if with_plan and days:
        requested = FundingRequest.objects.filter(
            requester=user,
            program_id=OuterRef("program_id"),
            status__in=[RequestStatus.PENDING, *APPROVED_STATUSES],
        )
        entries = (
            ShortlistEntry.objects.filter(user=user, status__in=PLAN_ACTIVE_STATUSES)
            .exclude(Exists(requested))
            .select_related("program")
            .order_by("program__start_date", "program__title", "pk")
        )
        if program_id is not None:
            entries = entries.exclude(program_id=program_id)
        planned = [
            (costs_fall_on(start_date=entry.program.start_date, today=today), entry.program) for entry in entries
        ]
    return _ledgers_from(profile=profile, days=days, allowances=allowances, planned=planned)


def _ledgers_from(
    *,
    profile: ClinicianProfile | None,
    days: set[datetime.date],
    allowances: dict[datetime.date, Allowance],
    planned: list[tuple[datetime.date, Program]],
) -> dict[datetime.date, Ledger]:
    """The ledger arithmetic: own figures, the allowance of each day's policy year, the plan's reservation."""
    windows = {
        day: (allowances[day].year_start, allowances[day].year_end) if day in allowances else _calendar_year(day)
        for day in days
    }
    result = {}
    for day in days:
        start, end = windows[day]
        in_year = [program for costs_on, program in planned if start <= costs_on < end]
        result[day] = Ledger(
            costs_on=day,
            year_start=start,
            year_end=end,
            own_money=profile.remaining_budget if profile else None,
            own_leave=profile.remaining_leave_days if profile else None,
            allowance=allowances.get(day),
            planned_money=sum(
                (p.fee_amount for p in in_year if p.fee_amount is not None and p.fee_currency == "USD"), ZERO
            ),
            planned_leave=sum((p.leave_days for p in in_year if p.leave_days is not None), ZERO),
            planned_titles=tuple(p.title for p in in_year),
            planned_unknown_fee_titles=tuple(p.title for p in in_year if p.fee_amount is None),
        )
    return result


def ledger_for(
    *,
    user: User,
    program: Program | None = None,
    today: datetime.date | None = None,
    excluding_request_id: int | None = None,
) -> Ledger:
    """The ledger for `program`'s costs (today's when no program). Five queries.

    `excluding_request_id` leaves that pending request out of the reservations, so a
    supervisor sees what is left without it and what approving it would leave.
    """
    today = today or timezone.localdate()
    day = costs_fall_on(start_date=program.start_date if program else None, today=today)
    return _ledgers(
        user=user,
        days={day},
        program_id=program.pk if program else None,
        today=today,
        excluding_request_id=excluding_request_id,
    )[day]


def ledgers_for_days(
    *, user: User, days: set[datetime.date], today: datetime.date | None = None, with_plan: bool = True
) -> dict[datetime.date, Ledger]:
    """Ledgers for many costs days at once (the catalog, the plan): a fixed number of queries.

    `with_plan=False` skips the plan's reservation (the ranking does not use it), one query fewer.
    """
    today = today or timezone.localdate()
    return _ledgers(user=user, days=days, program_id=None, today=today, with_plan=with_plan)


def ledgers_for_ranking(
    *,
    user: User,
    profile: ClinicianProfile | None,
    days: set[datetime.date],
    policy: EmployerCmePolicy | Literal[False] | None = False,
) -> tuple[dict[datetime.date, Ledger], frozenset[int]]:
    """`ledgers_for_days(with_plan=False)` for a profile already read, and the programs already requested.

    The ranking's bulk path: two queries (the employer policy, unless the caller read it with
    `allowance.policy_for_user_annotations`; every pending or approved request of the user, which
    gives both the allowance's figures and the programs whose own request reserves their costs),
    the same arithmetic as every other ledger.
    """
    if policy is False:
        policy = policy_for_user(user_id=user.pk, profession=profile.confirmed_profession if profile else None)
    rows = list(
        FundingRequest.objects.filter(
            requester=user, status__in=[RequestStatus.PENDING, *APPROVED_STATUSES]
        ).values_list(*REQUEST_COSTS_FIELDS)
    )
    allowances = allowances_by_day_for_user(user_id=user.pk, policy=policy, days=days, rows=rows)
    ledgers = _ledgers_from(profile=profile, days=days, allowances=allowances, planned=[])
    return ledgers, frozenset(row[-1] for row in rows)


def ledgers_by_year(*, user: User, days: set[datetime.date], today: datetime.date | None = None) -> list[Ledger]:
    """One ledger per policy year containing any of `days` and today (this year's first): fixed queries."""
    today = today or timezone.localdate()
    by_year: dict[datetime.date, Ledger] = {}
    for _, ledger in sorted(ledgers_for_days(user=user, days=days | {today}, today=today).items()):
        by_year.setdefault(ledger.year_start, ledger)
    return [by_year[start] for start in sorted(by_year)]


def ledgers_for_plan(*, user: User, plan: Plan, today: datetime.date | None = None) -> list[Ledger]:
    """One ledger per policy year the 12-month plan touches (this year's first)."""
    today = today or timezone.localdate()
    days = {costs_fall_on(start_date=item.start, today=today) for item in plan.items if item.counted and item.start}
    return ledgers_by_year(user=user, days=days, today=today)


def program_costs_on(program: Program, *, today: datetime.date | None = None) -> datetime.date:
    return costs_fall_on(start_date=program.start_date, today=today or timezone.localdate())
