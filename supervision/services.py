"""Write functions for supervision: invitations, policies, funding and leave requests and their decisions."""

from __future__ import annotations

import datetime
import hmac
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import Team, TeamMembership, User
from accounts.roles import Role
from accounts.services import team_member_add, team_member_remove, user_lock, user_role_grant
from careers.models import ClinicianProfile
from careers.services import shortlist_plan
from cme_portal.storage import discard_stored
from cme_portal.tokens import token_digest, token_new, token_presented_digest
from programs.models import Program
from programs.ranking.fit import costs_fall_on, format_amount, format_date, format_money

from . import rules, selectors
from .allowance import Allowance, employer_allowance_for_user, employer_allowances_for_users
from .models import (
    APPROVED_STATUSES,
    EmployerCmePolicy,
    EnrolmentProposal,
    FundingRequest,
    Invitation,
    OverAllowanceRule,
    ProposalStatus,
    RequestCostItem,
    RequestDecision,
    RequestStatus,
)

INVITATION_DAYS = 7
# Wrong guesses at the invited email address before the invitation link is spent.
INVITATION_EMAIL_ATTEMPTS = 5


class RequestAlreadyDecided(Exception):
    """The request was decided (or withdrawn) by someone else first."""

    def __init__(self, request: FundingRequest) -> None:
        self.request = request
        who = str(request.decided_by) if request.decided_by else "its requester"
        when = date_format(timezone.localtime(request.decided_at), "DATETIME_FORMAT") if request.decided_at else "?"
        super().__init__(f"This request was already {request.get_status_display().lower()} by {who} at {when}.")


class InvitationUnusable(Exception):
    """The invitation link was used already or has expired."""


class InvitationEmailMismatch(Exception):
    """The email address typed to create an account is not the one the invitation was sent to."""

    def __init__(self, attempts_left: int) -> None:
        self.attempts_left = attempts_left
        if attempts_left:
            message = (
                "That is not the address this invitation was sent to. Type the email address the "
                f"invitation arrived at ({attempts_left} more tr{'y' if attempts_left == 1 else 'ies'})."
            )
        else:
            message = "Too many wrong email addresses: this invitation link no longer works. Ask for a new one."
        super().__init__(message)


# --- Invitations and membership ---------------------------------------------


def invitation_create(*, team: Team, email: str, invited_by: User, accept_url_base: str = "") -> Invitation:
    """Create a single-use invitation valid for 7 days and email its link.

    Refuses to invite someone who is already a current member of the team.
    """
    email = email.strip().lower()
    if TeamMembership.objects.current().filter(team=team, user__email__iexact=email).exists():
        raise ValidationError("This person is already a member of the team.")
    token = token_new()
    with transaction.atomic():
        invitation = Invitation.objects.create(
            team=team,
            email=email,
            invited_by=invited_by,
            expires_at=timezone.now() + datetime.timedelta(days=INVITATION_DAYS),
            token_digest=token_digest(token),
        )
    # The link exists in the clear only in this email: the database keeps the token's digest.
    link = f"{accept_url_base or settings.SITE_URL}/team/invitations/{token}/"
    # Sent once the invitation is committed (a caller may hold a wider transaction that can still
    # roll back, such as the one-submission receipt): never a link to an invitation that is not saved.
    transaction.on_commit(
        lambda: send_mail(
            subject=f"Invitation to join {team.name} on CME Portal",
            message=(
                f"{invited_by} invites you to join the team {team} on CME Portal.\n\n"
                f"Accept within {INVITATION_DAYS} days: {link}\n\nThe link works once."
            ),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[email],
        )
    )
    return invitation


def invitation_usable(invitation: Invitation) -> bool:
    """Not accepted, not expired, and not spent by too many wrong email addresses."""
    return (
        invitation.accepted_at is None
        and invitation.expires_at > timezone.now()
        and invitation.wrong_email_attempts < INVITATION_EMAIL_ATTEMPTS
    )


def invitation_for_token(*, token: str) -> Invitation | None:
    """The invitation whose link carries this token (matched by digest), with its team; None if unknown."""
    digest = token_presented_digest(token)
    if digest is None:
        return None
    return Invitation.objects.select_related("team__organization").filter(token_digest=digest).first()


