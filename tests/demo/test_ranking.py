"""The demo physician's default ranking: what she can take first, and badges that say only what was checked."""

import html
import io
import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from programs.ranking import fit, queries
from programs.selectors import CatalogFilters
from supervision.selectors import ranking_context_for_user

pytestmark = pytest.mark.django_db

CATALOG = reverse("programs:catalog")


@pytest.fixture
def physician():
    call_command("seed_demo", stdout=io.StringIO())
    return User.objects.get(email="clinician@demo.test")


def _ranked(physician, **options):
    context = ranking_context_for_user(user=physician)
    assert context is not None
    page = queries.ranked_catalog_page(
        queries.RankingQuery(
            goal=context.goal,
            weights=context.weights,
            clinician=context.clinician,
            filters=CatalogFilters(),
            page_number=1,
            per_page=100,
            **options,
        )
    )
    return page.results


def test_the_physicians_top_five_are_designed_for_physicians_and_takeable_ones_come_first(physician):
    results = _ranked(physician)
    assert len(results) > 20
    for result in results[:5]:
        professions = result.program.professions
        assert not professions or "physician" in professions, result.program.title
        assert result.fit_summary.takeable, result.program.title
    takeable = [result.fits for result in results]
    assert takeable == sorted(takeable, reverse=True)
    assert True in takeable and False in takeable
    # Ending after the next performance review is a dated note, not a failure.
    cautions = [check.message for result in results for check in result.fit_summary.cautions]
    assert any(re.fullmatch(r"ends .+, after your next performance review on .+", message) for message in cautions)
    assert sum(not result.fits for result in results) < len(results) // 2


def test_score_alone_keeps_the_old_order_on_request(physician):
    by_score = _ranked(physician, takeable_first=False)
    points = [result.scored.weighted_points for result in by_score]
    assert points == sorted(points, reverse=True)
    assert not all(result.fits for result in by_score[:5])  # the strongest score is over budget


def test_the_catalog_says_its_order_and_every_badge_names_what_it_checked(client, physician):
    client.force_login(physician)
    body = html.unescape(client.get(CATALOG).content.decode())
    assert queries.TAKEABLE_FIRST_RULE in body
    assert "Fits your constraints" not in body and "Does not fit every constraint" not in body
    assert "Fits: profession, credit type, budget, leave, dates" in body
    assert "Note</span> · Performance review: ends " in body
    by_score = html.unescape(client.get(CATALOG, {"sort": queries.SCORE_SORT}).content.decode())
    assert queries.SCORE_ONLY_RULE in by_score


def test_program_page_and_compare_show_the_same_badge_as_the_card(client, physician):
    results = _ranked(physician)
    first, failing = results[0], next(result for result in results if not result.fits)
    client.force_login(physician)
    for result in (first, failing):
        page = html.unescape(client.get(reverse("programs:detail", args=[result.program.pk])).content.decode())
        assert result.fit_summary.headline in page
    compare = html.unescape(
        client.get(reverse("programs:compare"), {"ids": [first.program.pk, failing.program.pk]}).content.decode()
    )
    assert first.fit_summary.headline in compare and failing.fit_summary.headline in compare
    assert fit.fit_summary(failing.checks).headline.startswith("Does not fit: ")
