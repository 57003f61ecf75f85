"""The catalog's cards cost no query each, say what the listing says now, escape what it says, and keep
the markup of the partials they stand in for (the shortlist button, a factor's reasons, Django's <select>)."""

import datetime
import re
from decimal import Decimal

import pytest
from django import forms
from django.db import connection
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import floatformat
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from careers.models import ShortlistEntry
from demo.synthetic import synthetic_programs_create
from programs import presenters
from programs.forms import QuickSelect
from programs.models import CreditOffering, Program
from programs.ranking import scoring
from tests.factories import ProgramFactory, ProviderFactory
from tests.programs.ranking_helpers import goal_for

pytestmark = pytest.mark.django_db

CATALOG = reverse("programs:catalog")
HTMX = {"HX-Request": "true"}
CARD = re.compile(r'<li class="program-card[^"]*">')
HOSTILE = '<script>alert("x")</script>'


def _shortlist_some(user, count: int) -> None:
    for program in Program.objects.order_by("pk")[:count]:
        ShortlistEntry.objects.get_or_create(user=user, program=program)


def _query_counts(client, requests: dict[str, tuple[str, dict, dict]]) -> dict[str, tuple[int, int]]:
    """Per request: (queries, cards shown)."""
    for url, params, headers in requests.values():
        client.get(url, params, headers=headers)  # warm the option caches
    counts = {}
    for name, (url, params, headers) in requests.items():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, params, headers=headers)
        assert response.status_code == 200, name
        counts[name] = (len(captured), len(CARD.findall(response.content.decode())))
    return counts


@pytest.mark.parametrize("ranked", [False, True], ids=["plain", "ranked"])
def test_catalog_cards_cost_no_query_each_full_page_and_partial(client, world, ranked):
    """3 cards or 20, with or without programs on the shortlist: the same queries, full page and htmx partial."""
    if ranked:
        goal_for(world.owner)
    client.force_login(world.owner)
    requests = {
        "page": (CATALOG, {}, {}),
        "partial": (CATALOG, {"sort": "cost"}, HTMX),
        "filtered page": (CATALOG, {"credit_type": "ipce"}, {}),
    }
    ProgramFactory.create_batch(3, credits={"ipce": "2", "ama_pra_1": "2"})
    small = _query_counts(client, requests)
    ProgramFactory.create_batch(30, credits={"ipce": "2", "ama_pra_1": "2", "ancc": "2"})
    synthetic_programs_create(count=40, seed=12)
    _shortlist_some(world.owner, 40)
    large = _query_counts(client, requests)
    for name in requests:
        assert small[name][1] < large[name][1], name
        assert small[name][0] == large[name][0], name
        if not ranked:  # the ranking's own queries are counted by tests/programs/test_ranking_views.py
            assert large[name][0] <= 9, name
    assert large["page"][1] == large["partial"][1] == 20


def test_compare_and_program_page_query_counts_do_not_grow(client, world):
    goal_for(world.owner)
    client.force_login(world.owner)

    def counts(ids: list[int]) -> dict[str, int]:
        result = {}
        for name, (url, params) in {
            "compare": (reverse("programs:compare"), {"ids": ids}),
            "program page": (reverse("programs:detail", args=[ids[0]]), {}),
        }.items():
            client.get(url, params)
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url, params).status_code == 200
            result[name] = len(captured)
        return result

    synthetic_programs_create(count=2, seed=21)
    ids = list(Program.objects.order_by("pk").values_list("pk", flat=True))
    small = counts(ids[:2])
    synthetic_programs_create(count=200, seed=22)
    _shortlist_some(world.owner, 4)
    ids = list(Program.objects.order_by("pk").values_list("pk", flat=True))
    assert counts(ids[:4]) == small


@pytest.mark.parametrize("ranked", [False, True], ids=["plain", "ranked"])
def test_a_card_shows_the_listing_as_edited_now(client, world, ranked):
    """Nothing on a card outlives an edit of the listing, its provider or its credits."""
    if ranked:
        goal_for(world.owner)
    client.force_login(world.owner)
    program = ProgramFactory(title="Sepsis update", fee_amount=Decimal("250"), credits={"ama_pra_1": "2"})
    before = client.get(CATALOG).content.decode()
    assert "Sepsis update" in before
    assert "USD 250" in before
    program.title = "Sepsis update, revised"
    program.fee_amount = Decimal("1234.50")
    program.save()
    program.provider.name = "Renamed provider"
    program.provider.save()
    CreditOffering.objects.filter(program=program).update(amount=Decimal("3.5"))
    after = client.get(CATALOG, headers=HTMX).content.decode()
    assert "Sepsis update, revised" in after
    assert "USD 1,235" in after  # rounded half up, grouped
    assert "Renamed provider" in after
    assert "<li>3.50 AMA PRA Category 1 Credit</li>" in after