def invitation_email_matches(invitation: Invitation, email: str) -> bool:
    """Whether a typed address is the invited one (case and surrounding spaces ignored; constant time)."""
    return hmac.compare_digest(email.strip().lower().encode(), invitation.email.strip().lower().encode())


@dataclass(frozen=True)
class NewAccount:
    """What an invited person without an account enters to create their clinician account.

    `email` is the address they type: it must be the one the invitation was sent to.
    """

    full_name: str
    password: str
    profession: str
    email: str


def invitation_accept(*, token: str, user: User | None = None, new_account: NewAccount | None = None) -> TeamMembership:
    """Join the invitation's team, as the signed-in `user` or with a `new_account`; the link is spent.

    The one way into a team by invitation, bound to the invited email address: a new
    account needs that address typed in (`new_account.email`; holding the link is not
    enough) and gets a clinician profile and the clinician role; a signed-in user must be
    the invited address and is made a clinician if they were not. Joining ends any other
    current membership (history kept). The new member is `membership.user`.

    One transaction with the invitation row locked, so a link cannot be used twice.
    Raises InvitationUnusable (unknown, used, expired or spent), InvitationEmailMismatch (a
    wrong address typed: only the miss is counted, and the link is spent at
    INVITATION_EMAIL_ATTEMPTS), PermissionDenied (another person's invitation) or
    ValidationError (a new account for an email that has one); nothing else is written then.
    """
    if (user is None) == (new_account is None):
        raise TypeError("Give the signed-in user or the new account, not both.")
    digest = token_presented_digest(token) or ""
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().select_related("team").filter(token_digest=digest).first()
        if invitation is None or not invitation_usable(invitation):
            raise InvitationUnusable("This invitation link was already used or has expired.")
        if new_account is None or invitation_email_matches(invitation, new_account.email):
            return _invitation_join(invitation, user=user, new_account=new_account)
        # A wrong address: the miss is counted (and kept: this block commits), then refused.
        invitation.wrong_email_attempts += 1
        invitation.save(update_fields=["wrong_email_attempts"])
    raise InvitationEmailMismatch(INVITATION_EMAIL_ATTEMPTS - invitation.wrong_email_attempts)


def _invitation_join(invitation: Invitation, *, user: User | None, new_account: NewAccount | None) -> TeamMembership:
    """invitation_accept's writes, inside its transaction, once the address is known to be the invited one."""
    if new_account is not None:
        if User.objects.filter(email__iexact=invitation.email).exists():
            raise ValidationError("An account with this email exists: sign in to accept.")
        user = User.objects.create_user(
            email=invitation.email, password=new_account.password, full_name=new_account.full_name
        )
        ClinicianProfile.objects.create(user=user, profession=new_account.profession)
    elif user is None or invitation.email.lower() != user.email.lower():
        raise PermissionDenied("This invitation was sent to another email address.")
    if not user.is_clinician:
        user_role_grant(user=user, role=Role.CLINICIAN)
    leaving = TeamMembership.objects.current().filter(user=user).exclude(team=invitation.team).select_related("team")
    for previous in leaving:  # joining ends the other membership: that team's open proposals lapse
        proposals_lapse(team=previous.team, user=user)
    membership = team_member_add(team=invitation.team, user=user)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


def member_remove(*, team: Team, user: User, removed_by: User) -> None:
    """End the member's current membership of the team; the history stays.

    The team's open enrolment proposals to them lapse and release what they pre-approved.
    One transaction.
    """
    if not team.supervisors.filter(pk=removed_by.pk).exists():
        raise PermissionDenied
    with transaction.atomic():
        proposals_lapse(team=team, user=user)
        team_member_remove(team=team, user=user)


# --- Confirmed professions ----------------------------------------------------


class ProfessionNotPending(Exception):
    """Nothing (or something else) waits for confirmation: the clinician changed it, or it was decided."""


