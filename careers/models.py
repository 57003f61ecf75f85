"""A clinician's profile, licences, career goals, shortlist and logged credits."""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from cme_portal.tokens import token_digest_unusable
from programs.choices import Competency, CreditType, MandatedTopic, Profession
from programs.fields import CodeSetField, TagListField


def new_calendar_token() -> str:
    """Kept for migration 0001, which named it as the field default; tokens are now stored hashed."""
    return secrets.token_urlsafe(32)


def stated_profession_pending(*, stated: str, confirmed: str, declined: str) -> bool:
    """`ClinicianProfile.profession_pending` for a profile read as plain values (a team's member list)."""
    return bool(stated) and stated not in (confirmed, declined)


class ClinicianProfile(models.Model):
    """Who the clinician is and what they can spend on CME this year."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="clinician_profile")
    # The profession the clinician states (ranking reads it: it is their own view of the catalog).
    profession = models.CharField(max_length=32, choices=Profession.choices)
    # The profession a supervisor of their team (or a curator) confirmed: the employer policy and the
    # equity figures use only this one, so a clinician cannot pick their own policy. Blank: none confirmed.
    confirmed_profession = models.CharField(max_length=32, choices=Profession.choices, blank=True)
    profession_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    profession_confirmed_at = models.DateTimeField(null=True, blank=True)
    # A stated profession a supervisor declined: no longer waiting, until the clinician states another.
    declined_profession = models.CharField(max_length=32, choices=Profession.choices, blank=True)
    profession_declined_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    profession_declined_at = models.DateTimeField(null=True, blank=True)
    specialty = models.CharField(max_length=120, blank=True)
    budget_year_start = models.DateField(null=True, blank=True, help_text="First day of the current CME budget year.")
    yearly_budget_amount = models.DecimalField(
        "yearly CME budget (USD)",
        max_digits=10,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0)],
    )
    budget_used_amount = models.DecimalField(
        "budget already used (USD)",
        max_digits=10,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0)],
    )
    yearly_leave_days = models.DecimalField(
        "paid CME leave days per year",
        max_digits=5,
        decimal_places=1,
        default=Decimal("0"),
        validators=[MinValueValidator(0)],
    )
    leave_used_days = models.DecimalField(
        "leave days already used",
        max_digits=5,
        decimal_places=1,
        default=Decimal("0"),
        validators=[MinValueValidator(0)],
    )
    next_review_date = models.DateField("next performance review", null=True, blank=True)
    # The SHA-256 of the feed token (cme_portal.tokens); the token itself is shown once, when made.
    calendar_token_digest = models.CharField(max_length=64, unique=True, default=token_digest_unusable, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(yearly_budget_amount__gte=0)
                & Q(budget_used_amount__gte=0)
                & Q(yearly_leave_days__gte=0)
                & Q(leave_used_days__gte=0),
                name="profile_budget_not_negative",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_profession_display()})"

    # What the clinician enters: the profile form edits these, the portfolio export writes them.
    ENTERED_FIELDS = (
        "profession",
        "specialty",
        "budget_year_start",
        "yearly_budget_amount",
        "budget_used_amount",
        "yearly_leave_days",
        "leave_used_days",
        "next_review_date",
    )

    @property
    def profession_pending(self) -> bool:
        """The stated profession differs from the confirmed one and waits for a supervisor's confirmation."""
        return stated_profession_pending(
            stated=self.profession, confirmed=self.confirmed_profession, declined=self.declined_profession
        )

    @property
    def profession_declined(self) -> bool:
        """The stated profession was declined (and differs from the confirmed one)."""
        return (
            bool(self.declined_profession) and self.profession == self.declined_profession != self.confirmed_profession
        )

    @property
    def remaining_budget(self) -> Decimal:
        return max(Decimal("0"), self.yearly_budget_amount - self.budget_used_amount)

    @property
    def remaining_leave_days(self) -> Decimal:
        return max(Decimal("0"), self.yearly_leave_days - self.leave_used_days)


