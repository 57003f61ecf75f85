"""The ranked catalog's listings (plain values, no model) read exactly what the program models read.

The cards and the scoring of the ranked catalog come from `selectors.catalog_listings`; every other page
reads the models through `program_signals`. Both must give the same signals, the same cards and the same
scores, read fresh or from the cache.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from demo.synthetic import synthetic_programs_create
from programs import presenters
from programs.ranking import fit, queries, scoring
from programs.selectors import CatalogFilters, catalog_base, catalog_listings, program_signals
from tests.factories import ProgramFactory, ProviderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "listings"}}
    cache.clear()
    yield
    cache.clear()


def _catalog() -> list[int]:
    synthetic_programs_create(count=60, seed=41)
    verified = ProviderFactory(name="Verified & co", accreditor="accme", jointly_accredited=True)
    ProgramFactory(
        provider=verified,
        title="Odd credits",
        fee_amount=Decimal("0"),
        credits={"ama_pra_1": "2.5", "ancc": "12.25"},
        last_verified_on=timezone.localdate() - datetime.timedelta(days=3),
    )
    ProgramFactory(title="No credits, no fee", fee_amount=None, credits={})
    return list(catalog_base().order_by("pk").values_list("pk", flat=True))


def test_a_listing_has_the_signals_and_the_card_of_its_program(shared_cache):
    ids = _catalog()
    programs = catalog_base().in_bulk(ids)
    fresh = catalog_listings(program_ids=ids, version="v1")
    with CaptureQueriesContext(connection) as captured:
        cached = catalog_listings(program_ids=ids, version="v1")
    assert len(captured) == 0
    assert cached == fresh
    assert [listing.pk for listing in fresh] == ids
    assert [listing.signals for listing in fresh] == [program_signals(programs[pk]) for pk in ids]
    model_cards = presenters.program_cards([programs[pk] for pk in ids], shortlisted={ids[0]}, actions=True)
    goal = scoring.GoalCriteria(track="executive_leadership", competencies=frozenset({"healthcare_finance"}))
    clinician = fit.ClinicianContext(today=timezone.localdate(), remaining_budget=Decimal("600"))
    weights = scoring.Weights(3, 1, 2, 4)
    results = [
        queries.RankedListing(listing=listing, goal=goal, weights=weights, clinician=clinician) for listing in cached
    ]
    listing_cards = presenters.ranked_cards(results, shortlisted={ids[0]}, actions=True)
    assert [{**card, "ranking_html": ""} for card in listing_cards] == model_cards


def test_a_listing_not_in_the_catalog_is_left_out_and_no_version_reads_no_cache(shared_cache):
    ids = _catalog()
    today = timezone.localdate()
    ended = ProgramFactory(start_date=today - datetime.timedelta(days=5), end_date=today - datetime.timedelta(days=1))
    assert [listing.pk for listing in catalog_listings(program_ids=[ended.pk, *ids[:3]], version=None)] == ids[:3]
    assert not any("catalog-listing" in key for key in cache._cache)  # type: ignore[attr-defined]  # locmem


def test_the_ranked_listings_page_is_the_ranked_page_scored_the_same(shared_cache):
    _catalog()
    goal = scoring.GoalCriteria(track="executive_leadership", competencies=frozenset({"strategic_planning"}))
    clinician = fit.ClinicianContext(today=timezone.localdate(), remaining_budget=Decimal("900"))
    arguments = {"goal": goal, "clinician": clinician, "filters": CatalogFilters(), "catalog_version": "v2"}
    for weights in (scoring.Weights(), scoring.Weights(5, 0, 1, 2)):
        for number in (1, 2, 4):
            models = queries.ranked_catalog_page(queries.RankingQuery(weights=weights, page_number=number, **arguments))
            listings = queries.ranked_catalog_listings(
                queries.RankingQuery(weights=weights, page_number=number, **arguments)
            )
            assert list(listings.page.object_list) == list(models.page.object_list)
            assert [(r.listing.pk, r.scored, r.checks) for r in listings.results] == [
                (r.program.pk, r.scored, r.checks) for r in models.results
            ]
