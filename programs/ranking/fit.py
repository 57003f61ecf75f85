"""Fit constraints: whether a program is usable by this clinician, and the number behind each verdict.

Pure Python, like the scoring module: no Django, no database. Fit does not
change the four factors (programs.ranking.scoring); it answers "can I take
this one?" for the clinician's profession, licences, budget, leave and dates.
The catalog's "only programs that fit" SQL filter
(programs.ranking.queries.fits_filter) mirrors `program_fits(fit_checks(...))`;
tests/programs/test_ranking_sql.py proves it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from .scoring import CREDIT_TYPE_LABELS, ProgramSignals

# --- Inputs -----------------------------------------------------------------


@dataclass(frozen=True)
class LicenceNeed:
    """What one licence still needs in its current cycle, as the clinician entered it."""

    licence_id: int
    name: str  # e.g. "California physician and surgeon"
    renewal_date: datetime.date
    accepted_credit_types: frozenset[str]  # empty = any credit type counts
    hours_short: Decimal  # hours still needed this cycle, >= 0
    missing_topics: Mapping[str, Decimal] = field(default_factory=dict)  # mandated topic -> hours still needed


def costs_fall_on(*, start_date: datetime.date | None, today: datetime.date) -> datetime.date:
    """The day a program's costs count on: its start date, or today when it is on demand or already running."""
    return start_date if start_date is not None and start_date > today else today


@dataclass(frozen=True)
class MoneyYear:
    """Money and leave left for costs falling in [start, end): the ledger's figures for one policy year."""

    start: datetime.date
    end: datetime.date  # exclusive
    money: Decimal | None  # None = not known
    leave: Decimal | None


@dataclass(frozen=True)
class ClinicianContext:
    """The clinician's situation, for the fit constraints (not for the four factors)."""

    today: datetime.date
    profession: str | None = None
    remaining_budget: Decimal | None = None  # for costs outside every `money_years`; None = not entered
    remaining_leave_days: Decimal | None = None
    horizon: datetime.date | None = None
    next_review: datetime.date | None = None
    licences: tuple[LicenceNeed, ...] = ()
    money_years: tuple[MoneyYear, ...] = ()  # the ledger's money and leave per policy year

    def money_for(self, start_date: datetime.date | None) -> tuple[Decimal | None, Decimal | None]:
        """Money and leave left in the year a program starting on `start_date` has its costs."""
        day = costs_fall_on(start_date=start_date, today=self.today)
        for year in self.money_years:
            if year.start <= day < year.end:
                return year.money, year.leave
        return self.remaining_budget, self.remaining_leave_days


# --- Verdicts ---------------------------------------------------------------


class FitStatus(StrEnum):
    FITS = "fits"
    DOES_NOT_FIT = "does_not_fit"
    UNKNOWN = "unknown"


class FitKind(StrEnum):
    PROFESSION = "profession"
    CREDIT = "credit"
    BUDGET = "budget"
    LEAVE = "leave"
    OPEN = "open"
    HORIZON = "horizon"
    REVIEW = "review"
    RENEWAL = "renewal"
    MANDATED_TOPIC = "mandated_topic"


FIT_KIND_LABELS: dict[FitKind, str] = {
    FitKind.PROFESSION: "Profession",
    FitKind.CREDIT: "Credit type",
    FitKind.BUDGET: "Budget",
    FitKind.LEAVE: "Leave",
    FitKind.OPEN: "Dates",
    FitKind.HORIZON: "Goal horizon",
    FitKind.REVIEW: "Performance review",
    FitKind.RENEWAL: "Licence renewal",
    FitKind.MANDATED_TOPIC: "Mandated topic",
}

# Kinds that decide "only programs that fit"; the others are shown as notes.
DECIDING_FIT_KINDS = frozenset(
    {FitKind.PROFESSION, FitKind.CREDIT, FitKind.BUDGET, FitKind.LEAVE, FitKind.OPEN, FitKind.HORIZON, FitKind.REVIEW}
)

PROFESSION_LABELS: dict[str, str] = {
    "physician": "physicians",
    "nurse": "nurses",
    "nurse_practitioner": "nurse practitioners",
    "physician_assistant": "physician assistants",
    "pharmacist": "pharmacists",
    "administrator": "administrators",
    "dentist": "dentists",
    "dietitian": "dietitians",
    "psychologist": "psychologists",
    "social_worker": "social workers",
    "other": "other professions",
}

TOPIC_LABELS: dict[str, str] = {
    "opioids": "opioids",
    "implicit_bias": "implicit bias",
    "pain_management": "pain management",
    "ethics": "ethics",
    "substance_use_disorder": "substance-use disorders",
}


