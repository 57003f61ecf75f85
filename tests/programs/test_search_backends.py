"""Keyword search and the new filters: the same cases, the same results, on SQLite and on PostgreSQL.

Run this module with and without DATABASE_URL=postgres://...; every case holds on both.
"""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from programs import vocabulary
from programs.forms import CatalogFilterForm
from programs.models import Program
from programs.selectors import catalog_page
from tests.factories import ProgramFactory, ProviderFactory

pytestmark = pytest.mark.django_db


def _result(query: dict[str, str]) -> tuple[set[str], dict[str, list[str]]]:
    form = CatalogFilterForm(query)
    page = catalog_page(filters=form.cleaned_filters(), page_number=1, per_page=200)
    return {program.title for program in page.object_list}, dict(form.errors)


def _titles(**query: str) -> set[str]:
    return _result(query)[0]


@pytest.fixture
def catalog():
    heart = ProviderFactory(name="Cascadia Heart Institute")
    ProgramFactory(
        title="Heart Failure Update",
        description="Guideline-directed therapy.",
        provider=heart,
        specialties=["Cardiology"],
        topics=["heart failure"],
        delivery="in_person",
        location_city="Seattle",
        location_state="WA",
        fee_amount=Decimal("900"),
    )
    ProgramFactory(
        title="Opioid Prescribing Essentials",
        description="Safer prescribing.",
        specialties=["primary care"],
        topics=["opioids", "pain_management"],
        delivery="self_paced_online",
        fee_amount=Decimal("0"),
    )
    ProgramFactory(
        title="Diabetes Update",
        description="Basal and bolus insulin regimens.",
        specialties=["endocrinology"],
        topics=["diabetes"],
        delivery="hybrid",
        location_city="Québec",
        location_state="QC",
        fee_amount=Decimal("300"),
    )
    ProgramFactory(
        title="Hepatitis B in Practice",
        description="Screening and vaccination.",
        specialties=["hepatology", "cardiology"],
        topics=["vaccination"],
        delivery="live_online",
        fee_amount=None,
    )


SEARCH_CASES = [
    ("heart", {"Heart Failure Update"}),
    ("HEART failure", {"Heart Failure Update"}),
    ("insulin", {"Diabetes Update"}),  # in the description only
    ("cardiology", {"Heart Failure Update", "Hepatitis B in Practice"}),  # a specialty
    ("Cardiology", {"Heart Failure Update", "Hepatitis B in Practice"}),
    ("cardio", {"Heart Failure Update", "Hepatitis B in Practice"}),  # prefix of a word
    ("pain management", {"Opioid Prescribing Essentials"}),  # topic code pain_management
    ("controlled substances", {"Opioid Prescribing Essentials"}),  # label of the topic code opioids
    ("Cascadia Heart Institute", {"Heart Failure Update"}),  # the provider's name
    ("seattle", {"Heart Failure Update"}),  # the city
    ("Québec", {"Diabetes Update"}),
    ("quebec", {"Diabetes Update"}),
    ("QUÉBEC diabetes", {"Diabetes Update"}),
    ("hepatitis b", {"Hepatitis B in Practice"}),  # a one-letter word matches whole words only
    ("b", {"Hepatitis B in Practice"}),
    ("heart insulin", set()),  # every word must match
    ("nothing-like-this", set()),
    ("heart & | ! : * ( ) '", {"Heart Failure Update"}),  # metacharacters are only punctuation
    ("'); DROP TABLE programs_program; --", set()),
    ("heart:* | diabetes", set()),  # no operators: both words must match
]


@pytest.mark.parametrize(("query", "expected"), SEARCH_CASES)
def test_keyword_search_finds_the_same_programs_on_every_database(catalog, query, expected):
    titles, errors = _result({"q": query})
    assert titles == expected
    assert errors == {}


@pytest.mark.parametrize("query", ["the", "the of and", "&|!:*()'", "   ", "!!! ???"])
def test_keywords_without_a_searchable_word_narrow_nothing_and_say_so(catalog, query):
    titles, errors = _result({"q": query})
    assert len(titles) == 4
    if query.strip():
        assert errors == {"q": ["These keywords hold no word to search for (only very common words or punctuation)."]}


def test_a_very_long_query_is_reported_and_ignored(catalog):
    titles, errors = _result({"q": "heart " * 100})
    assert len(titles) == 4
    assert "at most 200 characters" in errors["q"][0]


