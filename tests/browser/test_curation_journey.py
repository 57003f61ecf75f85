"""An admin uploads a CSV with good and bad rows, reads the report, publishes from the review queue,
and the listing appears in the catalog."""

from __future__ import annotations

import datetime

from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD, AdminFactory


def _csv(tmp_path):
    start = datetime.date.today() + datetime.timedelta(days=40)
    end = start + datetime.timedelta(days=1)
    content = (
        "external_id,title,provider_name,format,start_date,end_date,credits,description\n"
        f"J-1,Sepsis bundle leadership,Mercy CME,course,{start},{end},ama_pra_1:8,A practice improvement project.\n"
        f"J-2,Broken row,Mercy CME,lecture,{start},{end},ama_pra_1:8,\n"
        f"J-3,Bad fee,Mercy CME,course,{start},{end},golf:8,\n"
    )
    path = tmp_path / "listings.csv"
    path.write_text(content)
    return path


def test_admin_imports_reviews_and_publishes_a_listing(page, tmp_path):
    AdminFactory(email="curator@example.test", is_staff=True)
    sign_in(page, "curator@example.test", TEST_PASSWORD)

    page.get_by_role("link", name="Review queue").click()
    page.get_by_role("link", name="Import and export").click()
    page.get_by_label("File to import").set_input_files(str(_csv(tmp_path)))
    page.get_by_role("button", name="Upload and import").click()

    page.get_by_role("heading", name="Finished").wait_for()
    assert page.locator("progress").get_attribute("value") == "3"
    assert "Rows processed: 3 of 3" in page.locator("#import-progress").inner_text()
    errors = page.get_by_role("table")
    assert "lecture" in errors.inner_text() and "Unknown credit type" in errors.inner_text()
    assert page.get_by_role("link", name="Download error rows (CSV)").is_visible()

    page.get_by_role("link", name="Open the review queue").click()
    page.get_by_role("heading", name="Drafts awaiting review").wait_for()
    page.get_by_role("button", name="Approve and publish Sepsis bundle leadership").click()
    page.get_by_text("Approved and published 1 listing(s).").wait_for()

    page.goto("/programs/")
    page.get_by_role("link", name="Sepsis bundle leadership").wait_for()
    assert "Broken row" not in page.content()
