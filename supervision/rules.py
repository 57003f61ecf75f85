"""Plausibility rules for what supervision records; forms and services both call them.

Each `*_problem(s)` function returns the message(s) to show, or nothing when the values are plausible.
Pure: no database, so the form, the service and a property test read the same rule.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from programs.ranking.fit import format_amount, format_date

# Caps on one funding request, far above any CME program but below a typing slip
# ($99,999,999 or 400 days). A request above them is refused, not warned about.
MAX_REQUEST_AMOUNT = Decimal("50000")  # USD, each item and their sum
MAX_REQUEST_LEAVE_DAYS = Decimal("30")  # paid leave days, travel included
MAX_TRAVEL_DAYS = Decimal("4")  # days beyond the program's own, e.g. two each way
REQUEST_CURRENCY = "USD"


def policy_confirmed_on_problem(confirmed_on: datetime.date, *, today: datetime.date) -> str | None:
    """A policy is confirmed on a day that has come: today or earlier."""
    if confirmed_on > today:
        return "The date confirmed cannot be in the future."
    return None


# --- Funding requests ------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestCosts:
    """The itemised costs of a funding request, in USD (0 = not asked)."""

    registration: Decimal = Decimal("0")
    travel: Decimal = Decimal("0")
    lodging: Decimal = Decimal("0")
    other: Decimal = Decimal("0")
    other_description: str = ""

    @property
    def total(self) -> Decimal:
        return self.registration + self.travel + self.lodging + self.other

    def items(self) -> list[tuple[str, Decimal, str]]:
        """(kind, amount, description) of each cost asked, in the order shown."""
        rows = [
            ("registration", self.registration, ""),
            ("travel", self.travel, ""),
            ("lodging", self.lodging, ""),
            ("other", self.other, self.other_description.strip()),
        ]
        return [row for row in rows if row[1] > 0]


def amount_requested(costs: RequestCosts, amount: Decimal | None) -> Decimal:
    """The amount a request asks: as entered, or the sum of the costs when left empty.

    Call it on figures funding_request_problems accepted (it bounds them first).
    """
    return costs.total if amount is None else amount


@dataclass(frozen=True)
class ProgramTerms:
    """What a program states that bounds a request: its fee and its days."""

    fee_amount: Decimal | None
    fee_currency: str
    leave_days: Decimal | None
    start_date: datetime.date | None
    end_date: datetime.date | None

    @property
    def fee_comparable(self) -> bool:
        """The fee is stated in the currency requests are made in, so registration can be held to it."""
        return self.fee_amount is not None and self.fee_currency.upper() == REQUEST_CURRENCY

    @property
    def own_days(self) -> Decimal | None:
        """The days the program itself takes away from practice.

        Its stated leave days; when it states none, its calendar days (first to last day,
        both counted); None for an on-demand program without either.
        """
        if self.leave_days is not None:
            return self.leave_days
        if self.start_date is not None:
            end = self.end_date or self.start_date
            return Decimal((end - self.start_date).days + 1)
        return None


def leave_days_ceiling(terms: ProgramTerms, *, travel_days: Decimal) -> Decimal:
    """The most paid leave one request for this program may ask: its own days plus travel, within the cap."""
    own = terms.own_days
    if own is None:
        return MAX_REQUEST_LEAVE_DAYS
    return min(MAX_REQUEST_LEAVE_DAYS, own + travel_days)


def days_text(value: Decimal) -> str:
    """A number of days as people write it: "1 day", "2 days", "1.5 days"."""
    return f"{format_amount(value)} day{'' if value == 1 else 's'}"


def pending_duplicate_problem(*, request_id: int, asked_on: datetime.date) -> str:
    """Why a second pending request for the same program is refused."""
    return (
        f"You already have a pending request for this program (request #{request_id}, asked on "
        f"{format_date(asked_on)}). Wait for the decision, or withdraw that request to ask again."
    )


@dataclass(frozen=True)
class RequestProblem:
    field: str | None  # the form field it belongs to; None for the request as a whole
    message: str


def funding_request_problems(
    *,
    costs: RequestCosts,
    amount: Decimal | None,
    leave_days: Decimal,
    travel_days: Decimal,
    terms: ProgramTerms,
) -> list[RequestProblem]:
    """Every reason to refuse these figures for this program; empty when they are plausible.

    `amount` None asks for the sum of the costs (see amount_requested).

    Refused: a negative figure; nothing asked; an item, the sum of items or the amount over
    MAX_REQUEST_AMOUNT; an "other" cost without a description; an amount above the itemised
    costs; registration above the program's fee (when stated in USD); travel days over
    MAX_TRAVEL_DAYS; leave beyond the program's own days plus travel days (see
    ProgramTerms.own_days), and never over MAX_REQUEST_LEAVE_DAYS.
    """
    problems: list[RequestProblem] = []
    money = {
        "registration": costs.registration,
        "travel": costs.travel,
        "lodging": costs.lodging,
        "other": costs.other,
        **({"amount": amount} if amount is not None else {}),
    }
    days = {"leave_days": leave_days, "travel_days": travel_days}
    for name, value in {**money, **days}.items():
        if value < 0:
            problems.append(RequestProblem(name, "Cannot be negative."))
        elif name in money and value > MAX_REQUEST_AMOUNT:
            problems.append(RequestProblem(name, f"At most ${MAX_REQUEST_AMOUNT:,.0f} in one request."))
        elif name == "leave_days" and value > MAX_REQUEST_LEAVE_DAYS:
            problems.append(
                RequestProblem(name, f"At most {days_text(MAX_REQUEST_LEAVE_DAYS)} of leave in one request.")
            )
        elif name == "travel_days" and value > MAX_TRAVEL_DAYS:
            problems.append(RequestProblem(name, f"At most {days_text(MAX_TRAVEL_DAYS)} of travel in one request."))
    if problems:  # out of range: the sums below would mean nothing (or overflow)
        return problems
    amount = amount_requested(costs, amount)
    if amount == 0 and leave_days == 0:
        problems.append(RequestProblem(None, "Ask for an amount, paid leave days, or both."))
    if costs.other > 0 and not costs.other_description.strip():
        problems.append(RequestProblem("other_description", "Say what the other cost is."))
    total = costs.total
    if total > MAX_REQUEST_AMOUNT:
        problems.append(
            RequestProblem(
                None, f"The costs add up to ${total:,.2f}; one request covers at most ${MAX_REQUEST_AMOUNT:,.0f}."
            )
        )
    if amount > total:
        problems.append(
            RequestProblem(
                "amount",
                f"The amount requested (${amount:,.2f}) is more than the itemised costs (${total:,.2f}). "
                "Itemise what the money pays for; the amount may be less, never more.",
            )
        )
    if terms.fee_comparable and terms.fee_amount is not None and costs.registration > terms.fee_amount:
        fee = "free" if terms.fee_amount == 0 else f"${terms.fee_amount:,.2f}"
        problems.append(
            RequestProblem(
                "registration",
                f"Registration (${costs.registration:,.2f}) is more than the program's stated fee ({fee}).",
            )
        )
    own = terms.own_days
    if own is not None and leave_days > own + travel_days:
        source = "its stated leave" if terms.leave_days is not None else "first to last day"
        problems.append(
            RequestProblem(
                "leave_days",
                f"{days_text(leave_days)} of leave is more than the program's {days_text(own)} ({source}) "
                f"plus {days_text(travel_days)} of travel. Give the travel days you need, up to "
                f"{days_text(MAX_TRAVEL_DAYS)}.",
            )
        )
    return problems


# --- Team enrolment ------------------------------------------------------------------------


def not_interprofessional_problem(*, title: str, professions: int) -> str:
    """Why a program cannot be proposed to a team: its audience names fewer than two professions."""
    named = "no profession (open to all)" if professions == 0 else "one profession"
    return (
        f"“{title}” is not designed for several professions: its audience names {named}. "
        "Team enrolment is for interprofessional activities, designed for two professions or more."
    )
