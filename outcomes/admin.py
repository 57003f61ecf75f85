"""Curation of program outcome evidence. Outcome projects are private to their owners and
are deliberately not registered here."""

from __future__ import annotations

from typing import cast

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from accounts.models import User

from .models import ProgramOutcomeEvidence
from .services import evidence_delete, evidence_save, evidence_set_verified


def _curator(request: HttpRequest) -> User:
    """The signed-in staff user: the admin site lets no one else reach a ModelAdmin method."""
    return cast(User, request.user)


@admin.register(ProgramOutcomeEvidence)
class ProgramOutcomeEvidenceAdmin(admin.ModelAdmin[ProgramOutcomeEvidence]):
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

    def save_model(
        self, request: HttpRequest, obj: ProgramOutcomeEvidence, form: ModelForm[ProgramOutcomeEvidence], change: bool
    ) -> None:
        evidence_save(evidence=obj, actor=_curator(request))

    def delete_model(self, request: HttpRequest, obj: ProgramOutcomeEvidence) -> None:
        evidence_delete(evidence_ids=[obj.pk])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ProgramOutcomeEvidence]) -> None:
        evidence_delete(evidence_ids=queryset.values_list("pk", flat=True))

    @admin.action(description="Mark selected evidence verified (records you and today)")
    def mark_verified(self, request: HttpRequest, queryset: QuerySet[ProgramOutcomeEvidence]) -> None:
        for evidence in queryset:
            evidence_set_verified(evidence=evidence, verified=True, actor=_curator(request))
        self.message_user(request, f"Marked {len(queryset)} as verified.", messages.SUCCESS)

    @admin.action(description="Mark selected evidence not verified")
    def mark_not_verified(self, request: HttpRequest, queryset: QuerySet[ProgramOutcomeEvidence]) -> None:
        for evidence in queryset:
            evidence_set_verified(evidence=evidence, verified=False, actor=_curator(request))
        self.message_user(request, f"Marked {len(queryset)} as not verified.", messages.SUCCESS)
