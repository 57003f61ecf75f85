"""Team supervision: invitations, the employer's CME policy, funding and leave requests, reminders."""

from __future__ import annotations

import datetime
import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from cme_portal.tokens import token_digest_unusable
from cme_portal.uploads import UploadCheck
from programs.choices import Profession


def new_invitation_token() -> str:
    """Kept for migration 0001, which named it as the field default; tokens are now stored hashed."""
    return secrets.token_urlsafe(32)


POLICY_DOCUMENT_TYPES = (".doc", ".docx", ".jpeg", ".jpg", ".odt", ".pdf", ".png", ".txt")
POLICY_DOCUMENT_MAX_BYTES = 5 * 1024 * 1024
POLICY_DOCUMENT_CHECK = UploadCheck(
    extensions=POLICY_DOCUMENT_TYPES,
    max_bytes=POLICY_DOCUMENT_MAX_BYTES,
    kinds="a PDF, Word, OpenDocument, text or image file",
)


class Invitation(models.Model):
    """A single-use, expiring link a supervisor sends to bring a clinician into the team.

    The link goes only to `email`, by email; the database keeps the SHA-256 of its token
    (cme_portal.tokens). Creating an account through it also needs that email address typed
    in; `wrong_email_attempts` counts misses, and at the limit the link is spent.
    """

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    token_digest = models.CharField(max_length=64, unique=True, default=token_digest_unusable, editable=False)
    wrong_email_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation of {self.email} to {self.team}"


class OverAllowanceRule(models.TextChoices):
    WARN = "warn", "Warn, but let the request through"
    REFUSE = "refuse", "Refuse requests over the remaining allowance"


class EmployerCmePolicy(models.Model):
    """The employer's written CME policy for one profession, set for a whole organization or one team.

    A team policy overrides the organization policy for the same profession.
    """

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, null=True, blank=True, related_name="cme_policies"
    )
    team = models.ForeignKey(
        "accounts.Team", on_delete=models.CASCADE, null=True, blank=True, related_name="cme_policies"
    )
    profession = models.CharField(max_length=32, choices=Profession.choices)
    yearly_reimbursement_amount = models.DecimalField(
        "yearly reimbursement (USD)", max_digits=10, decimal_places=2, validators=[MinValueValidator(0)]
    )
    paid_leave_days = models.DecimalField(
        "paid CME leave days per year", max_digits=5, decimal_places=1, validators=[MinValueValidator(0)]
    )
    year_starts_month = models.PositiveSmallIntegerField(
        "policy year starts in month",
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text="1 = January (calendar year), 7 = July ...",
    )
    eligible_expenses = models.TextField(blank=True, help_text="e.g. registration fees, travel, lodging.")
    approver_description = models.CharField(
        "who approves", max_length=300, blank=True, help_text="e.g. Unit manager, then department chair over $2,000."
    )
    source_document = models.FileField(
        upload_to="policies/%Y/",
        blank=True,
        help_text="PDF or document of the policy.",
        validators=[POLICY_DOCUMENT_CHECK],  # every form, the admin's included, runs the upload check
    )
    source_url = models.URLField("source URL", max_length=500, blank=True)
    confirmed_on = models.DateField("date confirmed")
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    over_allowance_rule = models.CharField(
        max_length=8, choices=OverAllowanceRule.choices, default=OverAllowanceRule.WARN
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["profession", "id"]
        verbose_name = "employer CME policy"
        verbose_name_plural = "employer CME policies"
        constraints = [
            models.CheckConstraint(
                condition=(Q(organization__isnull=False) & Q(team__isnull=True))
                | (Q(organization__isnull=True) & Q(team__isnull=False)),
                name="policy_org_or_team",
                violation_error_message="A policy applies to an organization or to a team, not both.",
            ),
            models.UniqueConstraint(
                fields=["organization", "profession"],
                condition=Q(team__isnull=True),
                name="policy_one_per_org_profession",
            ),
            models.UniqueConstraint(
                fields=["team", "profession"], condition=Q(team__isnull=False), name="policy_one_per_team_profession"
            ),
            models.CheckConstraint(
                condition=Q(yearly_reimbursement_amount__gte=0) & Q(paid_leave_days__gte=0),
                name="policy_amounts_not_negative",
            ),
        ]

    def __str__(self) -> str:
        scope = self.team or self.organization
        return f"{self.get_profession_display()} policy for {scope}"


class RequestStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved in full"
    PARTIALLY_APPROVED = "partially_approved", "Partially approved"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"


APPROVED_STATUSES = (RequestStatus.APPROVED, RequestStatus.PARTIALLY_APPROVED)
DECIDED_STATUSES = (RequestStatus.APPROVED, RequestStatus.PARTIALLY_APPROVED, RequestStatus.DECLINED)


class FundingRequest(models.Model):
    """A clinician's request for money and/or paid leave to attend one shortlisted program.

    `snapshot` keeps what the clinician saw when asking (factor breakdown,
    outcome evidence, the goal it serves), so the supervisor decides on the same.
    """

    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="funding_requests")
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="funding_requests")
    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="funding_requests")
    shortlist_entry = models.ForeignKey(
        "careers.ShortlistEntry", on_delete=models.SET_NULL, null=True, blank=True, related_name="funding_requests"
    )
    profession = models.CharField(max_length=32, choices=Profession.choices, blank=True)
    amount_requested = models.DecimalField(
        "amount requested (USD)",
        max_digits=10,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0)],
    )
    leave_days_requested = models.DecimalField(
        "paid leave days requested",
        max_digits=5,
        decimal_places=1,
        default=Decimal("0"),
        validators=[MinValueValidator(0)],
    )
    travel_days = models.DecimalField(
        "travel days",
        max_digits=4,
        decimal_places=1,
        default=Decimal("0"),
        validators=[MinValueValidator(0)],
        help_text="Leave days beyond the program's own days, needed to travel; part of the leave requested.",
    )
    costs_on = models.DateField(
        "costs fall on",
        help_text="The program's start, or the day of asking when on demand or running: "
        "the policy year this request counts in.",
    )
    justification = models.TextField()
    snapshot = models.JSONField(default=dict, blank=True)
    exceeds_allowance = models.BooleanField(
        default=False, help_text="Over the remaining allowance when requested (policy says warn)."
    )
    status = models.CharField(max_length=20, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    amount_approved = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    leave_days_approved = models.DecimalField(max_digits=5, decimal_places=1, default=Decimal("0"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_requested__gte=0) & Q(leave_days_requested__gte=0) & Q(travel_days__gte=0),
                name="request_amounts_not_negative",
            ),
            # Two submits at once cannot both land: the second gets IntegrityError, which
            # services.funding_request_create turns into the same message as its own check.
            models.UniqueConstraint(
                fields=["requester", "program"],
                condition=Q(status="pending"),
                name="request_one_pending_per_program",
                violation_error_message="You already have a pending request for this program.",
            ),
            models.CheckConstraint(
                condition=Q(amount_requested__gt=0) | Q(leave_days_requested__gt=0),
                name="request_asks_for_something",
                violation_error_message="Ask for an amount, leave days, or both.",
            ),
            models.CheckConstraint(
                condition=Q(amount_approved__gte=0)
                & Q(leave_days_approved__gte=0)
                & Q(amount_approved__lte=models.F("amount_requested"))
                & Q(leave_days_approved__lte=models.F("leave_days_requested")),
                name="request_approved_within_requested",
            ),
        ]
        indexes = [
            models.Index(fields=["team", "status"], name="request_team_status"),
            models.Index(fields=["requester", "status"], name="request_requester_status"),
            models.Index(fields=["requester", "costs_on"], name="request_requester_costs_on"),
        ]

    def __str__(self) -> str:
        return f"Request #{self.pk} by {self.requester} for {self.program}"

    @property
    def is_pending(self) -> bool:
        return self.status == RequestStatus.PENDING

    @property
    def asked_on(self) -> datetime.date:
        """The day it was asked, in the site's time zone."""
        return timezone.localtime(self.created_at).date()


