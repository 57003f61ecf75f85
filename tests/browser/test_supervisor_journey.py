"""The demo clinician asks for funding for a shortlisted program; the demo supervisor approves it from the
team dashboard; the clinician sees the decision and the smaller remaining allowance."""

import io
import re

from django.conf import settings
from django.core.management import call_command

from supervision.models import FundingRequest
from tests.browser.conftest import sign_in


def _sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state("networkidle")


def _employer_money_left(page) -> int:
    """The employer allowance left, in dollars, from the ledger on the requests page."""
    text = page.locator('[data-ledger="employer"]').first.inner_text()
    return int(re.search(r"\$([\d,]+)", text).group(1).replace(",", ""))


def test_clinician_requests_supervisor_approves_from_dashboard_clinician_sees_decision(page):
    call_command("seed_demo", stdout=io.StringIO())
    sign_in(page, "clinician@demo.test", settings.DEMO_PASSWORD)

    page.get_by_role("link", name="Funding requests").click()
    left_before = _employer_money_left(page)
    page.get_by_role("link", name="Ask for funding or leave").click()
    program_title = page.get_by_label("Program from your shortlist").locator("option").first.inner_text()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Registration (USD)").fill("")
    page.get_by_label("Lodging (USD)").fill("1000")
    page.get_by_label("Paid leave days requested").fill("1")
    page.get_by_label("Of which travel days").fill("1")
    page.get_by_label("Why this program").fill("Builds the finance skills my CMO goal needs.")
    page.get_by_role("button", name="Send request").click()
    page.get_by_role("heading", name=f"Request for {program_title}").wait_for()
    assert page.get_by_text("Pending").first.is_visible()
    request = FundingRequest.objects.get(requester__email="clinician@demo.test", program__title=program_title)
    _sign_out(page)

    sign_in(page, "supervisor@demo.test", settings.DEMO_PASSWORD)
    page.get_by_role("heading", name="Pending requests").wait_for()
    # The row's controls name the member and the program, shown on the page (no internal request number).
    whose = f"{request.requester}’s request for {program_title}"
    page.get_by_label(f"Reason for approving {whose}").fill("Fits the leadership plan; within policy.")
    page.get_by_role("button", name=f"Approve in full {whose}").click()
    page.get_by_text(re.compile("Request approved in full")).wait_for()
    _sign_out(page)

    sign_in(page, "clinician@demo.test", settings.DEMO_PASSWORD)
    page.get_by_role("link", name="Funding requests").click()
    assert page.get_by_text("Approved in full").first.is_visible()
    assert _employer_money_left(page) == left_before - 1000
    page.get_by_role("link", name=program_title).click()
    assert page.get_by_text("Fits the leadership plan; within policy.").is_visible()
