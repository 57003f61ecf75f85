"""The rules that keep a clinician's records true: one home for each, called by forms and services alike.

Each `*_problem` function returns the message to show, or None when the value is plausible.
Pure: no database, `today` is always passed in.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from programs.choices import CreditType
from programs.ranking.fit import format_date

EARLIEST_CREDIT_DATE = datetime.date(1950, 1, 1)


def credit_date_problem(completed_on: datetime.date, *, today: datetime.date) -> str | None:
    """A credit is completed between 1 Jan 1950 and today, both included."""
    if completed_on > today:
        return "The completion date cannot be in the future."
    if completed_on < EARLIEST_CREDIT_DATE:
        return "The completion date cannot be before 1950; check the year."
    return None


def goal_horizon_problem(horizon: datetime.date, *, today: datetime.date) -> str | None:
    """A goal's horizon is today or later: a horizon already past cannot be aimed at."""
    if horizon < today:
        return "The horizon is already past; choose today or a later date."
    return None


def program_last_day(*, start_date: datetime.date | None, end_date: datetime.date | None) -> datetime.date | None:
    """The day a program is over: its end date, else its start date; None for on-demand programs."""
    return end_date or start_date


def program_completion_problem(
    *, start_date: datetime.date | None, end_date: datetime.date | None, today: datetime.date
) -> str | None:
    """A program can be marked completed from its last day on (end date <= today); on-demand ones any time.

    "Ended" here means the last day has come: a one-day course can be logged on the evening it ran.
    """
    last_day = program_last_day(start_date=start_date, end_date=end_date)
    if last_day is not None and last_day > today:
        return f"This program runs until {format_date(last_day)}; it can be marked completed from its last day on."
    return None


@dataclass(frozen=True)
class LoggableCreditTypes:
    """The credit types a clinician can log: those their licences accept (all when no licence limits them)."""

    codes: tuple[str, ...]
    has_licence: bool

    @property
    def limited(self) -> bool:
        return len(self.codes) < len(CreditType.values)


def loggable_credit_types(licence_credit_types: Iterable[Iterable[str]]) -> LoggableCreditTypes:
    """The union of what each licence accepts; a licence that ticks none accepts any type, as does no licence.

    Codes come back in the order of CreditType.
    """
    accepted: set[str] = set()
    has_licence = False
    for types in licence_credit_types:
        has_licence = True
        codes = set(types)
        if not codes:
            return LoggableCreditTypes(codes=tuple(CreditType.values), has_licence=True)
        accepted |= codes
    if not has_licence:
        return LoggableCreditTypes(codes=tuple(CreditType.values), has_licence=False)
    return LoggableCreditTypes(codes=tuple(code for code in CreditType.values if code in accepted), has_licence=True)
