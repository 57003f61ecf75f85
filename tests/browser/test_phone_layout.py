"""Every main page fits a phone-sized screen: nothing makes the page scroll sideways.

Wide tables scroll inside their own box instead (`.table-scroll`).
"""

import io

import pytest
from django.conf import settings
from django.core.management import call_command

from accounts.models import Team
from programs.models import Program
from tests.browser.conftest import sign_in

PHONE_WIDTH = 375


@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo", stdout=io.StringIO())
    team = Team.objects.get(name="Hospital Medicine")
    first, second = Program.objects.visible_in_catalog().order_by("pk").values_list("pk", flat=True)[:2]
    return {
        "clinician@demo.test": [
            "/programs/",
            f"/programs/{first}/",
            f"/programs/compare/?ids={first}&ids={second}",
            "/careers/",
            "/careers/credits/",
            "/careers/profile/",
            "/careers/calendar/",
            "/outcomes/",
            "/outcomes/portfolio/",
            "/team/requests/",
            "/team/my-policy/",
            "/team/reminders/",
        ],
        "supervisor@demo.test": [f"/team/{team.pk}/", f"/team/{team.pk}/equity/", f"/team/{team.pk}/policies/"],
        "admin@demo.test": ["/programs/curation/", "/programs/curation/review/", "/programs/curation/export/"],
    }


def test_main_pages_fit_a_phone_screen_for_every_role(browser, live_server, demo):
    too_wide = []
    for email, urls in demo.items():
        context = browser.new_context(base_url=live_server.url, viewport={"width": PHONE_WIDTH, "height": 740})
        page = context.new_page()
        sign_in(page, email, settings.DEMO_PASSWORD)
        for url in urls:
            response = page.goto(url)
            assert response is not None and response.status == 200, url
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE_WIDTH:
                too_wide.append(f"{url} ({email}): {width}px")
        context.close()
    assert too_wide == []
