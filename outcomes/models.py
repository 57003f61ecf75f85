"""Practice-outcome projects, their measurements and presentations, program outcome
evidence curated by the CME office, and portfolio share links.

Outcome records hold aggregate data only (counts, means, rates), never patient-level
data; free-text fields are checked by outcomes.privacy before they are saved.
"""

from __future__ import annotations

import datetime
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from cme_portal.tokens import token_digest_unusable
from programs.choices import OutcomeLevel, Profession
from programs.fields import TagListField

PRACTICE_OUTCOME_LEVELS = frozenset({"5", "6", "7"})


class MeasureKind(models.TextChoices):
    PROPORTION = "proportion", "Proportion (numerator / denominator)"
    MEAN = "mean", "Mean (with n and standard deviation)"
    RATE = "rate", "Rate (e.g. per 1,000 patient-days)"
    COUNT = "count", "Count"
    DURATION = "duration", "Duration (e.g. days, minutes)"


class ProjectStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    IMPLEMENTING = "implementing", "Implementing the change"
    MEASURING = "measuring", "Measuring"
    REPORTED = "reported", "Reported"


class VenueKind(models.TextChoices):
    DEPARTMENT = "department", "Department meeting"
    SYSTEM = "system", "System-wide meeting"
    CONFERENCE = "conference", "Conference"
    PUBLICATION = "publication", "Publication"


class ValueFields(models.Model):
    """The value of one period with its n, shaped by the measure kind.

    proportion: numerator and denominator; mean: value (the mean), n and optionally sd;
    rate, count, duration: value and optionally n (and sd for durations).
    """

    numerator = models.PositiveIntegerField(null=True, blank=True)
    denominator = models.PositiveIntegerField(null=True, blank=True)
    value = models.FloatField(null=True, blank=True)
    n = models.PositiveIntegerField("n", null=True, blank=True)
    sd = models.FloatField("standard deviation", null=True, blank=True)

    class Meta:
        abstract = True


