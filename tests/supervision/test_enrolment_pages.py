"""Team enrolment pages: the supervisor's enrol page, the member's proposal page and plan, the counts on
the dashboard and the equity view (compared), refusals and query counts at two team sizes."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from careers.models import ShortlistEntry
from supervision import services
from supervision.models import EnrolmentProposal, FundingRequest

from .enrolment_helpers import enrol_world, ipe_program, member

pytestmark = pytest.mark.django_db


def _enrol_url(world, query=""):
    return reverse("supervision:enrol", args=[world.team.pk]) + query


def _post_proposal(client, world, members, **extra):
    data = {"program": world.program.pk, "members": [m.pk for m in members], **extra}
    return client.post(_enrol_url(world), data)


def test_the_supervisor_finds_interprofessional_programs_only(client):
    world = enrol_world()
    ipe_program(title="Team sepsis follow-up")
    single = ipe_program(title="Team sepsis for physicians", professions=["physician"])
    client.force_login(world.supervisor)
    page = client.get(_enrol_url(world, "?q=sepsis")).content.decode()
    assert "Choose Team sepsis simulation" in page and "Choose Team sepsis follow-up" in page
    assert single.title not in page


def test_proposing_to_three_members_of_different_professions(client):
    world = enrol_world()
    client.force_login(world.supervisor)
    response = _post_proposal(client, world, world.members, amount="300", leave_days="1", note="As a team")
    assert response.status_code == 302 and response["Location"] == _enrol_url(world)
    assert EnrolmentProposal.objects.filter(team=world.team).count() == 3
    assert FundingRequest.objects.filter(status="approved", amount_approved=300).count() == 3
    page = client.get(_enrol_url(world)).content.decode()
    assert "proposed to 3 members" in page
    assert page.count("Waiting for the member") == 3


def test_a_forged_member_id_from_another_team_gets_a_clear_error_and_nothing_is_written(client):
    world = enrol_world()
    client.force_login(world.supervisor)
    response = _post_proposal(client, world, [world.nurse, world.outsider])
    page = response.content.decode()
    assert response.status_code == 200
    assert "Choose members of your team only" in page and "There is a problem" in page
    assert EnrolmentProposal.objects.count() == 0


def test_a_program_not_designed_for_several_professions_says_so(client):
    world = enrol_world()
    single = ipe_program(title="Physicians only", professions=["physician"])
    client.force_login(world.supervisor)
    page = client.get(_enrol_url(world, f"?program={single.pk}")).content.decode()
    assert "is not designed for several professions" in page
    assert 'name="members"' not in page
    response = client.post(_enrol_url(world), {"program": single.pk, "members": [world.nurse.pk]})
    assert response.status_code == 200 and "is not designed for several professions" in response.content.decode()
    assert EnrolmentProposal.objects.count() == 0


@pytest.mark.parametrize("program", ["abc", "0", "999999", "-1", "1e3"])
def test_a_junk_or_unknown_program_is_404(client, program):
    world = enrol_world()
    client.force_login(world.supervisor)
    assert client.get(_enrol_url(world, f"?program={program}")).status_code == 404


def test_another_teams_supervisor_and_a_clinician_are_refused(client):
    world = enrol_world()
    client.force_login(world.other_supervisor)
    assert _post_proposal(client, world, [world.nurse]).status_code == 404
    client.force_login(world.nurse)
    assert _post_proposal(client, world, [world.nurse]).status_code == 403
    assert EnrolmentProposal.objects.count() == 0


def test_a_refuse_policy_shows_the_reason_on_the_form(client):
    world = enrol_world(rule="refuse", amount="200")
    client.force_login(world.supervisor)
    response = _post_proposal(client, world, [world.nurse], amount="300")
    page = response.content.decode()
    assert response.status_code == 200 and "The employer policy refuses requests over the allowance" in page
    assert EnrolmentProposal.objects.count() == 0 and FundingRequest.objects.count() == 0


def test_the_member_filter_uses_the_dashboards_disclosure(client):
    world = enrol_world()
    for index in range(5):
        member(world.team, "nurse", full_name=f"Extra Nurse {index}")
        member(world.team, "dietitian", full_name=f"Extra Dietitian {index}")  # hidden with the small groups
    client.force_login(world.supervisor)
    page = client.get(_enrol_url(world, f"?program={world.program.pk}&profession=nurse")).content.decode()
    assert "Nora Nurse" in page and "Dr. Pat Physician" not in page
    # Physicians are one person here: their group is suppressed and its filter refused, as on the dashboard.
    page = client.get(_enrol_url(world, f"?program={world.program.pk}&profession=physician")).content.decode()
    assert "Filtering by Physician is not available" in page and "Dr. Pat Physician" not in page


def test_the_member_sees_it_in_the_plan_and_declining_needs_a_reason(client):
    world = enrol_world()
    (proposal,), _ = services.proposals_create(
        team=world.team,
        program=world.program,
        member_ids=[world.nurse.pk],
        proposed_by=world.supervisor,
        amount=Decimal("250"),
    )
    client.force_login(world.nurse)
    plan = client.get(reverse("careers:plan")).content.decode()
    assert "Proposed by your supervisor (1)" in plan and "Accept or decline Team sepsis simulation" in plan
    url = reverse("supervision:proposal_detail", args=[proposal.pk])
    response = client.post(url, {"decision": "decline", "reason": ""})
    assert response.status_code == 200 and "Say why you decline" in response.content.decode()
    assert "<title>Error:" in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.is_open
    response = client.post(url, {"decision": "decline", "reason": "Night shifts that week"})
    assert response.status_code == 302 and response["Location"] == reverse("careers:plan")
    again = client.post(url, {"decision": "accept"})
    assert again.status_code == 409 and "You already declined this proposal" in again.content.decode()
    assert not ShortlistEntry.objects.filter(user=world.nurse).exists()


def test_accepting_puts_it_on_the_plan_marked_as_proposed(client):
    world = enrol_world()
    (proposal,), _ = services.proposals_create(
        team=world.team, program=world.program, member_ids=[world.nurse.pk], proposed_by=world.supervisor
    )
    client.force_login(world.nurse)
    response = client.post(reverse("supervision:proposal_detail", args=[proposal.pk]), {"decision": "accept"})
    assert response.status_code == 302
    plan = client.get(reverse("careers:plan")).content.decode()
    assert "Proposed by your supervisor</span>" in plan and "Planned (proposed by your supervisor)" in plan


def test_another_members_proposal_is_404(client):
    world = enrol_world()
    (proposal,), _ = services.proposals_create(
        team=world.team, program=world.program, member_ids=[world.nurse.pk], proposed_by=world.supervisor
    )
    url = reverse("supervision:proposal_detail", args=[proposal.pk])
    client.force_login(world.physician)
    assert client.get(url).status_code == 404
    assert client.post(url, {"decision": "accept"}).status_code == 404
    client.force_login(world.outsider)
    assert client.post(url, {"decision": "decline", "reason": "x"}).status_code == 404
    proposal.refresh_from_db()
    assert proposal.is_open


# --- The dashboard and the equity view show the same figures ---------------------------------

ROW = re.compile(
    r'<tr data-enrolment-group="(?P<group>[^"]*)">\s*<th scope="row">(?P<label>[^<]+)</th>\s*(?P<cells>.*?)</tr>', re.S
)


def enrolment_figures(page: str) -> dict[str, tuple[str, ...]]:
    """The team enrolment table of a page: {group: (label, proposed, accepted, declined, waiting) or (label,)}."""
    found = {}
    for match in ROW.finditer(page):
        cells = re.findall(r"<td>(\d+)</td>", match.group("cells"))
        found[match.group("group")] = (match.group("label").strip(), *cells)
    return found


def _mixed_team():
    """Five nurses and five physicians (shown), two pharmacists and three dietitians (suppressed)."""
    world = enrol_world()
    nurses = [world.nurse] + [member(world.team, "nurse") for _ in range(4)]
    physicians = [world.physician] + [member(world.team, "physician") for _ in range(4)]
    pharmacists = [world.pharmacist, member(world.team, "pharmacist")]
    for _ in range(3):
        member(world.team, "dietitian")
    proposals, _ = services.proposals_create(
        team=world.team,
        program=world.program,
        member_ids=[u.pk for u in nurses[:3] + physicians[:2] + pharmacists],
        proposed_by=world.supervisor,
    )
    by_member = {p.member_id: p for p in proposals}
    services.proposal_accept(proposal_id=by_member[nurses[0].pk].pk, member=nurses[0])
    services.proposal_accept(proposal_id=by_member[physicians[0].pk].pk, member=physicians[0])
    services.proposal_decline(proposal_id=by_member[nurses[1].pk].pk, member=nurses[1], reason="Nights")
    services.proposal_accept(proposal_id=by_member[pharmacists[0].pk].pk, member=pharmacists[0])
    return world


def test_the_dashboard_and_the_equity_view_show_the_same_enrolment_figures(client):
    world = _mixed_team()
    client.force_login(world.supervisor)
    dashboard = enrolment_figures(client.get(reverse("supervision:dashboard", args=[world.team.pk])).content.decode())
    equity = enrolment_figures(client.get(reverse("supervision:equity", args=[world.team.pk])).content.decode())
    assert dashboard == equity
    assert dashboard == {
        "nurse": ("Nurse", "3", "1", "1", "1"),
        "physician": ("Physician", "2", "1", "0", "1"),
        "suppressed": ("Other professions",),  # pharmacists and dietitians: neither named nor counted
        "team": ("Whole team", "7", "3", "1", "3"),
    }


def _page_queries(client, url):
    client.get(url)  # warm caches
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _grow(world, count):
    extra = []
    for index in range(count):
        extra.append(member(world.team, ["nurse", "physician", "pharmacist"][index % 3]))
    services.proposals_create(
        team=world.team,
        program=ipe_program(),
        member_ids=[u.pk for u in extra],
        proposed_by=world.supervisor,
        amount=Decimal("100"),
    )


@pytest.mark.parametrize("page", ["enrol_programs", "enrol_members", "dashboard", "equity"])
def test_query_counts_do_not_grow_with_the_team(client, page):
    world = enrol_world()
    services.proposals_create(
        team=world.team, program=world.program, member_ids=[world.nurse.pk], proposed_by=world.supervisor
    )
    url = {
        "enrol_programs": _enrol_url(world),
        "enrol_members": _enrol_url(world, f"?program={world.program.pk}"),
        "dashboard": reverse("supervision:dashboard", args=[world.team.pk]),
        "equity": reverse("supervision:equity", args=[world.team.pk]),
    }[page]
    client.force_login(world.supervisor)
    small = _page_queries(client, url)
    _grow(world, 30)
    large = _page_queries(client, url)
    assert small == large, (page, small, large)
    print(f"{page}: {small} queries at 4 members, {large} at 34")


def test_plan_query_count_does_not_grow_with_proposals(client):
    world = enrol_world()
    services.proposals_create(
        team=world.team, program=world.program, member_ids=[world.nurse.pk], proposed_by=world.supervisor
    )
    client.force_login(world.nurse)
    small = _page_queries(client, reverse("careers:plan"))
    for _ in range(10):
        services.proposals_create(
            team=world.team,
            program=ipe_program(),
            member_ids=[world.nurse.pk],
            proposed_by=world.supervisor,
            amount=Decimal("50"),
        )
    large = _page_queries(client, reverse("careers:plan"))
    assert small == large, (small, large)
    print(f"plan: {small} queries with 1 proposal, {large} with 11")


def test_removing_a_member_says_their_open_proposals_lapse(client):
    world = enrol_world()
    services.proposals_create(
        team=world.team, program=world.program, member_ids=[world.nurse.pk], proposed_by=world.supervisor
    )
    client.force_login(world.supervisor)
    url = reverse("supervision:member_remove", args=[world.team.pk, world.nurse.pk])
    page = client.get(url).content.decode()
    assert "Their unanswered 1 enrolment proposal of Ward 5 lapses" in page


@pytest.mark.parametrize("query", ["&profession=junk", "&q=" + "x" * 300, "&profession=%00"])
def test_a_junk_filter_beside_a_good_program_is_ignored(client, query):
    world = enrol_world()
    client.force_login(world.supervisor)
    response = client.get(_enrol_url(world, f"?program={world.program.pk}{query}"))
    assert response.status_code == 200 and "Nora Nurse" in response.content.decode()