class CostKind(models.TextChoices):
    REGISTRATION = "registration", "Registration"
    TRAVEL = "travel", "Travel"
    LODGING = "lodging", "Lodging"
    OTHER = "other", "Other"


class RequestCostItem(models.Model):
    """One itemised cost of a funding request; the amount requested is at most their sum.

    Requests made before costs were itemised have no items.
    """

    request = models.ForeignKey(FundingRequest, on_delete=models.CASCADE, related_name="cost_items")
    kind = models.CharField(max_length=16, choices=CostKind.choices)
    description = models.CharField(max_length=200, blank=True, help_text="What an “other” cost is.")
    amount = models.DecimalField(
        "amount (USD)", max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )

    class Meta:
        ordering = ["request", "id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "kind"], name="request_cost_one_per_kind"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="request_cost_positive"),
            models.CheckConstraint(condition=Q(kind__in=CostKind.values), name="request_cost_kind_valid"),
        ]

    def __str__(self) -> str:
        label = self.description if self.kind == CostKind.OTHER and self.description else self.get_kind_display()
        return f"{label}: ${self.amount:,.2f}"


class RequestDecision(models.Model):
    """Every decision on a request (and a withdrawal), kept as history and shown to the requester."""

    request = models.ForeignKey(FundingRequest, on_delete=models.CASCADE, related_name="decisions")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    outcome = models.CharField(max_length=20, choices=RequestStatus.choices)
    amount_approved = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    leave_days_approved = models.DecimalField(max_digits=5, decimal_places=1, default=Decimal("0"))
    reason = models.TextField()
    over_allowance_warning = models.BooleanField(default=False)
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["decided_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} by {self.decided_by}"


class ReminderKind(models.TextChoices):
    RENEWAL_90 = "renewal_90", "Licence renewal in 90 days with hours still short"
    RENEWAL_30 = "renewal_30", "Licence renewal in 30 days with hours still short"
    REVIEW_60 = "review_60", "Performance review in 60 days with no planned CME"
    SUPERVISOR_DIGEST = "supervisor_digest", "Weekly digest of pending requests and members at risk"
    FOLLOWUP_3M = "followup_3m", "Three months after a completed program: what changed in your practice"
    FOLLOWUP_6M = "followup_6m", "Six months after a completed program: what changed in your practice"


# Practice follow-ups after a completed program, by months since the completion.
FOLLOW_UP_MONTHS = {3: ReminderKind.FOLLOWUP_3M, 6: ReminderKind.FOLLOWUP_6M}


def follow_up_subject(*, entry_id: int, completed_on: datetime.date) -> str:
    """The reminder subject naming one completion: the shortlist entry and the day it was completed."""
    return f"completion:{entry_id}:{completed_on.isoformat()}"


class Reminder(models.Model):
    """A reminder sent to a user. The unique key makes each one go out once, however often the job runs."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=24, choices=ReminderKind.choices)
    subject = models.CharField(max_length=100, help_text="What it is about, e.g. licence:12 or team:3.")
    due_on = models.DateField()
    title = models.CharField(max_length=300)
    body = models.TextField()
    link = models.CharField(max_length=300, blank=True, help_text="A path in the app; emails prefix SITE_URL.")
    created_at = models.DateTimeField(auto_now_add=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "subject", "due_on"], name="reminder_sent_once"),
        ]
        # The navigation's unread count on every page: one index-only count.
        indexes = [models.Index(fields=["user", "read_at"], name="reminder_user_unread")]

    def __str__(self) -> str:
        return self.title


class ReminderPreference(models.Model):
    """A user's choice to receive (or not) one kind of reminder. No row = on."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_preferences")
    kind = models.CharField(max_length=24, choices=ReminderKind.choices)
    enabled = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="reminder_preference_unique")]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind} {'on' if self.enabled else 'off'}"