class OutcomeProject(models.Model):
    """A practice-improvement project: a gap, a change, a measure over time and its result."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="outcome_projects")
    title = models.CharField(max_length=200)
    gap_statement = models.TextField("practice gap", help_text="What happens now versus what should happen.")
    setting = models.CharField(
        max_length=200, blank=True, help_text="Clinic, unit or service, e.g. 27 outpatient clinics."
    )
    measure_name = models.CharField(
        max_length=200, help_text="e.g. First-line antibiotic prescribed for pediatric UTI."
    )
    measure_kind = models.CharField(max_length=16, choices=MeasureKind.choices)
    measure_unit = models.CharField(max_length=60, blank=True, help_text="e.g. days, per 1,000 patient-days.")
    higher_is_better = models.BooleanField(default=True)
    moore_level = models.CharField(
        "Moore level of the measure", max_length=2, choices=OutcomeLevel.choices, default=OutcomeLevel.PERFORMANCE
    )
    baseline_start = models.DateField()
    baseline_end = models.DateField()
    baseline_numerator = models.PositiveIntegerField(null=True, blank=True)
    baseline_denominator = models.PositiveIntegerField(null=True, blank=True)
    baseline_value = models.FloatField(null=True, blank=True)
    baseline_n = models.PositiveIntegerField("baseline n", null=True, blank=True)
    baseline_sd = models.FloatField("baseline standard deviation", null=True, blank=True)
    target_value = models.FloatField(
        null=True, blank=True, help_text="In the measure's display units (a percentage for proportions)."
    )
    change_implemented = models.TextField(blank=True)
    co_interventions = TagListField(help_text="Other changes made at the same time (guideline, EHR order set ...).")
    linked_programs = models.ManyToManyField("programs.Program", blank=True, related_name="outcome_projects")
    linked_claims = models.ManyToManyField("careers.CreditClaim", blank=True, related_name="outcome_projects")
    status = models.CharField(max_length=16, choices=ProjectStatus.choices, default=ProjectStatus.PLANNED)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["owner", "-updated_at"], name="outcome_project_owner")]
        constraints = [
            models.CheckConstraint(
                condition=Q(baseline_end__gte=models.F("baseline_start")), name="outcome_baseline_ordered"
            ),
            models.CheckConstraint(condition=Q(measure_kind__in=MeasureKind.values), name="outcome_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=ProjectStatus.values), name="outcome_status_valid"),
        ]

    def __str__(self) -> str:
        return self.title

    # The project's own figures and text as the clinician enters them: the project form edits
    # these (with the co-interventions and links), the portfolio export writes them.
    ENTERED_FIELDS = (
        "title",
        "gap_statement",
        "setting",
        "measure_name",
        "measure_kind",
        "measure_unit",
        "higher_is_better",
        "moore_level",
        "baseline_start",
        "baseline_end",
        "baseline_numerator",
        "baseline_denominator",
        "baseline_value",
        "baseline_n",
        "baseline_sd",
        "target_value",
        "change_implemented",
        "status",
    )

    @property
    def is_practice_outcome(self) -> bool:
        return self.moore_level in PRACTICE_OUTCOME_LEVELS

    @property
    def is_proportion(self) -> bool:
        return self.measure_kind == MeasureKind.PROPORTION

    @property
    def display_unit(self) -> str:
        return "%" if self.is_proportion else self.measure_unit


class ProjectTeamMember(models.Model):
    """A member of the project team (a colleague, not a patient) and their profession."""

    project = models.ForeignKey(OutcomeProject, on_delete=models.CASCADE, related_name="team_members")
    name = models.CharField(max_length=200)
    profession = models.CharField(max_length=32, choices=Profession.choices)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_profession_display()})"


class Measurement(ValueFields):
    """The measure's aggregate value over one period after the baseline."""

    project = models.ForeignKey(OutcomeProject, on_delete=models.CASCADE, related_name="measurements")
    period_start = models.DateField()
    period_end = models.DateField()
    data_source = models.CharField(max_length=200, blank=True, help_text="e.g. EHR report, chart audit of 40 charts.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["period_start", "id"]
        indexes = [models.Index(fields=["project", "period_start"], name="measurement_project_period")]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="measurement_period_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period_start} to {self.period_end}"


class Presentation(models.Model):
    """Where the project's result was presented or published."""

    project = models.ForeignKey(OutcomeProject, on_delete=models.CASCADE, related_name="presentations")
    venue_kind = models.CharField(max_length=16, choices=VenueKind.choices)
    title = models.CharField(max_length=300)
    presented_on = models.DateField("date")
    audience = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-presented_on", "-id"]

    def __str__(self) -> str:
        return self.title


class ProgramOutcomeEvidence(models.Model):
    """A published outcome of a program's past cohorts, curated by the CME office.

    Only verified rows count as the "publishes outcomes" signal of the scoring and are
    shown as fact; unverified rows are labelled as the provider's claim.
    """

    program = models.ForeignKey("programs.Program", on_delete=models.CASCADE, related_name="outcome_evidence")
    metric = models.CharField(max_length=300, help_text="e.g. First-line antibiotic use for pediatric UTI.")
    baseline = models.CharField(max_length=100, help_text="e.g. 43.4%")
    follow_up = models.CharField("follow-up", max_length=100, help_text="e.g. 62.4%")
    significance = models.CharField(max_length=100, blank=True, help_text="As published, e.g. P < .0001.")
    n = models.PositiveIntegerField("n", null=True, blank=True)
    n_unit = models.CharField("n counts", max_length=100, blank=True, help_text="e.g. UTIs, patients, clinicians.")
    time_window = models.CharField(max_length=200, help_text="e.g. 18 months, 27 outpatient clinics.")
    moore_level = models.CharField(max_length=2, choices=OutcomeLevel.choices)
    source_url = models.URLField("source URL", max_length=500)
    verified = models.BooleanField(default=False)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    verified_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-verified", "metric", "id"]
        verbose_name = "program outcome evidence"
        verbose_name_plural = "program outcome evidence"
        indexes = [models.Index(fields=["program", "verified"], name="evidence_program_verified")]

    def __str__(self) -> str:
        return f"{self.metric}: {self.baseline} -> {self.follow_up}"


def new_share_token() -> str:
    """Kept for migration 0001, which named it as the field default; tokens are now stored hashed."""
    return secrets.token_urlsafe(32)


class PortfolioShareLink(models.Model):
    """A read-only link to a clinician's portfolio, with an expiry date; revocable."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portfolio_links")
    # The SHA-256 of the link's token (cme_portal.tokens); the link itself is shown once, when made.
    token_digest = models.CharField(max_length=64, unique=True, default=token_digest_unusable, editable=False)
    label = models.CharField(max_length=200, blank=True, help_text="Who it is for, e.g. 2026 performance review.")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_on = models.DateField(help_text="The link stops working after this day.")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.label or f"Share link created {self.created_at:%Y-%m-%d}"

    def is_active(self, *, today: datetime.date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.revoked_at is None and self.expires_on >= today


class PortfolioShareAccess(models.Model):
    """One opening of a share link: when, a keyed hash of the IP address, the browser."""

    link = models.ForeignKey(PortfolioShareLink, on_delete=models.CASCADE, related_name="accesses")
    accessed_at = models.DateTimeField(default=timezone.now)
    ip_hash = models.CharField(max_length=64, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-accessed_at", "-id"]
        verbose_name_plural = "portfolio share accesses"

    def __str__(self) -> str:
        return f"Opened {self.accessed_at:%Y-%m-%d %H:%M}"
