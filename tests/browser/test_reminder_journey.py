"""A reminder appears in the app in the quickstart configuration (issue 14, part 4): no Redis, no Celery beat;
the request-time runner (supervision.middleware) sends what is due on the first signed-in page, the navigation
announces the unread count in text, and the follow-up is answered from the notification."""

import re

from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from careers.models import ShortlistEntry, ShortlistStatus
from supervision.middleware import CACHE_KEY
from supervision.models import PracticeFollowUp, Reminder
from supervision.reminders import add_months
from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD, ClinicianFactory, ProgramFactory


def test_a_due_follow_up_appears_in_the_nav_and_is_answered(page, settings):
    settings.REMINDERS_RUN_ON_REQUEST_MINUTES = 10  # the quickstart's default without REDIS_URL
    cache.delete(CACHE_KEY)
    clinician = ClinicianFactory(email="reminded@example.test")
    entry = ShortlistEntry.objects.create(
        user=clinician,
        program=ProgramFactory(title="Pediatric UTI update"),
        status=ShortlistStatus.COMPLETED,
        completed_on=add_months(timezone.localdate(), -3),
    )
    assert not Reminder.objects.exists()

    sign_in(page, clinician.email, TEST_PASSWORD)
    notifications = page.get_by_role("link", name="Notifications (1 unread)")
    expect(notifications).to_be_visible()
    notifications.click()
    expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
    expect(page.get_by_text("1 unread.")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("3 months after Pediatric UTI update"))).to_be_visible()
    page.locator(f'a[href="/team/follow-ups/{entry.pk}/3/"]').click()

    page.get_by_label("What changed in your practice since you completed the program?").fill(
        "I now send a urine culture before the first antibiotic dose."
    )
    page.get_by_role("button", name="Save my answer").click()
    expect(page.get_by_role("link", name="Start an outcome project from this answer")).to_be_visible()
    assert PracticeFollowUp.objects.filter(user=clinician, program=entry.program).count() == 1
    # Answering marked it read: the navigation no longer announces an unread count.
    expect(page.get_by_role("link", name="Notifications", exact=True)).to_be_visible()
    cache.delete(CACHE_KEY)
