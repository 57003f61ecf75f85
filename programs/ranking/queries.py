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

Why a page costs nearly the same at 1,000 and 100,000 listings (`ranked_catalog_page`): the order
depends on a program only through its point class (takeable, outcome, independence,
interprofessional and career points) and then the tie-break (fee, start, title, id). One GROUP BY
counts the candidates per class (`point_classes`; JIT is off for the connection, as its compilation
was most of its time); it is cached under the catalog version (programs.catalog_version), the
goal's career coefficients, the clinician's fit situation and the filters, not the weights, as
integer columns (`PointClasses`: about 60,000 classes at 100,000 synthetic listings). For any
weights, one pass over the columns computes each class's key, packed in one integer, and a top-N
of the keys finds the classes a page overlaps (`ordered_classes_between`); the page then reads only
their rows (their stored points through the `program_points` index, their keys as one BETWEEN), in
the full SQL order, with the offset moved past the classes above it. The count is the sum of the
classes: exact. What still grows with the catalog: that pass (a few ms at 100,000) and the GROUP BY
after each catalog write.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import heapq
import itertools
import json
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import overload

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Value,
    When,
)
from django.db.models.expressions import Expression, RawSQL
from django.db.models.functions import Collate

from ..catalog_version import current_version_token
from ..models import CreditOffering, Program, ProgramQuerySet
from ..selectors import (
    CatalogFilters,
    CatalogListing,
    catalog_base,
    catalog_filter,
    catalog_listings,
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
        if "takeable" not in queryset.query.annotations:
            queryset = queryset.annotate(takeable=takeable_expression(clinician))
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


def takeable_expression(clinician: fit.ClinicianContext) -> Expression:
    """1 when the program passes every hard constraint (`fits_filter`), else 0."""
    return Case(When(fits_filter(clinician), then=Value(1)), default=Value(0), output_field=IntegerField())


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


class ScoredResult:
    """A program's scores, reasons and fit checks for one goal, weights and clinician (`scored`, `checks`)."""

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
class RankedResult(ScoredResult):
    """One program on the page with its scores, reasons and fit badges."""

    program: Program
    scored: scoring.ScoredProgram
    checks: tuple[fit.FitCheck, ...]


@dataclass(frozen=True)
class RankedListing(ScoredResult):
    """One listing on the ranked catalog's page (a plain `CatalogListing`, no model) with its scores and fit.

    Scored when first asked: a card whose ranked part is cached never asks.
    """

    listing: CatalogListing
    goal: scoring.GoalCriteria
    weights: scoring.Weights
    clinician: fit.ClinicianContext

    @cached_property
    def scored(self) -> scoring.ScoredProgram:  # type: ignore[override]
        return scoring.score_program(self.listing.signals, self.goal, self.weights)

    @cached_property
    def checks(self) -> tuple[fit.FitCheck, ...]:  # type: ignore[override]
        return fit.fit_checks(self.listing.signals, self.clinician)


POINT_CLASSES_TTL = 6 * 3600  # seconds; a new catalog version or day makes a new key long before


COLUMN_TYPES = "HHHHI"  # outcome, independence, interprofessional, career points (at most scoring.FULL); count
CAREER_BITS = 11  # career points (at most scoring.FULL) fit below the weighted points in one integer ordering key


class PointClasses:
    """The filtered candidates counted per point class, as columns, the takeable classes first.

    A class is the candidates sharing every point the order reads (outcome, independence,
    interprofessional and career points) and whether the clinician can take them. Columns of small
    integers rather than objects: at 100,000 listings there are about 60,000 classes, and a request
    with weights not seen before reads every one of them once.
    """

    def __init__(self, *, takeable_classes: int, columns: Sequence[array[int]]) -> None:
        self.takeable_classes = takeable_classes
        self.outcome, self.independence, self.interprofessional, self.career, self.count = columns
        self.takeable_programs = sum(itertools.islice(self.count, takeable_classes))
        self.programs = sum(self.count)

    @classmethod
    def from_rows(cls, rows: Sequence[Sequence[int]]) -> PointClasses:
        """From (takeable, outcome, independence, interprofessional, career, count) rows in any order."""
        takeable = [row for row in rows if row[0]]
        ordered = takeable + [row for row in rows if not row[0]]
        columns = [array(typecode, [row[index] for row in ordered]) for index, typecode in enumerate(COLUMN_TYPES, 1)]
        return cls(takeable_classes=len(takeable), columns=columns)

    def cached_form(self) -> tuple[int, tuple[bytes, ...]]:
        return self.takeable_classes, tuple(column.tobytes() for column in self.columns)

    @classmethod
    def from_cached_form(cls, value: tuple[int, tuple[bytes, ...]]) -> PointClasses:
        takeable_classes, raw = value
        columns = []
        for typecode, data in zip(COLUMN_TYPES, raw, strict=True):
            column = array(typecode)
            column.frombytes(data)
            columns.append(column)
        return cls(takeable_classes=takeable_classes, columns=columns)

    @property
    def columns(self) -> tuple[array[int], ...]:
        return (self.outcome, self.independence, self.interprofessional, self.career, self.count)

    def __len__(self) -> int:
        return len(self.count)

    def ranked_count(self, *, fits_only: bool) -> int:
        """How many candidates the ranking holds: exact, the sum of its classes."""
        return self.takeable_programs if fits_only else self.programs


def cache_key_part(value: object) -> object:
    """A JSON-able form of a cache-key part that is the same in every process (sets sorted, no hash order)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {item.name: cache_key_part(getattr(value, item.name)) for item in dataclasses.fields(value)}
    if isinstance(value, (set, frozenset)):
        return sorted((cache_key_part(item) for item in value), key=repr)
    if isinstance(value, dict):
        return sorted(([str(key), cache_key_part(item)] for key, item in value.items()), key=repr)
    if isinstance(value, (list, tuple)):
        return [cache_key_part(item) for item in value]
    if isinstance(value, (Decimal, datetime.date)):
        return str(value)
    return value


def point_classes_key(
    *, version: str, goal: scoring.GoalCriteria, clinician: fit.ClinicianContext, filters: CatalogFilters
) -> str:
    """The cache key of the point classes: every input of the candidates, of their points and of "takeable".

    The weights are not in it (any weights reuse the classes), nor the parts of the clinician's
    situation that only notes read (horizon, review, hours short, topics).
    """
    coefficients = scoring.career_alignment_coefficients(goal)
    situation = {
        "today": clinician.today,
        "profession": clinician.profession,
        "credit_types": [sorted(licence.accepted_credit_types) for licence in clinician.licences],
        "budget": clinician.remaining_budget,
        "leave": clinician.remaining_leave_days,
        "years": clinician.money_years,
        "requested": sorted(clinician.requested_program_ids),
    }
    parts = {
        "version": version,
        "coefficients": dict(coefficients.competency_points),
        "track": [coefficients.program_track, coefficients.track_points, coefficients.integration_points],
        "situation": situation,
        "filters": dataclasses.replace(filters, sort=""),
    }
    text = json.dumps(cache_key_part(parts), sort_keys=True, default=str)
    return "ranking-classes-v2:" + hashlib.sha256(text.encode()).hexdigest()


GROUP_BY_WORK_MEM = "32MB"  # PostgreSQL: enough to hash the classes of 100,000 listings in memory
CLASS_FIELDS = ("takeable", "outcome_points", "independence_points", "interprofessional_points", "career_points")


def point_classes_query(
    *, goal: scoring.GoalCriteria, clinician: fit.ClinicianContext, filters: CatalogFilters
) -> PointClasses:
    """Count the filtered candidates per point class: one GROUP BY over the catalog.

    One query: on PostgreSQL the statement that raises work_mem travels with it.
    """
    queryset = ranking_candidates(clinician=clinician, filters=filters, fits_only=False).annotate(
        career_points=career_points_expression(goal), takeable=takeable_expression(clinician)
    )
    grouped = (
        queryset.values(*CLASS_FIELDS).annotate(programs=Count("pk")).order_by().values_list(*CLASS_FIELDS, "programs")
    )
    sql, params = grouped.query.sql_with_params()
    with connection.cursor() as cursor:  # tens of thousands of rows: plain tuples, not the ORM's per-row machinery
        if connection.vendor == "postgresql":
            # 4 MB of work_mem made it sort 60,000 groups on disk rather than hash them (JIT is off for the
            # connection: settings). SET LOCAL in the same simple-query message holds until the transaction ends:
            # this statement alone under autocommit, the rest of the request's transaction inside an atomic block.
            cursor.execute(f"SET LOCAL work_mem = '{GROUP_BY_WORK_MEM}'; {sql}", params)
            cursor.nextset()
        else:
            cursor.execute(sql, params)
        rows = cursor.fetchall()
    return PointClasses.from_rows(rows)


def point_classes(
    *,
    goal: scoring.GoalCriteria,
    clinician: fit.ClinicianContext,
    filters: CatalogFilters,
    version: str | None,
) -> PointClasses:
    """The point classes, from the cache when this catalog version, day and situation were seen before.

    `version` None (this transaction changed the catalog) reads and writes no cache.
    """
    if version is None:
        return point_classes_query(goal=goal, clinician=clinician, filters=filters)
    key = point_classes_key(version=version, goal=goal, clinician=clinician, filters=filters)
    cached = cache.get(key)
    if cached is not None:
        return PointClasses.from_cached_form(cached)
    classes = point_classes_query(goal=goal, clinician=clinician, filters=filters)
    cache.set(key, classes.cached_form(), POINT_CLASSES_TTL)
    return classes


@dataclass(frozen=True)
class _OrderedClass:
    key: tuple[int, int, int]  # (takeable when it leads, else 0; weighted points; career points when weighted, else 0)
    members: tuple[tuple[int, int, int], ...]  # the (outcome, independence, interprofessional) points of its classes
    start: int  # position of its first program in the ranking
    count: int


def ordered_classes_between(
    classes: PointClasses,
    weights: scoring.Weights,
    *,
    takeable_first: bool,
    fits_only: bool,
    start: int,
    stop: int,
) -> list[_OrderedClass]:
    """The point classes holding positions [start, stop) of the ranking, merged by equal ordering key, in order.

    The key is exactly rank_order's before the tie-break: takeable (when it leads), weighted points,
    career points (when weighted). Programs of one key are contiguous in the ranking. When takeable
    leads, the takeable classes fill the first positions, so the others are not looked at unless
    the page reaches past them.
    """
    takeable, takeable_programs = classes.takeable_classes, classes.takeable_programs
    if fits_only:  # (first class, end, takeable when it leads, first position, programs)
        segments = [(0, takeable, 0, 0, takeable_programs)]
    elif takeable_first:
        segments = [
            (0, takeable, 1, 0, takeable_programs),
            (takeable, len(classes), 0, takeable_programs, classes.programs - takeable_programs),
        ]
    else:
        segments = [(0, len(classes), 0, 0, classes.programs)]
    result: list[_OrderedClass] = []
    for first, end, leads, position, programs in segments:
        if position < stop and position + programs > start:
            result += _segment_between(
                classes, first, end, weights, leads=leads, position=position, start=start, stop=stop
            )
    return result


def _segment_between(
    classes: PointClasses,
    first: int,
    end: int,
    weights: scoring.Weights,
    *,
    leads: int,
    position: int,
    start: int,
    stop: int,
) -> list[_OrderedClass]:
    """`ordered_classes_between` within the classes [first, end), whose first program is at `position`."""
    outcome, independence = classes.outcome[first:end], classes.independence[first:end]
    interprofessional, career = classes.interprofessional[first:end], classes.career[first:end]
    w_o, w_i, w_p, w_c = weights.outcome, weights.independence, weights.interprofessional, weights.career
    tied_by_career = 1 if w_c else 0
    keys = [
        ((w_o * o + w_i * i + w_p * p + w_c * c) << CAREER_BITS) + tied_by_career * c
        for o, i, p, c in zip(outcome, independence, interprofessional, career, strict=True)
    ]
    wanted = stop - position  # positions of this segment the page reaches
    if not keys or wanted <= 0:
        return []
    # Each class holds at least one program, so the classes before position `stop` are among the
    # `wanted` highest keys; every class above them is too, so their positions are exact.
    lowest = heapq.nlargest(wanted, keys)[-1] if wanted < len(keys) else min(keys)
    by_key: dict[int, list[int]] = {}
    for index in [index for index, key in enumerate(keys) if key >= lowest]:
        by_key.setdefault(keys[index], []).append(index)
    result = []
    for key in sorted(by_key, reverse=True):
        members = by_key[key]
        count = sum(classes.count[first + index] for index in members)
        if position + count > start:
            stored = tuple((outcome[index], independence[index], interprofessional[index]) for index in members)
            ordering_key = (leads, key >> CAREER_BITS, key & ((1 << CAREER_BITS) - 1))
            result.append(_OrderedClass(key=ordering_key, members=stored, start=position, count=count))
        position += count
        if position >= stop:
            break
    return result


MAX_STORED_TUPLES = 400  # SQLite: beyond this many (outcome, independence, interprofessional) tuples, no narrowing


TAKEABLE_BIT = 40  # above every weighted point (at most 4 * MAX_WEIGHT * FULL, shifted by CAREER_BITS)


def _packed_key(key: tuple[int, int, int]) -> int:
    """An ordering key (takeable when it leads, weighted points, career points when weighted) as one integer."""
    takeable, weighted, career = key
    return (takeable << TAKEABLE_BIT) + (weighted << CAREER_BITS) + career


def packed_key_expression(*, leads: bool, weights: scoring.Weights) -> Expression:
    """`_packed_key` of each row, over rank_annotate's annotations (and `takeable` when it leads).

    A key range is then one BETWEEN that names each computed expression once.
    """
    key = F("weighted_points") * Value(1 << CAREER_BITS)
    if weights.career:
        key = key + F("career_points")
    if leads:
        key = key + F("takeable") * Value(1 << TAKEABLE_BIT)
    return ExpressionWrapper(key, output_field=BigIntegerField())


def _stored_points_in(stored: set[tuple[int, int, int]]) -> Q:
    """Rows whose stored (outcome, independence, interprofessional) points are one of `stored`, by the index.

    PostgreSQL: one row comparison against three arrays, whatever their length (a Q per tuple cost
    about 60 ms of ORM compilation per page at 400 tuples). SQLite: an OR of the tuples, up to
    MAX_STORED_TUPLES (beyond, no narrowing: the key range alone is exact).
    """
    ordered = sorted(stored)
    if connection.vendor == "postgresql":
        columns = [list(column) for column in zip(*ordered, strict=True)]
        # The ids first, as an array: the planner then expects a handful of rows (not a tenth of the
        # catalog, its guess for a join with unnest) and probes each one's credit offerings rather than
        # hashing every offering of the catalog for the fit filter.
        in_arrays = RawSQL(
            '"programs_program"."id" = ANY(ARRAY(SELECT stored."id" FROM "programs_program" stored '
            'WHERE (stored."outcome_points", stored."independence_points", stored."interprofessional_points") IN '
            "(SELECT * FROM unnest(%s::smallint[], %s::smallint[], %s::smallint[]))))",
            columns,
            output_field=BooleanField(),
        )
        return Q(in_arrays)
    if len(ordered) > MAX_STORED_TUPLES:
        return Q()
    narrowed = Q()
    for outcome, independence, interprofessional in ordered:
        narrowed |= Q(
            outcome_points=outcome, independence_points=independence, interprofessional_points=interprofessional
        )
    return narrowed


class _RankedIds(Sequence[int]):
    """The ranked program ids as a sequence the paginator slices; a slice reads only its classes' rows.

    `fetch` reads the ids of a slice; when it reads the programs themselves (models with their
    provider and offerings), it keeps them in `loaded` for `ranked_catalog_page`.
    """

    def __init__(
        self,
        *,
        count: int,
        classes_between: Callable[[int, int], list[_OrderedClass]],
        fetch: Callable[[tuple[int, int], Q, int, int], list[int]],
    ) -> None:
        self._count = count
        self._classes_between = classes_between
        self._window: list[int] = []  # the first ids of the ranking, when `preload` read them
        self._fetch = fetch

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> int: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[int]: ...
    def __getitem__(self, index: int | slice) -> int | Sequence[int]:
        if isinstance(index, int):
            return self[index : index + 1][0]
        start, stop, step = index.indices(self._count)
        if step != 1 or start >= stop:
            return []
        if stop <= len(self._window):
            return self._window[start:stop]
        overlapping = self._classes_between(start, stop)
        # Exactly the rows of these classes: their keys are one contiguous run, so a range of the packed key
        # says it; the stored points narrow the rows through the program_points index first.
        key_range = (_packed_key(overlapping[-1].key), _packed_key(overlapping[0].key))
        narrowed = _stored_points_in({member for item in overlapping for member in item.members})
        offset = start - overlapping[0].start
        return self._fetch(key_range, narrowed, offset, offset + stop - start)

    def __iter__(self) -> Iterator[int]:
        return iter(self[0 : self._count])

    def preload(self, stop: int) -> list[int]:
        """Read the first `stop` ids in one query; later slices within them read nothing."""
        self._window = list(self[0:stop])
        return self._window


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


READ_VERSION = "read"  # the ranking reads the catalog version itself


@dataclass(frozen=True)
class RankingQuery:
    """What one page of the ranked catalog is asked for: the goal, weights and clinician it is ranked for, the
    filters, the page, and how it is ordered (`order_by_fit`: the ranking, else the catalog sort in `filters`;
    `takeable_first`: programs the clinician can take first). `catalog_version` is the token read with the
    ranking context (None: do not cache; READ_VERSION: read it)."""

    goal: scoring.GoalCriteria
    weights: scoring.Weights
    clinician: fit.ClinicianContext
    filters: CatalogFilters = dataclasses.field(default_factory=CatalogFilters)
    page_number: str | int | None = 1
    fits_only: bool = False
    order_by_fit: bool = True
    takeable_first: bool = True
    per_page: int = PER_PAGE
    catalog_version: str | None = READ_VERSION

    @classmethod
    def for_sort(
        cls,
        *,
        goal: scoring.GoalCriteria,
        weights: scoring.Weights,
        clinician: fit.ClinicianContext,
        filters: CatalogFilters,
        page_number: str | int | None,
        fits_only: bool,
        catalog_version: str | None,
    ) -> RankingQuery:
        """The query for the catalog's sort choice (`filters.sort`): the ranking for "" or RANKED_SORT, by score
        alone for SCORE_SORT, otherwise that catalog sort."""
        return cls(
            goal=goal,
            weights=weights,
            clinician=clinician,
            filters=filters,
            page_number=page_number,
            fits_only=fits_only,
            order_by_fit=filters.sort in ("", RANKED_SORT, SCORE_SORT),
            takeable_first=filters.sort != SCORE_SORT,
            catalog_version=catalog_version,
        )


def ranked_catalog_page(query: RankingQuery) -> RankedPage:
    """One page of the catalog ranked for a goal (`ranked_catalog_ids`), its programs loaded as models and scored.

    Queries: `ranked_catalog_ids`'s, the page's programs with their providers, and their credit offerings; when
    the ids are not cached, the query of the ids reads the programs themselves (then offerings).
    """
    loaded: dict[int, Program] = {}
    page = _ranked_ids(query, loaded=loaded)
    if any(program_id not in loaded for program_id in page.object_list):
        loaded = catalog_base().in_bulk(list(page.object_list))
    programs = [loaded[program_id] for program_id in page.object_list]
    results = ranked_results(programs, goal=query.goal, weights=query.weights, clinician=query.clinician)
    return RankedPage(page=page, results=results)


@dataclass(frozen=True)
class RankedListingsPage:
    page: Page[int]  # of program ids, in ranked order
    results: list[RankedListing]


def ranked_catalog_listings(query: RankingQuery) -> RankedListingsPage:
    """`ranked_catalog_page` for the catalog's cards: the page's listings as plain values (`catalog_listings`,
    cached under the catalog version: no query once any page showed them), scored in Python when asked."""
    if query.catalog_version == READ_VERSION:
        query = dataclasses.replace(query, catalog_version=current_version_token())
    page = ranked_catalog_ids(query)
    listings = catalog_listings(program_ids=list(page.object_list), version=query.catalog_version)
    results = [
        RankedListing(listing=listing, goal=query.goal, weights=query.weights, clinician=query.clinician)
        for listing in listings
    ]
    return RankedListingsPage(page=page, results=results)


def ranked_catalog_ids(query: RankingQuery) -> Page[int]:
    """The ids of one page of the catalog ranked for a goal, in exactly `ranked_queryset`'s order, whatever the
    catalog size.

    Queries: the point classes when not cached (one GROUP BY), then the page's ids (none when cached); the
    catalog version too unless the caller read it (`catalog_version`, e.g. with the ranking context; None: do
    not cache). The first RANKED_WINDOW ids and the count are cached per weights, so a page among them reads
    neither the classes nor the rows of the others; otherwise the first page read fills them in the same query.
    The count is exact.
    With another sort than the ranking (`order_by_fit` False) the page is ordered in SQL by it.
    """
    return _ranked_ids(query, loaded=None)


def _ranked_ids(query: RankingQuery, *, loaded: dict[int, Program] | None) -> Page[int]:
    """`ranked_catalog_ids`; with `loaded`, a query of the ranking reads the programs (with provider and
    offerings) rather than their ids alone and keeps them there."""
    goal, weights, clinician, filters = query.goal, query.weights, query.clinician, query.filters
    fits_only = query.fits_only
    version = current_version_token() if query.catalog_version == READ_VERSION else query.catalog_version
    leads = query.takeable_first and not fits_only
    window_key = None
    if version is not None and query.order_by_fit:
        classes_key = point_classes_key(version=version, goal=goal, clinician=clinician, filters=filters)
        parts = [classes_key, *dataclasses.astuple(weights), leads, fits_only]
        window_key = "ranking-window:" + hashlib.sha256(repr(parts).encode()).hexdigest()
        cached = cache.get(window_key)
        if cached is not None:
            found = _page_from_window(cached, page_number=query.page_number, per_page=query.per_page)
            if found is not None:
                return found
    classes = point_classes(goal=goal, clinician=clinician, filters=filters, version=version)
    if not query.order_by_fit:
        return _sorted_catalog_ids(query, count=classes.ranked_count(fits_only=fits_only))

    def fetch(key_range: tuple[int, int], narrowed: Q, start: int, stop: int) -> list[int]:
        queryset = (
            rank_annotate(ranking_candidates(clinician=clinician, filters=filters, fits_only=fits_only), goal, weights)
            .annotate(takeable=takeable_expression(clinician))
            .alias(packed_key=packed_key_expression(leads=leads, weights=weights))
        )
        condition = narrowed & Q(packed_key__range=key_range)
        ordered = rank_order(queryset.filter(condition), weights, clinician if leads else None)
        if loaded is None:
            return list(ordered.values_list("pk", flat=True)[start:stop])
        programs = list(ordered[start:stop])
        loaded.update((program.pk, program) for program in programs)
        return [program.pk for program in programs]

    def classes_between(start: int, stop: int) -> list[_OrderedClass]:
        return ordered_classes_between(
            classes, weights, takeable_first=query.takeable_first, fits_only=fits_only, start=start, stop=stop
        )

    ids = _RankedIds(
        count=classes.ranked_count(fits_only=fits_only),
        classes_between=classes_between,
        fetch=fetch,
    )
    if window_key is not None and _page_bounds(len(ids), query.page_number, query.per_page)[1] <= RANKED_WINDOW:
        # One query reads the first ids; the page comes from them, they are kept for the next pages.
        cache.set(window_key, (len(ids), ids.preload(min(RANKED_WINDOW, len(ids)))), POINT_CLASSES_TTL)
    return Paginator(ids, query.per_page).get_page(query.page_number)


RANKED_WINDOW = 100  # ranked ids kept per weights (five pages of 20); pages past them read their classes


def _page_bounds(count: int, page_number: str | int | None, per_page: int) -> tuple[int, int]:
    """[start, stop) of the page Paginator.get_page would give (a bad number: the first; past the end: the last)."""
    page = Paginator(range(count), per_page).get_page(page_number)
    return (page.start_index() - 1, page.end_index()) if count else (0, 0)


def _page_from_window(
    cached: tuple[int, list[int]], *, page_number: str | int | None, per_page: int
) -> Page[int] | None:
    """The page of ids from the cached first ids of the ranking, or None when the page lies past them."""
    count, window = cached
    start, stop = _page_bounds(count, page_number, per_page)
    if stop > len(window):
        return None
    paginator: Paginator[int] = Paginator(range(count), per_page)
    return Page(window[start:stop], paginator.get_page(page_number).number, paginator)


def _sorted_catalog_ids(query: RankingQuery, *, count: int) -> Page[int]:
    """The ids of a page of the ranked cards in a catalog sort (date, title, cost...), in that sort."""
    queryset = ranked_queryset(
        goal=query.goal,
        weights=query.weights,
        clinician=query.clinician,
        filters=query.filters,
        fits_only=query.fits_only,
        order_by_fit=False,
    )
    paginator = Paginator(queryset.values_list("pk", flat=True), query.per_page)
    paginator.count = count  # from the point classes: no COUNT over the catalog
    page = paginator.get_page(query.page_number)
    return Page(list(page.object_list), page.number, paginator)
