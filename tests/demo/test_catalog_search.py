"""The issue's search terms on the demo catalog find what a person expects (on SQLite and PostgreSQL alike)."""

import pytest
from django.urls import reverse

from demo.catalog import seed_catalog
from programs.forms import CatalogFilterForm
from programs.models import Program
from programs.selectors import catalog_page

pytestmark = pytest.mark.django_db

CARDIOLOGY = {
    "Advances in Lipid Management: Product Theater Dinner",
    "Anticoagulation Therapy Update for Pharmacists",
    "Heart Failure Update 2027",
    "New Options in Stroke Prevention: Sponsored Lunch Symposium",
    "Pharmacist-Led Hypertension Management Certificate",
}
PAIN_MANAGEMENT = {
    "NP Pharmacology Update: Controlled Substances and Pain Management",
    "Opioid Stewardship in Primary Care: Team Performance Improvement",
    "Safe Opioid Prescribing and Pain Management (3 Hours)",
}
CASCADIA = "Cascadia Health Center for Professional Development"


@pytest.fixture
def demo_catalog():
    seed_catalog(actor=None)


def _titles(**query: str) -> set[str]:
    form = CatalogFilterForm(query)
    assert form.errors == {}
    return {program.title for program in catalog_page(filters=form.cleaned_filters(), page_number=1, per_page=100)}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            {"q": "insulin"},  # a topic of one, the description of the other
            {"Diabetes Pharmacotherapy Update at the Resort", "ECHO-Chicago Complex Diabetes Management"},
        ),
        (
            {"q": "Seattle"},  # the city
            {"Clinical Quality Improvement Leadership Certificate", "Physician and Nurse Executive Leadership Academy"},
        ),
        ({"q": "Cardiology"}, CARDIOLOGY),  # a specialty, any case
        ({"q": "cardiology"}, CARDIOLOGY),
        ({"q": "cardio"}, CARDIOLOGY),
        ({"specialty": "Cardiology"}, CARDIOLOGY),
        ({"specialty": "cardiology"}, CARDIOLOGY),
        ({"q": "pain management"}, PAIN_MANAGEMENT),  # the topic code pain_management
        ({"topic": "pain management"}, PAIN_MANAGEMENT),
        ({"topic": "Pain management"}, PAIN_MANAGEMENT),
    ],
)
def test_the_issues_search_terms_find_the_expected_programs(demo_catalog, query, expected):
    assert _titles(**query) == expected


@pytest.mark.parametrize("name", [CASCADIA, "Riverbend Regional Medical Center", "Emory University School of Medicine"])
def test_a_providers_name_finds_its_programs_in_the_catalog(demo_catalog, name):
    visible = set(Program.objects.visible_in_catalog().filter(provider__name=name).values_list("title", flat=True))
    assert visible
    assert _titles(q=name) == visible
    assert _titles(q=name.lower()) == visible


def test_the_provider_and_location_filters_on_the_demo_catalog(demo_catalog):
    cascadia = Program.objects.filter(provider__name=CASCADIA).first().provider
    assert _titles(provider=str(cascadia.pk)) == _titles(q=CASCADIA)
    assert _titles(city="seattle") == _titles(q="Seattle")
    assert _titles(state="WA") == _titles(q="Seattle")
    in_person = _titles(attendance="in_person")
    online = _titles(attendance="online")
    assert in_person and online and not in_person & online
    assert _titles(min_cost="5000") == set(
        Program.objects.visible_in_catalog().filter(fee_amount__gte=5000).values_list("title", flat=True)
    )


def test_the_catalog_page_shows_the_demo_search_results(client, world, demo_catalog):
    client.force_login(world.owner)
    body = client.get(reverse("programs:catalog"), {"q": "Seattle"}).content.decode()
    assert 'class="results-count">2 programs</h2>' in body
    assert "Physician and Nurse Executive Leadership Academy" in body
