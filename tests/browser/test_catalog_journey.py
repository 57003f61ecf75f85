"""The demo clinician signs in, searches, filters and opens a program."""

import re

from django.core.management import call_command

from tests.browser.conftest import sign_in


def _seed():
    import io

    from django.conf import settings

    call_command("seed_demo", stdout=io.StringIO())
    return settings.DEMO_PASSWORD


def test_demo_clinician_searches_filters_and_opens_a_program(page):
    password = _seed()
    sign_in(page, "clinician@demo.test", password)
    page.goto("/programs/")
    assert page.get_by_role("heading", name="Program catalog").is_visible()

    page.get_by_role("textbox", name="Keywords", exact=True).fill("antibiotic")
    page.wait_for_url(re.compile(r"q=antibiotic"))
    results = page.locator("#results")
    results.get_by_role("link", name=re.compile("Urinary Tract", re.I)).first.wait_for()

    page.get_by_role("textbox", name="Keywords", exact=True).fill("")
    page.get_by_role("combobox", name="Profession", exact=True).select_option("nurse")
    page.wait_for_url(re.compile(r"profession=nurse"))
    page.get_by_label("Accredited providers only").check()
    page.wait_for_url(re.compile(r"accredited_only=on"))
    count_text = results.locator(".results-count").inner_text()
    assert re.match(r"\d+ programs?", count_text)
    assert "Product Theater" not in results.inner_text()

    # The URL holds the whole state: reloading it shows the same filtered results.
    page.reload()
    assert page.get_by_role("combobox", name="Profession", exact=True).input_value() == "nurse"
    assert page.locator("#results .results-count").inner_text() == count_text

    page.locator("#results .program-card h3 a").first.click()
    page.get_by_role("heading", name="Selection factors").wait_for()
    assert page.get_by_role("heading", name="Outcome tracking").is_visible()

    page.go_back()
    page.wait_for_url(re.compile(r"profession=nurse"))


def test_catalog_works_without_javascript(browser, live_server, transactional_db):
    password = _seed()
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, "nurse@demo.test", password)
    page.goto("/programs/")
    page.get_by_text("Filters", exact=True).click()  # without JavaScript the panel starts closed
    page.get_by_role("combobox", name="Profession", exact=True).select_option("pharmacist")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"profession=pharmacist"))
    assert page.locator("#results .program-card").count() > 0
    context.close()


def test_catalog_is_usable_by_keyboard_on_a_phone(phone_page):
    password = _seed()
    page = phone_page
    sign_in(page, "np@demo.test", password)
    page.goto("/programs/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"page scrolls sideways on a phone ({width}px)"
    page.get_by_role("textbox", name="Keywords", exact=True).focus()
    page.keyboard.type("leadership")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=leadership"))
    assert page.locator("#results .program-card").count() > 0


def test_clinician_finds_programs_by_city_provider_and_topic_label(page):
    password = _seed()
    sign_in(page, "clinician@demo.test", password)
    page.goto("/programs/")
    results = page.locator("#results")

    page.get_by_role("textbox", name="Keywords", exact=True).fill("Seattle")
    page.wait_for_url(re.compile(r"q=Seattle"))
    results.get_by_role("link", name="Physician and Nurse Executive Leadership Academy", exact=True).wait_for()

    page.get_by_role("textbox", name="Keywords", exact=True).fill("")
    page.wait_for_url(lambda url: "q=Seattle" not in url)
    page.get_by_role("combobox", name="Provider", exact=True).select_option(
        label="Cascadia Health Center for Professional Development"
    )
    page.wait_for_url(re.compile(r"provider=\d+"))
    page.get_by_role("combobox", name="Topic", exact=True).fill("pain management")
    page.get_by_role("combobox", name="Topic", exact=True).dispatch_event("change")
    page.wait_for_url(re.compile(r"topic=pain"))
    results.get_by_role(
        "link", name="Opioid Stewardship in Primary Care: Team Performance Improvement", exact=True
    ).wait_for()
    assert results.locator(".results-count").inner_text() == "1 program"

    page.get_by_role("spinbutton", name="Minimum cost (USD)").fill("900")
    page.get_by_role("spinbutton", name="Maximum cost (USD)").fill("100")
    page.get_by_role("spinbutton", name="Maximum cost (USD)").dispatch_event("change")
    results.get_by_text("so the cost range is not applied").first.wait_for()
