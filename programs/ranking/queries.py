"""The ranked catalog: SQL orders by the scoring module's exact integer points.

Why SQL: at 100,000 listings, scoring every program in Python per request is too
slow. The goal-independent sub-scores are stored on each program as whole
points (written from programs.ranking.scoring whenever a listing changes); the goal-dependent
career points are a CASE sum whose coefficients come from
`scoring.career_alignment_coefficients`. No arithmetic of the scoring lives
here: this module only adds up what the scoring module hands it, and
tests/programs/test_ranking_sql.py proves the SQL order equals
`scoring.rank_programs` (score alone) and `fit.rank_for_clinician` (the
default: what the clinician can take first), and the SQL fit filter equals
`fit.program_fits`.

Only the page shown (about 20 programs) is then scored in Python, for the bars,
the reasons and the fit badges.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Case, Exists, ExpressionWrapper, F, IntegerField, OuterRef, Q, Value, When
from django.db.models.expressions import Expression
from django.db.models.functions import Collate

from ..models import CreditOffering, Program, ProgramQuerySet
from ..selectors import (
    CatalogFilters,
    catalog_base,
    catalog_filter,
    catalog_order,
    program_signals,
)
from . import fit, scoring

RANKED_SORT = "fit"  # the default with a goal: programs the clinician can take first, each group by score
SCORE_SORT = "score"  # by score alone, whether the clinician can take the program or not
TAKEABLE_FIRST_RULE = (
    "Programs you can take come first, then those that fail one of your constraints (profession, a credit type "
    "your licences accept, budget, leave, dates), each by score; a constraint that could not be checked, such as "
    "a fee not stated, does not move a program down."
)
SCORE_ONLY_RULE = "Ordered by score alone, whether or not you can take each program; each card says what fits."


def ranking_rule(sort: str) -> str:
    """The sentence the catalog shows about its order for this sort choice ("" for the plain sorts)."""
    if sort in ("", RANKED_SORT):
        return TAKEABLE_FIRST_RULE
    return SCORE_ONLY_RULE if sort == SCORE_SORT else ""


PER_PAGE = 20


def career_points_expression(goal: scoring.GoalCriteria) -> Expression:
    """The goal's career points for each row, summed from the module's coefficients."""
    coefficients = scoring.career_alignment_coefficients(goal)
    parts: list[Expression] = [
        Case(When(competencies__has_any=[code], then=Value(points)), default=Value(0), output_field=IntegerField())
        for code, points in sorted(coefficients.competency_points.items())
        if points
    ]
    if coefficients.program_track and coefficients.track_points:
        parts.append(
            Case(
                When(career_tracks__has_any=[coefficients.program_track], then=Value(coefficients.track_points)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
    if coefficients.integration_points:
        parts.append(
            Case(
                When(ehr_integration=True, then=Value(coefficients.integration_points)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
    return _sum(parts)


def _sum(parts: Sequence[Expression]) -> Expression:
    if not parts:
        return Value(0, output_field=IntegerField())
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    return ExpressionWrapper(total, output_field=IntegerField())


def _binary_title() -> Expression:
    """Titles ordered by code point, as Python compares strings."""
    return Collate(F("title"), "C" if connection.vendor == "postgresql" else "BINARY")


def rank_annotate(queryset: ProgramQuerySet, goal: scoring.GoalCriteria, weights: scoring.Weights) -> ProgramQuerySet:
    """Annotate `career_points` and `weighted_points` (the exact ordering key of scoring.ScoredProgram)."""
    queryset = queryset.annotate(career_points=career_points_expression(goal))
    parts = [
        Value(weight) * expression
        for weight, expression in (
            (weights.outcome, F("outcome_points")),
            (weights.independence, F("independence_points")),
            (weights.interprofessional, F("interprofessional_points")),
            (weights.career, F("career_points")),
        )
        if weight
    ]
    return queryset.annotate(weighted_points=_sum(parts))


def rank_order(
    queryset: ProgramQuerySet, weights: scoring.Weights, clinician: fit.ClinicianContext | None = None
) -> ProgramQuerySet:
    """Order an annotated queryset exactly as scoring.ranking_key does; with `clinician`, as fit.takeable_first_key.

    Takeable first is one CASE over `fits_filter` in the ORDER BY: no extra query.
    """
    ordering = []
    if clinician is not None:
        queryset = queryset.annotate(
            takeable=Case(When(fits_filter(clinician), then=Value(1)), default=Value(0), output_field=IntegerField())
        )
        ordering.append(F("takeable").desc())
    ordering.append(F("weighted_points").desc())
    if weights.career:
        ordering.append(F("career_points").desc())
    ordering += [
        F("fee_amount").asc(nulls_last=True),
        F("start_date").asc(nulls_last=True),
        _binary_title().asc(),
        F("id").asc(),
    ]
    return queryset.order_by(*ordering)


ALWAYS = Q(pk__isnull=False)


def _costs_in_year(year: fit.MoneyYear, today: datetime.date) -> Q:
    """SQL for `year.start <= fit.costs_fall_on(start_date, today) < year.end`."""
    if year.start <= today < year.end:
        return Q(start_date__isnull=True) | Q(start_date__lt=year.end)
    return Q(start_date__gte=year.start, start_date__lt=year.end)


def _per_costs_year(
    clinician: fit.ClinicianContext,
    figure: Callable[[fit.MoneyYear], Decimal | None],
    fallback: Decimal | None,
    fits: Callable[[Decimal], Q],
) -> Q | None:
    """SQL mirror of `clinician.money_for(start_date)`: each program checked against its costs year's figure."""
    if all(figure(year) is None for year in clinician.money_years) and fallback is None:
        return None
    condition = Q(pk__in=sorted(clinician.requested_program_ids)) if clinician.requested_program_ids else ~ALWAYS
    outside = ALWAYS
    for year in clinician.money_years:
        in_year = _costs_in_year(year, clinician.today)
        value = figure(year)
        condition |= in_year & (ALWAYS if value is None else fits(value))
        outside &= ~in_year
    return condition | (outside & (ALWAYS if fallback is None else fits(fallback)))


