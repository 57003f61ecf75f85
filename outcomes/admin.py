"""Curation of program outcome evidence. Outcome projects are private to their owners and
are deliberately not registered here."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils import timezone

from .models import ProgramOutcomeEvidence
from .services import evidence_program_scores_refresh, evidence_set_verified


@admin.register(ProgramOutcomeEvidence)
class ProgramOutcomeEvidenceAdmin(admin.ModelAdmin):
    list_display = ["metric", "program", "baseline", "follow_up", "n", "time_window", "moore_level", "verified"]
    list_filter = ["verified", "moore_level"]
    search_fields = ["metric", "program__title", "source_url"]
    list_select_related = ["program"]
    autocomplete_fields = ["program"]
    readonly_fields = ["verified_by", "verified_on", "created_at"]
    actions = ["mark_verified", "mark_not_verified"]
    fieldsets = [
        (None, {"fields": ["program", "metric", "moore_level"]}),
        (
            "Figures as published",
            {"fields": [("baseline", "follow_up"), "significance", ("n", "n_unit"), "time_window"]},
        ),
        (
            "Verification",
            {
                "fields": ["source_url", "verified", ("verified_by", "verified_on"), "created_at"],
                "description": "Tick verified only after checking every figure against the source. "
                "Only verified evidence is shown as fact and counts for the program's outcome score.",
            },
        ),
    ]

    def save_model(self, request: HttpRequest, obj: ProgramOutcomeEvidence, form: ModelForm, change: bool) -> None:
        previous_program_id = None
        if change:
            stored = ProgramOutcomeEvidence.objects.get(pk=obj.pk)
            previous_program_id = stored.program_id
            was_verified = stored.verified
        else:
            was_verified = False
        if obj.verified and (not was_verified or obj.verified_on is None):
            obj.verified_by = request.user  # type: ignore[assignment]
            obj.verified_on = timezone.localdate()
        elif not obj.verified:
            obj.verified_by = None
            obj.verified_on = None
        super().save_model(request, obj, form, change)
        evidence_program_scores_refresh(program_ids={obj.program_id, previous_program_id} - {None})

    def delete_model(self, request: HttpRequest, obj: ProgramOutcomeEvidence) -> None:
        program_id = obj.program_id
        super().delete_model(request, obj)
        evidence_program_scores_refresh(program_ids=[program_id])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ProgramOutcomeEvidence]) -> None:
        program_ids = set(queryset.values_list("program_id", flat=True))
        super().delete_queryset(request, queryset)
        evidence_program_scores_refresh(program_ids=program_ids)

    @admin.action(description="Mark selected evidence verified (records you and today)")
    def mark_verified(self, request: HttpRequest, queryset: QuerySet[ProgramOutcomeEvidence]) -> None:
        for evidence in queryset:
            evidence_set_verified(evidence=evidence, verified=True, actor=request.user)  # type: ignore[arg-type]
        self.message_user(request, f"Marked {len(queryset)} as verified.", messages.SUCCESS)

    @admin.action(description="Mark selected evidence not verified")
    def mark_not_verified(self, request: HttpRequest, queryset: QuerySet[ProgramOutcomeEvidence]) -> None:
        for evidence in queryset:
            evidence_set_verified(evidence=evidence, verified=False, actor=request.user)  # type: ignore[arg-type]
        self.message_user(request, f"Marked {len(queryset)} as not verified.", messages.SUCCESS)
