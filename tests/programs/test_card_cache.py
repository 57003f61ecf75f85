"""The ranked cards' cached parts: the same page from the cache, and a new part whenever what it shows changes."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.urls import reverse

from programs.models import Program
from tests.factories import ProgramFactory
from tests.programs.ranking_helpers import goal_for

pytestmark = pytest.mark.django_db

CATALOG = reverse("programs:catalog")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture
def shared_cache(settings):
    """A real cache, so the ranked parts are kept (the test settings may have none)."""
    from django.core.cache import cache

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "cards"}}
    cache.clear()
    if connection.vendor == "postgresql":  # the catalog version moves at commit, which a test never reaches
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    yield cache
    cache.clear()


def _page(client, params=None, **headers) -> str:
    response = client.get(CATALOG, params or {}, **headers)
    assert response.status_code == 200
    return CSRF.sub("csrf", response.content.decode())


def _cards(html: str) -> str:
    return html[html.index('<ol class="program-list') : html.index("</ol>")]


def test_a_cached_ranked_part_is_the_part_rendered_and_follows_every_change(client, world, shared_cache):
    goal_for(world.owner)
    client.force_login(world.owner)
    ProgramFactory.create_batch(3)
    first = _page(client)
    assert any(key.endswith(tuple(f":{p.pk}" for p in Program.objects.all())) for key in shared_cache._cache)
    assert _page(client) == first  # read back from the cache, byte for byte
    assert _cards(_page(client, HTTP_HX_REQUEST="true")) == _cards(first)  # the partial holds the same cards
    reweighted = _page(client, {"w_outcome": "0", "w_independence": "0", "w_interprofessional": "0", "w_career": "5"})
    assert re.findall(r"\(weight (\d)\)", reweighted)[:4] == ["0", "0", "0", "5"]
    program = Program.objects.order_by("pk").first()
    Program.objects.filter(pk=program.pk).update(title="A title written since")  # moves the catalog version
    assert 'Compare<span class="visually-hidden"> A title written since</span>' in _page(client)
