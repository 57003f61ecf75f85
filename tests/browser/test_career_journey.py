"""The demo clinician shortlists a program, marks it completed with credits and sees licence progress move."""

import datetime
import io
import re

from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from programs.models import Program
from tests.browser.conftest import sign_in

TITLE = "Safe Opioid Prescribing and Pain Management (3 Hours)"


def test_shortlist_complete_with_credits_and_licence_progress_moves(page):
    call_command("seed_demo", stdout=io.StringIO())
    sign_in(page, "clinician@demo.test", settings.DEMO_PASSWORD)

    page.get_by_role("link", name="Credits & licences").click()
    hours = page.get_by_test_id("licence-hours").first
    before = hours.inner_text()
    assert "hours entered as required" in before
    assert "compliant" not in page.content().lower()
    earned_before = float(re.match(r"([\d.]+) of", before).group(1))

    program = Program.objects.get(title=TITLE)
    page.goto(f"/programs/{program.pk}/")
    page.get_by_role("button", name=re.compile("Add to shortlist")).click()
    page.get_by_role("button", name=re.compile("On your shortlist")).wait_for()

    page.get_by_role("link", name="My plan").click()
    entry = page.locator(".shortlist-entry", has=page.get_by_role("link", name=TITLE))
    entry.get_by_label("Status").select_option("completed")
    entry.get_by_role("button", name=re.compile("^Save")).click()
    # The course has not been held yet: it cannot be marked completed.
    page.get_by_text(re.compile("can be marked completed from its last day on")).wait_for()

    # The day of the course comes and goes.
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    Program.objects.filter(pk=program.pk).update(start_date=yesterday, end_date=yesterday)
    page.get_by_role("link", name="My plan").click()
    entry = page.locator(".shortlist-entry", has=page.get_by_role("link", name=TITLE))
    entry.get_by_label("Status").select_option("completed")
    entry.get_by_role("button", name=re.compile("^Save")).click()
    page.get_by_role("heading", name=re.compile("Completed: ")).wait_for()
    assert page.get_by_label("AMA PRA Category 1 Credit (hours)").input_value().startswith("3")
    assert page.get_by_label("Opioid prescribing / controlled substances").is_checked()
    page.get_by_role("button", name="Log credits").click()

    page.get_by_role("heading", name="Credits and licences").wait_for()
    after = page.get_by_test_id("licence-hours").first.inner_text()
    earned_after = float(re.match(r"([\d.]+) of", after).group(1))
    assert earned_after == earned_before + 3
    assert page.get_by_label("Opioid prescribing / controlled substances").first.evaluate("el => el.value") == 3
    assert page.get_by_role("link", name=TITLE).is_visible()

    # The program is over, yet its page stays readable from the credits, marked as past.
    page.get_by_role("link", name=TITLE).click()
    page.get_by_text("Past listing.").wait_for()
    assert "This program ended on" in page.content()
