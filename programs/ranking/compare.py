"""Compare 2 to 4 published programs side by side, with the best value of each row marked."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from cme_portal.ids import id_from_text

from ..choices import CreditType
from ..models import Program
from ..presenters import program_claims
from ..selectors import catalog_base, program_signals, program_static_factors
from . import fit, scoring
from .queries import RankedResult, ranked_results

MIN_COMPARE = 2
MAX_COMPARE = 4


class RankingInputs(Protocol):
    @property
    def goal(self) -> scoring.GoalCriteria: ...
    @property
    def weights(self) -> scoring.Weights: ...
    @property
    def clinician(self) -> fit.ClinicianContext: ...


@dataclass(frozen=True)
class CompareCell:
    text: str
    details: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    checks: tuple[fit.FitCheck, ...] = ()
    fit_summary: fit.FitSummary | None = None  # the fit badge, shown instead of `text`
    best: bool = False
    points: int | None = None  # for a factor bar
    factor: scoring.FactorScore | None = None  # a factor's reasons and shortfalls, with their points


@dataclass(frozen=True)
class CompareRow:
    label: str
    cells: tuple[CompareCell, ...]
    best_rule: str = ""  # e.g. "highest", "lowest"; empty when no value is better


@dataclass(frozen=True)
class PairQuestion:
    """ "Why is B above A?" for two of the compared programs, as the viewer chose them (or the top two)."""

    explanation: scoring.PairExplanation
    higher: Program
    lower: Program
    chosen: tuple[int, int]  # the ids in the order the form shows them
    message: str = ""


@dataclass(frozen=True)
class Comparison:
    programs: list[Program]
    rows: list[CompareRow]
    messages: list[str] = field(default_factory=list)
    weights: scoring.Weights | None = None
    why: PairQuestion | None = None

    @property
    def ok(self) -> bool:
        return MIN_COMPARE <= len(self.programs) <= MAX_COMPARE

    @property
    def by_program(self) -> list[tuple[Program, list[tuple[CompareRow, CompareCell]]]]:
        """The same rows and cells one program at a time, each program with its cell of every row (phone layout)."""
        return [
            (program, [(row, row.cells[index]) for row in self.rows]) for index, program in enumerate(self.programs)
        ]


def parse_ids(raw: Iterable[str]) -> tuple[list[int], int]:
    """Distinct positive integer ids in the order given, and how many values were not ids."""
    ids: list[int] = []
    invalid = 0
    for value in raw:
        number = id_from_text(value)
        if number is None:
            invalid += 1
        elif number not in ids:
            ids.append(number)
    return ids, invalid


def _best_flags(values: Sequence[Decimal | int | None], rule: str) -> list[bool]:
    """Which cells hold the best value; none when fewer than two are known or all are equal."""
    known = [value for value in values if value is not None]
    if not rule or len(known) < 2 or len(set(known)) == 1:
        return [False] * len(values)
    best = max(known) if rule == "highest" else min(known)
    return [value is not None and value == best for value in values]


def _row(label: str, cells: list[CompareCell], values: Sequence[Any], rule: str) -> CompareRow:
    flags = _best_flags(values, rule)
    marked = tuple(dataclasses.replace(cell, best=flag) for cell, flag in zip(cells, flags, strict=True))
    return CompareRow(label=label, cells=marked, best_rule=rule)


def _money(program: Program) -> str:
    if program.fee_amount is None:
        return "Not stated"
    if program.fee_amount == 0:
        return "Free"
    return fit.format_money(program.fee_amount, program.fee_currency)


def _dates(program: Program) -> str:
    if program.start_date is None:
        return "On demand"
    text = fit.format_date(program.start_date)
    if program.end_date and program.end_date != program.start_date:
        text += f" to {fit.format_date(program.end_date)}"
    return text


def _factor_row(factor_scores: list[scoring.FactorScore], weight: int | None) -> CompareRow:
    label = factor_scores[0].label + (f" (weight {weight})" if weight is not None else "")
    cells = [CompareCell(f"{item.shown} / 100", points=item.points, factor=item) for item in factor_scores]
    return _row(label, cells, [item.points for item in factor_scores], "highest")


def _simple_row(
    label: str, programs: list[Program], text: Callable[[Program], str], value: Callable[[Program], Any], rule: str
) -> CompareRow:
    return _row(label, [CompareCell(text(program)) for program in programs], [value(p) for p in programs], rule)


def _claim_rows(programs: list[Program]) -> list[CompareRow]:
    """What each provider states (accreditation, outcome level, intent, results), worded as on the program page."""
    claims = [program_claims(program).as_list() for program in programs]
    return [
        CompareRow(label=first.label, cells=tuple(CompareCell(per_program[index].text) for per_program in claims))
        for index, first in enumerate(claims[0])
    ]


def comparison_rows(programs: list[Program], results: list[RankedResult] | None) -> list[CompareRow]:
    """The rows of the compare table; `results` (same order as programs) when the viewer has a goal."""
    rows: list[CompareRow] = []
    if results is not None:
        weights = results[0].scored.weights
        rows.append(
            _row(
                "Total fit for your goal",
                [CompareCell(f"{result.scored.total:g} / 100") for result in results],
                [result.scored.weighted_points for result in results],
                "highest",
            )
        )
        for factor, weight in weights.as_dict().items():
            rows.append(_factor_row([result.scored.factor(factor) for result in results], weight))
    else:
        static = [program_static_factors(program) for program in programs]
        for index in range(3):
            rows.append(_factor_row([factors[index] for factors in static], None))
    rows.append(
        _simple_row(
            "Cost",
            programs,
            _money,
            lambda p: p.fee_amount if p.fee_amount is not None and p.fee_currency == "USD" else None,
            "lowest",
        )
    )
    credits = [{offering.credit_type: offering.amount for offering in p.credit_offerings.all()} for p in programs]
    for credit_type in CreditType:
        if any(credit_type.value in offered for offered in credits):
            values = [offered.get(credit_type.value) for offered in credits]
            cells = [CompareCell(fit.format_amount(v) if v is not None else "None") for v in values]
            rows.append(_row(f"Credit: {credit_type.label}", cells, values, "highest"))
    if not any(credits):
        rows.append(_simple_row("Credit", programs, lambda p: "None designated", lambda p: None, ""))
    rows.append(
        _simple_row(
            "Time needed",
            programs,
            lambda p: (
                f"{fit.format_amount(p.time_commitment_hours)} hours"
                if p.time_commitment_hours is not None
                else "Not stated"
            ),
            lambda p: None,
            "",
        )
    )
    rows.append(
        _simple_row(
            "Leave from practice",
            programs,
            lambda p: f"{fit.format_amount(p.leave_days)} days" if p.leave_days is not None else "Not stated",
            lambda p: p.leave_days,
            "lowest",
        )
    )
    rows.append(_simple_row("Dates", programs, _dates, lambda p: None, ""))
    rows.extend(_claim_rows(programs))
    if results is not None:
        rows.append(
            CompareRow(
                label="Fit with your situation",
                cells=tuple(
                    CompareCell(result.fit_summary.text, checks=result.checks, fit_summary=result.fit_summary)
                    for result in results
                ),
            )
        )
    return rows


PAIR_MESSAGE = "Choose two different programs from those compared; showing why the top one is above the second."


def pair_question(results: list[RankedResult], raw_pair: Iterable[str]) -> PairQuestion:
    """ "Why is B above A?" for the two programs asked for (ids among `results`), else the top two.

    Pure Python over the already-scored results: no query.
    """
    ranked = sorted(
        ((result, program_signals(result.program)) for result in results),
        key=lambda pair: scoring.ranking_key(pair[0].scored, pair[1]),
    )
    position = {result.program.pk: index for index, (result, _) in enumerate(ranked)}
    asked, invalid = parse_ids(raw_pair)
    message = ""
    if len(asked) == 2 and not invalid and all(pk in position for pk in asked):
        chosen = (asked[0], asked[1])
        first, second = sorted(position[pk] for pk in chosen)
    else:
        message = PAIR_MESSAGE if asked or invalid else ""
        first, second = 0, 1
        chosen = (ranked[0][0].program.pk, ranked[1][0].program.pk)
    (higher, higher_signals), (lower, lower_signals) = ranked[first], ranked[second]
    weights = higher.scored.weights
    explanation = scoring.explain_pair((lower.scored, lower_signals), (higher.scored, higher_signals), weights)
    return PairQuestion(
        explanation=explanation, higher=higher.program, lower=lower.program, chosen=chosen, message=message
    )


def program_comparison(
    *, raw_ids: Iterable[str], ranking: RankingInputs | None, raw_pair: Iterable[str] = ()
) -> Comparison:
    """Published, current programs side by side; unknown or hidden ids are left out with a message.

    With a goal, also "why is B above A?" for the pair in `raw_pair` (two ids), else the top two.
    Two queries (programs with providers, credit offerings), whatever is asked.
    """
    ids, invalid = parse_ids(raw_ids)
    messages: list[str] = []
    if len(ids) > MAX_COMPARE:
        messages.append(
            f"You chose {len(ids)} programs. Compare at most {MAX_COMPARE} at once: untick some and try again."
        )
        return Comparison(programs=[], rows=[], messages=messages)
    found = {program.pk: program for program in catalog_base().filter(pk__in=ids)}
    programs = [found[pk] for pk in ids if pk in found]
    left_out = len(ids) - len(programs) + invalid
    if left_out:
        messages.append(
            f"{left_out} of the programs asked for {'is' if left_out == 1 else 'are'} not in the catalog "
            "(unknown, unpublished or past) and left out."
        )
    if len(programs) < MIN_COMPARE:
        messages.append(f"Choose at least {MIN_COMPARE} programs in the catalog to compare (up to {MAX_COMPARE}).")
        return Comparison(programs=programs, rows=[], messages=messages)
    results = None
    why = None
    if ranking is not None:
        results = ranked_results(programs, goal=ranking.goal, weights=ranking.weights, clinician=ranking.clinician)
        why = pair_question(results, raw_pair)
    return Comparison(
        programs=programs,
        rows=comparison_rows(programs, results),
        messages=messages,
        weights=ranking.weights if ranking is not None else None,
        why=why,
    )