def _open_condition(clinician: fit.ClinicianContext) -> Q | None:
    return Q(end_date__isnull=True) | Q(end_date__gte=clinician.today)


def _profession_condition(clinician: fit.ClinicianContext) -> Q | None:
    if clinician.profession is None:
        return None
    return Q(professions=[]) | Q(professions__has_any=[clinician.profession])


def _credit_condition(clinician: fit.ClinicianContext) -> Q | None:
    if not clinician.licences:
        return None
    offerings = CreditOffering.objects.filter(program=OuterRef("pk"))
    if all(licence.accepted_credit_types for licence in clinician.licences):
        accepted = sorted(set().union(*(licence.accepted_credit_types for licence in clinician.licences)))
        offerings = offerings.filter(credit_type__in=accepted)
    return Q(Exists(offerings))


def _budget_condition(clinician: fit.ClinicianContext) -> Q | None:
    return _per_costs_year(
        clinician,
        lambda year: year.money,
        clinician.remaining_budget,
        lambda money: Q(fee_amount__isnull=True) | ~Q(fee_currency="USD") | Q(fee_amount__lte=money),
    )


def _leave_condition(clinician: fit.ClinicianContext) -> Q | None:
    return _per_costs_year(
        clinician,
        lambda year: year.leave,
        clinician.remaining_leave_days,
        lambda leave: Q(leave_days__isnull=True) | Q(leave_days__lte=leave),
    )


# Per hard constraint (fit.CONSTRAINT_KINDS), the SQL condition that it does not fail; None = nothing to check.
CONSTRAINT_CONDITIONS: dict[fit.FitKind, Callable[[fit.ClinicianContext], Q | None]] = {
    fit.FitKind.OPEN: _open_condition,
    fit.FitKind.PROFESSION: _profession_condition,
    fit.FitKind.CREDIT: _credit_condition,
    fit.FitKind.BUDGET: _budget_condition,
    fit.FitKind.LEAVE: _leave_condition,
}


def fits_filter(clinician: fit.ClinicianContext) -> Q:
    """SQL mirror of `fit.program_fits(fit.fit_checks(program, clinician))`: the hard constraints only.

    Reads fit.CONSTRAINT_KINDS, the one definition of what is a constraint: notes (ends
    after the review, a renewal or the goal horizon; mandated topics) never exclude,
    and unknown never does either (a missing fee, leave or profession keeps the program).
    """
    condition = Q()
    for kind in sorted(fit.CONSTRAINT_KINDS):
        part = CONSTRAINT_CONDITIONS[kind](clinician)
        if part is not None:
            condition &= part
    return condition


