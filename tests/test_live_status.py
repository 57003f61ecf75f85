"""In-place (htmx) updates are announced through one permanent status region, never by a swapped live region.

base.html holds `#live-status` outside every swapped area; each partial response refills it out of band
(templates/_live_status.html) with a sentence of the figures the update shows. Full pages leave it empty,
so nothing is read at load, and no large container (#results, #members, #import-progress) is a live region.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from programs.models import ImportJob
from tests.factories import ProgramFactory
from tests.programs.ranking_helpers import goal_for
from tests.supervision.helpers import history, profile

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
OOB = re.compile(r'<div id="live-status" hx-swap-oob="innerHTML">(.*?)</div>', re.S)


def _announced(body: str) -> list[str]:
    return [text.strip() for text in OOB.findall(body)]


class _LiveAncestors(HTMLParser):
    """For each watched id: the elements with aria-live (or a live role) around or on it; and every live region."""

    LIVE_ROLES = {"status", "alert", "log"}

    def __init__(self, watched: set[str]) -> None:
        super().__init__()
        self.watched = watched
        self.stack: list[tuple[str, dict[str, str | None]]] = []
        self.live_around: dict[str, list[str]] = {}
        self.regions: list[dict[str, str | None]] = []

    def _is_live(self, attrs: dict[str, str | None]) -> bool:
        return "aria-live" in attrs or attrs.get("role") in self.LIVE_ROLES

    def handle_starttag(self, tag: str, attr_list: list[tuple[str, str | None]]) -> None:
        attrs = dict(attr_list)
        if self._is_live(attrs):
            self.regions.append(attrs)
        element_id = attrs.get("id")
        if element_id in self.watched:
            chain = [*self.stack, (tag, attrs)]
            self.live_around[element_id] = [f"<{t} id={a.get('id')}>" for t, a in chain if self._is_live(a)]
        if tag not in VOID:
            self.stack.append((tag, attrs))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return


def _live_around(html: str, *ids: str) -> _LiveAncestors:
    parser = _LiveAncestors(set(ids))
    parser.feed(html)
    assert set(parser.live_around) == set(ids), f"not on the page: {set(ids) - set(parser.live_around)}"
    return parser


def _assert_page_region_empty(html: str) -> None:
    assert html.count('id="live-status"') == 1
    assert '<div id="live-status" class="visually-hidden" aria-live="polite" aria-atomic="true"></div>' in html
    assert "hx-swap-oob" not in html


# --- Catalog -----------------------------------------------------------------------------------------


def test_catalog_partial_announces_count_page_and_sort_and_the_full_page_reads_nothing(client, world):
    ProgramFactory.create_batch(21)
    client.force_login(world.owner)
    url = reverse("programs:catalog")

    assert _announced(client.get(url, headers=HTMX).content.decode()) == [
        "21 programs, page 1 of 2, sorted by starting soonest."
    ]
    assert _announced(client.get(url, {"page": "2", "sort": "title"}, headers=HTMX).content.decode()) == [
        "21 programs, page 2 of 2, sorted by title A-Z."
    ]
    _assert_page_region_empty(client.get(url).content.decode())


def test_catalog_partial_says_one_page_no_match_and_refused_filters(client, world):
    ProgramFactory(title="Only one")
    client.force_login(world.owner)
    url = reverse("programs:catalog")
    assert _announced(client.get(url, {"sort": "cost"}, headers=HTMX).content.decode()) == [
        "1 program, sorted by lowest cost."
    ]
    assert _announced(client.get(url, {"q": "zzzunmatched"}, headers=HTMX).content.decode()) == [
        "No program matches these filters."
    ]
    body = client.get(url, {"min_cost": "50", "max_cost": "10"}, headers=HTMX).content.decode()
    assert _announced(body) == ["1 program, sorted by starting soonest. Some filters were not applied."]


def test_ranked_catalog_partial_says_it_is_ranked_for_the_goal(client, world):
    goal_for(world.owner)
    ProgramFactory.create_batch(2)
    client.force_login(world.owner)
    url = reverse("programs:catalog")
    assert _announced(client.get(url, headers=HTMX).content.decode()) == [
        "2 programs, sorted by best fit for your goal."
    ]
    assert _announced(client.get(url, {"sort": "score"}, headers=HTMX).content.decode()) == [
        "2 programs, sorted by score for your goal alone."
    ]


def test_catalog_paging_links_have_stable_ids_and_send_focus_to_the_heading(client, world):
    ProgramFactory.create_batch(41)
    client.force_login(world.owner)
    body = client.get(reverse("programs:catalog"), {"page": "2"}, headers=HTMX).content.decode()
    assert re.search(r'<a rel="prev" [^>]*id="results-prev" data-focus-heading', body)
    assert re.search(r'<a rel="next" [^>]*id="results-next" data-focus-heading', body)
    assert '<h2 id="results-heading" tabindex="-1" class="results-count">' in body


# --- Team dashboard ----------------------------------------------------------------------------------


def test_dashboard_partial_announces_members_and_sort_and_the_full_page_reads_nothing(client, world):
    profile(world.owner, "physician")
    history(world.owner, renewal_in_days=400)
    client.force_login(world.team_supervisor)
    url = reverse("supervision:dashboard", args=[world.team.pk])

    body = client.get(url, {"sort": "short", "order": "desc"}, headers=HTMX).content.decode()
    assert _announced(body) == ["1 of 1 member shown, sorted by hours short, descending."]
    body = client.get(url, {"at_risk": "on"}, headers=HTMX).content.decode()
    assert _announced(body) == ["0 of 1 member shown, sorted by name, ascending."]
    _assert_page_region_empty(client.get(url).content.decode())


def test_dashboard_refused_profession_filter_announces_the_reason(client, world):
    profile(world.owner, "physician")
    client.force_login(world.team_supervisor)
    url = reverse("supervision:dashboard", args=[world.team.pk])
    body = client.get(url, {"profession": "physician"}, headers=HTMX).content.decode()
    refused = re.search(r"<strong data-refused>(.*?)</strong>", body).group(1)
    assert _announced(body) == [refused]


def test_dashboard_sort_links_have_stable_ids(client, world):
    client.force_login(world.team_supervisor)
    dashboard = reverse("supervision:dashboard", args=[world.team.pk])
    body = client.get(dashboard).content.decode()
    for key in ("name", "profession", "renewal", "short", "funding", "pending"):
        # The full path: the dashboard also comes back on the decision URL after a refused quick approval.
        assert f'<a id="sort-{key}" href="{dashboard}?sort={key}&amp;order=' in body
    assert '<h2 id="members-heading" tabindex="-1">Members</h2>' in body


# --- Import progress ---------------------------------------------------------------------------------


def _progress(client, job, **params):
    url = reverse("programs:curation:import_detail", args=[job.pk])
    return client.get(url, params, headers=HTMX).content.decode()


def test_import_progress_is_announced_at_each_ten_percent_step_and_not_every_poll(client, world):
    client.force_login(world.admin)
    job = ImportJob.objects.create(file_name="f.csv", file_format="csv", status="running", rows_total=200, rows_done=81)

    first = _progress(client, job)
    assert _announced(first) == ["Import 40% done."]
    assert "?announced=running-40" in first  # the next poll says what was last read

    job.rows_done = 95  # 47%: the same step, so the region is left as it is
    job.save()
    assert _announced(_progress(client, job, announced="running-40")) == []

    job.rows_done = 100
    job.save()
    assert _announced(_progress(client, job, announced="running-40")) == ["Import 50% done."]


def test_import_state_changes_are_announced_with_the_final_figures(client, world):
    client.force_login(world.admin)
    job = ImportJob.objects.create(file_name="f.csv", file_format="csv", status="queued")
    assert _announced(_progress(client, job)) == ["Import queued: waiting for a worker."]
    assert _announced(_progress(client, job, announced="queued")) == []

    ImportJob.objects.filter(pk=job.pk).update(
        status="succeeded",
        rows_total=1200,
        rows_done=1200,
        created_count=1100,
        updated_count=50,
        held_count=20,
        unchanged_count=10,
        error_count=20,
    )
    body = _progress(client, job, announced="running-90")
    assert _announced(body) == [
        "Import finished: 1,200 rows: 1,100 created, 50 updated, 20 held for review, 10 unchanged, 20 with errors."
    ]
    assert 'hx-trigger="every 1s"' not in body


def test_failed_import_is_announced_once(client, world):
    client.force_login(world.admin)
    job = ImportJob.objects.create(file_name="f.csv", file_format="csv", status="failed", message="Disk full")
    assert _announced(_progress(client, job, announced="running-20")) == ["Import failed."]


def test_import_page_load_reads_nothing_and_tells_the_first_poll_what_is_shown(client, world):
    client.force_login(world.admin)
    job = ImportJob.objects.create(file_name="f.csv", file_format="csv", status="running", rows_total=10, rows_done=3)
    url = reverse("programs:curation:import_detail", args=[job.pk])
    html = client.get(url).content.decode()
    _assert_page_region_empty(html)
    assert f'hx-get="{url}?announced=running-30"' in html


# --- Shortlist toggle --------------------------------------------------------------------------------


def test_shortlist_toggle_announces_through_the_page_region(client, world):
    program = ProgramFactory(title="Sepsis update")
    client.force_login(world.owner)
    url = reverse("careers:shortlist_toggle", args=[program.pk])
    added = client.post(url, headers=HTMX).content.decode()
    assert _announced(added) == ["“Sepsis update” added to your shortlist."]
    assert 'role="status"' not in added  # no live region inside the swapped form
    assert _announced(client.post(url, headers=HTMX).content.decode()) == [
        "“Sepsis update” removed from your shortlist."
    ]


def test_catalog_partial_carries_one_announcement_whatever_the_cards_hold(client, world):
    """The cards include the shortlist button; only the results' own sentence goes out of band."""
    ProgramFactory.create_batch(3)
    client.force_login(world.owner)
    body = client.get(reverse("programs:catalog"), headers=HTMX).content.decode()
    assert "Add to shortlist" in body
    assert body.count("hx-swap-oob") == 1


# --- No large live containers ------------------------------------------------------------------------


def test_no_live_region_wraps_the_swapped_areas(client, world):
    ProgramFactory.create_batch(21)
    job = ImportJob.objects.create(file_name="f.csv", file_format="csv", status="running", rows_total=10, rows_done=3)
    pages = [
        (world.owner, reverse("programs:catalog"), "results"),
        (world.team_supervisor, reverse("supervision:dashboard", args=[world.team.pk]), "members"),
        (world.admin, reverse("programs:curation:import_detail", args=[job.pk]), "import-progress"),
    ]
    for user, url, area in pages:
        client.force_login(user)
        html = client.get(url).content.decode()
        parser = _live_around(html, area, "live-status")
        assert parser.live_around[area] == [], f"{url}: {area} sits in live regions {parser.live_around[area]}"
        assert parser.live_around["live-status"] == ["<div id=live-status>"]
        partial = client.get(url, headers=HTMX).content.decode()
        assert "aria-live" not in partial, f"{url}: the partial brings a live region"
