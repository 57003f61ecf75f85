"""Fit constraints: whether a program is usable by this clinician, and the number behind each verdict.

Pure Python, like the scoring module: no Django, no database. Fit does not
change the four factors (programs.ranking.scoring); it answers "can I take
this one?" for the clinician's profession, licences, budget, leave and dates.

Two severities (`FitSeverity`, one definition read by the templates and the SQL):

- constraints decide whether the clinician can take the program at all: a
  profession it is not designed for, no credit type a licence accepts, over
  budget, over leave, already ended. Each fits, does not fit, or could not be
  checked (unknown: a fee not stated, no licence entered ...).
- notes are timing and licence information, never a failure: it ends after the
  next performance review, a licence renewal or the goal horizon (with both
  dates), or covers a mandated topic.

`fit_summary` turns the checks into the one badge every page shows: what was
checked, what failed, what could not be checked. `takeable_first_key` is the
default catalog order: programs that fail a constraint after every takeable
one (unknown counts as takeable), each group by score. The SQL mirrors
(programs.ranking.queries.fits_filter and the ranking's `takeable` annotation)
equal `program_fits(fit_checks(...))`; tests/programs/test_ranking_sql.py proves it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from .scoring import (
    CREDIT_TYPE_LABELS,
    GoalCriteria,
    ProgramSignals,
    ScoredProgram,
    Weights,
    ranking_key,
    score_program,
)
from .scoring import format_date as format_date  # re-exported: the one date wording of the app

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
    requested_program_ids: frozenset[int] = frozenset()  # programs with a pending or approved funding request

    def money_for(self, start_date: datetime.date | None) -> tuple[Decimal | None, Decimal | None]:
        """Money and leave left in the year a program starting on `start_date` has its costs."""
        day = costs_fall_on(start_date=start_date, today=self.today)
        for year in self.money_years:
            if year.start <= day < year.end:
                return year.money, year.leave
        return self.remaining_budget, self.remaining_leave_days


# --- Verdicts ---------------------------------------------------------------


class FitStatus(StrEnum):
    FITS = "fits"  # a constraint met; a note: in time
    DOES_NOT_FIT = "does_not_fit"  # constraints only
    CAUTION = "caution"  # notes only: worth reading (ends after a review, renewal or the goal horizon)
    UNKNOWN = "unknown"  # could not be checked


class FitSeverity(StrEnum):
    CONSTRAINT = "constraint"  # decides whether the clinician can take the program
    NOTE = "note"  # timing or licence information; never excludes


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

# The one definition of what is a hard constraint and what is a note.
FIT_KIND_SEVERITY: dict[FitKind, FitSeverity] = {
    FitKind.PROFESSION: FitSeverity.CONSTRAINT,
    FitKind.CREDIT: FitSeverity.CONSTRAINT,
    FitKind.BUDGET: FitSeverity.CONSTRAINT,
    FitKind.LEAVE: FitSeverity.CONSTRAINT,
    FitKind.OPEN: FitSeverity.CONSTRAINT,
    FitKind.HORIZON: FitSeverity.NOTE,
    FitKind.REVIEW: FitSeverity.NOTE,
    FitKind.RENEWAL: FitSeverity.NOTE,
    FitKind.MANDATED_TOPIC: FitSeverity.NOTE,
}
CONSTRAINT_KINDS = frozenset(kind for kind, severity in FIT_KIND_SEVERITY.items() if severity is FitSeverity.CONSTRAINT)

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
    """One fit check's verdict with the number behind it.

    `not_checked` names, in a few words, what kept an unknown check from being
    made ("fee not stated", "no licence entered"); empty otherwise.
    """

    kind: FitKind
    status: FitStatus
    message: str
    not_checked: str = ""

    @property
    def severity(self) -> FitSeverity:
        return FIT_KIND_SEVERITY[self.kind]

    @property
    def is_constraint(self) -> bool:
        """Whether this check decides if the program can be taken (and so "only programs that fit")."""
        return self.severity is FitSeverity.CONSTRAINT

    @property
    def fails(self) -> bool:
        return self.is_constraint and self.status is FitStatus.DOES_NOT_FIT

    @property
    def label(self) -> str:
        return FIT_KIND_LABELS[self.kind]


def format_money(amount: Decimal, currency: str = "USD") -> str:
    """$1,200 or $1,200.50; other currencies by code."""
    text = f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"
    return f"${text}" if currency == "USD" else f"{currency} {text}"


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
        return FitCheck(
            FitKind.PROFESSION,
            FitStatus.UNKNOWN,
            f"designed for {names}; your profession is not entered",
            "no profession entered",
        )
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
        return FitCheck(
            FitKind.CREDIT, FitStatus.UNKNOWN, "no licence entered to check credit types against", "no licence entered"
        )
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


REQUESTED_MESSAGE = "asked for in your funding request, which already reserves it"


def _budget_check(program: ProgramSignals, clinician: ClinicianContext) -> FitCheck:
    fee = program.fee_amount
    if program.program_id in clinician.requested_program_ids:  # not counted against itself
        return FitCheck(FitKind.BUDGET, FitStatus.FITS, REQUESTED_MESSAGE)
    if fee is None:
        return FitCheck(FitKind.BUDGET, FitStatus.UNKNOWN, "cost not stated", "fee not stated")
    remaining, _ = clinician.money_for(program.start_date)
    if remaining is None:
        return FitCheck(
            FitKind.BUDGET, FitStatus.UNKNOWN, f"costs {format_money(fee, program.fee_currency)}", "no budget entered"
        )
    if program.fee_currency != "USD":
        return FitCheck(
            FitKind.BUDGET,
            FitStatus.UNKNOWN,
            f"costs {format_money(fee, program.fee_currency)}; not compared with your USD budget",
            f"fee in {program.fee_currency}",
        )
    if fee == 0:
        return FitCheck(FitKind.BUDGET, FitStatus.FITS, "free")
    if fee <= remaining:
        return FitCheck(
            FitKind.BUDGET,
            FitStatus.FITS,
            f"{format_money(fee)} of the {format_money(remaining)} you have left",
        )
    return FitCheck(
        FitKind.BUDGET,
        FitStatus.DOES_NOT_FIT,
        f"{format_money(fee - remaining)} more than the {format_money(remaining)} you have left",
    )


def _leave_check(program: ProgramSignals, clinician: ClinicianContext) -> FitCheck:
    leave = program.leave_days
    if program.program_id in clinician.requested_program_ids:
        return FitCheck(FitKind.LEAVE, FitStatus.FITS, REQUESTED_MESSAGE)
    if leave is None:
        return FitCheck(FitKind.LEAVE, FitStatus.UNKNOWN, "leave days not stated", "leave days not stated")
    _, remaining = clinician.money_for(program.start_date)
    if remaining is None:
        return FitCheck(FitKind.LEAVE, FitStatus.UNKNOWN, f"needs {_days(leave)} of leave", "no leave entered")
    if leave == 0:
        return FitCheck(FitKind.LEAVE, FitStatus.FITS, "needs no leave")
    if leave <= remaining:
        return FitCheck(
            FitKind.LEAVE, FitStatus.FITS, f"needs {_days(leave)} of the {_days(remaining)} of leave you have left"
        )
    return FitCheck(
        FitKind.LEAVE,
        FitStatus.DOES_NOT_FIT,
        f"needs {_days(leave - remaining)} more than the {_days(remaining)} of leave you have left",
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
    """A timing note: when the program ends against one of the clinician's dates (never a failure)."""
    if deadline is None:
        return None
    if deadline < today:
        return FitCheck(
            kind, FitStatus.UNKNOWN, f"your {name} ({format_date(deadline)}) has passed; update it", f"{name} passed"
        )
    end = program.end_date
    if end is None:
        return FitCheck(kind, FitStatus.FITS, f"no fixed end date; your {name} is on {format_date(deadline)}")
    if end <= deadline:
        return FitCheck(kind, FitStatus.FITS, f"ends {format_date(end)}, before your {name} on {format_date(deadline)}")
    return FitCheck(kind, FitStatus.CAUTION, f"ends {format_date(end)}, after your {name} on {format_date(deadline)}")


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
                        FitStatus.CAUTION,
                        f"ends {format_date(end)}, after your {licence.name} renewal on {renewal}: "
                        "its credit counts toward the next cycle",
                    )
                )
            elif end is not None:
                notes.append(
                    FitCheck(
                        FitKind.RENEWAL,
                        FitStatus.FITS,
                        f"ends {format_date(end)}, before your {licence.name} renewal on {renewal}; "
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
            notes.append(
                FitCheck(
                    FitKind.MANDATED_TOPIC,
                    FitStatus.FITS if counts else FitStatus.UNKNOWN,
                    message,
                    "" if counts else "credit type not accepted",
                )
            )
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
    """True unless a hard constraint says "does not fit": the clinician can take it. Unknown and notes never exclude."""
    return not any(check.fails for check in checks)


# --- The badge ----------------------------------------------------------------------


class FitVerdict(StrEnum):
    FITS = "fits"  # every constraint checked and met
    FITS_CHECKED = "fits_checked"  # those checked are met; some could not be checked
    DOES_NOT_FIT = "does_not_fit"  # at least one constraint fails
    NOT_CHECKED = "not_checked"  # no constraint could be checked


@dataclass(frozen=True)
class FitSummary:
    """The fit badge: what was checked, what failed, what could not be checked, and the notes worth reading.

    `headline` never claims more than was checked: "Fits: profession, dates" names
    the constraints met; with nothing checked it reads "Could not check fit: ...".
    """

    verdict: FitVerdict
    met: tuple[FitCheck, ...]
    failed: tuple[FitCheck, ...]
    unknown: tuple[FitCheck, ...]
    cautions: tuple[FitCheck, ...]

    @property
    def takeable(self) -> bool:
        return not self.failed

    @property
    def headline(self) -> str:
        if self.failed:
            return f"Does not fit: {_labels(self.failed)}"
        if self.met:
            return f"Fits: {_labels(self.met)}"
        return f"Could not check fit: {self.not_checked_reasons}"

    @property
    def not_checked_reasons(self) -> str:
        """What kept each unknown constraint from being checked, e.g. "fee not stated, no licence entered"."""
        return ", ".join(dict.fromkeys(check.not_checked or check.label.lower() for check in self.unknown))

    @property
    def not_checked_text(self) -> str:
        """ "Not checked: fee not stated" beside a headline that does not already say it; else ""."""
        if not self.unknown or self.verdict is FitVerdict.NOT_CHECKED:
            return ""
        return f"Not checked: {self.not_checked_reasons}"

    @property
    def text(self) -> str:
        """The badge as one line of plain text (for the compare cell and records)."""
        return "; ".join(part for part in (self.headline, self.not_checked_text) if part)


def _labels(checks: Iterable[FitCheck]) -> str:
    return ", ".join(dict.fromkeys(check.label.lower() for check in checks))


def fit_summary(checks: Iterable[FitCheck]) -> FitSummary:
    """The badge for a program's checks (from `fit_checks`); the one wording of fit on every page."""
    checks = tuple(checks)
    constraints = [check for check in checks if check.is_constraint]
    met = tuple(check for check in constraints if check.status is FitStatus.FITS)
    failed = tuple(check for check in constraints if check.status is FitStatus.DOES_NOT_FIT)
    unknown = tuple(check for check in constraints if check.status is FitStatus.UNKNOWN)
    cautions = tuple(check for check in checks if not check.is_constraint and check.status is FitStatus.CAUTION)
    if failed:
        verdict = FitVerdict.DOES_NOT_FIT
    elif not met:
        verdict = FitVerdict.NOT_CHECKED
    elif unknown:
        verdict = FitVerdict.FITS_CHECKED
    else:
        verdict = FitVerdict.FITS
    return FitSummary(verdict=verdict, met=met, failed=failed, unknown=unknown, cautions=cautions)


# --- The default order --------------------------------------------------------------


def takeable_first_key(
    scored: ScoredProgram, program: ProgramSignals, checks: Iterable[FitCheck]
) -> tuple[object, ...]:
    """The catalog's default order: every program the clinician can take (unknown counts) first, then by score.

    Within each group the order is exactly `scoring.ranking_key`; the SQL ranking
    (programs.ranking.queries) orders by the same two keys.
    """
    return (not program_fits(checks), *ranking_key(scored, program))


def rank_for_clinician(
    programs: Iterable[ProgramSignals], goal: GoalCriteria, weights: Weights, clinician: ClinicianContext
) -> list[tuple[ScoredProgram, ProgramSignals]]:
    """Score and order programs takeable-first for this clinician, deterministically."""
    ranked = [(score_program(program, goal, weights), program) for program in programs]
    ranked.sort(key=lambda pair: takeable_first_key(pair[0], pair[1], fit_checks(pair[1], clinician)))
    return ranked