def _profile_to_review(*, team: Team | None, clinician_id: int, reviewer: User, profession: str) -> ClinicianProfile:
    """The clinician's profile, locked, when `reviewer` may decide `profession` for them now.

    With a team: the clinician must be a current member of it (the caller checked that the
    reviewer supervises it). Without: only a curator may decide. Raises
    ClinicianProfile.DoesNotExist (not theirs to decide: a 404), PermissionDenied (one's own
    profession) or ProfessionNotPending (the stated profession is no longer the one shown).
    """
    if team is None and not reviewer.is_curator:
        raise PermissionDenied("Only a supervisor of the clinician's team or a curator confirms a profession.")
    profiles = ClinicianProfile.objects.select_for_update().select_related("user")
    if team is not None:
        members = TeamMembership.objects.current().filter(team=team).values("user_id")
        profiles = profiles.filter(user_id__in=members)
    profile = profiles.get(user_id=clinician_id)
    if profile.user_id == reviewer.pk:
        raise PermissionDenied("Another supervisor confirms your own profession.")
    if not profile.profession_pending or profile.profession != profession:
        raise ProfessionNotPending(
            f"{profile.user} now states {profile.get_profession_display()}"
            + (" and nothing waits for confirmation." if not profile.profession_pending else "; look again.")
        )
    return profile


def profession_confirm(
    *, team: Team | None, clinician_id: int, profession: str, confirmed_by: User
) -> ClinicianProfile:
    """Confirm the profession a clinician stated: from now on their policy and equity group follow it.

    `profession` is the one the reviewer saw, so a change made meanwhile is not confirmed
    unseen. One transaction with the profile locked; see `_profile_to_review` for what it raises.
    """
    with transaction.atomic():
        profile = _profile_to_review(team=team, clinician_id=clinician_id, reviewer=confirmed_by, profession=profession)
        profile.confirmed_profession = profile.profession
        profile.profession_confirmed_by = confirmed_by
        profile.profession_confirmed_at = timezone.now()
        profile.save(update_fields=["confirmed_profession", "profession_confirmed_by", "profession_confirmed_at"])
    return profile


def profession_decline(*, team: Team | None, clinician_id: int, profession: str, declined_by: User) -> ClinicianProfile:
    """Decline a stated profession: the confirmed one stays in force and the change no longer waits.

    The clinician's statement is kept (it is theirs, and ranking reads it); stating another
    profession asks again. One transaction with the profile locked.
    """
    with transaction.atomic():
        profile = _profile_to_review(team=team, clinician_id=clinician_id, reviewer=declined_by, profession=profession)
        profile.declined_profession = profile.profession
        profile.profession_declined_by = declined_by
        profile.profession_declined_at = timezone.now()
        profile.save(update_fields=["declined_profession", "profession_declined_by", "profession_declined_at"])
    return profile


# --- Policy -----------------------------------------------------------------


def policy_save(*, policy: EmployerCmePolicy, confirmed_by: User) -> EmployerCmePolicy:
    """Validate and save a written policy, recording who confirmed it.

    Raises ValidationError, writing nothing, when the policy is invalid or confirmed in the future.
    """
    policy.confirmed_by = confirmed_by
    problem = rules.policy_confirmed_on_problem(policy.confirmed_on, today=timezone.localdate())
    if problem:
        raise ValidationError({"confirmed_on": problem})
    policy.full_clean()
    uploading = bool(policy.source_document) and not policy.source_document._committed
    try:
        with transaction.atomic():
            policy.save()  # FileNotStored when the document cannot be stored: nothing kept
    except Exception as error:
        if uploading:  # the new document was stored but its row was not: remove it (never the old one)
            discard_stored(policy.source_document)
        if isinstance(error, IntegrityError):
            # full_clean checked the one-policy-per-profession rule; a simultaneous save won the race.
            raise ValidationError(
                f"A {policy.get_profession_display()} policy for this team was saved a moment ago; "
                "this one was not saved. Open it from the policies page to change it."
            ) from None
        raise
    return policy


# --- Funding and leave requests ---------------------------------------------


@dataclass(frozen=True)
class AllowanceCheck:
    over: bool
    refused: bool
    message: str


