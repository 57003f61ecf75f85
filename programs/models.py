"""The program catalog: providers, programs (PARS activities), credit offerings, history."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .choices import (
    AccreditationStatus,
    Accreditor,
    ActivityFormat,
    CareerTrack,
    CommercialSupport,
    Competency,
    CreditType,
    Delivery,
    DesignedToChange,
    OutcomeLevel,
    Profession,
    ProgramStatus,
)
from .fields import CodeSetField, TagListField
from .ranking.scoring import StaticScores


class Provider(models.Model):
    """An organization that provides accredited (or unaccredited) education."""

    name = models.CharField(max_length=300, unique=True)
    accreditor = models.CharField(max_length=32, choices=Accreditor.choices, blank=True)
    accreditation_status = models.CharField(max_length=32, choices=AccreditationStatus.choices, blank=True)
    jointly_accredited = models.BooleanField(
        null=True, blank=True, help_text="Joint Accreditation for Interprofessional Continuing Education."
    )
    url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProgramQuerySet(models.QuerySet["Program"]):
    def published(self) -> ProgramQuerySet:
        return self.filter(status=ProgramStatus.PUBLISHED)

    def current(self, *, today: datetime.date | None = None) -> ProgramQuerySet:
        """Not over yet: ends today or later, or has no end date (on-demand)."""
        today = today or timezone.localdate()
        return self.filter(Q(end_date__isnull=True) | Q(end_date__gte=today))

    def visible_in_catalog(self) -> ProgramQuerySet:
        return self.published().current()

    def designed_for_several_professions(self) -> ProgramQuerySet:
        """Programs whose target audience names two professions or more (see Program.is_interprofessional_design)."""
        return self.filter(Q(professions__has_several=True))  # Q: the lookup takes a bool, not codes


class Program(models.Model):
    """A CME activity as PARS records it, with every field of the exchange format."""

    # No index of its own: program_unique_provider_external_id starts with it (migration 0011).
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="programs", db_index=False)
    external_id = models.CharField(max_length=200, help_text="The provider's own ID for the activity.")
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    format = models.CharField(max_length=32, choices=ActivityFormat.choices)
    delivery = models.CharField(max_length=32, choices=Delivery.choices, blank=True)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    location_city = models.CharField(max_length=120, blank=True)
    location_state = models.CharField(max_length=120, blank=True)
    location_country = models.CharField(max_length=120, blank=True)
    url = models.URLField(max_length=500, blank=True)

    fee_amount = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="0 = free; blank = unknown.",
    )
    fee_currency = models.CharField(max_length=3, default="USD")
    time_commitment_hours = models.DecimalField(
        max_digits=7, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(Decimal("0"))]
    )
    leave_days = models.DecimalField(
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Working days away from practice.",
    )
    moc_boards = TagListField("MOC boards")

    professions = CodeSetField(codes=Profession, help_text="Target audience; none ticked = open to all.")
    planning_professions = CodeSetField(codes=Profession, help_text="Professions on the planning team.")
    specialties = TagListField()
    topics = TagListField()
    competencies = CodeSetField(codes=Competency)
    career_tracks = CodeSetField(codes=CareerTrack)

    designed_to_change = CodeSetField(codes=DesignedToChange, help_text="What the activity intends to change.")
    outcome_level_measured = models.CharField(
        max_length=2,
        choices=OutcomeLevel.choices,
        blank=True,
        help_text="Highest Moore level the provider actually measures.",
    )
    publishes_outcomes = models.BooleanField(null=True, blank=True)
    outcomes_url = models.URLField("outcomes URL", max_length=500, blank=True)
    requires_practice_project = models.BooleanField(null=True, blank=True)
    ehr_integration = models.BooleanField("EHR integration", null=True, blank=True)

    commercial_support = models.CharField(
        max_length=16, choices=CommercialSupport.choices, blank=True, help_text="Blank = unknown."
    )
    commercial_supporters = TagListField()
    disclosures_published = models.BooleanField(null=True, blank=True)
    ancillary_marketing = models.BooleanField(null=True, blank=True)
    ipce_credit = models.BooleanField("IPCE credit", null=True, blank=True)

    status = models.CharField(max_length=16, choices=ProgramStatus.choices, default=ProgramStatus.DRAFT)

    source_url = models.URLField(max_length=500, blank=True, help_text="Where this listing was taken from.")
    last_verified_on = models.DateField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # program_verified_by, which leaves out the many listings nobody verified
    )

    # Goal-independent sub-scores in whole points (0..scoring.FULL), written from
    # programs.ranking.scoring whenever the listing changes (Program.static_points_set);
    # the ranking adds them up in SQL, exactly, as integers.
    outcome_points = models.PositiveSmallIntegerField(default=0, editable=False)
    independence_points = models.PositiveSmallIntegerField(default=0, editable=False)
    interprofessional_points = models.PositiveSmallIntegerField(default=0, editable=False)
    # Whether curated outcome evidence of past cohorts is verified (outcomes app). Kept
    # by outcomes.services whenever evidence is saved, (un)verified or deleted, so the
    # scoring here reads its own row and programs never imports outcomes.
    has_verified_outcome_evidence = models.BooleanField(default=False, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProgramQuerySet.as_manager()

    class Meta:
        ordering = ["title", "id"]
        permissions = [("publish_program", "Can publish or archive programs")]
        constraints = [
            models.UniqueConstraint(fields=["provider", "external_id"], name="program_unique_provider_external_id"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="program_end_not_before_start",
                violation_error_message="The end date cannot be before the start date.",
            ),
            models.CheckConstraint(
                condition=Q(fee_amount__isnull=True) | Q(fee_amount__gte=0),
                name="program_fee_not_negative",
                violation_error_message="The fee cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(time_commitment_hours__isnull=True) | Q(time_commitment_hours__gte=0),
                name="program_time_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(leave_days__isnull=True) | Q(leave_days__gte=0), name="program_leave_not_negative"
            ),
            models.CheckConstraint(condition=Q(status__in=ProgramStatus.values), name="program_status_valid"),
            models.CheckConstraint(
                condition=Q(outcome_points__lte=1000)
                & Q(independence_points__lte=1000)
                & Q(interprofessional_points__lte=1000),
                name="program_points_at_most_full",
            ),
            models.CheckConstraint(
                condition=Q(outcome_level_measured__in=["", *OutcomeLevel.values]),
                name="program_outcome_level_valid",
            ),
            models.CheckConstraint(
                condition=Q(commercial_support__in=["", *CommercialSupport.values]),
                name="program_commercial_support_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "end_date"], name="program_status_end"),
            models.Index(fields=["status", "start_date"], name="program_status_start"),
            models.Index(fields=["status", "fee_amount"], name="program_status_fee"),
            models.Index(fields=["status", "format"], name="program_status_format"),
            models.Index(fields=["status", "delivery"], name="program_status_delivery"),
            models.Index(fields=["status", "outcome_level_measured"], name="program_status_outcome"),
            models.Index(fields=["status", "location_state"], name="program_status_state"),
            models.Index(fields=["status", "title", "id"], name="program_status_title"),
            models.Index(fields=["updated_at"], name="program_updated"),
            models.Index(fields=["verified_by"], condition=Q(verified_by__isnull=False), name="program_verified_by"),
            # The ranking's point classes (programs.ranking.queries.ranked_catalog_page): a page is
            # read from the few rows whose stored points put them on it.
            models.Index(
                fields=["outcome_points", "independence_points", "interprofessional_points"], name="program_points"
            ),
            # PostgreSQL-only indexes (the full-text search document, tag keys, city key)
            # are created by migration 0006 so SQLite can run the same migrations.
        ]

    def __str__(self) -> str:
        return self.title

    STATIC_POINT_FIELDS = ("outcome_points", "independence_points", "interprofessional_points")

    def static_points_set(self, scores: StaticScores) -> None:
        """Store the goal-independent sub-scores the scoring module computed (does not save)."""
        self.outcome_points = scores.outcome
        self.independence_points = scores.independence
        self.interprofessional_points = scores.interprofessional

    @property
    def is_interprofessional_design(self) -> bool:
        """Designed for several professions: its target audience names two or more.

        The rule a team enrolment holds a program to (supervision.services.proposals_create);
        an audience left empty means "open to all", which is not a design for a team.
        """
        return len(self.professions) >= 2

    @property
    def is_free(self) -> bool:
        return self.fee_amount is not None and self.fee_amount == 0


class CreditOffering(models.Model):
    """Credit of one type that a program designates, e.g. 185 AMA PRA Category 1."""

    # No index of its own: credit_unique_type_per_program starts with it (migration 0011).
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="credit_offerings", db_index=False)
    credit_type = models.CharField(max_length=32, choices=CreditType.choices)
    amount = models.DecimalField(max_digits=7, decimal_places=2, validators=[MinValueValidator(Decimal("0.25"))])

    class Meta:
        ordering = ["program", "credit_type"]
        constraints = [
            models.UniqueConstraint(fields=["program", "credit_type"], name="credit_unique_type_per_program"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="credit_amount_positive"),
            models.CheckConstraint(condition=Q(credit_type__in=CreditType.values), name="credit_type_valid"),
        ]
        indexes = [models.Index(fields=["credit_type", "program"], name="credit_type_program")]

    def __str__(self) -> str:
        return f"{self.amount} {self.get_credit_type_display()}"


class CatalogVersion(models.Model):
    """One row (id 1) whose value changes with every committed write to the tables the ranked catalog reads.

    Kept by database triggers only (migration 0009; programs.catalog_version.VERSIONED_TABLES), so the
    ORM, bulk COPY, raw SQL, the admin and fixtures all move it. The ranking caches what it computed
    under this value (programs.ranking.queries); nothing in Python writes it.
    """

    value = models.BigIntegerField()

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="catalog_version_single_row")]

    def __str__(self) -> str:
        return f"catalog version {self.value}"


class CatalogChange(models.Model):
    """PostgreSQL: marks a transaction that wrote to the catalog, until its commit moves the version.

    A statement trigger inserts the transaction's id; a deferred trigger bumps CatalogVersion at
    commit and deletes the mark, so the version row is locked only for the instant of the commit
    (never across a long import, and never in an order that could deadlock with row locks). Only
    the writing transaction ever sees its mark: readers take a visible mark to mean "this
    transaction changed the catalog itself" and read around the cache. Unused on SQLite.
    """

    txid = models.BigIntegerField(primary_key=True)

    def __str__(self) -> str:
        return f"catalog changed by transaction {self.txid}"


class DraftAwaitingReview(Program):
    """Drafts, oldest first: the curators' review list in the admin."""

    class Meta:
        proxy = True
        verbose_name = "draft awaiting review"
        verbose_name_plural = "drafts awaiting review"