class Licence(models.Model):
    """A licence or certification with its renewal cycle, as the clinician entered it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="licences")
    jurisdiction = models.CharField(max_length=120, help_text="State or board, e.g. California.")
    licence_type = models.CharField(max_length=120, help_text="e.g. Physician and surgeon (MD), RN, NP (AANPCB).")
    renewal_date = models.DateField()
    cycle_months = models.PositiveSmallIntegerField(
        default=24, validators=[MinValueValidator(1), MaxValueValidator(120)]
    )
    hours_required = models.DecimalField(
        max_digits=6, decimal_places=2, validators=[MinValueValidator(0)], help_text="Hours required per cycle."
    )
    accepted_credit_types = CodeSetField(
        codes=CreditType, help_text="Credit types that count; none ticked = any credit type."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["renewal_date", "id"]
        constraints = [models.CheckConstraint(condition=Q(hours_required__gte=0), name="licence_hours_not_negative")]
        indexes = [models.Index(fields=["user", "renewal_date"], name="licence_user_renewal")]

    def __str__(self) -> str:
        return f"{self.jurisdiction} {self.licence_type}"


class LicenceTopicRequirement(models.Model):
    """Hours a licence mandates on one topic per cycle, e.g. 3 hours on opioid prescribing."""

    licence = models.ForeignKey(Licence, on_delete=models.CASCADE, related_name="topic_requirements")
    topic = models.CharField(max_length=40, choices=MandatedTopic.choices)
    hours = models.DecimalField(max_digits=6, decimal_places=2, validators=[MinValueValidator(Decimal("0.25"))])

    class Meta:
        ordering = ["topic"]
        constraints = [
            models.UniqueConstraint(fields=["licence", "topic"], name="licence_topic_unique"),
            models.CheckConstraint(condition=Q(hours__gt=0), name="licence_topic_hours_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.hours} h {self.get_topic_display()}"


class GoalTrack(models.TextChoices):
    EXECUTIVE_LEADERSHIP = "executive_leadership", "Executive leadership (e.g. Chief Medical Officer)"
    QUALITY_IMPROVEMENT = "quality_improvement", "Quality-improvement lead"
    ADVANCED_PRACTICE = "advanced_practice", "Advanced-practice scope"
    DEPARTMENT_LEADERSHIP = "department_leadership", "Department leadership"
    CLINICAL_EXCELLENCE = "clinical_excellence", "Clinical excellence in a specialty"
    EDUCATION = "education", "Education"
    RESEARCH = "research", "Research"


WEIGHT_VALIDATORS = [MinValueValidator(0), MaxValueValidator(5)]


class CareerGoal(models.Model):
    """Where the clinician's career is going, and how much each selection factor matters."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="career_goals")
    track = models.CharField(max_length=32, choices=GoalTrack.choices)
    target_role = models.CharField(max_length=200, help_text="In your words, e.g. Chief Medical Officer.")
    competencies = CodeSetField(codes=Competency, help_text="Competencies to build.")
    essential_competencies = CodeSetField(codes=Competency, help_text="Of those, the essential ones.")
    horizon_date = models.DateField(null=True, blank=True)
    weight_outcome = models.PositiveSmallIntegerField(default=3, validators=WEIGHT_VALIDATORS)
    weight_independence = models.PositiveSmallIntegerField(default=3, validators=WEIGHT_VALIDATORS)
    weight_interprofessional = models.PositiveSmallIntegerField(default=3, validators=WEIGHT_VALIDATORS)
    weight_career = models.PositiveSmallIntegerField(default=3, validators=WEIGHT_VALIDATORS)
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_active", "-updated_at"]
        constraints = [
            models.UniqueConstraint(fields=["user"], condition=Q(is_active=True), name="goal_one_active_per_user"),
            models.CheckConstraint(
                condition=Q(weight_outcome__lte=5)
                & Q(weight_independence__lte=5)
                & Q(weight_interprofessional__lte=5)
                & Q(weight_career__lte=5),
                name="goal_weights_at_most_5",
            ),
            models.CheckConstraint(
                condition=Q(weight_outcome__gt=0)
                | Q(weight_independence__gt=0)
                | Q(weight_interprofessional__gt=0)
                | Q(weight_career__gt=0),
                name="goal_weights_not_all_zero",
                violation_error_message="At least one factor needs a weight above 0.",
            ),
        ]

    def __str__(self) -> str:
        return self.target_role


