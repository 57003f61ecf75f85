"""An admin uploads a CSV with good and bad rows, reads the report, publishes from the review queue,
and the listing appears in the catalog."""

from __future__ import annotations

import datetime
import re

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


def test_curator_creates_edits_reviews_a_whole_import_and_reads_the_history(page, tmp_path):
    from programs.models import Program
    from tests.factories import ProgramFactory, ProviderFactory

    AdminFactory(email="curator@example.test", is_staff=True)
    live = ProgramFactory(provider=ProviderFactory(name="Mercy CME"), external_id="LIVE-1", title="Live sepsis course")
    sign_in(page, "curator@example.test", TEST_PASSWORD)

    # Create a listing: the importer's rules and messages, then a draft.
    page.goto("/programs/curation/listings/")
    page.get_by_role("link", name="New listing").click()
    page.get_by_label("External id (required)").fill("NEW-1")
    page.get_by_label("Title (required)").fill("Stroke code team drills")
    page.get_by_label("Provider name (required)").fill("Mercy CME")
    page.get_by_label("Format (required)").select_option("course")
    page.get_by_label("Credits").fill("ama_pra_1:twenty")
    page.get_by_role("button", name="Create draft").click()
    # The field says what is wrong, and the error summary (focused, "Error:" in the title) links to it.
    page.locator("#id_credits_error").get_by_text("Credit amounts must be numbers from 0.25 up").wait_for()
    assert page.title().startswith("Error: ")
    assert page.evaluate("document.activeElement.matches('[data-error-summary]')")
    page.get_by_role("link", name="Credits: Credit amounts must be numbers from 0.25 up").click()
    assert page.evaluate("document.activeElement.id") == "id_credits"
    page.get_by_label("Credits").fill("ama_pra_1:4")
    page.get_by_role("button", name="Create draft").click()
    page.get_by_role("heading", name="History of “Stroke code team drills”").wait_for()
    assert Program.objects.get(external_id="NEW-1").status == "draft"

    # Edit a published listing: it waits for review, the catalog keeps the published version.
    page.goto("/programs/curation/listings/?q=LIVE-1")
    page.get_by_role("link", name="Edit Live sepsis course").click()
    page.get_by_label("Title (required)").fill("Renamed sepsis course")
    page.get_by_label("Fee amount").fill("750")
    page.get_by_role("button", name="Send the change to review").click()
    page.get_by_text("Your change waits in the review queue").wait_for()
    item = page.locator(".review-item", has_text="Live sepsis course")
    assert "Renamed sepsis course" in item.inner_text() and "750" in item.inner_text()
    page.goto(f"/programs/{live.pk}/")
    assert "Live sepsis course" in page.content() and "Renamed sepsis course" not in page.content()

    # Approve a whole import at once.
    start = datetime.date.today() + datetime.timedelta(days=40)
    rows = "".join(f"B-{n},Batch course {n},Mercy CME,course,{start},ama_pra_1:2\n" for n in range(5))
    path = tmp_path / "batch.csv"
    path.write_text("external_id,title,provider_name,format,start_date,credits\n" + rows)
    page.goto("/programs/curation/")
    page.get_by_label("File to import").set_input_files(str(path))
    page.get_by_role("button", name="Upload and import").click()
    page.get_by_role("heading", name="Finished").wait_for()
    page.get_by_role("button", name=re.compile(r"^Approve all 5 from import #\d+$")).click()
    page.get_by_text("Approved and published 5 listing(s).").wait_for()
    assert Program.objects.filter(external_id__startswith="B-", status="published").count() == 5

    # Approve the edit, then read the listing's history.
    page.locator(".review-item", has_text="Live sepsis course").get_by_role(
        "button", name="Approve and publish Live sepsis course"
    ).click()
    page.get_by_text("Approved and published 1 listing(s).").wait_for()
    page.goto(f"/programs/curation/listings/{live.pk}/history/")
    history = page.locator(".history").inner_text()
    assert "Change proposed" in history and "via Curation form" in history and "Approved by" in history
    assert "Renamed sepsis course" in history and "750" in history
