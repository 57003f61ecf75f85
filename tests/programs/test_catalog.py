import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from programs.choices import ProgramStatus
from programs.forms import CatalogFilterForm
from programs.selectors import catalog_page
from tests.factories import ProgramFactory, ProviderFactory

pytestmark = pytest.mark.django_db


def _titles(**query):
    form = CatalogFilterForm(query)
    page = catalog_page(filters=form.cleaned_filters(), page_number=1, per_page=100)
    return {program.title for program in page.object_list}


def test_keyword_search_matches_title_and_description():
    ProgramFactory(title="Sepsis bundle leadership", description="Lead the sepsis response.")
    ProgramFactory(title="Opioid prescribing", description="Safer prescribing of opioids for chronic pain.")
    assert _titles(q="sepsis") == {"Sepsis bundle leadership"}
    assert _titles(q="prescribing") == {"Opioid prescribing"}
    assert _titles(q="nothing-like-this") == set()


def test_profession_filter_keeps_programs_open_to_all():
    ProgramFactory(title="Nurses", professions=["nurse"])
    ProgramFactory(title="Physicians", professions=["physician"])
    ProgramFactory(title="Everyone", professions=[])
    assert _titles(profession="nurse") == {"Nurses", "Everyone"}


def test_credit_type_filter():
    ProgramFactory(title="ANCC", credits={"ancc": "5"})
    ProgramFactory(title="AMA", credits={"ama_pra_1": "5"})
    assert _titles(credit_type="ancc") == {"ANCC"}


def test_format_and_delivery_filters():
    ProgramFactory(title="PI online", format="pi_cme", delivery="live_online")
    ProgramFactory(title="PI in person", format="pi_cme", delivery="in_person")
    ProgramFactory(title="Course", format="course", delivery="in_person")
    assert _titles(format="pi_cme") == {"PI online", "PI in person"}
    assert _titles(format="pi_cme", delivery="in_person") == {"PI in person"}


def test_free_and_maximum_cost_filters():
    ProgramFactory(title="Free", fee_amount=Decimal("0"))
    ProgramFactory(title="Cheap", fee_amount=Decimal("100"))
    ProgramFactory(title="Dear", fee_amount=Decimal("5000"))
    ProgramFactory(title="Unknown", fee_amount=None)
    assert _titles(free_only="on") == {"Free"}
    assert _titles(max_cost="100") == {"Free", "Cheap"}


def test_accredited_only_and_no_commercial_support_filters():
    ProgramFactory(title="Accredited", provider=ProviderFactory(accreditor="accme"), commercial_support="none")
    ProgramFactory(title="Unaccredited", provider=ProviderFactory(accreditor="none"), commercial_support="none")
    ProgramFactory(title="Sponsored", provider=ProviderFactory(accreditor="ancc"), commercial_support="undisclosed")
    assert _titles(accredited_only="on") == {"Accredited", "Sponsored"}
    assert _titles(no_commercial_support="on") == {"Accredited", "Unaccredited"}
    assert _titles(accredited_only="on", no_commercial_support="on") == {"Accredited"}


def test_specialty_and_topic_filters():
    ProgramFactory(title="Peds UTI", specialties=["pediatrics"], topics=["antibiotic stewardship"])
    ProgramFactory(title="Opioids", specialties=["family medicine"], topics=["opioids"])
    assert _titles(specialty="pediatrics") == {"Peds UTI"}
    assert _titles(topic="opioids") == {"Opioids"}


def test_date_range_filter():
    today = datetime.date.today()
    days = datetime.timedelta
    ProgramFactory(title="Soon", start_date=today + days(10), end_date=today + days(11))
    ProgramFactory(title="Later", start_date=today + days(200), end_date=today + days(201))
    after = (today + datetime.timedelta(days=100)).isoformat()
    before = (today + datetime.timedelta(days=100)).isoformat()
    assert _titles(starts_after=after) == {"Later"}
    assert _titles(ends_before=before) == {"Soon"}


def test_outcome_level_at_least_filter_orders_moore_levels():
    ProgramFactory(title="Level 3b", outcome_level_measured="3b")
    ProgramFactory(title="Level 5", outcome_level_measured="5")
    ProgramFactory(title="Level 7", outcome_level_measured="7")
    ProgramFactory(title="Unknown", outcome_level_measured="")
    assert _titles(outcome_level_min="5") == {"Level 5", "Level 7"}
    assert _titles(outcome_level_min="3a") == {"Level 3b", "Level 5", "Level 7"}


def test_drafts_archived_and_past_programs_never_appear():
    ProgramFactory(title="Draft", status=ProgramStatus.DRAFT)
    ProgramFactory(title="Archived", status=ProgramStatus.ARCHIVED)
    ProgramFactory(title="Past", start_date=datetime.date(2020, 1, 1), end_date=datetime.date(2020, 1, 2))
    ProgramFactory(title="Live")
    assert _titles() == {"Live"}


def test_sorting_by_cost_puts_unknown_cost_last():
    ProgramFactory(title="B", fee_amount=Decimal("10"))
    ProgramFactory(title="A", fee_amount=None)
    ProgramFactory(title="C", fee_amount=Decimal("0"))
    page = catalog_page(filters=CatalogFilterForm({"sort": "cost"}).cleaned_filters(), page_number=1)
    assert [p.title for p in page.object_list] == ["C", "B", "A"]