class ChangeSource(models.TextChoices):
    ADMIN = "admin", "Django admin"
    CURATION = "curation", "Curation form"
    IMPORT = "import", "Import"
    REVIEW = "review", "Review queue"
    SEED = "seed", "Demo seed"
    SYSTEM = "system", "System"


class ChangeAction(models.TextChoices):
    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"
    DELETED = "deleted", "Deleted"


class ChangeLogEntry(models.Model):
    """One change to a program or provider: who, when, from where, and what changed.

    `changes` maps each changed exchange-format field to `[before, after]`.
    """

    # No indexes of their own: change_program_time and change_provider_time start with them (migration 0011).
    program = models.ForeignKey(
        Program, on_delete=models.SET_NULL, null=True, blank=True, related_name="history", db_index=False
    )
    provider = models.ForeignKey(
        Provider, on_delete=models.SET_NULL, null=True, blank=True, related_name="history", db_index=False
    )
    object_repr = models.CharField(max_length=300)
    action = models.CharField(max_length=16, choices=ChangeAction.choices)
    source = models.CharField(max_length=16, choices=ChangeSource.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    import_job_id = models.BigIntegerField(null=True, blank=True)
    changes = models.JSONField(default=dict)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "change history entry"
        verbose_name_plural = "change history"
        indexes = [
            models.Index(fields=["program", "-created_at"], name="change_program_time"),
            models.Index(fields=["provider", "-created_at"], name="change_provider_time"),
            models.Index(fields=["import_job_id"], name="change_import_job"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(program__isnull=False) | Q(provider__isnull=False) | Q(action=ChangeAction.DELETED),
                name="change_has_target",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_repr}"


class ImportJobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Finished"
    FAILED = "failed", "Failed"
    REJECTED = "rejected", "Rejected (file not imported)"


class ImportFileFormat(models.TextChoices):
    CSV = "csv", "CSV"
    JSON = "json", "JSON"


class ImportJob(models.Model):
    """One uploaded exchange-format file and what importing it did (programs.exchange.jobs).

    The file lives in private media (MEDIA_ROOT, never served statically).
    `run_token` and `heartbeat_at` form the lease that keeps a job to one run
    at a time; `last_row` is the last row whose batch committed, so a re-run
    resumes after it.
    """

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    file = models.FileField(upload_to="imports/%Y/%m/", max_length=300, blank=True)
    file_name = models.CharField(max_length=255)
    file_size = models.BigIntegerField(default=0)
    sha256 = models.CharField("SHA-256 checksum", max_length=64, blank=True)
    file_format = models.CharField(max_length=8, choices=ImportFileFormat.choices)
    publish = models.BooleanField(default=False, help_text="Publish imported listings instead of queueing for review.")
    status = models.CharField(max_length=16, choices=ImportJobStatus.choices, default=ImportJobStatus.QUEUED)
    message = models.TextField(blank=True, help_text="Why the file was rejected or the job failed.")
    notice = models.TextField(blank=True, help_text="Warnings about the whole file, e.g. unknown columns ignored.")

    rows_total = models.PositiveIntegerField(null=True, blank=True)
    rows_done = models.PositiveIntegerField(default=0)
    last_row = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    held_count = models.PositiveIntegerField(default=0, help_text="Changes to published listings held for review.")
    error_count = models.PositiveIntegerField(default=0)

    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    run_token = models.CharField(max_length=64, blank=True)
    enqueue_attempts = models.PositiveIntegerField(default=0)
    enqueue_attempted_at = models.DateTimeField(null=True, blank=True)
    last_enqueue_error = models.CharField(
        max_length=500, blank=True, help_text="Why the last attempt to queue the job failed; blank once queued."
    )

    class Meta:
        ordering = ["-queued_at", "-id"]
        indexes = [models.Index(fields=["status", "queued_at"], name="importjob_status_queued")]
        constraints = [
            # A file (by content) is imported by one job at a time: a second upload is told it is running.
            models.UniqueConstraint(
                fields=["sha256"],
                condition=models.Q(status__in=["queued", "running"]),
                name="importjob_one_unfinished_per_file",
            )
        ]

    def __str__(self) -> str:
        return f"Import #{self.pk} {self.file_name}"

    @property
    def is_finished(self) -> bool:
        return self.status in {ImportJobStatus.SUCCEEDED, ImportJobStatus.FAILED, ImportJobStatus.REJECTED}

    @property
    def percent_done(self) -> int:
        if not self.rows_total:
            return 100 if self.is_finished else 0
        return min(100, round(100 * self.rows_done / self.rows_total))


class ImportRowError(models.Model):
    """One row the import did not write, with the field, the bad value and what is allowed."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="row_errors")
    row_number = models.PositiveIntegerField()
    field = models.CharField(max_length=100, blank=True)
    value = models.TextField(blank=True)
    message = models.TextField()

    class Meta:
        ordering = ["row_number", "id"]
        indexes = [models.Index(fields=["job", "row_number"], name="importrowerror_job_row")]

    def __str__(self) -> str:
        return f"Row {self.row_number}: {self.field} {self.message}"


class RevisionStatus(models.TextChoices):
    PENDING = "pending", "Awaiting review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    SUPERSEDED = "superseded", "Superseded"


class ProgramRevision(models.Model):
    """A proposed change to a published listing, held until a curator reviews it.

    `record` is the full canonical exchange record to apply on approval; the
    live listing stays as it is until then. `source` says where it came from:
    an import (`import_job`) or the curation form (`proposed_by`).
    """

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="revisions")
    record = models.JSONField()
    # What the proposal changed against the live listing when it was made: {field: [before, after]}.
    changes = models.JSONField(default=dict, blank=True)
    import_job = models.ForeignKey(
        ImportJob, on_delete=models.SET_NULL, null=True, blank=True, related_name="revisions"
    )
    source = models.CharField(max_length=16, choices=ChangeSource.choices, default=ChangeSource.IMPORT)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=16, choices=RevisionStatus.choices, default=RevisionStatus.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["program"], condition=Q(status="pending"), name="revision_one_pending_per_program"
            )
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="revision_status_created")]

    def __str__(self) -> str:
        return f"Revision of {self.program}"