def allowance_check(
    *, allowance: Allowance | None, amount: Decimal, leave_days: Decimal, deciding: bool = False
) -> AllowanceCheck:
    """Compare an amount with what is left of the allowance and say what the policy wants done.

    A new request is checked against what approvals and pending requests leave (pending
    ones reserve); a decision against what approvals leave (the supervisor decides the
    pending ones one by one).
    """
    if allowance is None:
        return AllowanceCheck(False, False, "")
    if deciding:
        money, leave, counted = (
            allowance.amount_left_after_approvals,
            allowance.leave_left_after_approvals,
            "after approved requests",
        )
    else:
        money, leave, counted = (
            allowance.amount_remaining,
            allowance.leave_remaining,
            "after approved and pending requests",
        )
    year = f"the policy year {format_date(allowance.year_start)} to {format_date(allowance.year_last_day)}"
    parts = []
    if amount > money:
        parts.append(f"{format_money(amount)} is more than the {format_money(money)} left")
    if leave_days > leave:
        parts.append(f"{format_amount(leave_days)} leave days is more than the {format_amount(leave)} left")
    if not parts:
        return AllowanceCheck(False, False, "")
    refused = allowance.policy.over_allowance_rule == OverAllowanceRule.REFUSE
    when = "approvals" if deciding else "requests"
    detail = f"{'; '.join(parts)} in {year}, {counted}"
    if refused:
        return AllowanceCheck(True, True, f"The employer policy refuses {when} over the allowance: {detail}.")
    return AllowanceCheck(True, False, f"Over the allowance ({detail}). The policy allows this with a warning.")


def _problems_error(problems: list[rules.RequestProblem]) -> ValidationError:
    by_field: dict[str, list[str]] = {}
    for problem in problems:
        by_field.setdefault(problem.field or NON_FIELD_ERRORS, []).append(problem.message)
    return ValidationError(by_field)


def _pending_duplicate_message(existing: FundingRequest) -> str:
    return rules.pending_duplicate_problem(request_id=existing.pk, asked_on=existing.asked_on)


def _lock_requester(requester_id: int) -> None:
    """Serialise writes that read a clinician's allowance: the checks below read, then write."""
    user_lock(user_id=requester_id)


def funding_request_create(
    *,
    requester: User,
    program: Program,
    costs: rules.RequestCosts,
    leave_days: Decimal,
    justification: str,
    amount: Decimal | None = None,
    travel_days: Decimal = Decimal("0"),
    today: datetime.date | None = None,
) -> tuple[FundingRequest, str]:
    """Ask the supervisor for money and/or paid leave for a program in the catalog.

    `amount` defaults to the sum of the itemised `costs`; it may be less, never more.
    The figures are held to supervision.rules.funding_request_problems (the program's fee
    and days, the caps). A program not on the shortlist is added to it as planned, in the
    same transaction (careers.services.shortlist_plan). Stores a snapshot of the program's
    factor breakdown, outcome evidence and goal link. Returns the request and a warning
    ("" when none).

    Raises ValidationError and writes nothing: a program not in the catalog, figures the
    rules refuse, no reason given, no team, a second pending request for the same
    program (checked here and by the database's partial unique constraint, so two
    submits at once cannot both land), or over the allowance when the policy refuses.
    """
    today = today or timezone.localdate()
    if not Program.objects.published().current(today=today).filter(pk=program.pk).exists():
        raise ValidationError("Funding can be asked only for a published program still to come or under way.")
    problems = rules.funding_request_problems(
        costs=costs,
        amount=amount,
        leave_days=leave_days,
        travel_days=travel_days,
        terms=selectors.program_terms(program),
    )
    if problems:
        raise _problems_error(problems)
    amount = rules.amount_requested(costs, amount)
    if not justification.strip():
        raise ValidationError({"justification": "Say why this program matters for your practice or career."})
    membership = TeamMembership.objects.current().filter(user=requester).select_related("team").first()
    if membership is None:
        raise ValidationError("You are not in a team yet, so there is no supervisor to ask.")
    profile = ClinicianProfile.objects.filter(user=requester).first()
    snapshot = selectors.funding_request_snapshot(program=program, user=requester)
    costs_on = costs_fall_on(start_date=program.start_date, today=today)
    try:
        with transaction.atomic():
            _lock_requester(requester.pk)
            existing = selectors.pending_request_for_program(user=requester, program_id=program.pk)
            if existing is not None:
                raise ValidationError(_pending_duplicate_message(existing))
            allowance = employer_allowance_for_user(user=requester, on=costs_on)
            check = allowance_check(allowance=allowance, amount=amount, leave_days=leave_days)
            if check.refused:
                raise ValidationError(check.message)
            entry = shortlist_plan(user=requester, program=program, today=today)
            request = FundingRequest.objects.create(
                requester=requester,
                team=membership.team,
                program=program,
                shortlist_entry=entry,
                profession=profile.confirmed_profession if profile else "",  # the one in force, never the stated
                amount_requested=amount,
                leave_days_requested=leave_days,
                travel_days=travel_days,
                costs_on=costs_on,
                justification=justification.strip(),
                snapshot=snapshot,
                exceeds_allowance=check.over,
            )
            RequestCostItem.objects.bulk_create(
                RequestCostItem(request=request, kind=kind, amount=value, description=description)
                for kind, value, description in costs.items()
            )
    except IntegrityError:
        # Another submit for the same program landed between the check and this insert (the
        # requester lock makes this rare; the partial unique constraint makes it harmless).
        existing = selectors.pending_request_for_program(user=requester, program_id=program.pk)
        if existing is None:
            raise
        raise ValidationError(_pending_duplicate_message(existing)) from None
    return request, check.message


