"""A clinician with a goal sees the ranked catalog, moves a weight slider by keyboard, compares two programs
and asks why one is above the other."""

import re
from decimal import Decimal

from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD, ClinicianFactory, ProgramFactory
from tests.programs.ranking_helpers import goal_for


def _seed():
    clinician = ClinicianFactory(email="ranked@example.test")
    goal_for(clinician, weights=(3, 3, 3, 3))
    ProgramFactory(
        title="CMO leadership",
        competencies=["healthcare_finance", "strategic_planning"],
        career_tracks=["executive_leadership"],
        fee_amount=Decimal("900"),
    )
    ProgramFactory(
        title="Clinical update",
        outcome_level_measured="6",
        publishes_outcomes=True,
        requires_practice_project=True,
        fee_amount=Decimal("100"),
    )
    return clinician


def test_clinician_reranks_with_a_slider_and_compares_two_programs(page):
    clinician = _seed()
    sign_in(page, clinician.email, TEST_PASSWORD)
    page.goto("/programs/")
    first_title = page.locator("#results .ranked-card h3 a").first
    expect(first_title).to_have_text("CMO leadership")
    expect(page.locator("#results .fit-total").first).to_contain_text("/ 100 for your goal")

    slider = page.locator("#id_w_career")
    # The number input the server sends became a slider, with its number shown beside it.
    expect(page.get_by_role("slider", name="Career alignment")).to_have_value("3")
    expect(page.locator("#id_w_career_value")).to_be_visible()
    expect(page.locator("#id_w_career_value")).to_have_text("3")
    slider.focus()
    page.keyboard.press("Home")  # career weight 3 -> 0
    expect(page.locator("#id_w_career_value")).to_have_text("0")
    expect(first_title).to_have_text("Clinical update")
    assert "w_career=0" in page.url
    # Focus stays on the slider: only the results were swapped.
    assert page.evaluate("document.activeElement.id") == "id_w_career"

    page.keyboard.press("End")  # back up to 5: career leads again
    expect(page.locator("#id_w_career_value")).to_have_text("5")
    expect(first_title).to_have_text("CMO leadership")

    for card in page.locator("#results .ranked-card").all():
        card.get_by_label("Compare").check()
    page.get_by_role("button", name="Compare selected").click()
    page.get_by_role("heading", name="Compare programs").wait_for()
    table = page.locator("table.compare-table")
    expect(table).to_contain_text("Total fit for your goal")
    expect(table).to_contain_text("CMO leadership")
    expect(table).to_contain_text("Clinical update")
    expect(table.locator(".best-marker").first).to_have_text("best")

    # Why is B above A? The top two by default, then the pair chosen in the form (no script needed).
    why = page.locator("#why")
    expect(why.get_by_role("heading", name="Why is “CMO leadership” above “Clinical update”?")).to_be_visible()
    expect(why.locator("table.why-table")).to_contain_text("Career alignment")
    expect(why.locator(".why-answer")).to_contain_text("“Clinical update” above “CMO leadership”")
    why.get_by_label("Why is").select_option(label="Clinical update")
    why.get_by_label("above or below").select_option(label="CMO leadership")
    why.get_by_role("button", name="Explain").click()
    page.wait_for_url("**pair=*")
    expect(page.locator("#why").get_by_role("heading", level=3)).to_have_text(
        "Why is “CMO leadership” above “Clinical update”?"
    )
    # The form keeps the pair as chosen.
    expect(page.locator("#why-first option:checked")).to_have_text("Clinical update")


def test_weights_are_set_by_keyboard_and_applied_without_javascript(browser, live_server, transactional_db):
    """Without script each weight is a number input showing its own value: no slider whose number lags behind."""
    clinician = _seed()
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, clinician.email, TEST_PASSWORD)
        page.goto("/programs/")
        first_title = page.locator("#results .ranked-card h3 a").first
        expect(first_title).to_have_text("CMO leadership")
        weight = page.get_by_role("spinbutton", name="Career alignment")
        expect(weight).to_have_value("3")
        expect(page.locator("#id_w_career_value")).to_be_hidden()
        weight.focus()
        for _ in range(3):
            page.keyboard.press("ArrowDown")  # career weight 3 -> 0, shown in the box as it changes
        expect(weight).to_have_value("0")
        page.get_by_role("spinbutton", name="Outcome tracking").fill("5")
        page.get_by_role("button", name="Apply").click()
        page.wait_for_url(re.compile(r"w_career=0"))
        assert "w_outcome=5" in page.url
        expect(first_title).to_have_text("Clinical update")
        # The page that comes back shows the chosen values, and only them.
        expect(page.get_by_role("spinbutton", name="Career alignment")).to_have_value("0")
        expect(page.get_by_role("spinbutton", name="Outcome tracking")).to_have_value("5")
        expect(page.locator(".ranking-controls output:visible")).to_have_count(0)
    finally:
        context.close()