class ShortlistStatus(models.TextChoices):
    CONSIDERING = "considering", "Considering"
    PLANNED = "planned", "Planned"
    ENROLLED = "enrolled", "Enrolled"
    COMPLETED = "completed", "Completed"
    DROPPED = "dropped", "Dropped"


class ShortlistEntry(models.Model):
    """A program on the clinician's shortlist and where it stands."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shortlist")
    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="shortlist_entries")
    status = models.CharField(max_length=16, choices=ShortlistStatus.choices, default=ShortlistStatus.CONSIDERING)
    planned_on = models.DateField(null=True, blank=True)
    enrolled_on = models.DateField(null=True, blank=True)
    completed_on = models.DateField(null=True, blank=True)
    dropped_on = models.DateField(null=True, blank=True)
    note = models.TextField("private note", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name_plural = "shortlist entries"
        constraints = [models.UniqueConstraint(fields=["user", "program"], name="shortlist_unique_program")]
        indexes = [models.Index(fields=["user", "status"], name="shortlist_user_status")]

    def __str__(self) -> str:
        return f"{self.program} ({self.get_status_display()})"


class CreditClaim(models.Model):
    """CME the clinician completed: a catalog program or something outside the catalog."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="credit_claims")
    program = models.ForeignKey(
        "programs.Program", on_delete=models.SET_NULL, null=True, blank=True, related_name="credit_claims"
    )
    shortlist_entry = models.OneToOneField(
        ShortlistEntry, on_delete=models.SET_NULL, null=True, blank=True, related_name="credit_claim"
    )
    title = models.CharField(max_length=300)
    provider_name = models.CharField(max_length=300, blank=True)
    completed_on = models.DateField()
    topics = TagListField(help_text="Mandated topics this activity covered (e.g. opioids).")
    certificate = models.FileField(upload_to="certificates/%Y/%m/", blank=True)
    # From an imported transcript: the provider's certificate number or address, and the clinician's note.
    certificate_reference = models.CharField(max_length=500, blank=True)
    notes = models.TextField(blank=True)
    transcript_import = models.ForeignKey(
        "TranscriptImport", on_delete=models.SET_NULL, null=True, blank=True, related_name="claims"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-completed_on", "-id"]
        indexes = [models.Index(fields=["user", "completed_on"], name="claim_user_completed")]

    def __str__(self) -> str:
        return self.title


class CreditAmount(models.Model):
    """Credit of one type earned by a claim."""

    claim = models.ForeignKey(CreditClaim, on_delete=models.CASCADE, related_name="amounts")
    credit_type = models.CharField(max_length=32, choices=CreditType.choices)
    amount = models.DecimalField(max_digits=7, decimal_places=2, validators=[MinValueValidator(Decimal("0.25"))])

    class Meta:
        ordering = ["credit_type"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "credit_type"], name="claim_credit_type_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="claim_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.get_credit_type_display()}"


class TranscriptImportStatus(models.TextChoices):
    PENDING = "pending", "Waiting for confirmation"
    CONFIRMED = "confirmed", "Confirmed"


class TranscriptImport(models.Model):
    """A transcript file uploaded by a clinician, kept in storage until they confirm its preview."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="transcript_imports")
    file_name = models.CharField(max_length=255)  # as uploaded, for display
    stored_name = models.CharField(max_length=255, blank=True)  # in default_storage; emptied once confirmed
    status = models.CharField(
        max_length=16, choices=TranscriptImportStatus.choices, default=TranscriptImportStatus.PENDING
    )
    rows_written = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.file_name


class TranscriptMapping(models.Model):
    """The column mapping a clinician confirmed for files with this set of headers."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="transcript_mappings")
    header_key = models.CharField(max_length=64)  # SHA-256 of careers.transcript's header key
    columns = models.JSONField(default=dict)  # field -> normalized header name
    date_order = models.CharField(max_length=3, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "header_key"], name="transcript_mapping_unique")]

    def __str__(self) -> str:
        return f"mapping {self.header_key[:8]}"