def funding_request_decide(
    *,
    request_id: int,
    supervisor: User,
    outcome: str,
    reason: str,
    amount: Decimal | None = None,
    leave_days: Decimal | None = None,
) -> tuple[FundingRequest, str]:
    """Record a supervisor's decision (approve in full, approve in part, decline) with a reason.

    Locks the request row so two supervisors cannot both decide it; the second
    gets RequestAlreadyDecided naming who decided and when. Then locks the
    requester, so two approvals of their different requests are checked against
    the allowance one after the other and cannot overspend a "refuse" policy. Nobody decides their
    own request, and only a supervisor of the requester's current team decides.
    Returns the request and an over-allowance warning ("" when none); raises
    ValidationError and writes nothing when the input or the policy refuses.
    """
    if not reason.strip():
        raise ValidationError("Give a reason: the requester sees it.")
    if outcome not in {RequestStatus.APPROVED, RequestStatus.PARTIALLY_APPROVED, RequestStatus.DECLINED}:
        raise ValidationError("Choose approve in full, approve in part or decline.")
    with transaction.atomic():
        request = FundingRequest.objects.select_for_update().filter(pk=request_id).first()
        if (
            request is None
            or not selectors.funding_requests_visible_to_supervisor(supervisor=supervisor)
            .filter(pk=request_id)
            .exists()
        ):
            raise FundingRequest.DoesNotExist
        if request.requester_id == supervisor.pk:
            raise PermissionDenied("Nobody decides their own request.")
        if request.status != RequestStatus.PENDING:
            request = FundingRequest.objects.select_related("decided_by").get(pk=request.pk)
            raise RequestAlreadyDecided(request)
        if outcome == RequestStatus.APPROVED:
            amount, leave_days = request.amount_requested, request.leave_days_requested
        elif outcome == RequestStatus.DECLINED:
            amount, leave_days = Decimal("0"), Decimal("0")
        else:
            amount = amount if amount is not None else Decimal("0")
            leave_days = leave_days if leave_days is not None else Decimal("0")
            if amount < 0 or leave_days < 0:
                raise ValidationError("Approved amounts cannot be negative.")
            if amount > request.amount_requested or leave_days > request.leave_days_requested:
                raise ValidationError("A partial approval cannot exceed what was requested.")
            if amount == request.amount_requested and leave_days == request.leave_days_requested:
                outcome = RequestStatus.APPROVED
            elif amount == 0 and leave_days == 0:
                raise ValidationError("A partial approval approves some amount or some leave; otherwise decline.")
        warning = ""
        if outcome != RequestStatus.DECLINED:
            _lock_requester(request.requester_id)
            requester = User.objects.get(pk=request.requester_id)
            allowance = employer_allowance_for_user(
                user=requester, on=request.costs_on, excluding_request_id=request.pk
            )
            check = allowance_check(allowance=allowance, amount=amount, leave_days=leave_days, deciding=True)
            if check.refused:
                raise ValidationError(check.message)
            warning = check.message
        now = timezone.now()
        request.status = outcome
        request.amount_approved = amount
        request.leave_days_approved = leave_days
        request.decided_by = supervisor
        request.decided_at = now
        request.save(update_fields=["status", "amount_approved", "leave_days_approved", "decided_by", "decided_at"])
        RequestDecision.objects.create(
            request=request,
            decided_by=supervisor,
            outcome=outcome,
            amount_approved=amount,
            leave_days_approved=leave_days,
            reason=reason.strip(),
            over_allowance_warning=bool(warning),
        )
    return request, warning


