"""Builders for supervision tests."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from accounts.models import Team, User
from careers.models import ClinicianProfile, CreditAmount, CreditClaim, Licence, ShortlistEntry
from supervision.models import EmployerCmePolicy, FundingRequest, RequestStatus
from tests.factories import ProgramFactory


def profile(user: User, profession: str = "physician", *, confirmed: bool = True) -> ClinicianProfile:
    """The user's profile stating `profession`, confirmed by a supervisor unless `confirmed` is False."""
    found, _ = ClinicianProfile.objects.get_or_create(
        user=user, defaults={"profession": profession, "confirmed_profession": profession if confirmed else ""}
    )
    return found


def policy(
    *,
    team: Team | None = None,
    organization=None,
    profession: str = "physician",
    amount: str = "2000",
    days: str = "3",
    rule: str = "warn",
) -> EmployerCmePolicy:
    return EmployerCmePolicy.objects.create(
        team=team,
        organization=organization if team is None else None,
        profession=profession,
        yearly_reimbursement_amount=Decimal(amount),
        paid_leave_days=Decimal(days),
        over_allowance_rule=rule,
        source_url="https://example.test/policy",
        confirmed_on=timezone.localdate(),
    )


def shortlisted(user: User, **program_kwargs) -> ShortlistEntry:
    """A planned program whose costs fall in this (calendar) policy year, whatever today's date.

    The factory's program starts in 30 days, which from December 2 on is next year's policy
    year: tests that add requests up against this year's allowance then saw nothing used.
    """
    today = timezone.localdate()
    program_kwargs.setdefault("start_date", min(today + datetime.timedelta(days=30), datetime.date(today.year, 12, 31)))
    program = ProgramFactory(**program_kwargs)
    return ShortlistEntry.objects.create(user=user, program=program, status="planned")


def funding_request(
    user: User, team: Team, *, amount: str = "500", leave: str = "1", status: str = RequestStatus.PENDING, **kw
) -> FundingRequest:
    entry = shortlisted(user)
    approved = kw.pop("amount_approved", "0")
    return FundingRequest.objects.create(
        requester=user,
        team=team,
        program=entry.program,
        shortlist_entry=entry,
        amount_requested=Decimal(amount),
        leave_days_requested=Decimal(leave),
        costs_on=kw.pop("costs_on", None) or timezone.localdate(),  # this policy year unless a test says otherwise
        justification="Needed for the unit's sepsis work.",
        status=status,
        amount_approved=Decimal(approved),
        decided_at=timezone.now() if status != RequestStatus.PENDING else None,
        **kw,
    )


def history(user: User, *, today: datetime.date | None = None, claims: int = 2, renewal_in_days: int = 60) -> None:
    """A licence and some logged credits."""
    today = today or timezone.localdate()
    Licence.objects.create(
        user=user,
        jurisdiction="California",
        licence_type="MD",
        renewal_date=today + datetime.timedelta(days=renewal_in_days),
        hours_required=Decimal("50"),
    )
    for index in range(claims):
        claim = CreditClaim.objects.create(
            user=user, title=f"Course {index}", completed_on=today - datetime.timedelta(days=20 + index)
        )
        CreditAmount.objects.create(claim=claim, credit_type="ama_pra_1", amount=Decimal("5"))
