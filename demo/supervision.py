"""Demo supervision data: a bigger demo team, a written policy per profession, requests in every state.

The story on first run: nurses get a smaller allowance than physicians and take
part in CME less often, so the equity view flags them (four-fifths rule); the four
NPs and the single pharmacist are groups under 5, so their figures are suppressed
(together they are 5 people in two groups, so no complementary group is hidden).
The team is also enrolled in an interprofessional program (seed_enrolment): the demo
logins of four professions find it in their plan, proposed by the supervisor (the
physician with funding and leave pre-approved); one member accepted it and one declined.
Idempotent: a second run adds nothing.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from accounts.models import Team, User
from accounts.roles import Role
from accounts.services import team_member_add, user_role_grant
from careers.models import ClinicianProfile, CreditAmount, CreditClaim, Licence, ShortlistEntry, ShortlistStatus
from programs.models import Program
from programs.ranking.fit import costs_fall_on
from supervision.models import (
    EmployerCmePolicy,
    EnrolmentProposal,
    FundingRequest,
    OverAllowanceRule,
    RequestDecision,
    RequestStatus,
)
from supervision.selectors import funding_request_snapshot
from supervision.services import proposal_accept, proposal_decline, proposals_create

from .users import DEMO_USERS


@dataclass(frozen=True)
class DemoMember:
    email: str
    full_name: str
    profession: str
    activities: int  # CME activities completed in the last 12 months
    renewal_in_days: int | None = None  # a licence renewing soon
    hours_required: Decimal = Decimal("0")


EXTRA_MEMBERS: tuple[DemoMember, ...] = (
    DemoMember("physician2@demo.test", "Dr. Omar Haddad", "physician", 3, 400, Decimal("50")),
    DemoMember("physician3@demo.test", "Dr. Lena Fischer", "physician", 2, 200, Decimal("50")),
    DemoMember("physician4@demo.test", "Dr. Kwame Mensah", "physician", 4, 60, Decimal("50")),
    DemoMember("physician5@demo.test", "Dr. Sofia Marquez", "physician", 1, 500, Decimal("50")),
    DemoMember("nurse2@demo.test", "Chris Walker, RN", "nurse", 0, 45, Decimal("30")),
    DemoMember("nurse3@demo.test", "Aisha Bello, RN", "nurse", 1, 300, Decimal("30")),
    DemoMember("nurse4@demo.test", "Tom Nguyen, RN", "nurse", 0, 80, Decimal("30")),
    DemoMember("nurse5@demo.test", "Grace Kim, RN", "nurse", 0, 600, Decimal("30")),
    DemoMember("nurse6@demo.test", "Luis Ortega, RN", "nurse", 2, 250, Decimal("30")),
    DemoMember("np2@demo.test", "Hana Sato, NP", "nurse_practitioner", 2),
    DemoMember("np3@demo.test", "Ben Okafor, NP", "nurse_practitioner", 1),
    DemoMember("np4@demo.test", "Rosa Delgado, NP", "nurse_practitioner", 3),
)
BASE_PROFESSIONS = {demo.email: demo.profession for demo in DEMO_USERS if demo.profession}
POLICIES: dict[str, tuple[Decimal, Decimal, str]] = {
    "physician": (Decimal("3000"), Decimal("5"), OverAllowanceRule.WARN),
    "nurse": (Decimal("1000"), Decimal("2"), OverAllowanceRule.REFUSE),
    "nurse_practitioner": (Decimal("2000"), Decimal("3"), OverAllowanceRule.WARN),
    "pharmacist": (Decimal("1500"), Decimal("2"), OverAllowanceRule.WARN),
}
# (requester, program index, amount, leave, status, amount approved, leave approved, days ago asked, days to decide)
REQUESTS: tuple[tuple[str, int, str, str, str, str, str, int, int], ...] = (
    ("physician2@demo.test", 0, "2500", "3", RequestStatus.APPROVED, "2500", "3", 40, 2),
    ("physician3@demo.test", 1, "1800", "2", RequestStatus.APPROVED, "1800", "2", 30, 3),
    ("physician4@demo.test", 2, "2000", "3", RequestStatus.PARTIALLY_APPROVED, "1500", "2", 25, 4),
    ("physician5@demo.test", 3, "900", "1", RequestStatus.APPROVED, "900", "1", 12, 1),
    ("nurse2@demo.test", 0, "900", "2", RequestStatus.DECLINED, "0", "0", 35, 14),
    ("nurse3@demo.test", 1, "800", "2", RequestStatus.PARTIALLY_APPROVED, "300", "1", 28, 12),
    ("nurse6@demo.test", 2, "700", "1", RequestStatus.DECLINED, "0", "0", 20, 10),
    ("nurse4@demo.test", 3, "600", "1", RequestStatus.PENDING, "0", "0", 6, 0),
    ("nurse5@demo.test", 4, "500", "1", RequestStatus.WITHDRAWN, "0", "0", 15, 2),
    ("np@demo.test", 4, "1200", "2", RequestStatus.PENDING, "0", "0", 3, 0),
)
REASONS: dict[str, str] = {
    RequestStatus.APPROVED: "Fits the unit's quality goals and the policy allowance.",
    RequestStatus.PARTIALLY_APPROVED: "Registration covered; travel is outside this year's allowance.",
    RequestStatus.DECLINED: "Staffing on the requested dates does not allow the leave.",
    RequestStatus.WITHDRAWN: "Dates no longer suit me.",
}


def _member(email: str, full_name: str, profession: str, team: Team) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=settings.DEMO_PASSWORD, full_name=full_name)
    user_role_grant(user=user, role=Role.CLINICIAN)
    team_member_add(team=team, user=user)
    ClinicianProfile.objects.get_or_create(
        user=user, defaults={"profession": profession, "confirmed_profession": profession}
    )
    return user


def _history(user: User, member: DemoMember, programs: list[Program], today: datetime.date) -> None:
    if CreditClaim.objects.filter(user=user).exists():
        return
    for index in range(member.activities):
        program = programs[index % len(programs)]
        claim = CreditClaim.objects.create(
            user=user,
            program=program,
            title=program.title,
            provider_name=program.provider.name,
            completed_on=today - datetime.timedelta(days=30 + 70 * index),
        )
        credit_type = "ancc" if member.profession == "nurse" else "ama_pra_1"
        CreditAmount.objects.create(claim=claim, credit_type=credit_type, amount=Decimal("6"))
    if member.renewal_in_days is not None and not Licence.objects.filter(user=user).exists():
        Licence.objects.create(
            user=user,
            jurisdiction="California",
            licence_type="RN" if member.profession == "nurse" else "Physician and surgeon (MD)",
            renewal_date=today + datetime.timedelta(days=member.renewal_in_days),
            cycle_months=24,
            hours_required=member.hours_required,
        )


def seed_supervision(*, team: Team, supervisor: User, today: datetime.date | None = None) -> dict[str, int]:
    """Grow the demo team, record a policy per profession and requests in every state. Idempotent."""
    today = today or timezone.localdate()
    programs = list(Program.objects.visible_in_catalog().select_related("provider").order_by("title")[:6])
    members: dict[str, User] = {}
    for email, profession in BASE_PROFESSIONS.items():
        user = User.objects.filter(email=email).first()
        if user is not None:
            ClinicianProfile.objects.get_or_create(
                user=user, defaults={"profession": profession, "confirmed_profession": profession}
            )
            members[email] = user
    for member in EXTRA_MEMBERS:
        user = _member(member.email, member.full_name, member.profession, team)
        members[member.email] = user
        if programs:
            _history(user, member, programs, today)
    for profession, (allowance, days, rule) in POLICIES.items():
        EmployerCmePolicy.objects.get_or_create(
            organization=team.organization,
            team=None,
            profession=profession,
            defaults={
                "yearly_reimbursement_amount": allowance,
                "paid_leave_days": days,
                "over_allowance_rule": rule,
                "eligible_expenses": "Registration fees, course materials, economy travel and lodging.",
                "approver_description": "Team supervisor; the department chair above $2,500.",
                "source_url": "https://intranet.riverside-health.example/policies/cme-support",
                "confirmed_on": today - datetime.timedelta(days=20),
                "confirmed_by": supervisor,
            },
        )
    created = 0
    if not programs:
        return {"requests_created": 0, "proposals_created": 0}
    clinician = members.get("clinician@demo.test")
    if clinician is not None:
        for program in programs[:2]:
            ShortlistEntry.objects.get_or_create(
                user=clinician, program=program, defaults={"status": ShortlistStatus.PLANNED}
            )
    now = timezone.now()
    year_start = datetime.date(today.year, 1, 1)
    max_back = max(0, (today - year_start).days)
    for email, index, amount, leave, status, approved, leave_ok, ago, to_decide in REQUESTS:
        user = members.get(email)
        if user is None:
            continue
        program = programs[index % len(programs)]
        if FundingRequest.objects.filter(requester=user, program=program).exists():
            continue
        entry, _ = ShortlistEntry.objects.get_or_create(
            user=user, program=program, defaults={"status": ShortlistStatus.PLANNED}
        )
        asked_days_ago = min(ago, max_back)
        asked = now - datetime.timedelta(days=asked_days_ago)
        decided = (
            asked + datetime.timedelta(days=min(to_decide, asked_days_ago)) if status != RequestStatus.PENDING else None
        )
        profile = ClinicianProfile.objects.filter(user=user).first()
        request = FundingRequest.objects.create(
            requester=user,
            team=team,
            program=program,
            shortlist_entry=entry,
            profession=profile.confirmed_profession if profile else "",
            amount_requested=Decimal(amount),
            leave_days_requested=Decimal(leave),
            costs_on=costs_fall_on(start_date=program.start_date, today=timezone.localtime(asked).date()),
            justification=f"{program.title} addresses a practice gap on our unit and fits my development plan.",
            snapshot=funding_request_snapshot(program=program, user=user),
            status=status,
            amount_approved=Decimal(approved),
            leave_days_approved=Decimal(leave_ok),
            decided_by=None if status in (RequestStatus.PENDING, RequestStatus.WITHDRAWN) else supervisor,
            decided_at=decided,
        )
        FundingRequest.objects.filter(pk=request.pk).update(created_at=asked)
        if status != RequestStatus.PENDING:
            decision = RequestDecision.objects.create(
                request=request,
                decided_by=user if status == RequestStatus.WITHDRAWN else supervisor,
                outcome=status,
                amount_approved=Decimal(approved),
                leave_days_approved=Decimal(leave_ok),
                reason=REASONS[status],
            )
            RequestDecision.objects.filter(pk=decision.pk).update(decided_at=decided)
        created += 1
    return {"requests_created": created, "proposals_created": seed_enrolment(team=team, supervisor=supervisor)}


# Waiting for the demo logins' answer; then one accepted and one declined, so the counts show all three.
ENROLMENT_WAITING = ("nurse@demo.test", "np@demo.test", "pharmacist@demo.test")
ENROLMENT_PREAPPROVED = "clinician@demo.test"  # $200 and 1 leave day pre-approved, from the physician policy
ENROLMENT_ACCEPTED = "physician2@demo.test"
ENROLMENT_DECLINED = ("nurse3@demo.test", "Already booked on another course that month.")
ENROLMENT_PROFESSIONS = ["physician", "nurse", "nurse_practitioner", "pharmacist"]  # the program is for all four


def seed_enrolment(*, team: Team, supervisor: User, today: datetime.date | None = None) -> int:
    """Propose one interprofessional program to demo members through the real services. Idempotent.

    Nothing is proposed when the team has proposals already or the catalog has no program
    designed for several professions still to come.
    """
    if EnrolmentProposal.objects.filter(team=team).exists():
        return 0
    used = FundingRequest.objects.filter(team=team).values("program_id")
    program = (
        Program.objects.visible_in_catalog()
        .designed_for_several_professions()
        .exclude(pk__in=used)
        .filter(
            professions__has_all=ENROLMENT_PROFESSIONS, start_date__isnull=False, fee_amount__gt=0, leave_days__gte=1
        )
        .order_by("start_date", "title")
        .first()
    )
    members = {user.email: user for user in User.objects.filter(team_memberships__team=team)}
    if program is None:
        return 0
    others = [*ENROLMENT_WAITING, ENROLMENT_ACCEPTED, ENROLMENT_DECLINED[0]]
    note = "Let's take this one together as a unit: it is designed for every profession on the team."
    proposals, _ = proposals_create(
        team=team,
        program=program,
        member_ids=[members[email].pk for email in others if email in members],
        proposed_by=supervisor,
        note=note,
        today=today,
    )
    if ENROLMENT_PREAPPROVED in members:
        fee = program.fee_amount if program.fee_amount is not None and program.fee_currency == "USD" else Decimal("0")
        funded, _ = proposals_create(
            team=team,
            program=program,
            member_ids=[members[ENROLMENT_PREAPPROVED].pk],
            proposed_by=supervisor,
            amount=min(fee, Decimal("200")),
            leave_days=Decimal("1") if (program.leave_days or 0) >= 1 else Decimal("0"),
            note=note,
            today=today,
        )
        proposals += funded
    by_email = {proposal.member.email: proposal for proposal in proposals}
    if ENROLMENT_ACCEPTED in by_email:
        proposal_accept(proposal_id=by_email[ENROLMENT_ACCEPTED].pk, member=members[ENROLMENT_ACCEPTED], today=today)
    email, reason = ENROLMENT_DECLINED
    if email in by_email:
        proposal_decline(proposal_id=by_email[email].pk, member=members[email], reason=reason)
    return len(proposals)
