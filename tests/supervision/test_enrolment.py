"""Team enrolment in an interprofessional activity: the services, the ledger rule, refusals and races.

The rule under test (README, "Team enrolment"): a pre-approval is an approved FundingRequest made
with the proposal, checked as a new request is; declining or leaving the team withdraws it.
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections

from careers.models import ShortlistEntry
from supervision import equity, selectors, services
from supervision.ledger import ledger_for
from supervision.models import EnrolmentProposal, FundingRequest, ProposalStatus, RequestDecision, RequestStatus
from tests.factories import ProgramFactory, SupervisorFactory

from .enrolment_helpers import enrol_world, ipe_program

pytestmark = pytest.mark.django_db


def _propose(world, members=None, *, amount="0", leave="0", supervisor=None, program=None, note="Let's go as a team."):
    return services.proposals_create(
        team=world.team,
        program=program or world.program,
        member_ids=[m.pk for m in (members if members is not None else world.members)],
        proposed_by=supervisor or world.supervisor,
        amount=Decimal(amount),
        leave_days=Decimal(leave),
        note=note,
    )


def _written() -> tuple[int, int, int, int]:
    return (
        EnrolmentProposal.objects.count(),
        FundingRequest.objects.count(),
        RequestDecision.objects.count(),
        ShortlistEntry.objects.count(),
    )


# --- Proposing, accepting, declining -------------------------------------------------------


def test_a_proposal_without_money_reaches_each_member_and_accepting_plans_it():
    world = enrol_world()
    proposals, warnings = _propose(world)
    assert warnings == []
    assert [p.member for p in proposals] == sorted(world.members, key=lambda u: u.pk)
    assert all(p.funding_request is None for p in proposals)
    assert [p.program for p in selectors.open_proposals_for_member(user=world.nurse)] == [world.program]
    mine = next(p for p in proposals if p.member == world.nurse)
    services.proposal_accept(proposal_id=mine.pk, member=world.nurse)
    entry = ShortlistEntry.objects.get(user=world.nurse, program=world.program)
    assert entry.status == "planned"
    assert selectors.accepted_proposal_program_ids(user=world.nurse) == {world.program.pk}
    assert list(selectors.open_proposals_for_member(user=world.nurse)) == []


def test_a_pre_approval_counts_in_the_ledger_exactly_as_an_approved_request():
    world = enrol_world(amount="1000", days="3")
    before = ledger_for(user=world.nurse, program=world.program)
    _propose(world, [world.nurse], amount="400", leave="1")
    after = ledger_for(user=world.nurse, program=world.program)
    assert after.allowance is not None and before.allowance is not None
    assert after.allowance.amount_used == before.allowance.amount_used + Decimal("400")
    assert after.allowance.leave_used == before.allowance.leave_used + Decimal("1")
    assert after.allowance.amount_pending == before.allowance.amount_pending  # approved, not pending
    assert after.employer_money_left == Decimal("600")
    request = FundingRequest.objects.get(requester=world.nurse)
    assert (request.status, request.amount_approved, request.leave_days_approved) == ("approved", 400, 1)
    assert request.decided_by == world.supervisor and request.profession == "nurse"
    # The same figures as an approval of a member's own request of the same size would leave.
    other = ProgramFactory(start_date=world.program.start_date)
    own, _ = services.funding_request_create(
        requester=world.pharmacist,
        program=other,
        costs=services.rules.RequestCosts(registration=Decimal("400")),
        leave_days=Decimal("1"),
        justification="Same size",
    )
    services.funding_request_decide(request_id=own.pk, supervisor=world.supervisor, outcome="approved", reason="ok")
    theirs = ledger_for(user=world.pharmacist, program=world.program)
    assert (theirs.employer_money_left, theirs.employer_leave_left) == (
        after.employer_money_left,
        after.employer_leave_left,
    )


def test_declining_needs_a_reason_and_releases_the_money_and_leave():
    world = enrol_world(amount="1000", days="3")
    (proposal,), _ = _propose(world, [world.nurse], amount="400", leave="1")
    written = _written()
    with pytest.raises(ValidationError, match="Say why you decline"):
        services.proposal_decline(proposal_id=proposal.pk, member=world.nurse, reason="   ")
    assert _written() == written
    services.proposal_decline(proposal_id=proposal.pk, member=world.nurse, reason="On nights that week")
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decision_reason) == (ProposalStatus.DECLINED, "On nights that week")
    assert FundingRequest.objects.get(pk=proposal.funding_request_id).status == RequestStatus.WITHDRAWN
    ledger = ledger_for(user=world.nurse, program=world.program)
    assert ledger.employer_money_left == Decimal("1000") and ledger.employer_leave_left == Decimal("3")
    assert not ShortlistEntry.objects.filter(user=world.nurse).exists()


def test_a_proposal_is_answered_once():
    world = enrol_world()
    (proposal,), _ = _propose(world, [world.nurse])
    services.proposal_accept(proposal_id=proposal.pk, member=world.nurse)
    written = _written()
    with pytest.raises(services.ProposalAlreadyDecided, match="already accepted"):
        services.proposal_accept(proposal_id=proposal.pk, member=world.nurse)
    with pytest.raises(services.ProposalAlreadyDecided, match="already accepted"):
        services.proposal_decline(proposal_id=proposal.pk, member=world.nurse, reason="Changed my mind")
    assert _written() == written


def test_another_persons_proposal_cannot_be_answered():
    world = enrol_world()
    (proposal,), _ = _propose(world, [world.nurse])
    with pytest.raises(EnrolmentProposal.DoesNotExist):
        services.proposal_accept(proposal_id=proposal.pk, member=world.physician)
    with pytest.raises(EnrolmentProposal.DoesNotExist):
        services.proposal_decline(proposal_id=proposal.pk, member=world.outsider, reason="x")


# --- The policy ----------------------------------------------------------------------------


def test_a_refuse_policy_refuses_the_whole_proposal_when_one_member_has_too_little_left():
    world = enrol_world(rule="refuse", amount="1000")
    services.funding_request_create(
        requester=world.nurse,
        program=ProgramFactory(start_date=world.program.start_date),
        costs=services.rules.RequestCosts(registration=Decimal("500")),
        leave_days=Decimal("0"),
        justification="Earlier course",
    )  # pending: reserves 500 of the nurse's 1000
    written = _written()
    with pytest.raises(ValidationError) as refused:
        _propose(world, amount="600")
    assert "Nora Nurse" in str(refused.value) and "refuses" in str(refused.value)
    assert _written() == written


def test_a_warn_policy_lets_it_through_with_a_warning_per_member():
    world = enrol_world(rule="warn", amount="500")
    proposals, warnings = _propose(world, [world.nurse, world.physician], amount="600")
    assert len(proposals) == 2 and len(warnings) == 2
    assert all(FundingRequest.objects.get(pk=p.funding_request_id).exceeds_allowance for p in proposals)


def test_a_pre_approval_is_held_to_the_programs_fee_and_days():
    world = enrol_world()
    with pytest.raises(ValidationError) as refused:
        _propose(world, amount="601", leave="9")
    assert set(refused.value.error_dict) == {"amount", "leave_days"}
    assert EnrolmentProposal.objects.count() == 0


# --- Refusals (the adversary) --------------------------------------------------------------


@pytest.mark.parametrize("professions", [["physician"], []], ids=["one profession", "open to all"])
def test_a_program_not_designed_for_several_professions_is_refused(professions):
    world = enrol_world()
    single = ipe_program(title="Physicians only", professions=professions)
    with pytest.raises(ValidationError, match="not designed for several professions"):
        _propose(world, program=single)
    assert EnrolmentProposal.objects.count() == 0


def test_a_forged_member_of_another_team_is_refused_and_nothing_is_written():
    world = enrol_world()
    with pytest.raises(ValidationError, match="Only current members of Ward 5"):
        _propose(world, [world.nurse, world.outsider], amount="100")
    assert _written() == (0, 0, 0, 0)


def test_a_supervisor_of_another_team_is_refused():
    world = enrol_world()
    with pytest.raises(PermissionDenied):
        _propose(world, supervisor=world.other_supervisor)
    with pytest.raises(PermissionDenied):
        _propose(world, supervisor=world.nurse)
    assert EnrolmentProposal.objects.count() == 0


def test_the_same_program_is_not_proposed_twice_nor_over_a_pending_request():
    world = enrol_world()
    _propose(world, [world.nurse])
    with pytest.raises(ValidationError, match="Nora Nurse already has it proposed"):
        _propose(world, [world.nurse, world.physician])
    services.funding_request_create(
        requester=world.physician,
        program=world.program,
        costs=services.rules.RequestCosts(registration=Decimal("100")),
        leave_days=Decimal("0"),
        justification="Asked myself",
    )
    with pytest.raises(ValidationError, match=r"Dr\. Pat Physician has a pending request"):
        _propose(world, [world.physician], amount="100")
    assert EnrolmentProposal.objects.count() == 1


def test_a_member_removed_after_the_proposal_cannot_accept_and_the_pre_approval_is_released():
    world = enrol_world(amount="1000")
    (proposal,), _ = _propose(world, [world.nurse], amount="300")
    services.member_remove(team=world.team, user=world.nurse, removed_by=world.supervisor)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.LAPSED
    assert FundingRequest.objects.get(pk=proposal.funding_request_id).status == RequestStatus.WITHDRAWN
    assert list(selectors.open_proposals_for_member(user=world.nurse)) == []
    with pytest.raises(services.ProposalAlreadyDecided, match="lapsed"):
        services.proposal_accept(proposal_id=proposal.pk, member=world.nurse)
    assert not ShortlistEntry.objects.filter(user=world.nurse).exists()


def test_a_member_whose_membership_ended_otherwise_still_cannot_accept():
    world = enrol_world()
    (proposal,), _ = _propose(world, [world.nurse])
    world.nurse.team_memberships.update(ended_at=proposal.created_at)  # e.g. ended by an operator
    with pytest.raises(ValidationError, match="no longer a member of Ward 5"):
        services.proposal_accept(proposal_id=proposal.pk, member=world.nurse)
    assert not ShortlistEntry.objects.filter(user=world.nurse).exists()


def test_joining_another_team_by_invitation_lapses_the_old_teams_proposals():
    world = enrol_world()
    (proposal,), _ = _propose(world, [world.nurse], amount="100")
    invitation = services.invitation_create(
        team=world.other_team, email=world.nurse.email, invited_by=world.other_supervisor
    )
    from cme_portal.tokens import token_digest

    invitation.token_digest = token_digest("t" * 43)
    invitation.save()
    services.invitation_accept(token="t" * 43, user=world.nurse)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.LAPSED
    assert FundingRequest.objects.get(pk=proposal.funding_request_id).status == RequestStatus.WITHDRAWN


# --- Counts by profession ------------------------------------------------------------------


def test_counts_by_profession_suppress_small_groups_as_the_equity_view_does():
    members = (
        [("nurse", ["accepted"])] * 3
        + [("nurse", ["declined", "proposed"])] * 2
        + [("physician", ["accepted"])] * 5
        + [("pharmacist", ["accepted"])] * 2
        + [("", [])] * 3
    )
    counts = equity.enrolment_counts(members)
    shown = {g.profession: (g.proposed, g.accepted, g.declined, g.waiting) for g in counts.shown}
    assert shown == {"nurse": (7, 3, 2, 2), "physician": (5, 5, 0, 0)}
    assert {g.profession for g in counts.professions if g.suppressed} == {"pharmacist", "not_entered"}
    assert all(g.proposed is None for g in counts.professions if g.suppressed)
    assert (counts.team.proposed, counts.team.accepted) == (14, 10)
    assert counts.any_suppressed


def test_lapsed_proposals_and_former_members_are_not_counted():
    world = enrol_world()
    _propose(world)
    services.member_remove(team=world.team, user=world.nurse, removed_by=world.supervisor)
    counts = selectors.team_enrolment_counts(team=world.team)
    assert counts.team.proposed == 2


def test_a_pre_approval_counts_as_funding_in_equity_but_not_as_a_request_decided():
    world = enrol_world(amount="1000")
    _propose(world, [world.nurse], amount="300")
    figures = {f.profession: f for f in selectors.team_member_figures(team=world.team)}
    assert figures["nurse"].funding_approved == Decimal("300")
    assert (figures["nurse"].requests_decided, figures["nurse"].days_to_decision) == (0, ())


# --- Races (PostgreSQL row locks) ----------------------------------------------------------


def _at_once(*calls):
    barrier = threading.Barrier(len(calls))
    results: list[str] = []

    def run(call):
        barrier.wait()
        try:
            call()
            results.append("done")
        except (ValidationError, services.ProposalAlreadyDecided) as error:
            results.append(f"refused: {error}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _slow_allowance_reads(monkeypatch):
    read = services.employer_allowances_for_users

    def slow(**kwargs):
        found = read(**kwargs)
        time.sleep(0.3)
        return found

    monkeypatch.setattr(services, "employer_allowances_for_users", slow)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_supervisors_proposing_at_once_cannot_overspend_a_refuse_policy(monkeypatch):  # pragma: no cover - PG
    """Two supervisors pre-approve $550 each, for two programs, to a nurse with $1,000 under "refuse".

    The allowance read is slowed so both are inside the check together; the member lock makes
    the second read what the first wrote.
    """
    world = enrol_world(rule="refuse", amount="1000")
    second_supervisor = SupervisorFactory(full_name="Second Supervisor")
    world.team.supervisors.add(second_supervisor)
    other_program = ipe_program(title="Team airway workshop")
    _slow_allowance_reads(monkeypatch)
    results = _at_once(
        lambda: _propose(world, [world.nurse], amount="550"),
        lambda: _propose(world, [world.nurse], amount="550", supervisor=second_supervisor, program=other_program),
    )
    assert sorted(r.split(":")[0] for r in results) == ["done", "refused"], results
    approved = FundingRequest.objects.filter(requester=world.nurse, status__in=["approved"])
    assert sum(r.amount_approved for r in approved) == Decimal("550")
    assert EnrolmentProposal.objects.filter(member=world.nurse).count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_proposal_and_the_members_own_request_at_once_cannot_overspend(monkeypatch):  # pragma: no cover - PG
    world = enrol_world(rule="refuse", amount="1000")
    other = ProgramFactory(start_date=world.program.start_date)
    _slow_allowance_reads(monkeypatch)
    read_one = services.employer_allowance_for_user

    def slow_one(**kwargs):
        found = read_one(**kwargs)
        time.sleep(0.3)
        return found

    monkeypatch.setattr(services, "employer_allowance_for_user", slow_one)
    results = _at_once(
        lambda: _propose(world, [world.nurse], amount="600"),
        lambda: services.funding_request_create(
            requester=world.nurse,
            program=other,
            costs=services.rules.RequestCosts(registration=Decimal("500")),
            leave_days=Decimal("0"),
            justification="Mine",
        ),
    )
    assert sorted(r.split(":")[0] for r in results) == ["done", "refused"], results
    claimed = FundingRequest.objects.filter(requester=world.nurse, status__in=["approved", "pending"])
    assert sum(r.amount_requested for r in claimed) <= Decimal("1000")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_accepting_and_declining_at_once_answers_once():  # pragma: no cover - PostgreSQL
    world = enrol_world()
    (proposal,), _ = _propose(world, [world.nurse], amount="100")
    results = _at_once(
        lambda: services.proposal_accept(proposal_id=proposal.pk, member=world.nurse),
        lambda: services.proposal_decline(proposal_id=proposal.pk, member=world.nurse, reason="No"),
    )
    assert sorted(r.split(":")[0] for r in results) == ["done", "refused"], results
    proposal.refresh_from_db()
    request = FundingRequest.objects.get(pk=proposal.funding_request_id)
    if proposal.status == ProposalStatus.ACCEPTED:
        assert request.status == RequestStatus.APPROVED
    else:
        assert request.status == RequestStatus.WITHDRAWN
