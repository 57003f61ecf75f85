"""The ranked catalog page and its htmx partial: a fixed number of queries at any catalog size, cold or cached.

Cold: the point classes are counted (one GROUP BY) before the page is read. Cached: the page reads only
the rows of its classes. Both counts are the same at 40 and at 400 listings.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from demo.synthetic import synthetic_programs_create
from programs.models import Program
from tests.programs.ranking_helpers import goal_for

pytestmark = pytest.mark.django_db

CATALOG = reverse("programs:catalog")
# session, user, roles, shortlist marks (the page's own); the ranking context (four: the goal with the profile,
# the employer policy, the catalog version and the navigation's unread count; the requests; the licences;
# their credit). The page's ids and listings come from the cache. Cold adds the point classes' GROUP BY, the
# page's ids and its listings (programs with providers and credit offerings, one query).
WARM_QUERIES = 8
COLD_QUERIES = WARM_QUERIES + 3

REQUESTS = {
    "page": ({}, {}),
    "page, sliders and fits only": ({"w_outcome": "5", "w_career": "1", "fits_only": "on"}, {}),
    "htmx partial": ({"w_interprofessional": "4"}, {"HTTP_HX_REQUEST": "true"}),
    "page 2, score alone": ({"page": "2", "sort": "score"}, {}),
}


@pytest.fixture(autouse=True)
def bump_at_once():
    """PostgreSQL moves the catalog version at commit, which a test's transaction never reaches: move it at once."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def _counts(client) -> dict[str, tuple[int, int]]:
    client.get(CATALOG, {"sort": "title"})  # the filter option caches (not the ranking's)
    counts = {}
    for name, (params, headers) in REQUESTS.items():
        _touch_the_catalog()  # a new catalog version: nothing of the ranking is cached
        with CaptureQueriesContext(connection) as cold:
            response = client.get(CATALOG, params, **headers)
        assert response.status_code == 200 and b"for your goal" in response.content, name
        with CaptureQueriesContext(connection) as warm:
            client.get(CATALOG, params, **headers)
        counts[name] = (len(cold), len(warm))
    return counts


def _touch_the_catalog() -> None:
    first = Program.objects.order_by("pk").first()
    assert first is not None
    Program.objects.filter(pk=first.pk).update(title=F("title"))


def test_ranked_page_and_partial_query_counts_do_not_grow_cold_or_cached(client, world):
    goal_for(world.owner)
    client.force_login(world.owner)
    synthetic_programs_create(count=40, seed=21)
    small = _counts(client)
    synthetic_programs_create(count=360, seed=22)
    large = _counts(client)
    assert small == large
    for name, (cold, warm) in large.items():
        assert warm == WARM_QUERIES, (name, warm)
        assert cold <= COLD_QUERIES, (name, cold)
