"""A flash message is put back into its live region after load, so a screen reader reads it (issue 13)."""

from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD, ClinicianFactory

# Records each change of a message region's children from the start of every document.
RECORD_REGION_CHANGES = """
window.regionChanges = [];
new MutationObserver(function (records) {
  records.forEach(function (record) {
    if (record.target.matches && record.target.matches("[data-announce-on-load]")) {
      window.regionChanges.push(record.removedNodes.length ? "emptied" : "filled");
    }
  });
}).observe(document, {childList: true, subtree: true});
"""


def test_a_message_present_at_load_is_put_back_into_its_status_region(page):
    clinician = ClinicianFactory(email="messages@browser.test")
    sign_in(page, clinician.email, TEST_PASSWORD)
    page.add_init_script(RECORD_REGION_CHANGES)
    page.goto("/careers/profile/")
    page.get_by_label("Profession").select_option("physician")
    page.get_by_role("button", name="Save profile").click()
    region = page.locator('[role="status"][data-announce-on-load]')
    region.locator("ul.message-list > li").wait_for()
    page.wait_for_function("() => window.regionChanges.slice(-2).join() === 'emptied,filled'")
    # The region was there, emptied, then refilled: a change inside a live region, which is announced.
    assert region.locator("ul.message-list > li").inner_text() == "Profile saved."
    assert region.is_visible()
