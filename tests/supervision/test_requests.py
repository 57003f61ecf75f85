"""Funding and leave requests: creation, policy validation, decisions, the decision race, history."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse

from accounts.services import team_member_add
from careers.models import CareerGoal
from supervision import services
from supervision.allowance import employer_allowance_for_user
from supervision.models import FundingRequest, RequestDecision, RequestStatus
from supervision.rules import RequestCosts
from tests.factories import ProgramFactory, SupervisorFactory

from .helpers import funding_request, policy, profile, shortlisted

pytestmark = pytest.mark.django_db


def _create(user, entry, amount="500", leave="1", justification="Sepsis bundle work on our unit."):
    """Ask for `amount` (registration up to the fee, the rest as lodging) and `leave` days (travel beyond the
    program's own)."""
    program = entry.program
    registration = min(Decimal(amount), program.fee_amount or Decimal("0"))
    return services.funding_request_create(
        requester=user,
        program=program,
        costs=RequestCosts(registration=registration, lodging=Decimal(amount) - registration),
        leave_days=Decimal(leave),
        travel_days=max(Decimal("0"), Decimal(leave) - (program.leave_days or Decimal("0"))),
        justification=justification,
    )


def test_request_carries_factor_breakdown_evidence_and_goal_snapshot(world):
    profile(world.owner)
    CareerGoal.objects.create(
        user=world.owner, track="executive_leadership", target_role="Chief Medical Officer", is_active=True
    )
    entry = shortlisted(world.owner, title="CMO program")
    request, warning = _create(world.owner, entry)
    assert warning == ""
    assert request.team == world.team
    assert request.snapshot["program"]["title"] == "CMO program"
    assert {f["factor"] for f in request.snapshot["factors"]} == {
        "outcome",
        "independence",
        "interprofessional",
        "career",
    }
    assert request.snapshot["goal"]["target_role"] == "Chief Medical Officer"
    assert "outcome_evidence" in request.snapshot


def test_request_without_a_team_is_refused_and_writes_nothing(world):
    from accounts.services import team_member_remove

    team_member_remove(team=world.team, user=world.owner)
    entry = shortlisted(world.owner)
    with pytest.raises(ValidationError, match="not in a team"):
        _create(world.owner, entry)
    assert not FundingRequest.objects.exists()


def test_request_for_a_program_another_clinician_shortlisted_goes_on_the_requesters_own_shortlist(world):
    # Was: refused with PermissionDenied (requests named a shortlist entry). Requests now name a
    # program, so nobody can reach another person's entry: the requester's own entry is used.
    theirs = shortlisted(world.other_clinician)
    request, _ = _create(world.owner, theirs)
    assert request.shortlist_entry.user == world.owner
    assert request.shortlist_entry != theirs
    theirs.refresh_from_db()
    assert theirs.user == world.other_clinician


def test_over_allowance_warns_when_policy_says_warn(world):
    profile(world.owner, "physician")
    policy(team=world.team, profession="physician", amount="1000", rule="warn")
    request, warning = _create(world.owner, shortlisted(world.owner), amount="1500")
    assert "Over the allowance" in warning
    assert request.exceeds_allowance


def test_over_allowance_refused_when_policy_says_refuse(world):
    profile(world.owner, "nurse")
    policy(organization=world.team.organization, profession="nurse", amount="1000", days="2", rule="refuse")
    with pytest.raises(ValidationError, match="refuses requests over the allowance"):
        _create(world.owner, shortlisted(world.owner), amount="500", leave="3")
    assert not FundingRequest.objects.exists()
    request, warning = _create(world.owner, shortlisted(world.owner), amount="1000", leave="2")
    assert warning == "" and not request.exceeds_allowance


def test_team_policy_overrides_organization_policy(world):
    profile(world.owner, "nurse")
    policy(organization=world.team.organization, profession="nurse", amount="1000")
    policy(team=world.team, profession="nurse", amount="2500")
    allowance = employer_allowance_for_user(user=world.owner)
    assert allowance.amount_total == Decimal("2500")


def test_approval_counts_as_used_allowance_and_partial_keeps_amounts(world):
    profile(world.owner, "physician")
    policy(team=world.team, profession="physician", amount="2000", days="3")
    first, _ = _create(world.owner, shortlisted(world.owner), amount="800", leave="1")
    second, _ = _create(world.owner, shortlisted(world.owner), amount="1000", leave="2")
    services.funding_request_decide(
        request_id=first.pk, supervisor=world.team_supervisor, outcome="approved", reason="Good fit"
    )
    decided, _ = services.funding_request_decide(
        request_id=second.pk,
        supervisor=world.team_supervisor,
        outcome="partially_approved",
        reason="Fees only",
        amount=Decimal("600"),
        leave_days=Decimal("1"),
    )
    assert decided.status == RequestStatus.PARTIALLY_APPROVED
    allowance = employer_allowance_for_user(user=world.owner)
    assert allowance.amount_used == Decimal("1400")
    assert allowance.amount_remaining == Decimal("600")
    assert allowance.leave_remaining == Decimal("1")


def test_decision_needs_a_reason_and_partial_within_requested(world):
    req = funding_request(world.owner, world.team, amount="500")
    with pytest.raises(ValidationError, match="reason"):
        services.funding_request_decide(
            request_id=req.pk, supervisor=world.team_supervisor, outcome="declined", reason=" "
        )
    with pytest.raises(ValidationError, match="cannot exceed"):
        services.funding_request_decide(
            request_id=req.pk,
            supervisor=world.team_supervisor,
            outcome="partially_approved",
            reason="x",
            amount=Decimal("600"),
        )
    assert not RequestDecision.objects.exists()


def test_approval_over_allowance_refused_by_policy(world):
    profile(world.owner, "nurse")
    policy(team=world.team, profession="nurse", amount="1000", rule="refuse")
    req = funding_request(world.owner, world.team, amount="1500", leave="0")
    with pytest.raises(ValidationError, match="refuses approvals"):
        services.funding_request_decide(
            request_id=req.pk, supervisor=world.team_supervisor, outcome="approved", reason="ok"
        )
    req.refresh_from_db()
    assert req.status == RequestStatus.PENDING


def test_nobody_decides_their_own_request(world):
    supervisor_member = world.team_supervisor
    from accounts.roles import Role
    from accounts.services import user_role_grant

    user_role_grant(user=supervisor_member, role=Role.CLINICIAN)
    team_member_add(team=world.team, user=supervisor_member)
    req = funding_request(supervisor_member, world.team)
    with pytest.raises(PermissionDenied, match="own request"):
        services.funding_request_decide(
            request_id=req.pk, supervisor=supervisor_member, outcome="approved", reason="me"
        )
    req.refresh_from_db()
    assert req.status == RequestStatus.PENDING


def test_second_supervisor_gets_clear_message_when_request_already_decided(world, client):
    second = SupervisorFactory(full_name="Dr. Second")
    world.team.supervisors.add(second)
    world.team_supervisor.full_name = "Dr. First"
    world.team_supervisor.save()
    req = funding_request(world.owner, world.team)
    # Both supervisors opened the page while it was pending; the first decides.
    services.funding_request_decide(
        request_id=req.pk, supervisor=world.team_supervisor, outcome="approved", reason="ok"
    )
    client.force_login(second)
    response = client.post(
        reverse("supervision:request_decide", args=[req.pk]), {"outcome": "declined", "reason": "no"}, follow=True
    )
    html = response.content.decode()
    assert "already approved in full by Dr. First at" in html
    req.refresh_from_db()
    assert req.status == RequestStatus.APPROVED
    assert RequestDecision.objects.filter(request=req).count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_supervisors_deciding_at_once_one_wins(world):  # pragma: no cover - PostgreSQL only
    second = SupervisorFactory()
    world.team.supervisors.add(second)
    req = funding_request(world.owner, world.team)
    barrier = threading.Barrier(2)
    results: list[str] = []

    def decide(supervisor, outcome):
        from django.db import connections

        barrier.wait()
        try:
            services.funding_request_decide(request_id=req.pk, supervisor=supervisor, outcome=outcome, reason="r")
            results.append("won")
        except services.RequestAlreadyDecided:
            results.append("already decided")
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=decide, args=(world.team_supervisor, "approved")),
        threading.Thread(target=decide, args=(second, "declined")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["already decided", "won"]
    assert RequestDecision.objects.filter(request=req).count() == 1


def test_withdraw_only_while_pending_and_history_visible_to_requester(world, client):
    req = funding_request(world.owner, world.team)
    services.funding_request_decide(
        request_id=req.pk, supervisor=world.team_supervisor, outcome="declined", reason="Staffing in March"
    )
    with pytest.raises(services.RequestAlreadyDecided):
        services.funding_request_withdraw(request_id=req.pk, requester=world.owner)
    client.force_login(world.owner)
    html = client.get(reverse("supervision:request_detail", args=[req.pk])).content.decode()
    assert "Staffing in March" in html and "Declined" in html


def test_clinician_requests_through_the_form_and_sees_warning(world, client):
    profile(world.owner, "physician")
    policy(team=world.team, profession="physician", amount="300", rule="warn")
    entry = shortlisted(world.owner, fee_amount=Decimal("500"))
    client.force_login(world.owner)
    url = reverse("supervision:request_new") + f"?program={entry.program_id}"
    page = client.get(url)
    assert page.status_code == 200
    response = client.post(
        url,
        {"registration": "500", "amount": "", "leave_days": "0", "justification": "Closes a QI gap."},
        follow=True,
    )
    html = response.content.decode()
    assert "Over the allowance" in html
    assert FundingRequest.objects.filter(requester=world.owner).get().amount_requested == Decimal("500")


def test_form_refuses_empty_request_and_writes_nothing(world, client):
    entry = shortlisted(world.owner)
    client.force_login(world.owner)
    response = client.post(
        reverse("supervision:request_new") + f"?program={entry.program_id}",
        {"amount": "0", "leave_days": "0", "justification": "x"},
    )
    assert response.status_code == 200
    assert "Ask for an amount" in response.content.decode()
    assert not FundingRequest.objects.exists()


def test_form_for_a_program_outside_the_catalog_is_404_and_writes_nothing(world, client):
    # Was: someone else's shortlist entry. Requests are now made for a program, not an entry;
    # what the form must refuse is a program the clinician cannot see.
    draft = ProgramFactory(status="draft")
    client.force_login(world.owner)
    response = client.post(
        reverse("supervision:request_new") + f"?program={draft.pk}",
        {"registration": "100", "leave_days": "0", "justification": "x"},
    )
    assert response.status_code == 404
    assert not FundingRequest.objects.exists()


def test_supervisor_policy_form_requires_a_written_source(world, client):
    client.force_login(world.team_supervisor)
    data = {
        "profession": "nurse",
        "yearly_reimbursement_amount": "1000",
        "paid_leave_days": "2",
        "year_starts_month": "1",
        "confirmed_on": "2026-01-10",
        "over_allowance_rule": "refuse",
    }
    response = client.post(reverse("supervision:policy_new", args=[world.team.pk]), data)
    assert "Document the policy in writing" in response.content.decode()
    response = client.post(
        reverse("supervision:policy_new", args=[world.team.pk]), {**data, "source_url": "https://example.test/p"}
    )
    assert response.status_code == 302
    saved = world.team.cme_policies.get()
    assert saved.confirmed_by == world.team_supervisor


def test_policy_document_whose_content_is_not_what_its_name_says_is_refused(world, client, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(world.team_supervisor)
    data = {
        "profession": "nurse",
        "yearly_reimbursement_amount": "1000",
        "paid_leave_days": "2",
        "year_starts_month": "1",
        "confirmed_on": "2026-01-10",
        "over_allowance_rule": "refuse",
        "source_document": SimpleUploadedFile("policy.pdf", b"<html><script>alert(1)</script></html>"),
    }
    response = client.post(reverse("supervision:policy_new", args=[world.team.pk]), data)
    assert "is not a PDF, Word, OpenDocument, text or image file matching its name" in response.content.decode()
    assert not world.team.cme_policies.exists()
    assert not any(tmp_path.rglob("*.*"))


def test_snapshot_carries_the_programs_outcome_evidence(world):
    from outcomes.models import ProgramOutcomeEvidence

    entry = shortlisted(world.owner)
    ProgramOutcomeEvidence.objects.create(
        program=entry.program,
        metric="First-line antibiotic use",
        baseline="43.4%",
        follow_up="62.4%",
        time_window="18 months",
        moore_level="5",
        source_url="https://example.test/outcomes",
        verified=True,
    )
    request, _ = _create(world.owner, entry)
    (row,) = request.snapshot["outcome_evidence"]
    assert "43.4% to 62.4%" in row["summary"] and row["verified"] == "yes"
    assert "not proof of causation" in row["summary"]


@pytest.fixture
def goal_weights_may_all_be_zero():
    """Let a goal row hold all-zero weights, as one stored before the constraint would (rolled back after)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE careers_careergoal DROP CONSTRAINT goal_weights_not_all_zero")
        else:
            cursor.execute("PRAGMA ignore_check_constraints = ON")
    yield
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA ignore_check_constraints = OFF")


def test_goal_with_all_zero_weights_gets_equal_weights_in_catalog_and_snapshot(world, goal_weights_may_all_be_zero):
    from programs.ranking import scoring
    from programs.ranking.queries import ranked_results
    from programs.selectors import catalog_base
    from supervision.selectors import ranking_context_for_user

    profile(world.owner)
    goal = CareerGoal.objects.create(
        user=world.owner,
        track="executive_leadership",
        target_role="Chief Medical Officer",
        competencies=["strategic_planning"],
        is_active=True,
    )
    CareerGoal.objects.filter(pk=goal.pk).update(
        weight_outcome=0, weight_independence=0, weight_interprofessional=0, weight_career=0
    )
    entry = shortlisted(world.owner, competencies=["strategic_planning"])

    context = ranking_context_for_user(user=world.owner)
    assert context is not None and context.weights == scoring.Weights()
    (catalog,) = ranked_results(
        [catalog_base().get(pk=entry.program.pk)],
        goal=context.goal,
        weights=context.weights,
        clinician=context.clinician,
    )
    request, _ = _create(world.owner, entry)  # raised ValueError when the snapshot had its own copy of the rule

    assert request.snapshot["total"] == catalog.scored.total
    assert [(f["factor"], f["score"]) for f in request.snapshot["factors"]] == [
        (str(f.factor), round(f.score * 100)) for f in catalog.scored.factors
    ]


def test_snapshot_records_every_point_with_its_reason_and_the_page_shows_them(world, client):
    profile(world.owner)
    CareerGoal.objects.create(
        user=world.owner,
        track="executive_leadership",
        target_role="Chief Medical Officer",
        competencies=["healthcare_finance", "strategic_planning"],
        is_active=True,
    )
    entry = shortlisted(world.owner, title="CMO program", competencies=["healthcare_finance"])
    request, _ = _create(world.owner, entry)
    for factor in request.snapshot["factors"]:
        points = sum(reason["points"] for reason in factor["reasons"])
        assert points + sum(item["points"] for item in factor["shortfalls"]) == 1000, factor
        assert factor["shown"] == f"{points / 10:g}"
    (career,) = [factor for factor in request.snapshot["factors"] if factor["factor"] == "career"]
    assert [(r["shown"], r["text"]) for r in career["reasons"]] == [("+30", "covers 1 of your 2 competencies: finance")]
    assert [(m["shown"], m["text"]) for m in career["shortfalls"]] == [
        ("+30", "covers strategy"),
        ("+40", "built for executive leadership (your career track)"),
    ]
    client.force_login(world.owner)
    html = client.get(reverse("supervision:request_detail", args=[request.pk])).content.decode()
    assert "Career alignment: 30 / 100" in html
    assert '<span class="reason-points">+30</span>: covers 1 of your 2 competencies: finance</li>' in html
    assert '<span class="reason-points">+40</span>: built for executive leadership (your career track)</li>' in html


def test_a_snapshot_recorded_before_reasons_had_points_still_renders(world, client):
    req = funding_request(world.owner, world.team)
    req.snapshot = {
        "taken_at": "2026-03-01T10:00:00+00:00",
        "program": {"title": req.program.title, "provider": "P", "fee_amount": "500", "leave_days": "1"},
        "total": 61.5,
        "factors": [
            {
                "factor": "outcome",
                "label": "Outcome tracking",
                "score": 80,
                "evidence": ["measures patient health (Moore level 6: a practice outcome)"],
                "missing": [],
            }
        ],
        "outcome_evidence": [],
        "goal": None,
    }
    req.save(update_fields=["snapshot"])
    client.force_login(world.owner)
    html = client.get(reverse("supervision:request_detail", args=[req.pk])).content.decode()
    assert "Outcome tracking: 80 / 100" in html
    assert "<li>Measures patient health (Moore level 6: a practice outcome)</li>" in html
    assert "reason-points" not in html
