"""Deleting asks first, on a page of its own, without JavaScript (issue 13, item 7).

A clinician opens the confirmation of a credit entry from the credits page, cancels back to where
they were, opens it again and deletes: the page says what is lost, and the message names what went.
"""

import datetime
import re
from decimal import Decimal

from playwright.sync_api import expect

from careers.models import CreditClaim
from careers.services import credit_claim_create
from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD, ClinicianFactory


def test_a_credit_is_deleted_only_after_its_confirmation_page_without_javascript(
    browser, live_server, transactional_db
):
    clinician = ClinicianFactory(email="deletes@example.test")
    claim = credit_claim_create(
        user=clinician,
        title="Sepsis update",
        provider_name="",
        completed_on=datetime.date(2026, 5, 3),
        topics=[],
        amounts={"ama_pra_1": Decimal("2")},
    )
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, clinician.email, TEST_PASSWORD)
        page.goto("/careers/credits/?from=list")
        page.get_by_role("button", name=re.compile(r"^Delete")).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Delete the credit entry “Sepsis update”?")
        expect(page.locator(".consequences")).to_contain_text(
            "This credit of 2 AMA PRA Category 1 Credit for “Sepsis update” on May 3, 2026 is removed "
            "from your licence progress"
        )
        page.get_by_role("link", name="Cancel").click()
        page.wait_for_url(re.compile(r"/careers/credits/\?from=list$"))
        assert CreditClaim.objects.filter(pk=claim.pk).exists()

        page.get_by_role("button", name=re.compile(r"^Delete")).click()
        page.get_by_role("button", name="Delete credit entry").click()
        page.wait_for_url(re.compile(r"/careers/credits/$"))
        expect(page.get_by_role("status")).to_contain_text("Credit entry “Sepsis update” deleted.")
        assert not CreditClaim.objects.filter(pk=claim.pk).exists()
    finally:
        context.close()
