"""The SQL ranking and fit filter agree exactly with the scoring module on random catalogs."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

import pytest
from django.utils import timezone

from careers.models import GoalTrack
from demo.synthetic import synthetic_programs_create
from programs.choices import Competency, CreditType, MandatedTopic, Profession
from programs.ranking import fit, scoring
from programs.ranking.queries import fits_filter, rank_annotate, rank_order, ranked_queryset
from programs.selectors import CatalogFilters, catalog_base, catalog_filter, program_signals
from tests.factories import ProgramFactory, ProviderFactory

pytestmark = pytest.mark.django_db

SEEDS = range(12)


def _random_goal(rng: random.Random) -> scoring.GoalCriteria:
    competencies = frozenset(rng.sample([c.value for c in Competency], rng.randint(0, 5)))
    essential = frozenset(code for code in competencies if rng.random() < 0.4)
    return scoring.GoalCriteria(
        track=rng.choice([t.value for t in GoalTrack]), competencies=competencies, essential_competencies=essential
    )


def _random_weights(rng: random.Random) -> scoring.Weights:
    while True:
        values = [rng.choice([0, 0, 1, 2, 3, 5]) for _ in range(4)]
        if any(values):
            return scoring.Weights(*values)


def _random_clinician(rng: random.Random, today: datetime.date) -> fit.ClinicianContext:
    def maybe(value):
        return value if rng.random() < 0.75 else None

    licences = []
    for index in range(rng.choice([0, 1, 1, 2])):
        accepted = frozenset(rng.sample([c.value for c in CreditType], rng.choice([0, 1, 1, 2])))
        licences.append(
            fit.LicenceNeed(
                licence_id=index + 1,
                name=f"State {index}",
                renewal_date=today + datetime.timedelta(days=rng.randint(-10, 400)),
                accepted_credit_types=accepted,
                hours_short=Decimal(rng.choice([0, 5, 20])),
                missing_topics={rng.choice([t.value for t in MandatedTopic]): Decimal(3)} if rng.random() < 0.5 else {},
            )
        )
    money_years = []
    if rng.random() < 0.6:  # the ledger's money per policy year, as the catalog gets it
        month = rng.randint(1, 12)
        first = datetime.date(today.year if today.month >= month else today.year - 1, month, 1)
        for offset in range(rng.randint(1, 3)):
            start, end = first.replace(year=first.year + offset), first.replace(year=first.year + offset + 1)
            money_years.append(
                fit.MoneyYear(
                    start=start,
                    end=end,
                    money=maybe(Decimal(rng.choice([0, 100, 600, 1200, 5000]))),
                    leave=maybe(Decimal(rng.choice([0, 1, 2, 5]))),
                )
            )
    return fit.ClinicianContext(
        today=today,
        money_years=tuple(money_years),
        profession=maybe(rng.choice([p.value for p in Profession][:6])),
        remaining_budget=maybe(Decimal(rng.choice([0, 100, 600, 1200, 5000]))),
        remaining_leave_days=maybe(Decimal(rng.choice([0, 1, 2, 5]))),
        horizon=maybe(today + datetime.timedelta(days=rng.randint(-20, 400))),
        next_review=maybe(today + datetime.timedelta(days=rng.randint(-20, 400))),
        licences=tuple(licences),
    )


@pytest.fixture
def catalog(db):
    synthetic_programs_create(count=150, seed=11)
    # Exact ties on every factor, broken by fee, start, title (by code point) and id.
    provider = ProviderFactory(name="Tie provider")
    start = timezone.localdate() + datetime.timedelta(days=20)
    for title in ["apple", "Zeta", "Émile", "Zeta", "zeta", "Apple"]:
        ProgramFactory(provider=provider, title=title, start_date=start, fee_amount=Decimal("100"))
    ProgramFactory(provider=provider, title="Zeta", start_date=None, end_date=None, fee_amount=None)
    ProgramFactory(provider=provider, title="Euro", fee_currency="EUR", fee_amount=Decimal("90000"))
    ProgramFactory(provider=provider, title="Unknown leave", leave_days=None, professions=[])


def _module_ranking(goal, weights, programs=None):
    programs = programs if programs is not None else list(catalog_base())
    return [scored.program_id for scored, _ in scoring.rank_programs(map(program_signals, programs), goal, weights)]


@pytest.mark.parametrize("seed", SEEDS)
def test_sql_order_equals_module_order(catalog, seed):
    rng = random.Random(seed)
    goal, weights = _random_goal(rng), _random_weights(rng)
    sql_ids = list(rank_order(rank_annotate(catalog_base(), goal, weights), weights).values_list("id", flat=True))
    assert sql_ids == _module_ranking(goal, weights)


@pytest.mark.parametrize("seed", SEEDS)
def test_sql_weighted_points_equal_module_points(catalog, seed):
    rng = random.Random(seed)
    goal, weights = _random_goal(rng), _random_weights(rng)
    for program in rank_annotate(catalog_base(), goal, weights):
        scored = scoring.score_program(program_signals(program), goal, weights)
        assert program.weighted_points == scored.weighted_points
        assert program.career_points == scored.factor(scoring.Factor.CAREER).points


@pytest.mark.parametrize("seed", SEEDS)
def test_sql_fit_filter_equals_module_fit(catalog, seed):
    rng = random.Random(seed)
    today = timezone.localdate()
    clinician = _random_clinician(rng, today)
    sql_ids = set(catalog_base().filter(fits_filter(clinician)).values_list("id", flat=True))
    module_ids = {
        program.pk
        for program in catalog_base()
        if fit.program_fits(fit.fit_checks(program_signals(program), clinician))
    }
    assert sql_ids == module_ids


def test_fit_filter_excludes_and_keeps_as_the_module_says(catalog):
    # A sanity check that the random comparison is not vacuous.
    today = timezone.localdate()
    clinician = fit.ClinicianContext(today=today, remaining_budget=Decimal("100"))
    kept = catalog_base().filter(fits_filter(clinician)).count()
    assert 0 < kept < catalog_base().count()


@pytest.mark.parametrize("seed", range(4))
def test_ranked_queryset_with_filters_and_fits_only_keeps_module_order(catalog, seed):
    rng = random.Random(100 + seed)
    goal, weights = _random_goal(rng), _random_weights(rng)
    clinician = _random_clinician(rng, timezone.localdate())
    filters = CatalogFilters(profession="nurse")
    queryset = ranked_queryset(goal=goal, weights=weights, clinician=clinician, filters=filters, fits_only=True)
    sql_ids = list(queryset.values_list("id", flat=True))
    kept = [
        program
        for program in catalog_filter(catalog_base(), filters)
        if fit.program_fits(fit.fit_checks(program_signals(program), clinician))
    ]
    assert sql_ids == _module_ranking(goal, weights, kept)
