"""Curation in the Django admin: listings, providers, credits, review and history."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, StreamingHttpResponse
from django.utils.html import format_html_join

from accounts.models import User

from .choices import ProgramStatus
from .curation.editing import revision_propose
from .exchange.format import program_record, provider_record, record_changes
from .models import (
    ChangeLogEntry,
    ChangeSource,
    CreditOffering,
    DraftAwaitingReview,
    ImportJob,
    Program,
    Provider,
)
from .services import (
    program_history_for_delete,
    program_history_record,
    program_restore_record,
    program_scores_apply,
    programs_set_status,
    provider_history_record,
)


def _staff_user(request: HttpRequest) -> User:
    """The signed-in user of an admin request: the admin site lets in no one else (active staff only)."""
    return cast(User, request.user)


class CreditOfferingInline(admin.TabularInline[CreditOffering, Program]):
    model = CreditOffering
    extra = 1


_HISTORY_FIELDS = ("created_at", "actor", "source", "action", "changed_fields", "note")


class ProgramHistoryInline(admin.TabularInline[ChangeLogEntry, Program]):
    model = ChangeLogEntry
    fk_name = "program"
    extra = 0
    max_num = 0
    can_delete = False
    ordering = ["-created_at", "-id"]
    fields = _HISTORY_FIELDS
    readonly_fields = _HISTORY_FIELDS
    verbose_name_plural = "Change history (who, when, what changed)"

    @admin.display(description="What changed")
    def changed_fields(self, entry: ChangeLogEntry) -> str:
        return format_html_join(
            "", "<div><strong>{}</strong>: {} &rarr; {}</div>", ((k, v[0], v[1]) for k, v in entry.changes.items())
        )


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin[Provider]):
    list_display = ["name", "accreditor", "accreditation_status", "jointly_accredited"]
    list_filter = ["accreditor", "accreditation_status", "jointly_accredited"]
    search_fields = ["name"]

    def save_model(self, request: HttpRequest, obj: Provider, form: ModelForm[Provider], change: bool) -> None:
        before = provider_record(Provider.objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        provider_history_record(provider=obj, before=before, actor=_staff_user(request), source=ChangeSource.ADMIN)


class NeedsVerificationFilter(admin.SimpleListFilter):
    title = "verification"
    parameter_name = "verification"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("never", "Never verified"), ("stale", "Not verified in over a year")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Program]) -> QuerySet[Program]:
        import datetime

        from django.utils import timezone

        if self.value() == "never":
            return queryset.filter(last_verified_on__isnull=True)
        if self.value() == "stale":
            return queryset.filter(last_verified_on__lt=timezone.localdate() - datetime.timedelta(days=365))
        return queryset


class QualityHintFilter(admin.SimpleListFilter):
    """Curator quality hints that a query can find (the description hint shows in the column only)."""

    title = "quality hint"
    parameter_name = "hint"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        from .curation.quality import HINT_LABELS

        return [(code, label) for code, label in HINT_LABELS.items() if code != "description_only_hours_and_topics"]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Program]) -> QuerySet[Program]:
        from django.utils import timezone

        from .curation.quality import EVIDENCE_EXPECTED_LEVELS, VERIFICATION_MAX_AGE

        today = timezone.localdate()
        if self.value() == "outcome_without_evidence":
            return queryset.filter(outcome_level_measured__in=sorted(EVIDENCE_EXPECTED_LEVELS), outcomes_url="")
        if self.value() == "supporter_not_named":
            return queryset.filter(commercial_support__in=["disclosed", "undisclosed"], commercial_supporters=[])
        if self.value() == "past_but_published":
            return queryset.filter(status=ProgramStatus.PUBLISHED, end_date__lt=today)
        if self.value() == "verification_stale":
            return queryset.filter(last_verified_on__lt=today - VERIFICATION_MAX_AGE)
        return queryset


@admin.display(description="Quality hints")
def quality_hints_column(program: Program) -> str:
    from .curation.review import hints_for_program

    return "; ".join(hint.label for hint in hints_for_program(program)) or "-"


def _export_response(queryset: QuerySet[Program], file_format: str) -> StreamingHttpResponse:
    from django.utils import timezone

    from .exchange.exports import export_lines

    content_type = "application/json" if file_format == "json" else "text/csv; charset=utf-8"
    response = StreamingHttpResponse(export_lines(queryset, file_format=file_format), content_type=content_type)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="programs-{stamp}.{file_format}"'
    return response


@admin.action(description="Export selected programs (CSV, exchange format)")
def export_selected_csv(
    modeladmin: admin.ModelAdmin[Program], request: HttpRequest, queryset: QuerySet[Program]
) -> StreamingHttpResponse:
    return _export_response(queryset, "csv")


@admin.action(description="Export selected programs (JSON, exchange format)")
def export_selected_json(
    modeladmin: admin.ModelAdmin[Program], request: HttpRequest, queryset: QuerySet[Program]
) -> StreamingHttpResponse:
    return _export_response(queryset, "json")


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin[Program]):
    list_display = [
        "title",
        "provider",
        "status",
        "format",
        "delivery",
        "start_date",
        "fee_amount",
        "updated_at",
        quality_hints_column,
    ]
    list_filter = [
        QualityHintFilter,
        "status",
        "format",
        "delivery",
        "provider__accreditor",
        "commercial_support",
        "outcome_level_measured",
        NeedsVerificationFilter,
    ]
    search_fields = ["title", "external_id", "provider__name", "description"]
    list_select_related = ["provider"]
    autocomplete_fields = ["provider"]
    date_hierarchy = "start_date"
    inlines = [CreditOfferingInline, ProgramHistoryInline]
    actions = ["publish_selected", "archive_selected", export_selected_csv, export_selected_json]
    readonly_fields = [*Program.STATIC_POINT_FIELDS, "created_at", "updated_at"]
    fieldsets = [
        ("Listing", {"fields": ["provider", "external_id", "title", "description", "status"]}),
        (
            "When and where",
            {
                "fields": [
                    "format",
                    "delivery",
                    ("start_date", "end_date"),
                    ("location_city", "location_state", "location_country"),
                    "url",
                ]
            },
        ),
        (
            "Cost and time",
            {"fields": [("fee_amount", "fee_currency"), "time_commitment_hours", "leave_days", "moc_boards"]},
        ),
        (
            "Audience and content",
            {
                "fields": [
                    "professions",
                    "planning_professions",
                    "specialties",
                    "topics",
                    "competencies",
                    "career_tracks",
                ]
            },
        ),
        (
            "Outcomes",
            {
                "fields": [
                    "outcome_level_measured",
                    "designed_to_change",
                    "publishes_outcomes",
                    "outcomes_url",
                    "requires_practice_project",
                    "ehr_integration",
                ]
            },
        ),
        (
            "Independence and interprofessional design",
            {
                "fields": [
                    "commercial_support",
                    "commercial_supporters",
                    "disclosures_published",
                    "ancillary_marketing",
                    "ipce_credit",
                ]
            },
        ),
        ("Provenance", {"fields": ["source_url", ("last_verified_on", "verified_by")]}),
        (
            "Stored sub-scores (computed)",
            {"classes": ["collapse"], "fields": list(Program.STATIC_POINT_FIELDS)},
        ),
        ("Dates", {"classes": ["collapse"], "fields": ["created_at", "updated_at"]}),
    ]

    def save_model(self, request: HttpRequest, obj: Program, form: ModelForm[Program], change: bool) -> None:
        before = None
        if change:
            stored = Program.objects.select_related("provider").prefetch_related("credit_offerings").get(pk=obj.pk)
            before = program_record(stored)
        # Carried on the instance to save_related, which records the history once the credits are saved.
        obj._history_before = before  # type: ignore[attr-defined]  # ad-hoc attribute Program does not declare
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: ModelForm[Program], formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        program = (
            Program.objects.select_related("provider").prefetch_related("credit_offerings").get(pk=form.instance.pk)
        )
        before = getattr(form.instance, "_history_before", None)
        if before is not None and before["status"] == ProgramStatus.PUBLISHED:
            changes = record_changes(before, program_record(program))
            if changes:
                # The same rule as the curation form: a change to a published listing waits for review.
                revision_propose(
                    program=program,
                    record=program_record(program),
                    changes=changes,
                    actor=_staff_user(request),
                    source=ChangeSource.ADMIN,
                )
                program_restore_record(program, before)
                self.message_user(
                    request,
                    "The listing is published: your change waits in the review queue; the live listing is unchanged.",
                    messages.WARNING,
                )
                return
        program_scores_apply(program)
        program.save(update_fields=list(Program.STATIC_POINT_FIELDS))
        program_history_record(
            program=program,
            before=getattr(form.instance, "_history_before", None),
            actor=_staff_user(request),
            source=ChangeSource.ADMIN,
        )

    def delete_model(self, request: HttpRequest, obj: Program) -> None:
        program_history_for_delete(program=obj, actor=_staff_user(request), source=ChangeSource.ADMIN)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Program]) -> None:
        for program in queryset.select_related("provider").prefetch_related("credit_offerings"):
            program_history_for_delete(program=program, actor=_staff_user(request), source=ChangeSource.ADMIN)
        super().delete_queryset(request, queryset)

    @admin.action(description="Publish selected programs", permissions=["publish"])
    def publish_selected(self, request: HttpRequest, queryset: QuerySet[Program]) -> None:
        self._status_set(request, queryset, ProgramStatus.PUBLISHED, done="Published")

    @admin.action(description="Archive selected programs", permissions=["publish"])
    def archive_selected(self, request: HttpRequest, queryset: QuerySet[Program]) -> None:
        self._status_set(request, queryset, ProgramStatus.ARCHIVED, done="Archived")

    def _status_set(self, request: HttpRequest, queryset: QuerySet[Program], status: str, *, done: str) -> None:
        count = programs_set_status(
            program_ids=list(queryset.values_list("pk", flat=True)),
            status=status,
            actor=_staff_user(request),
        )
        self.message_user(request, f"{done} {count} program(s).", messages.SUCCESS)

    def has_publish_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("programs.publish_program")


@admin.register(DraftAwaitingReview)
class DraftAwaitingReviewAdmin(ProgramAdmin):
    list_display = ["title", "provider", "format", "start_date", "updated_at", quality_hints_column]
    list_filter = ["format", "delivery", "provider__accreditor"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Program]:
        return super().get_queryset(request).filter(status=ProgramStatus.DRAFT).order_by("updated_at")


@admin.register(ChangeLogEntry)
class ChangeLogEntryAdmin(admin.ModelAdmin[ChangeLogEntry]):
    list_display = ["created_at", "object_repr", "action", "source", "actor", "import_job_id"]
    list_filter = ["action", "source"]
    search_fields = ["object_repr", "actor__email", "note"]
    list_select_related = ["actor"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in ChangeLogEntry._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin[ImportJob]):
    """Import jobs, read-only; the curator pages show progress and the full report."""

    list_display = ["__str__", "created_by", "status", "queued_at", "created_count", "error_count", "report_link"]
    list_filter = ["status", "file_format", "publish"]
    list_select_related = ["created_by"]
    readonly_fields = [f.name for f in ImportJob._meta.fields]

    @admin.display(description="Report")
    def report_link(self, job: ImportJob) -> str:
        from django.urls import reverse
        from django.utils.html import format_html

        return format_html(
            '<a href="{}">Progress and report</a>', reverse("programs:curation:import_detail", args=[job.pk])
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
