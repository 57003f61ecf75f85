"""The ranked catalog: SQL orders by the scoring module's exact integer points.

Why SQL: at 100,000 listings, scoring every program in Python per request is too
slow. The goal-independent sub-scores are stored on each program as whole
points (written from programs.ranking.scoring whenever a listing changes); the goal-dependent
career points are a CASE sum whose coefficients come from
`scoring.career_alignment_coefficients`. No arithmetic of the scoring lives
here: this module only adds up what the scoring module hands it, and
tests/programs/test_ranking_sql.py proves the SQL order equals
`scoring.rank_programs` and the SQL fit filter equals `fit.program_fits`.

Only the page shown (about 20 programs) is then scored in Python, for the bars,
the reasons and the fit badges.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
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

RANKED_SORT = "fit"
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


def rank_order(queryset: ProgramQuerySet, weights: scoring.Weights) -> ProgramQuerySet:
    """Order an annotated queryset exactly as scoring.ranking_key does."""
    ordering = [F("weighted_points").desc()]
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


def _money_fits(money: Decimal | None, leave: Decimal | None) -> Q:
    condition = ALWAYS
    if money is not None:
        condition &= Q(fee_amount__isnull=True) | ~Q(fee_currency="USD") | Q(fee_amount__lte=money)
    if leave is not None:
        condition &= Q(leave_days__isnull=True) | Q(leave_days__lte=leave)
    return condition


def _money_condition(clinician: fit.ClinicianContext) -> Q:
    """SQL mirror of the budget and leave checks, with each program's money from the year its costs fall in."""
    outside = ALWAYS
    condition = ~ALWAYS
    for year in clinician.money_years:
        in_year = _costs_in_year(year, clinician.today)
        condition |= in_year & _money_fits(year.money, year.leave)
        outside &= ~in_year
    return condition | (outside & _money_fits(clinician.remaining_budget, clinician.remaining_leave_days))


def fits_filter(clinician: fit.ClinicianContext) -> Q:
    """SQL mirror of `fit.program_fits(fit.fit_checks(program, clinician))`.

    Unknown never excludes: a missing fee, leave or profession keeps the program.
    """
    today = clinician.today
    condition = Q(end_date__isnull=True) | Q(end_date__gte=today)
    if clinician.profession is not None:
        condition &= Q(professions=[]) | Q(professions__has_any=[clinician.profession])
    if clinician.licences:
        offerings = CreditOffering.objects.filter(program=OuterRef("pk"))
        if all(licence.accepted_credit_types for licence in clinician.licences):
            accepted = sorted(set().union(*(licence.accepted_credit_types for licence in clinician.licences)))
            offerings = offerings.filter(credit_type__in=accepted)
        condition &= Q(Exists(offerings))
    condition &= _money_condition(clinician)
    for deadline in (clinician.horizon, clinician.next_review):
        if deadline is not None and deadline >= today:
            condition &= Q(end_date__isnull=True) | Q(end_date__lte=deadline)
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
) -> ProgramQuerySet:
    """Published, current programs matching the filters, annotated with points and ordered by fit."""
    queryset = rank_annotate(
        ranking_candidates(clinician=clinician, filters=filters, fits_only=fits_only), goal, weights
    )
    if order_by_fit:
        return rank_order(queryset, weights)
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