class ProposalStatus(models.TextChoices):
    PROPOSED = "proposed", "Waiting for the member"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    LAPSED = "lapsed", "Lapsed (the member left the team)"


OPEN_PROPOSAL_STATUSES = (ProposalStatus.PROPOSED,)


class EnrolmentProposal(models.Model):
    """A supervisor's proposal that one team member take an interprofessional program.

    Money and leave the supervisor pre-approves are an approved FundingRequest
    (`funding_request`), made with the proposal, so the ledger counts them as it counts
    any approval; declining (or leaving the team) withdraws that request, which releases
    them. Accepting puts the program on the member's plan.
    """

    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="enrolment_proposals")
    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="enrolment_proposals")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolment_proposals")
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    note = models.TextField("note to the members", blank=True)
    amount_preapproved = models.DecimalField(
        "funding pre-approved (USD)", max_digits=10, decimal_places=2, default=Decimal("0")
    )
    leave_days_preapproved = models.DecimalField(
        "paid leave days pre-approved", max_digits=5, decimal_places=1, default=Decimal("0")
    )
    funding_request = models.OneToOneField(
        FundingRequest, on_delete=models.SET_NULL, null=True, blank=True, related_name="proposal"
    )
    status = models.CharField(max_length=12, choices=ProposalStatus.choices, default=ProposalStatus.PROPOSED)
    decision_reason = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Two supervisors proposing the same program to the same member at once: one lands.
            models.UniqueConstraint(
                fields=["member", "program"],
                condition=Q(status="proposed"),
                name="proposal_one_open_per_program",
                violation_error_message="This program is already proposed to this member.",
            ),
            models.CheckConstraint(
                condition=Q(amount_preapproved__gte=0) & Q(leave_days_preapproved__gte=0),
                name="proposal_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(decision_reason=""),
                name="proposal_decline_has_reason",
                violation_error_message="A decline needs a reason.",
            ),
        ]
        indexes = [
            models.Index(fields=["team", "status"], name="proposal_team_status"),
            models.Index(fields=["member", "status"], name="proposal_member_status"),
        ]

    def __str__(self) -> str:
        return f"Proposal of {self.program} to {self.member}"

    @property
    def is_open(self) -> bool:
        return self.status == ProposalStatus.PROPOSED

    @property
    def preapproves(self) -> bool:
        return self.amount_preapproved > 0 or self.leave_days_preapproved > 0


class PracticeFollowUp(models.Model):
    """A clinician's answer to "what changed in your practice" some months after completing a program.

    One answer per follow-up reminder (the reminder names the completion and the interval), so the
    same completion is never asked, nor answered, twice for one interval.
    """

    reminder = models.OneToOneField(Reminder, on_delete=models.CASCADE, related_name="practice_follow_up")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="practice_follow_ups")
    program = models.ForeignKey("programs.Program", on_delete=models.CASCADE, related_name="practice_follow_ups")
    completed_on = models.DateField()
    months = models.PositiveSmallIntegerField()
    changed = models.TextField("what changed in your practice")
    answered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-answered_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user}: {self.program} after {self.months} months"
