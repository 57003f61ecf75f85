"""The demo clinician creates an outcome project, adds measurements, sees the chart and result,
and opens the printable portfolio (which shows the seeded Colorado project too)."""

import io
import re

from django.conf import settings
from django.core.management import call_command

from tests.browser.conftest import sign_in


def _fill_measurement(page, start, end, numerator, denominator):
    page.get_by_label("Period start").fill(start)
    page.get_by_label("Period end").fill(end)
    page.get_by_label("Numerator (proportions)").fill(str(numerator))
    page.get_by_label("Denominator (proportions)").fill(str(denominator))
    page.get_by_role("button", name="Add measurement").click()
    page.wait_for_load_state("networkidle")


def test_clinician_documents_a_project_and_opens_the_printable_portfolio(page):
    call_command("seed_demo", stdout=io.StringIO())
    sign_in(page, "clinician@demo.test", settings.DEMO_PASSWORD)

    page.get_by_role("link", name="Outcome projects").click()
    page.get_by_role("link", name="New outcome project").click()
    page.get_by_label("Title").fill("Sepsis bundle within 3 hours")
    page.get_by_label("Practice gap").fill("Only half of adults with sepsis receive the full bundle in time.")
    page.get_by_label("Measure name").fill("Sepsis bundle completed within 3 hours")
    page.get_by_label("Measure kind").select_option("proportion")
    page.get_by_label("Baseline start").fill("2025-01-01")
    page.get_by_label("Baseline end").fill("2025-03-31")
    page.get_by_label("Baseline numerator (proportions)").fill("60")
    page.get_by_label("Baseline denominator (proportions)").fill("120")
    page.get_by_label("Target").fill("75")
    page.get_by_label("Co-interventions").fill("Sepsis order set\nNurse-driven screening")
    page.get_by_role("button", name="Save project").click()
    page.get_by_role("heading", name="Sepsis bundle within 3 hours").wait_for()

    # A bad measurement is refused with a clear message and nothing is saved.
    _fill_measurement(page, "2025-04-01", "2025-04-30", 50, 40)
    assert (
        page.locator("#id_numerator_error")
        .get_by_text("The numerator cannot be larger than the denominator.")
        .is_visible()
    )
    assert page.title().startswith("Error: ")
    assert page.get_by_role("link", name="Numerator (proportions): The numerator cannot be larger").is_visible()

    _fill_measurement(page, "2025-04-01", "2025-04-30", 70, 118)
    _fill_measurement(page, "2025-05-01", "2025-05-31", 84, 121)

    result = page.locator("#result")
    assert "50.0%" in result.inner_text() and "69.4%" in result.inner_text()
    assert "95% CI of the difference" in result.inner_text()
    assert "does not show that the CME alone caused the change" in result.inner_text()
    chart = page.locator("svg.runchart[role=img]")
    assert chart.count() == 1
    assert "Baseline median 50%" in chart.locator("desc").text_content()
    page.get_by_text("Chart data as a table").click()
    assert page.locator(".chart-data").get_by_role("cell", name="84 of 121").is_visible()

    page.get_by_role("link", name="Portfolio").click()
    page.get_by_role("heading", name=re.compile("portfolio")).first.wait_for()
    assert page.get_by_role("button", name="Print / save as PDF").is_visible()
    assert page.get_by_role("heading", name="Sepsis bundle within 3 hours").is_visible()
    assert page.get_by_role("heading", name="First-line antibiotics for pediatric UTI").is_visible()
    assert "62.4%" in page.content()
    page.emulate_media(media="print")
    assert not page.get_by_role("button", name="Print / save as PDF").is_visible()
    assert not page.locator(".site-header").is_visible()
    assert page.locator("svg.runchart").first.is_visible()
