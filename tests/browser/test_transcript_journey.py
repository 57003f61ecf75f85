"""A clinician imports a transcript with one duplicate and one bad row, confirms, and sees the right credits."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

from careers.models import CreditClaim
from careers.services import credit_claim_create
from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD, ClinicianFactory

TRANSCRIPT = (
    "Activity Title,Provider,Completion Date,Credit Type,Credits,Certificate ID\n"
    "Sepsis bundle update,Mercy CME,2026-01-02,AMA PRA Category 1 Credit,2,S-1\n"  # already logged
    "Stroke code refresher,State Neuro,2026-02-10,AMA PRA Category 1 Credit,1.5,S-2\n"
    "Asthma in clinic,Lung Society,31/02/2026,AMA PRA Category 1 Credit,1,S-3\n"  # no such day
    "Opioid stewardship,State Board,2026-03-05,AMA PRA Category 1 Credit,3,S-4\n"
)


def test_a_transcript_with_a_duplicate_and_a_bad_row_logs_only_the_good_rows(page, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    clinician = ClinicianFactory(email="importer@browser.test")
    credit_claim_create(
        user=clinician,
        title="Sepsis Bundle Update",
        provider_name="Mercy CME",
        completed_on=datetime.date(2026, 1, 2),
        topics=[],
        amounts={"ama_pra_1": Decimal("2")},
    )
    sign_in(page, clinician.email, TEST_PASSWORD)
    page.goto("/careers/credits/")
    page.get_by_role("link", name="Import a transcript (CSV)").click()
    file = tmp_path / "transcript.csv"
    file.write_text(TRANSCRIPT, encoding="utf-8")
    page.get_by_label("Transcript file (CSV)").set_input_files(str(file))
    page.get_by_role("button", name="Upload and preview").click()

    page.get_by_role("heading", name=re.compile("Preview of")).wait_for()
    assert page.get_by_label("Activity title").input_value() == "0"  # the guessed column
    table = page.get_by_role("region", name="Transcript rows table")
    assert "Not written: already logged" in table.get_by_test_id("transcript-row-2").inner_text()
    bad = table.get_by_test_id("transcript-row-4").inner_text()
    assert "Not written: bad row" in bad and "Completion date" in bad and "not a date that exists" in bad
    assert "Will be logged" in table.get_by_test_id("transcript-row-3").inner_text()
    assert "2 rows will be logged" in page.get_by_test_id("transcript-summary").inner_text()
    assert CreditClaim.objects.filter(user=clinician).count() == 1  # nothing written by the preview

    page.get_by_role("button", name="Log 2 credits").click()
    page.get_by_role("heading", name="Credits and licences").wait_for()
    message = page.locator('[role="status"][data-announce-on-load] ul.message-list > li')
    message.wait_for()  # put back into its live region after load
    assert message.inner_text().startswith("2 credits imported")
    assert "not written: 1 duplicate and 1 bad row" in message.inner_text()
    logged = page.get_by_role("region", name="Logged credits table").inner_text()
    assert "Stroke code refresher" in logged and "Opioid stewardship" in logged
    assert "Asthma in clinic" not in logged
    assert logged.count("Mercy CME") == 1  # the logged Sepsis course, not written again
    assert sorted(CreditClaim.objects.filter(user=clinician).values_list("title", flat=True)) == [
        "Opioid stewardship",
        "Sepsis Bundle Update",
        "Stroke code refresher",
    ]

    # Back to the preview: it is reloaded (no-store) and says the file was imported, with no button
    # to confirm again (a replayed confirmation is answered in tests/careers/test_transcript_views.py).
    page.go_back()
    page.get_by_text(re.compile("2 credits logged")).wait_for()
    assert page.get_by_role("button", name=re.compile("^Log")).count() == 0
    assert CreditClaim.objects.filter(user=clinician).count() == 3