def ranking_candidates(*, clinician: fit.ClinicianContext, filters: CatalogFilters, fits_only: bool) -> ProgramQuerySet:
    """The programs a ranking orders: the filtered catalog, and only those that fit when asked."""
    queryset = catalog_filter(catalog_base(), filters)
    return queryset.filter(fits_filter(clinician)) if fits_only else queryset


def ranked_queryset(
    *,
    goal: scoring.GoalCriteria,
    weights: scoring.Weights,
    clinician: fit.ClinicianContext,
    filters: CatalogFilters,
    fits_only: bool = False,
    order_by_fit: bool = True,
    takeable_first: bool = True,
) -> ProgramQuerySet:
    """Published, current programs matching the filters, annotated with points and ordered by fit.

    Ordered by fit: takeable first then by score (`fit.takeable_first_key`), or by score
    alone when `takeable_first` is False; otherwise by the catalog sort asked for.
    """
    queryset = rank_annotate(
        ranking_candidates(clinician=clinician, filters=filters, fits_only=fits_only), goal, weights
    )
    if order_by_fit:
        return rank_order(queryset, weights, clinician if takeable_first and not fits_only else None)
    return catalog_order(queryset, filters.effective_sort)


@dataclass(frozen=True)
class RankedResult:
    """One program on the page with its scores, reasons and fit badges."""

    program: Program
    scored: scoring.ScoredProgram
    checks: tuple[fit.FitCheck, ...]

    @property
    def fits(self) -> bool:
        return fit.program_fits(self.checks)

    @property
    def fit_summary(self) -> fit.FitSummary:
        return fit.fit_summary(self.checks)

    @property
    def top_reasons(self) -> list[tuple[scoring.FactorScore, scoring.Reason]]:
        """The biggest reason of each of the (up to three) factors that earned the most weighted points, best first."""
        weights = self.scored.weights.as_dict()
        ordered = sorted(self.scored.factors, key=lambda item: (-weights[item.factor] * item.points, item.factor))
        reasons = [(item, item.top_reason) for item in ordered if weights[item.factor] and item.top_reason is not None]
        return reasons[:3]


@dataclass(frozen=True)
class RankedPage:
    page: Page[int]  # of program ids, in ranked order
    results: list[RankedResult]


def ranked_results(
    programs: list[Program],
    *,
    goal: scoring.GoalCriteria,
    weights: scoring.Weights,
    clinician: fit.ClinicianContext,
) -> list[RankedResult]:
    """Score already-loaded programs (provider and credit offerings prefetched) in Python."""
    results = []
    for program in programs:
        signals = program_signals(program)
        results.append(
            RankedResult(
                program=program,
                scored=scoring.score_program(signals, goal, weights),
                checks=fit.fit_checks(signals, clinician),
            )
        )
    return results


def ranked_catalog_page(
    *,
    goal: scoring.GoalCriteria,
    weights: scoring.Weights,
    clinician: fit.ClinicianContext,
    filters: CatalogFilters,
    page_number: str | int | None,
    fits_only: bool = False,
    order_by_fit: bool = True,
    takeable_first: bool = True,
    per_page: int = PER_PAGE,
) -> RankedPage:
    """One page of the catalog ranked for a goal: four queries whatever the catalog size.

    The ranking itself selects only ids (narrow rows: the whole catalog is ordered
    by computed points, so every byte per row counts); then the page's programs
    are loaded with their provider and credit offerings.
    """
    queryset = ranked_queryset(
        goal=goal,
        weights=weights,
        clinician=clinician,
        filters=filters,
        fits_only=fits_only,
        order_by_fit=order_by_fit,
        takeable_first=takeable_first,
    )
    paginator = Paginator(queryset.values_list("pk", flat=True), per_page)
    # Counted without the point annotations, which would otherwise be computed for every row.
    paginator.count = ranking_candidates(clinician=clinician, filters=filters, fits_only=fits_only).count()
    page = paginator.get_page(page_number)
    ids = list(page.object_list)
    by_id = catalog_base().in_bulk(ids)
    programs = [by_id[program_id] for program_id in ids]
    results = ranked_results(programs, goal=goal, weights=weights, clinician=clinician)
    return RankedPage(page=page, results=results)