def funding_request_withdraw(*, request_id: int, requester: User, reason: str = "") -> FundingRequest:
    """The requester takes back a pending request; a decided one cannot be withdrawn."""
    with transaction.atomic():
        request = FundingRequest.objects.select_for_update().filter(pk=request_id, requester=requester).first()
        if request is None:
            raise FundingRequest.DoesNotExist
        if request.status != RequestStatus.PENDING:
            request = FundingRequest.objects.select_related("decided_by").get(pk=request.pk)
            raise RequestAlreadyDecided(request)
        request.status = RequestStatus.WITHDRAWN
        request.decided_at = timezone.now()
        request.save(update_fields=["status", "decided_at"])
        RequestDecision.objects.create(
            request=request,
            decided_by=requester,
            outcome=RequestStatus.WITHDRAWN,
            reason=reason.strip() or "Withdrawn by the requester.",
        )
    return request


# --- Team enrolment in an interprofessional activity -------------------------


class ProposalAlreadyDecided(Exception):
    """The member answered this proposal already (or it lapsed)."""

    def __init__(self, proposal: EnrolmentProposal) -> None:
        self.proposal = proposal
        when = date_format(timezone.localtime(proposal.decided_at), "DATETIME_FORMAT") if proposal.decided_at else "?"
        if proposal.status == ProposalStatus.LAPSED:
            message = f"This proposal lapsed on {when}: you left the team it was made in."
        else:
            message = f"You already {proposal.get_status_display().lower()} this proposal on {when}."
        super().__init__(message)


def _preapproval_problems(*, program: Program, amount: Decimal, leave_days: Decimal) -> list[rules.RequestProblem]:
    """A pre-approval is held to the rules of a request: the money as registration (at most the fee), the leave days."""
    if amount == 0 and leave_days == 0:
        return []
    problems = rules.funding_request_problems(
        costs=rules.RequestCosts(registration=amount),
        amount=None,
        leave_days=leave_days,
        travel_days=Decimal("0"),
        terms=selectors.program_terms(program),
    )
    renamed = {"registration": "amount", "leave_days": "leave_days"}
    return [rules.RequestProblem(renamed.get(p.field or ""), p.message) for p in problems]