def test_invalid_filter_values_are_reported_and_ignored(client, world):
    ProgramFactory(title="Kept")
    client.force_login(world.owner)
    response = client.get(reverse("programs:catalog"), {"max_cost": "-3", "format": "bogus"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Some filters were not applied" in body
    assert "Kept" in body


def test_filters_combine_and_the_url_keeps_their_state(client, world):
    ProgramFactory(title="Target", professions=["nurse"], fee_amount=Decimal("0"))
    for _ in range(25):
        ProgramFactory(professions=["nurse"], fee_amount=Decimal("0"))
    client.force_login(world.owner)
    response = client.get(reverse("programs:catalog"), {"profession": "nurse", "free_only": "on"})
    body = response.content.decode()
    assert "26 programs" in body
    assert "profession=nurse&amp;free_only=on&amp;page=2" in body


def test_htmx_request_gets_only_the_results_partial(client, world):
    ProgramFactory(title="Partial")
    client.force_login(world.owner)
    response = client.get(reverse("programs:catalog"), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="results"')
    assert "<html" not in body
    assert "HX-Request" in response["Vary"]


def test_htmx_history_restore_gets_the_full_page(client, world):
    client.force_login(world.owner)
    response = client.get(reverse("programs:catalog"), HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in response.content.decode()


def test_program_page_states_measured_level_apart_from_intent_and_names_supporters(client, world):
    program = ProgramFactory(
        outcome_level_measured="3a",
        designed_to_change=["performance"],
        commercial_support="disclosed",
        commercial_supporters=["Novagen Pharmaceuticals"],
        professions=["physician", "nurse", "pharmacist"],
    )
    client.force_login(world.owner)
    body = client.get(reverse("programs:detail", args=[program.pk])).content.decode()
    assert "+12</span>: measures declarative knowledge (Moore level 3a: not a practice outcome)" in body
    assert "+6</span>: designed to change performance (intent, not measured)" in body
    assert "+20</span>: commercial support disclosed: Novagen Pharmaceuticals" in body
    assert "+26</span>: designed for 3 professions" in body


def test_description_text_is_escaped(client, world):
    program = ProgramFactory(description="<script>alert(1)</script>")
    client.force_login(world.owner)
    body = client.get(reverse("programs:detail", args=[program.pk])).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body


def _catalog_queries(client, django_assert_max_num_queries, count):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(reverse("programs:catalog"), {"profession": "physician"})  # warm the tag-option cache
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("programs:catalog"), {"profession": "physician", "sort": "cost"})
    assert f'class="results-count">{count} programs</h2>' in response.content.decode()
    return len(captured)


def test_catalog_query_count_does_not_grow_with_the_catalog(client, world, django_assert_max_num_queries):
    client.force_login(world.owner)
    ProgramFactory.create_batch(10)
    small = _catalog_queries(client, django_assert_max_num_queries, 10)
    ProgramFactory.create_batch(990, credits={"ama_pra_1": "2", "ancc": "2"})
    large = _catalog_queries(client, django_assert_max_num_queries, 1000)
    assert small == large
    # session, user, role groups, active goal (none), shortlist ids, count, page, credit offerings,
    # and the navigation's unread notification count (one indexed count, supervision.context_processors)
    assert large <= 9


def test_filter_panel_starts_open_only_when_a_filter_is_set(client, world):
    client.force_login(world.owner)
    plain = client.get(reverse("programs:catalog"), {"q": "sepsis", "sort": "title"}).content.decode()
    assert '<details class="filter-group" data-open-on-wide-screens>' in plain
    filtered = client.get(reverse("programs:catalog"), {"profession": "nurse"}).content.decode()
    assert '<details class="filter-group" open data-open-on-wide-screens>' in filtered
    assert "Filters (some set)" in filtered


@pytest.fixture
def shared_cache(settings):
    """A real cache, so the catalog's filter form is served from it (the test settings may have none)."""
    from django.core.cache import cache

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "filters"}}
    cache.clear()
    yield
    cache.clear()


def _filter_form_entries() -> int:
    from django.core.cache import cache

    return sum(1 for key in cache._cache if "catalog-filter-form" in key)  # type: ignore[attr-defined]  # locmem


def test_the_cached_filter_form_follows_the_values_offered_and_a_query_is_rendered_afresh(client, world, shared_cache):
    from django.core.cache import cache

    client.force_login(world.owner)
    ProgramFactory(title="First", provider=ProviderFactory(name="Alpha Institute"))
    first = client.get(reverse("programs:catalog")).content.decode()
    assert "Alpha Institute" in first and _filter_form_entries() == 1
    page_two = client.get(reverse("programs:catalog"), {"page": "2"}).content.decode()
    assert page_two.count("Alpha Institute") == first.count("Alpha Institute") and _filter_form_entries() == 1
    searched = client.get(reverse("programs:catalog"), {"q": "sepsis"}).content.decode()
    assert 'value="sepsis"' in searched
    other_query = client.get(reverse("programs:catalog"), {"q": "opioids", "min_cost": "x"}).content.decode()
    assert 'value="opioids"' in other_query and 'value="sepsis"' not in other_query
    assert 'id="id_min_cost_error"' in other_query  # the errors are the query's
    # A made-up query string (what a visitor types, or a crawler's parameters) adds nothing to the cache.
    for junk in ("a", "b", "c"):
        client.get(reverse("programs:catalog"), {"utm_source": junk, "q": junk})
    assert _filter_form_entries() == 1
    ProgramFactory(title="Second", provider=ProviderFactory(name="Beta College"))
    cache.delete("catalog-provider-options")  # the options' own ten-minute cache, as when it expires
    later = client.get(reverse("programs:catalog")).content.decode()
    assert "Beta College" in later  # new values offered: a new form, not the cached one
