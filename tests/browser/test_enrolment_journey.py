"""Team enrolment (issue 14): a supervisor enrols three members of different professions in an interprofessional
program with funding pre-approved; one declines with a reason, two accept; their plans and the dashboard and
equity counts show it."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.factories import TEST_PASSWORD
from tests.supervision.enrolment_helpers import enrol_world, member


def _seed():
    world = enrol_world(amount="1000", days="3")
    for index in range(4):  # five of each profession: every group is shown, none suppressed
        member(world.team, "physician", full_name=f"Dr. Extra {index}")
        member(world.team, "nurse", full_name=f"Extra Nurse {index}")
        member(world.team, "pharmacist", full_name=f"Extra Pharmacist {index}")
    return world


def _sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state("networkidle")


def _counts(page, label: str) -> list[str]:
    row = page.get_by_role("region", name="Team enrolment by profession table").get_by_role(
        "row", name=re.compile(label)
    )
    return row.get_by_role("cell").all_inner_texts()


def test_a_supervisor_enrols_three_professions_one_declines_two_accept(page):
    world = _seed()
    program = world.program.title
    sign_in(page, world.supervisor.email, TEST_PASSWORD)
    page.goto(f"/team/{world.team.pk}/")
    page.get_by_role("link", name="Enrol team members in an interprofessional activity").click()
    page.get_by_label("Program title contains").fill("sepsis")
    page.get_by_role("button", name="Find programs").click()
    page.get_by_role("link", name=f"Choose {program}").click()
    # Filtered by the confirmed profession: only nurses are offered.
    page.get_by_label("Show members of").select_option("nurse")
    page.get_by_role("button", name="Show members").click()
    members = page.get_by_role("group", name="Team members to propose it to")
    expect(members.get_by_role("checkbox")).to_have_count(5)
    expect(members.get_by_label(re.compile(r"Dr\. Pat Physician"))).to_have_count(0)
    page.get_by_role("link", name="All members").click()
    for name in ("Dr. Pat Physician", "Nora Nurse", "Phil Pharmacist"):
        members.get_by_label(re.compile(re.escape(name) + r" \(")).check()
    page.get_by_label("Funding pre-approved per member (USD)").fill("250")
    page.get_by_label("Paid leave days pre-approved per member").fill("1")
    page.get_by_label("Note to the members").fill("Let's learn this one together.")
    page.get_by_role("button", name=f"Propose {program} to the members ticked").click()
    expect(page.get_by_text("proposed to 3 members")).to_be_visible()
    sent = page.get_by_role("region", name="Proposals sent table")
    expect(sent.get_by_role("row")).to_have_count(4)
    _sign_out(page)

    # The pharmacist declines: without a reason first (refused), then with one.
    sign_in(page, world.pharmacist.email, TEST_PASSWORD)
    page.goto("/careers/")
    expect(page.get_by_role("heading", name="Proposed by your supervisor (1)")).to_be_visible()
    expect(page.get_by_text("Pre-approved: $250.00 and 1 leave day")).to_be_visible()
    page.get_by_role("link", name=f"Accept or decline {program}").click()
    page.get_by_role("button", name=f"Decline {program}").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_contain_text("Say why you decline")
    expect(page).to_have_title(re.compile("^Error: "))
    page.get_by_label("Why you decline (your supervisor reads it)").fill("Covering the pharmacy that week")
    page.get_by_role("button", name=f"Decline {program}").click()
    expect(page.get_by_text(f"You declined “{program}”")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Proposed by your supervisor"))).to_have_count(0)
    _sign_out(page)

    for accepting in (world.physician, world.nurse):
        sign_in(page, accepting.email, TEST_PASSWORD)
        page.goto("/careers/")
        page.get_by_role("link", name=f"Accept or decline {program}").click()
        page.get_by_role("button", name=f"Accept {program}").click()
        expect(page.get_by_text(f"“{program}” is now planned on your shortlist.")).to_be_visible()
        plan = page.get_by_role("region", name="Plan table")
        expect(plan.get_by_role("row", name=re.compile(program))).to_contain_text(
            "Planned (proposed by your supervisor)"
        )
        _sign_out(page)

    sign_in(page, world.supervisor.email, TEST_PASSWORD)
    figures = {}
    for name, path in (("dashboard", f"/team/{world.team.pk}/"), ("equity", f"/team/{world.team.pk}/equity/")):
        page.goto(path)
        figures[name] = {label: _counts(page, label) for label in ("Physician", "Nurse", "Pharmacist", "Whole team")}
    assert figures["dashboard"] == figures["equity"]
    assert figures["dashboard"] == {
        "Physician": ["1", "1", "0", "0"],
        "Nurse": ["1", "1", "0", "0"],
        "Pharmacist": ["1", "0", "1", "0"],
        "Whole team": ["3", "2", "1", "0"],
    }
    page.goto(f"/team/{world.team.pk}/enrol/")
    expect(sent.get_by_role("row", name=re.compile("Phil Pharmacist"))).to_contain_text(
        "Covering the pharmacy that week"
    )
