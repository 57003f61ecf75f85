"""The main journeys by keyboard alone: after the first page.goto only Tab, Shift+Tab, Enter, Space and arrow keys.

Each step asserts where focus lands (document.activeElement) and, after an in-place update, what the page's
one status region (#live-status) says. Where focus goes after each htmx update (static/js/app.js):
paging links move it to the results heading, scrolled to the top; a control inside the swapped area that comes
back (a sort link, the shortlist button) keeps it; a filter control outside the area keeps it.
"""

from __future__ import annotations

import contextlib
import datetime
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from careers.models import CreditClaim, ShortlistEntry
from outcomes.models import Measurement
from programs.models import ImportJob
from tests.browser.conftest import sign_in
from tests.factories import (
    TEST_PASSWORD,
    AdminFactory,
    ClinicianFactory,
    ProgramFactory,
    SupervisorFactory,
    TeamFactory,
    TeamMembershipFactory,
)
from tests.outcomes.helpers import add_months, make_project
from tests.programs.ranking_helpers import goal_for
from tests.supervision.helpers import funding_request, history, profile

FOCUSED = """() => {
  const el = document.activeElement;
  return {id: el.id, tag: el.tagName.toLowerCase(), text: (el.innerText || "").trim(), name: el.name || "",
          value: el.value === undefined ? "" : String(el.value), checked: !!el.checked};
}"""


def focused(page) -> dict:
    return page.evaluate(FOCUSED)


def settled_focus(page, expected_id: str) -> dict:
    """What is focused once focus has reached `expected_id`, or after 5 s (the assertion then says where it is).

    app.js moves focus after htmx settles, which can come after the live region and the URL change.
    """
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_function(
            "id => document.activeElement && document.activeElement.id === id", arg=expected_id, timeout=5000
        )
    return focused(page)