@dataclass(frozen=True)
class FitCheck:
    """One fit constraint's verdict with the number behind it."""

    kind: FitKind
    status: FitStatus
    message: str

    @property
    def decides(self) -> bool:
        """Whether this check can exclude the program from "only programs that fit"."""
        return self.kind in DECIDING_FIT_KINDS

    @property
    def label(self) -> str:
        return FIT_KIND_LABELS[self.kind]


def format_money(amount: Decimal, currency: str = "USD") -> str:
    """$1,200 or $1,200.50; other currencies by code."""
    text = f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"
    return f"${text}" if currency == "USD" else f"{currency} {text}"


def format_date(day: datetime.date) -> str:
    """Jun 30, 2027."""
    return f"{day:%b} {day.day}, {day.year}"


def format_amount(amount: Decimal) -> str:
    """20, 2.5, 0.25: no trailing zeros."""
    text = f"{amount:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _days(amount: Decimal) -> str:
    return f"{format_amount(amount)} day{'' if amount == 1 else 's'}"


def _profession_check(program: ProgramSignals, clinician: ClinicianContext) -> FitCheck:
    if not program.professions:
        return FitCheck(FitKind.PROFESSION, FitStatus.FITS, "open to all professions")
    names = ", ".join(PROFESSION_LABELS.get(code, code) for code in sorted(program.professions))
    if clinician.profession is None:
        return FitCheck(FitKind.PROFESSION, FitStatus.UNKNOWN, f"designed for {names}; your profession is not entered")
    if clinician.profession in program.professions:
        return FitCheck(
            FitKind.PROFESSION, FitStatus.FITS, f"designed for {PROFESSION_LABELS.get(clinician.profession)}"
        )
    return FitCheck(FitKind.PROFESSION, FitStatus.DOES_NOT_FIT, f"designed for {names}, not your profession")


def usable_credit(program: ProgramSignals, licence: LicenceNeed) -> tuple[str, Decimal] | None:
    """The program's largest credit offering this licence accepts (type, amount), or None.

    The largest, not the sum: one activity's hours are not counted twice for one licence.
    """
    accepted = sorted(
        (-amount, code)
        for code, amount in program.credits.items()
        if not licence.accepted_credit_types or code in licence.accepted_credit_types
    )
    if not accepted:
        return None
    negative_amount, code = accepted[0]
    return code, -negative_amount


def _credit_check(program: ProgramSignals, clinician: ClinicianContext) -> FitCheck:
    if not clinician.licences:
        return FitCheck(FitKind.CREDIT, FitStatus.UNKNOWN, "no licence entered to check credit types against")
    if not program.credits:
        return FitCheck(FitKind.CREDIT, FitStatus.DOES_NOT_FIT, "designates no credit")
    counts = []
    for licence in clinician.licences:
        usable = usable_credit(program, licence)
        if usable is not None:
            code, amount = usable
            label = CREDIT_TYPE_LABELS.get(code, code)
            counts.append(f"counts {format_amount(amount)} {label} toward your {licence.name} licence")
    if counts:
        return FitCheck(FitKind.CREDIT, FitStatus.FITS, "; ".join(counts))
    offered = ", ".join(CREDIT_TYPE_LABELS.get(code, code) for code in sorted(program.credits))
    return FitCheck(FitKind.CREDIT, FitStatus.DOES_NOT_FIT, f"offers {offered}, which none of your licences accept")


def _budget_check(program: ProgramSignals, clinician: ClinicianContext) -> FitCheck:
    fee = program.fee_amount
    if fee is None:
        return FitCheck(FitKind.BUDGET, FitStatus.UNKNOWN, "cost not stated")
    remaining, _ = clinician.money_for(program.start_date)
    if remaining is None:
        return FitCheck(FitKind.BUDGET, FitStatus.UNKNOWN, f"costs {format_money(fee, program.fee_currency)}")
    if program.fee_currency != "USD":
        return FitCheck(
            FitKind.BUDGET,
            FitStatus.UNKNOWN,
            f"costs {format_money(fee, program.fee_currency)}; not compared with your USD budget",
        )
    if fee == 0:
        return FitCheck(FitKind.BUDGET, FitStatus.FITS, "free")
    if fee <= remaining:
        return FitCheck(
            FitKind.BUDGET,
            FitStatus.FITS,
            f"{format_money(fee)} of your {format_money(remaining)} remaining budget",
        )
    return FitCheck(
        FitKind.BUDGET, FitStatus.DOES_NOT_FIT, f"{format_money(fee - remaining)} over your remaining budget"
    )