@pytest.mark.parametrize("ranked", [False, True], ids=["plain", "ranked"])
def test_a_hostile_title_and_provider_name_are_escaped_on_the_card(client, world, ranked):
    if ranked:
        goal_for(world.owner)
    client.force_login(world.owner)
    ProgramFactory(title=HOSTILE, provider=ProviderFactory(name=f"Provider {HOSTILE}"))
    for headers in ({}, HTMX):
        body = client.get(CATALOG, headers=headers).content.decode()
        assert HOSTILE not in body
        escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
        # the title link, the shortlist button, "Ask for funding" and (ranked) the compare tick
        assert body.count(escaped) >= (5 if ranked else 4)
        assert f"Provider {escaped}" in body


def test_a_viewer_who_is_not_a_clinician_gets_cards_without_actions(client, world):
    ProgramFactory(title="Sepsis update")
    client.force_login(world.team_supervisor)
    body = client.get(CATALOG).content.decode()
    assert "Sepsis update" in body
    assert "shortlist-form" not in body
    assert "ask-funding" not in body


@pytest.mark.parametrize("on_list", [False, True])
def test_the_cards_shortlist_form_is_the_shortlist_buttons_markup(client, world, on_list):
    """The toggle swaps careers/_shortlist_button.html in where the card's form was: the two must not drift."""
    program = ProgramFactory(title=f"Sepsis {HOSTILE}")
    if on_list:
        ShortlistEntry.objects.create(user=world.owner, program=program)
    client.force_login(world.owner)
    body = client.get(CATALOG, {"q": "sepsis"}).content.decode()
    card_form = re.search(r'<form method="post" action="/careers/.*?</form>', body, re.S)[0]
    request = RequestFactory().get(CATALOG, {"q": "sepsis"})
    request.user = world.owner
    button = render_to_string(
        "careers/_shortlist_button.html", {"program": program, "next_url": "/programs/?q=sepsis"}, request=request
    )
    partial_form = re.search(r"<form.*?</form>", button, re.S)[0]
    token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')

    def normal(html: str) -> str:
        return re.sub(r"\s+", " ", token.sub("", html))

    assert normal(card_form) == normal(partial_form)
    assert ("On your shortlist: remove" in card_form) is on_list


def test_the_cards_reasons_are_the_factor_reasons_markup(client, world):
    """The card inlines programs/_factor_reasons.html (the program page and compare include it)."""
    goal_for(world.owner)
    client.force_login(world.owner)
    synthetic_programs_create(count=5, seed=31)
    body = client.get(CATALOG).content.decode()
    factors = re.findall(r'<p class="factor-heading">.*?</p>(.*?)</div>', body, re.S)
    assert len(factors) == 20
    from programs.ranking.queries import ranked_results
    from supervision.selectors import ranking_context_for_user

    context = ranking_context_for_user(user=world.owner)
    titles = re.findall(r'<h3><a href="/programs/(\d+)/">', body)
    programs = Program.objects.in_bulk([int(pk) for pk in titles])
    results = ranked_results(
        [programs[int(pk)] for pk in titles],
        goal=context.goal,
        weights=context.weights,
        clinician=context.clinician,
    )
    expected = [
        render_to_string("programs/_factor_reasons.html", {"factor": factor, "show": ""})
        for result in results
        for factor in result.scored.factors
    ]
    assert [re.sub(r"\s+", " ", html).strip() for html in factors] == [
        re.sub(r"\s+", " ", html).strip() for html in expected
    ]


CHOICES = [("", "Any"), ("a", "A & <b>"), ('b"x', "B"), ("Group", [("g1", "G1"), ("g2", "G<2>")]), (3, "three")]


@pytest.mark.parametrize("value", ["", "a", "g2", 3, 'b"x', None])
@pytest.mark.parametrize(
    "attrs",
    [{"id": "id_x"}, {"id": "id_x", "aria-describedby": "id_x_helptext", "required": True, "hidden": False, "d": '"<'}],
)
def test_quick_select_writes_what_djangos_select_template_writes(value, attrs):
    assert QuickSelect(choices=CHOICES).render("x", value, attrs) == forms.Select(choices=CHOICES).render(
        "x", value, attrs
    )


@pytest.mark.parametrize("text", ["0.25", "1", "2.5", "17.50", "28.00", "185", "1000.005", "0.125"])
def test_card_numbers_read_as_the_template_filters_wrote_them(text):
    amount = Decimal(text)
    assert presenters.whole_or_cents(amount) == floatformat(amount, "-2")
    program = ProgramFactory.build(fee_amount=amount, fee_currency="USD")
    assert presenters.program_cost(program) == f"USD {floatformat(amount, '0g')}"


@pytest.mark.parametrize("day", [datetime.date(2027, 1, 5), datetime.date(2027, 5, 31), datetime.date(2026, 9, 14)])
def test_card_dates_read_as_the_date_filter_wrote_them(day):
    assert scoring.format_date(day) == date_filter(day, "M j, Y")