def tab_to(page, selector: str, *, backwards: bool = False, limit: int = 400) -> dict:
    """Press Tab (or Shift+Tab) until the focused element matches `selector`; what is focused then."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        page.keyboard.press(key)
        if page.evaluate("selector => document.activeElement.matches(selector)", selector):
            return focused(page)
    raise AssertionError(f"{selector} never got focus after {limit} presses of {key}")


def in_view(page, element_id: str) -> bool:
    """Wholly inside the viewport (scrolled to its top, an element may sit a fraction of a pixel above 0)."""
    return page.evaluate(
        """id => { const box = document.getElementById(id).getBoundingClientRect();
                   return box.top > -1 && box.bottom <= window.innerHeight; }""",
        element_id,
    )


def live_status(page):
    return page.locator("#live-status")


def _ranked_clinician(programs: int = 25):
    clinician = ClinicianFactory(email="keys@example.test")
    goal_for(clinician)
    for index in range(programs):
        ProgramFactory(title=f"Program {index:02d}", fee_amount=Decimal(100 + index))
    return clinician


SWAPPED_FORM_STATE_AT_ANNOUNCEMENT = """buttonId => {
  window.__swappedFormWasUnprocessed = null;
  new MutationObserver(() => {
    const form = document.getElementById(buttonId).closest("form");
    window.__swappedFormWasUnprocessed = form.classList.contains("htmx-added");
  }).observe(document.getElementById("live-status"), {childList: true, subtree: true, characterData: true});
}"""


def test_a_swapped_control_is_live_by_the_time_its_change_is_announced(page):
    # htmx processes swapped-in content (attaches hx-post) in its settle step, 20 ms after the swap by default,
    # while the status region and the kept focus are already there: a second press inside that window submitted
    # the new shortlist form without htmx (a full page load; seen in CI). base.html settles in the swap itself.
    _ranked_clinician(programs=3)
    sign_in(page, "keys@example.test", TEST_PASSWORD)
    page.goto(reverse("programs:catalog"))
    button_id = page.locator("[id^=shortlist-]").first.get_attribute("id")
    page.evaluate(SWAPPED_FORM_STATE_AT_ANNOUNCEMENT, button_id)
    page.locator(f"#{button_id}").click()
    expect(live_status(page)).to_contain_text("added to your shortlist.")
    assert page.evaluate("() => window.__swappedFormWasUnprocessed") is False
    assert page.evaluate("() => htmx.config.defaultSettleDelay") == 0


# --- (a) rank and shortlist on the catalog ------------------------------------------------------------


def test_catalog_by_keyboard_pages_forward_and_shortlists_with_focus_kept(page):
    clinician = _ranked_clinician()
    sign_in(page, clinician.email, TEST_PASSWORD)
    page.goto(reverse("programs:catalog"))
    expect(live_status(page)).to_have_text("")  # nothing is read at load

    # Next page: focus goes to the results heading, which is scrolled into view, and the region says the page.
    assert tab_to(page, "#results-next")["text"] == "Next"
    page.keyboard.press("Enter")
    expect(live_status(page)).to_have_text("25 programs, page 2 of 2, sorted by best fit for your goal.")
    page.wait_for_url("**page=2")
    assert settled_focus(page, "results-heading")["id"] == "results-heading"
    assert in_view(page, "results-heading")
    # The next Tab continues inside the new page, not from the top of the document.
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Compare selected"

    # Shortlist the first program of this page: focus stays on the (new) button, the region says so.
    button = tab_to(page, "[id^=shortlist-]")
    assert button["text"].startswith("Add to shortlist")
    page.keyboard.press("Enter")
    expect(live_status(page)).to_contain_text("added to your shortlist.")
    after = focused(page)
    assert after["id"] == button["id"] and after["text"].startswith("On your shortlist: remove")
    expect(page.locator(f"#{button['id']}")).to_have_attribute("aria-pressed", "true")
    assert ShortlistEntry.objects.filter(user=clinician).count() == 1
    page.keyboard.press("Space")  # and off again, still on the same button
    expect(live_status(page)).to_contain_text("removed from your shortlist.")
    assert settled_focus(page, button["id"])["id"] == button["id"]
    assert not ShortlistEntry.objects.filter(user=clinician).exists()

    # Back to page 1 with Previous: the heading again.
    tab_to(page, "#results-prev")
    page.keyboard.press("Enter")
    expect(live_status(page)).to_have_text("25 programs, page 1 of 2, sorted by best fit for your goal.")
    assert settled_focus(page, "results-heading")["id"] == "results-heading"
    assert in_view(page, "results-heading")


def test_catalog_sort_and_filter_changes_keep_focus_on_the_control(page):
    clinician = _ranked_clinician(programs=3)
    sign_in(page, clinician.email, TEST_PASSWORD)
    page.goto(reverse("programs:catalog"))

    tab_to(page, "#id_sort")
    page.keyboard.press("ArrowDown")  # Best fit -> Score for your goal alone
    expect(live_status(page)).to_have_text("3 programs, sorted by score for your goal alone.")
    assert settled_focus(page, "id_sort")["id"] == "id_sort"

    tab_to(page, "#id_free_only", backwards=True)
    page.keyboard.press("Space")
    expect(live_status(page)).to_have_text("No program matches these filters.")
    assert settled_focus(page, "id_free_only")["id"] == "id_free_only" and focused(page)["checked"]

    tab_to(page, "#id_w_career")
    page.keyboard.press("Home")
    expect(page.locator("#id_w_career_value")).to_have_text("0")
    page.wait_for_url("**w_career=0**")
    assert settled_focus(page, "id_w_career")["id"] == "id_w_career"


# --- (b) compare ----------------------------------------------------------------------------------------


def test_compare_two_programs_by_keyboard(page):
    clinician = _ranked_clinician(programs=3)
    sign_in(page, clinician.email, TEST_PASSWORD)
    page.goto(reverse("programs:catalog"))

    first = tab_to(page, "input[name=ids]")
    page.keyboard.press("Space")
    assert focused(page)["checked"] and focused(page)["value"] == first["value"]
    second = tab_to(page, "input[name=ids]")
    page.keyboard.press("Space")
    assert focused(page)["checked"] and second["value"] != first["value"]
    assert tab_to(page, "#compare-form button", backwards=True)["text"] == "Compare selected"
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Compare programs").wait_for()
    assert f"ids={first['value']}" in page.url and f"ids={second['value']}" in page.url
    # A new page: focus starts at the top, the first Tab reaches the skip link.
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Skip to content"
    expect(page.locator("table.compare-table")).to_be_visible()


# --- (c) log a credit -----------------------------------------------------------------------------------


def test_log_a_credit_by_keyboard(page):
    clinician = ClinicianFactory(email="credit@example.test")
    sign_in(page, clinician.email, TEST_PASSWORD)
    page.goto(reverse("careers:credit_new"))

    assert tab_to(page, "#id_title")["tag"] == "input"
    page.keyboard.type("Sepsis grand rounds")
    page.keyboard.press("Tab")
    assert settled_focus(page, "id_provider_name")["id"] == "id_provider_name"
    page.keyboard.type("County Hospital")
    assert tab_to(page, "#id_completed_on")["id"] == "id_completed_on"
    last_week = timezone.localdate() - datetime.timedelta(days=7)
    page.keyboard.type(last_week.strftime("%m%d%Y"))
    assert tab_to(page, "#id_amount_ama_pra_1")["id"] == "id_amount_ama_pra_1"
    page.keyboard.type("1.5")
    assert tab_to(page, "button[type=submit]:not(.link-button)")["text"] == "Log credits"
    page.keyboard.press("Enter")

    page.get_by_role("heading", name="Credits and licences").wait_for()
    claim = CreditClaim.objects.get(user=clinician)
    assert claim.title == "Sepsis grand rounds" and claim.completed_on == last_week
    assert claim.amounts.get().amount == Decimal("1.5")
    expect(page.locator("main")).to_contain_text("Sepsis grand rounds")
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Skip to content"


# --- (d) add a measurement on an outcome project --------------------------------------------------------


def test_add_a_measurement_by_keyboard(page):
    clinician = ClinicianFactory(email="outcome@example.test")
    project = make_project(clinician)
    add_months(project, [(60, 120)])
    sign_in(page, clinician.email, TEST_PASSWORD)
    page.goto(reverse("outcomes:project_detail", args=[project.pk]))

    # Tab also steps through a date field's month, day and year; tab_to goes on to the next field.
    tab_to(page, "#id_period_start")
    page.keyboard.type("02012025")
    tab_to(page, "#id_period_end")
    page.keyboard.type("02282025")
    tab_to(page, "#id_numerator")
    page.keyboard.type("70")
    page.keyboard.press("Tab")
    assert settled_focus(page, "id_denominator")["id"] == "id_denominator"
    page.keyboard.type("118")
    assert tab_to(page, "button[type=submit]")["text"] == "Add measurement"
    page.keyboard.press("Enter")

    page.wait_for_url("**#*")
    added = Measurement.objects.filter(project=project).latest("period_start")
    assert (added.period_start, added.period_end) == (datetime.date(2025, 2, 1), datetime.date(2025, 2, 28))
    assert (added.numerator, added.denominator) == (70, 118)
    expect(page.get_by_text("Measurement added.")).to_be_visible()
    # The page opens at the section the redirect names (#result: the new figures); the next Tab starts
    # there, not at the skip link at the top.
    section = page.evaluate("location.hash.slice(1)")
    assert section == "result" and in_view(page, "result-heading")
    page.keyboard.press("Tab")
    assert page.evaluate(
        """id => { const section = document.getElementById(id), active = document.activeElement;
                   return section.contains(active)
                       || !!(section.compareDocumentPosition(active) & Node.DOCUMENT_POSITION_FOLLOWING); }""",
        section,
    )
    assert focused(page)["text"] != "Skip to content"


# --- (e) a supervisor decides a funding request ---------------------------------------------------------


def test_supervisor_decides_a_request_by_keyboard(page):
    supervisor = SupervisorFactory(email="boss@example.test")
    team = TeamFactory(supervisors=[supervisor])
    requester = ClinicianFactory(email="asker@example.test")
    TeamMembershipFactory(team=team, user=requester)
    req = funding_request(requester, team)
    sign_in(page, supervisor.email, TEST_PASSWORD)
    page.goto(reverse("supervision:request_detail", args=[req.pk]))

    radio = tab_to(page, "input[name=outcome]")
    assert radio["value"] == "approved"
    page.keyboard.press("ArrowDown")  # Approve in part
    assert focused(page)["value"] == "partially_approved" and focused(page)["checked"]
    page.keyboard.press("Tab")
    assert settled_focus(page, "id_amount")["id"] == "id_amount"
    page.keyboard.type("300")
    page.keyboard.press("Tab")
    assert settled_focus(page, "id_leave_days")["id"] == "id_leave_days"
    page.keyboard.type("1")
    page.keyboard.press("Tab")
    assert settled_focus(page, "id_reason")["id"] == "id_reason"
    page.keyboard.type("Registration only this year.")
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Record decision"
    page.keyboard.press("Enter")

    page.get_by_role("heading", name="Decisions").wait_for()
    page.wait_for_load_state("networkidle")
    req.refresh_from_db()
    assert req.status == "partially_approved" and req.amount_approved == Decimal("300")
    expect(page.locator(".decisions")).to_contain_text("Registration only this year.")
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Skip to content"


# --- Team dashboard: sort and filter --------------------------------------------------------------------


def test_dashboard_sort_keeps_focus_on_the_sort_link_and_says_the_order(page):
    supervisor = SupervisorFactory(email="lead@example.test")
    team = TeamFactory(supervisors=[supervisor])
    for index, days in enumerate((400, 30)):
        member = ClinicianFactory(email=f"member{index}@example.test")
        TeamMembershipFactory(team=team, user=member)
        profile(member)
        history(member, renewal_in_days=days)
    sign_in(page, supervisor.email, TEST_PASSWORD)
    page.goto(reverse("supervision:dashboard", args=[team.pk]))

    assert tab_to(page, "#sort-renewal")["text"] == "Next renewal"
    page.keyboard.press("Enter")
    expect(live_status(page)).to_have_text("2 of 2 members shown, sorted by next renewal, ascending.")
    assert settled_focus(page, "sort-renewal")["id"] == "sort-renewal"
    page.keyboard.press("Enter")
    expect(live_status(page)).to_have_text("2 of 2 members shown, sorted by next renewal, descending.")
    assert settled_focus(page, "sort-renewal")["id"] == "sort-renewal"
    expect(page.locator("th[aria-sort]")).to_have_attribute("aria-sort", "descending")

    tab_to(page, "#id_at_risk", backwards=True)
    page.keyboard.press("Space")
    expect(live_status(page)).to_contain_text("of 2 members shown, sorted by next renewal, descending.")
    assert settled_focus(page, "id_at_risk")["id"] == "id_at_risk"


# --- Import progress ------------------------------------------------------------------------------------


def test_import_progress_announces_steps_and_leaves_focus_alone(page):
    curator = AdminFactory(email="curator-keys@example.test")
    job = ImportJob.objects.create(
        file_name="feed.csv", file_format="csv", status="running", rows_total=100, rows_done=12, created_by=curator
    )
    sign_in(page, curator.email, TEST_PASSWORD)
    page.goto(reverse("programs:curation:import_detail", args=[job.pk]))
    expect(live_status(page)).to_have_text("")  # the state shown at load is not read again by the first polls

    assert tab_to(page, "#import-refresh")["text"] == "Refresh"
    ImportJob.objects.filter(pk=job.pk).update(rows_done=55)
    expect(live_status(page)).to_have_text("Import 50% done.")
    # The poll swapped the box; focus came back to the link.
    assert settled_focus(page, "import-refresh")["id"] == "import-refresh"

    ImportJob.objects.filter(pk=job.pk).update(
        status="succeeded", rows_done=100, created_count=90, unchanged_count=10, finished_at=timezone.now()
    )
    expect(live_status(page)).to_have_text(
        "Import finished: 100 rows: 90 created, 0 updated, 0 held for review, 10 unchanged, 0 with errors."
    )
    # The refresh link is gone with the finished box: focus moves to the box's heading.
    assert settled_focus(page, "progress-heading")["id"] == "progress-heading"