def proposals_create(
    *,
    team: Team,
    program: Program,
    member_ids: list[int],
    proposed_by: User,
    amount: Decimal = Decimal("0"),
    leave_days: Decimal = Decimal("0"),
    note: str = "",
    today: datetime.date | None = None,
) -> tuple[list[EnrolmentProposal], list[str]]:
    """Propose an interprofessional program to members of the supervisor's team, pre-approving money and leave.

    The rule for money and leave: each pre-approval is an approved FundingRequest created
    here, with the decision recorded, so the ledger counts it exactly as any approval from
    this moment; it is checked as a new request is, against what approvals and pending
    requests leave under the member's policy, and a "refuse" policy refuses the whole
    proposal. Declining (proposal_decline) or leaving the team (proposals_lapse) withdraws
    that request and so releases the money and leave.

    All or nothing, in one transaction: every member is locked (in id order, the lock
    funding requests and decisions take too), then must be a current member of `team` other
    than the proposer, without an open proposal of this program, a pending request for it
    or (when money or leave is pre-approved) an approved one. Returns the proposals and one
    warning per member over a "warn" policy. Raises PermissionDenied when `proposed_by` does
    not supervise `team`, ValidationError (writing nothing) otherwise.
    """
    today = today or timezone.localdate()
    if not team.supervisors.filter(pk=proposed_by.pk).exists():
        raise PermissionDenied("Only a supervisor of this team proposes programs to its members.")
    if not Program.objects.published().current(today=today).filter(pk=program.pk).exists():
        raise ValidationError({"program": "Only a published program still to come or under way can be proposed."})
    if not program.is_interprofessional_design:
        raise ValidationError(
            {"program": rules.not_interprofessional_problem(title=program.title, professions=len(program.professions))}
        )
    ids = sorted(set(member_ids))
    if not ids:
        raise ValidationError({"members": "Choose at least one member of the team."})
    problems = _preapproval_problems(program=program, amount=amount, leave_days=leave_days)
    if problems:
        raise _problems_error(problems)
    preapproves = amount > 0 or leave_days > 0
    costs_on = costs_fall_on(start_date=program.start_date, today=today)
    try:
        with transaction.atomic():
            for member_id in ids:
                _lock_requester(member_id)
            memberships = {
                m.user_id: m
                for m in TeamMembership.objects.current()
                .filter(team=team, user_id__in=ids)
                .select_related("user__clinician_profile")
            }
            outsiders = [member_id for member_id in ids if member_id not in memberships]
            if outsiders:
                raise ValidationError(
                    {"members": f"Only current members of {team.name} can be chosen; {len(outsiders)} chosen are not."}
                )
            if proposed_by.pk in memberships:
                raise ValidationError({"members": "You cannot propose a program to yourself."})
            members = [memberships[member_id].user for member_id in ids]
            names = {member.pk: str(member) for member in members}
            clashes = [
                f"{names[p.member_id]} already has it proposed."
                for p in EnrolmentProposal.objects.filter(
                    member_id__in=ids, program=program, status=ProposalStatus.PROPOSED
                )
            ]
            claimed = [RequestStatus.PENDING, *(APPROVED_STATUSES if preapproves else ())]
            clashes += [
                f"{names[r.requester_id]} has a{'' if r.status == RequestStatus.PENDING else 'n'} "
                f"{r.get_status_display().lower()} request for it (#{r.pk}); decide that instead."
                for r in FundingRequest.objects.filter(requester_id__in=ids, program=program, status__in=claimed)
            ]
            if clashes:
                raise ValidationError({"members": clashes})
            warnings: list[str] = []
            if preapproves:
                allowances = employer_allowances_for_users(user_ids=ids, on=costs_on)
                refused = []
                for member in members:
                    check = allowance_check(allowance=allowances.get(member.pk), amount=amount, leave_days=leave_days)
                    if check.refused:
                        refused.append(f"{member}: {check.message}")
                    elif check.over:
                        warnings.append(f"{member}: {check.message}")
                if refused:
                    raise ValidationError(refused)
            now = timezone.now()
            proposals = []
            for member in members:
                funding = None
                if preapproves:
                    funding = _preapproval_create(
                        member=member,
                        team=team,
                        program=program,
                        supervisor=proposed_by,
                        amount=amount,
                        leave_days=leave_days,
                        costs_on=costs_on,
                        note=note,
                        over=any(w.startswith(f"{member}: ") for w in warnings),
                        now=now,
                    )
                proposals.append(
                    EnrolmentProposal.objects.create(
                        team=team,
                        program=program,
                        member=member,
                        proposed_by=proposed_by,
                        note=note.strip(),
                        amount_preapproved=amount,
                        leave_days_preapproved=leave_days,
                        funding_request=funding,
                    )
                )
    except IntegrityError:
        # A second supervisor proposed the same program to one of them at the same moment.
        raise ValidationError(
            {"members": "This program was just proposed to one of these members by someone else; look again."}
        ) from None
    return proposals, warnings


def _preapproval_create(
    *,
    member: User,
    team: Team,
    program: Program,
    supervisor: User,
    amount: Decimal,
    leave_days: Decimal,
    costs_on: datetime.date,
    note: str,
    over: bool,
    now: datetime.datetime,
) -> FundingRequest:
    """The approved request standing for a pre-approval (inside proposals_create's transaction)."""
    profile = getattr(member, "clinician_profile", None)
    request = FundingRequest.objects.create(
        requester=member,
        team=team,
        program=program,
        profession=profile.confirmed_profession if profile else "",
        amount_requested=amount,
        leave_days_requested=leave_days,
        costs_on=costs_on,
        justification=f"Pre-approved by {supervisor} with a team enrolment proposal."
        + (f" {note.strip()}" if note.strip() else ""),
        snapshot=selectors.funding_request_snapshot(program=program, user=member),
        exceeds_allowance=over,
        status=RequestStatus.APPROVED,
        amount_approved=amount,
        leave_days_approved=leave_days,
        decided_by=supervisor,
        decided_at=now,
    )
    if amount > 0:
        RequestCostItem.objects.create(request=request, kind="registration", amount=amount)
    RequestDecision.objects.create(
        request=request,
        decided_by=supervisor,
        outcome=RequestStatus.APPROVED,
        amount_approved=amount,
        leave_days_approved=leave_days,
        reason="Pre-approved with the team enrolment proposal; released if the proposal is declined.",
        over_allowance_warning=over,
    )
    return request