def _leave_check(program: ProgramSignals, clinician: ClinicianContext) -> FitCheck:
    leave = program.leave_days
    if leave is None:
        return FitCheck(FitKind.LEAVE, FitStatus.UNKNOWN, "leave days not stated")
    _, remaining = clinician.money_for(program.start_date)
    if remaining is None:
        return FitCheck(FitKind.LEAVE, FitStatus.UNKNOWN, f"needs {_days(leave)} of leave")
    if leave == 0:
        return FitCheck(FitKind.LEAVE, FitStatus.FITS, "needs no leave")
    if leave <= remaining:
        return FitCheck(
            FitKind.LEAVE, FitStatus.FITS, f"needs {_days(leave)} of your {_days(remaining)} remaining leave"
        )
    return FitCheck(
        FitKind.LEAVE, FitStatus.DOES_NOT_FIT, f"needs {_days(leave - remaining)} more leave than you have left"
    )


def _open_check(program: ProgramSignals, today: datetime.date) -> FitCheck:
    start, end = program.start_date, program.end_date
    if end is not None and end < today:
        return FitCheck(FitKind.OPEN, FitStatus.DOES_NOT_FIT, f"ended {format_date(end)}")
    if start is None:
        return FitCheck(FitKind.OPEN, FitStatus.FITS, "on demand")
    if start > today:
        return FitCheck(FitKind.OPEN, FitStatus.FITS, f"starts {format_date(start)}")
    if end is None:
        return FitCheck(FitKind.OPEN, FitStatus.FITS, f"running since {format_date(start)}, no end date")
    return FitCheck(FitKind.OPEN, FitStatus.FITS, f"running now, until {format_date(end)}")


def _deadline_check(
    program: ProgramSignals, today: datetime.date, kind: FitKind, deadline: datetime.date | None, name: str
) -> FitCheck | None:
    if deadline is None:
        return None
    if deadline < today:
        return FitCheck(kind, FitStatus.UNKNOWN, f"your {name} ({format_date(deadline)}) has passed; update it")
    end = program.end_date
    if end is None:
        return FitCheck(kind, FitStatus.FITS, f"no fixed end date; your {name} is {format_date(deadline)}")
    if end <= deadline:
        return FitCheck(kind, FitStatus.FITS, f"ends before your {name} ({format_date(deadline)})")
    return FitCheck(kind, FitStatus.DOES_NOT_FIT, f"ends after your {name} ({format_date(deadline)})")


def _licence_notes(program: ProgramSignals, clinician: ClinicianContext) -> list[FitCheck]:
    """Renewal timing and mandated topics, per licence the program's credit counts toward."""
    notes: list[FitCheck] = []
    for licence in clinician.licences:
        counts = usable_credit(program, licence) is not None
        if counts and licence.hours_short > 0 and licence.renewal_date >= clinician.today:
            end = program.end_date
            renewal = format_date(licence.renewal_date)
            if end is not None and end > licence.renewal_date:
                notes.append(
                    FitCheck(
                        FitKind.RENEWAL,
                        FitStatus.DOES_NOT_FIT,
                        f"ends after your {licence.name} renewal ({renewal}): counts toward the next cycle",
                    )
                )
            elif end is not None:
                notes.append(
                    FitCheck(
                        FitKind.RENEWAL,
                        FitStatus.FITS,
                        f"ends before your {licence.name} renewal ({renewal}); "
                        f"{format_amount(licence.hours_short)} h still needed",
                    )
                )
        for topic in sorted(licence.missing_topics):
            hours = licence.missing_topics[topic]
            if hours <= 0 or topic not in program.topics:
                continue
            message = (
                f"covers {TOPIC_LABELS.get(topic, topic)}: {format_amount(hours)} h still missing for {licence.name}"
            )
            if not counts:
                message += ", but its credit type does not count for that licence"
            notes.append(FitCheck(FitKind.MANDATED_TOPIC, FitStatus.FITS if counts else FitStatus.UNKNOWN, message))
    return notes


def fit_checks(program: ProgramSignals, clinician: ClinicianContext) -> tuple[FitCheck, ...]:
    """Every fit constraint for this clinician, each with its status and the number behind it.

    Deterministic: the order follows FitKind, then the clinician's licences.
    """
    today = clinician.today
    checks = [
        _profession_check(program, clinician),
        _credit_check(program, clinician),
        _budget_check(program, clinician),
        _leave_check(program, clinician),
        _open_check(program, today),
        _deadline_check(program, today, FitKind.HORIZON, clinician.horizon, "goal horizon"),
        _deadline_check(program, today, FitKind.REVIEW, clinician.next_review, "next performance review"),
        *_licence_notes(program, clinician),
    ]
    return tuple(check for check in checks if check is not None)


def program_fits(checks: Iterable[FitCheck]) -> bool:
    """True unless a deciding check says "does not fit"; unknown never excludes."""
    return not any(check.decides and check.status is FitStatus.DOES_NOT_FIT for check in checks)