def test_many_words_are_capped_not_fatal(catalog):
    query = " ".join(["heart"] + [f"w{n}" for n in range(25)])
    assert len(query) <= 200
    assert vocabulary.search_terms(query)[:1] == ["heart"]
    assert len(vocabulary.search_terms(query)) == vocabulary.MAX_SEARCH_TERMS
    assert _titles(q=query) == set()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Cardiology", {"Heart Failure Update", "Hepatitis B in Practice"}),
        ("cardiology", {"Heart Failure Update", "Hepatitis B in Practice"}),
        ("  CARDIOLOGY ", {"Heart Failure Update", "Hepatitis B in Practice"}),
        ("Primary care", {"Opioid Prescribing Essentials"}),
        ("primary_care", {"Opioid Prescribing Essentials"}),
        ("cardio", set()),  # a filter is a choice, not a keyword: no prefixes
    ],
)
def test_specialty_matches_any_case_and_spelling_of_the_tag(catalog, value, expected):
    assert _titles(specialty=value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("pain management", {"Opioid Prescribing Essentials"}),
        ("Pain Management", {"Opioid Prescribing Essentials"}),
        ("pain_management", {"Opioid Prescribing Essentials"}),
        ("Opioid prescribing / controlled substances", {"Opioid Prescribing Essentials"}),  # the label of opioids
        ("heart-failure", {"Heart Failure Update"}),
        ("Heart failure", {"Heart Failure Update"}),
        ("unknown topic", set()),
    ],
)
def test_topic_matches_labels_and_codes_in_any_case(catalog, value, expected):
    assert _titles(topic=value) == expected


def test_provider_filter(catalog):
    heart = Program.objects.get(title="Heart Failure Update").provider
    assert _titles(provider=str(heart.pk)) == {"Heart Failure Update"}
    assert _titles(provider="999999") == set()  # a provider without programs finds none, honestly
    titles, errors = _result({"provider": "not-a-number"})
    assert len(titles) == 4
    assert errors == {"provider": ["Choose a provider from the list."]}


def test_location_filters(catalog):
    assert _titles(state="WA") == {"Heart Failure Update"}
    assert _titles(city="seattle") == {"Heart Failure Update"}
    assert _titles(city="quebec") == _titles(city="QUÉBEC") == {"Diabetes Update"}
    assert _titles(city="Portland") == set()
    assert _titles(attendance="online") == {"Opioid Prescribing Essentials", "Hepatitis B in Practice"}
    assert _titles(attendance="in_person") == {"Heart Failure Update", "Diabetes Update"}
    assert _titles(attendance="in_person", state="QC") == {"Diabetes Update"}


def test_minimum_and_maximum_cost(catalog):
    assert _titles(min_cost="300") == {"Heart Failure Update", "Diabetes Update"}  # unknown fee excluded
    assert _titles(min_cost="300", max_cost="300") == {"Diabetes Update"}
    assert _titles(min_cost="0", max_cost="300") == {"Opioid Prescribing Essentials", "Diabetes Update"}


def test_minimum_above_maximum_is_a_clear_error_and_applies_no_cost_range(catalog):
    titles, errors = _result({"min_cost": "500", "max_cost": "100", "q": "update"})
    assert titles == {"Heart Failure Update", "Diabetes Update"}  # the keywords still apply, no cost bound does
    assert errors == {
        "min_cost": ["$500 is above the maximum ($100), so the cost range is not applied."],
        "max_cost": ["$100 is below the minimum ($500), so the cost range is not applied."],
    }


def test_the_page_offers_labels_and_shows_errors_next_to_the_results(client, world, catalog):
    client.force_login(world.owner)
    body = client.get(reverse("programs:catalog")).content.decode()
    assert '<option value="Pain management">' in body  # the label of pain_management
    assert '<option value="Opioid prescribing / controlled substances">' in body
    assert '<option value="Cardiology">' in body
    assert body.count('<option value="Cardiology">') == 1  # "Cardiology" and "cardiology" are one choice
    assert ">Cascadia Heart Institute</option>" in body
    assert '<option value="WA">WA</option>' in body
    partial = client.get(
        reverse("programs:catalog"), {"min_cost": "500", "max_cost": "100"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "<html" not in partial
    assert "so the cost range is not applied" in partial


def test_htmx_partial_applies_the_new_filters(client, world, catalog):
    client.force_login(world.owner)
    body = client.get(
        reverse("programs:catalog"), {"q": "seattle", "attendance": "in_person"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert 'class="results-count">1 program</h2>' in body
    assert "Heart Failure Update" in body


def test_search_terms_reach_the_database_only_as_letters_and_digits():
    assert vocabulary.search_terms("Café & crème: 'x' | (y)* QUÉBEC") == ["cafe", "creme", "x", "y", "quebec"]
    assert vocabulary.search_terms("the of and") == []


class SearchFormFuzz(HypothesisTestCase):
    """Whatever a person types, the catalog answers with a page and never a server error."""

    @classmethod
    def setUpTestData(cls):
        ProgramFactory(title="Heart Failure Update", topics=["heart failure"], location_city="Seattle")
        ProgramFactory(title="Diabetes Update", description="insulin", start_date=datetime.date(2030, 1, 1))

    @hypothesis_settings(max_examples=60)
    @given(
        q=st.text(max_size=220),
        topic=st.text(max_size=120),
        city=st.text(max_size=130),
        min_cost=st.one_of(st.text(max_size=12), st.decimals(allow_nan=False, allow_infinity=False).map(str)),
        provider=st.text(max_size=25),
        state=st.text(max_size=130),
    )
    def test_any_input_gives_results_or_messages(self, q, topic, city, min_cost, provider, state):
        query = {"q": q, "topic": topic, "city": city, "min_cost": min_cost, "provider": provider, "state": state}
        form = CatalogFilterForm(query)
        page = catalog_page(filters=form.cleaned_filters(), page_number=1, per_page=10)
        assert len(page.object_list) <= 2