def _proposal_for_member(*, proposal_id: int, member: User) -> EnrolmentProposal:
    """The member's own proposal, locked; DoesNotExist for anyone else's (a 404). Call inside a transaction."""
    proposal = (
        EnrolmentProposal.objects.select_for_update(of=("self",))
        .select_related("program", "team")
        .filter(pk=proposal_id, member=member)
        .first()
    )
    if proposal is None:
        raise EnrolmentProposal.DoesNotExist
    if proposal.status != ProposalStatus.PROPOSED:
        raise ProposalAlreadyDecided(proposal)
    return proposal


def _preapproval_release(proposal: EnrolmentProposal, *, by: User | None, reason: str, now: datetime.datetime) -> None:
    """Withdraw the approved request of a pre-approval, so the ledger no longer counts it."""
    if proposal.funding_request_id is None:
        return
    FundingRequest.objects.filter(pk=proposal.funding_request_id).update(status=RequestStatus.WITHDRAWN, decided_at=now)
    RequestDecision.objects.create(
        request_id=proposal.funding_request_id, decided_by=by, outcome=RequestStatus.WITHDRAWN, reason=reason
    )


def proposal_accept(*, proposal_id: int, member: User, today: datetime.date | None = None) -> EnrolmentProposal:
    """The member accepts: the program joins their plan as planned; a pre-approval stays approved.

    One transaction with the proposal locked, so it is answered once: a second answer raises
    ProposalAlreadyDecided. Raises EnrolmentProposal.DoesNotExist for another person's proposal
    and ValidationError, writing nothing, when the member has left the team it was made in or
    the program is over.
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        _lock_requester(member.pk)
        proposal = _proposal_for_member(proposal_id=proposal_id, member=member)
        if not TeamMembership.objects.current().filter(team=proposal.team, user=member).exists():
            raise ValidationError(f"You are no longer a member of {proposal.team.name}, so this proposal lapsed.")
        if not Program.objects.published().current(today=today).filter(pk=proposal.program_id).exists():
            raise ValidationError(f"“{proposal.program.title}” is over or no longer in the catalog.")
        entry = shortlist_plan(user=member, program=proposal.program, today=today)
        if proposal.funding_request_id is not None:
            FundingRequest.objects.filter(pk=proposal.funding_request_id).update(shortlist_entry=entry)
        proposal.status = ProposalStatus.ACCEPTED
        proposal.decided_at = timezone.now()
        proposal.save(update_fields=["status", "decided_at"])
    return proposal


def proposal_decline(*, proposal_id: int, member: User, reason: str) -> EnrolmentProposal:
    """The member declines, with a reason the supervisor reads; a pre-approval is withdrawn (released).

    One transaction with the proposal locked; a second answer raises ProposalAlreadyDecided.
    Raises ValidationError without a reason, writing nothing.
    """
    if not reason.strip():
        raise ValidationError({"reason": "Say why you decline: your supervisor reads it."})
    with transaction.atomic():
        _lock_requester(member.pk)
        proposal = _proposal_for_member(proposal_id=proposal_id, member=member)
        now = timezone.now()
        _preapproval_release(proposal, by=member, reason=f"Proposal declined: {reason.strip()}", now=now)
        proposal.status = ProposalStatus.DECLINED
        proposal.decision_reason = reason.strip()
        proposal.decided_at = now
        proposal.save(update_fields=["status", "decision_reason", "decided_at"])
    return proposal


def proposals_lapse(*, team: Team, user: User) -> int:
    """Open proposals of the team to a member who leaves it lapse, and their pre-approvals are released.

    Runs in the caller's transaction when there is one; returns how many lapsed.
    """
    with transaction.atomic():
        now = timezone.now()
        proposals = list(
            EnrolmentProposal.objects.select_for_update().filter(team=team, member=user, status=ProposalStatus.PROPOSED)
        )
        for proposal in proposals:
            _preapproval_release(proposal, by=None, reason="The member left the team; the proposal lapsed.", now=now)
            proposal.status = ProposalStatus.LAPSED
            proposal.decided_at = now
            proposal.save(update_fields=["status", "decided_at"])
    return len(proposals)
