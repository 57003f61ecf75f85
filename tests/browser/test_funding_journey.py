"""The whole decision (issue 10): a clinician ranks the catalog, reads the reasons, compares two programs, asks
why one is above the other, asks for funding from the card with the form prefilled; the supervisor decides;
every page shows the same ledger figures before and after."""

import re
from decimal import Decimal

from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD, ClinicianFactory, ProgramFactory, SupervisorFactory, TeamFactory
from tests.programs.ranking_helpers import goal_for
from tests.supervision.helpers import policy

ON_DEMAND = {"start_date": None, "end_date": None}


def _seed():
    clinician = ClinicianFactory(email="journey@example.test", full_name="Dr. Journey")
    supervisor = SupervisorFactory(email="journey-supervisor@example.test")
    team = TeamFactory(name="Journey team", supervisors=[supervisor])
    from accounts.services import team_member_add

    team_member_add(team=team, user=clinician)
    goal_for(clinician, weights=(3, 3, 3, 3), budget="1000", leave="2")
    found = policy(team=team, profession="physician", amount="3000", days="3")
    found.year_starts_month = 1
    found.save()
    ProgramFactory(
        title="CMO leadership",
        competencies=["healthcare_finance", "strategic_planning"],
        career_tracks=["executive_leadership"],
        fee_amount=Decimal("900"),
        leave_days=Decimal("1"),
        **ON_DEMAND,
    )
    ProgramFactory(
        title="Clinical update",
        outcome_level_measured="6",
        publishes_outcomes=True,
        requires_practice_project=True,
        fee_amount=Decimal("100"),
        leave_days=Decimal("1"),
        **ON_DEMAND,
    )
    return clinician, supervisor


def _card(page, title):
    return page.locator("#results .ranked-card", has=page.get_by_role("link", name=title, exact=True))


def _left_on_card(page, title) -> str:
    text = _card(page, title).locator(".fit-badges").inner_text()
    return re.search(r"(?:of|more than) the (\$[\d,]+) you have left", text).group(1)


def _ledger_money_left(page) -> str:
    return page.locator('[data-ledger="money_left"]').first.inner_text()


def _figures_everywhere(page, program_id: int) -> dict[str, str]:
    """The money left for the other program as the catalog card, its page, the plan and the requests page say it."""
    figures = {}
    page.goto("/programs/")
    figures["catalog card"] = _left_on_card(page, "Clinical update")
    page.goto(f"/programs/{program_id}/")
    figures["program page"] = _ledger_money_left(page)
    page.goto("/careers/")
    figures["plan"] = _ledger_money_left(page)
    page.goto("/team/requests/")
    figures["my requests"] = _ledger_money_left(page)
    return figures


def _sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state("networkidle")


def test_rank_compare_ask_for_funding_from_the_card_supervisor_decides_same_figures_everywhere(page):
    from programs.models import Program

    clinician, supervisor = _seed()
    other_id = Program.objects.get(title="Clinical update").pk
    sign_in(page, clinician.email, TEST_PASSWORD)

    # Rank and read the reasons.
    page.goto("/programs/")
    expect(page.locator("#results .ranked-card h3 a").first).to_have_text("CMO leadership")
    first = _card(page, "CMO leadership")
    first.locator("summary", has_text="every point").click()
    expect(first.locator(".score-reasons")).to_contain_text("Career alignment")
    assert _left_on_card(page, "CMO leadership") == "$4,000"  # $1,000 own + $3,000 employer

    # Compare the two and ask why one is above the other.
    for title in ["CMO leadership", "Clinical update"]:
        _card(page, title).get_by_label("Compare").check()
    page.get_by_role("button", name="Compare selected").click()
    why = page.locator("#why")
    expect(why.get_by_role("heading", name="Why is “CMO leadership” above “Clinical update”?")).to_be_visible()
    expect(why.locator(".why-answer")).to_contain_text("“Clinical update” above “CMO leadership”")

    before = _figures_everywhere(page, other_id)
    assert set(before.values()) == {"$4,000"}, before

    # Ask for funding from the card: the form opens prefilled with the program's fee and leave.
    page.goto("/programs/")
    _card(page, "CMO leadership").get_by_role("link", name="Ask for funding").click()
    expect(page.get_by_label("Registration (USD)")).to_have_value(re.compile(r"^900(\.00)?$"))
    expect(page.get_by_label("Paid leave days requested")).to_have_value(re.compile(r"^1(\.0)?$"))
    assert _ledger_money_left(page) == "$4,000"
    page.get_by_label("Why this program").fill("Builds the finance skills my CMO goal needs.")
    page.get_by_role("button", name="Send request").click()
    page.get_by_role("heading", name="Request for CMO leadership").wait_for()

    pending = _figures_everywhere(page, other_id)
    assert set(pending.values()) == {"$3,100"}, pending  # the pending request reserves $900
    _sign_out(page)

    # The supervisor sees what approving would leave, and approves.
    sign_in(page, supervisor.email, TEST_PASSWORD)
    page.get_by_role("link", name="CMO leadership").first.click()
    expect(page.locator(".approving-leaves")).to_contain_text("$3,100 in all ($2,100 of the employer allowance)")
    page.get_by_label("Approve in full").check()
    page.get_by_label("Reason (the requester sees it)").fill("Fits the leadership plan.")
    page.get_by_role("button", name="Record decision").click()
    expect(page.locator(".decisions")).to_contain_text("Approved in full")
    _sign_out(page)

    sign_in(page, clinician.email, TEST_PASSWORD)
    after = _figures_everywhere(page, other_id)
    assert after == pending, after  # approval spends the reservation: the same figures on every page
