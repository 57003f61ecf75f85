"""The curators' review queue: drafts, and changes to published listings held by an import.

Reads (`review_queue_page`) build what the queue shows: a field-by-field diff
against the published listing and the quality hints. Writes
(`review_decide`) approve or reject, each decision recorded in history with
the curator and note. The published catalog never shows a held change until a
curator approves it.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from accounts.models import User

from ..choices import ProgramStatus
from ..exchange.format import FIELDS, program_record, record_changes
from ..models import ChangeAction, ChangeSource, CreditOffering, Program, ProgramRevision, RevisionStatus
from ..services import change_entry, program_upsert_from_record, programs_set_status
from . import quality

REVIEW_PAGE_SIZE = 25


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class ReviewItem:
    """One entry of the queue: a draft, or a held change (revision) to a published listing."""

    kind: str  # "draft" or "revision"
    pk: int
    program: Program
    changes: list[FieldChange]
    hints: list[quality.QualityHint]
    import_job_id: int | None
    proposed_by: User | None = None


def _credits_prefetch() -> Prefetch[str, QuerySet[CreditOffering]]:
    return Prefetch("credit_offerings", queryset=CreditOffering.objects.order_by("credit_type"))


def _display(value: Any) -> Any:
    if isinstance(value, list):
        return "; ".join(str(item) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{key}: {amount}" for key, amount in value.items())
    return value


def field_changes(changes: dict[str, list[Any]]) -> list[FieldChange]:
    order = {name: index for index, name in enumerate(FIELDS)}
    return [
        FieldChange(name, _display(before), _display(after))
        for name, (before, after) in sorted(changes.items(), key=lambda item: order.get(item[0], 99))
    ]


def hints_for_program(program: Program, *, today: datetime.date | None = None) -> list[quality.QualityHint]:
    """Quality hints for a stored listing (needs no related rows)."""
    record = {name: getattr(program, name, None) for name in FIELDS if name in _HINT_FIELDS}
    return quality.listing_hints(record, today=today or timezone.localdate(), last_verified_on=program.last_verified_on)


_HINT_FIELDS = frozenset(
    {"outcome_level_measured", "outcomes_url", "commercial_support", "commercial_supporters", "description"}
    | {"end_date", "status"}
)


def pending_revisions() -> QuerySet[ProgramRevision]:
    return (
        ProgramRevision.objects.filter(status=RevisionStatus.PENDING)
        .select_related("program__provider", "proposed_by")
        .prefetch_related(
            Prefetch("program__credit_offerings", queryset=CreditOffering.objects.order_by("credit_type"))
        )
        .order_by("created_at", "pk")
    )


def drafts_awaiting_review() -> QuerySet[Program]:
    return (
        Program.objects.filter(status=ProgramStatus.DRAFT)
        .select_related("provider")
        .prefetch_related(_credits_prefetch())
        .order_by("updated_at", "pk")
    )


def review_queue_page(
    *, kind: str, page_number: str | int | None
) -> tuple[Page[ProgramRevision] | Page[Program], list[ReviewItem]]:
    """One page of held changes ("revision") or drafts ("draft"), oldest first, with diffs and hints."""
    today = timezone.localdate()
    items: list[ReviewItem] = []
    if kind == "revision":
        revisions = Paginator(pending_revisions(), REVIEW_PAGE_SIZE).get_page(page_number)
        for revision in revisions.object_list:
            live = program_record(revision.program)
            items.append(
                ReviewItem(
                    kind="revision",
                    pk=revision.pk,
                    program=revision.program,
                    changes=field_changes(record_changes(live, revision.record)),
                    hints=quality.listing_hints(
                        revision.record, today=today, last_verified_on=revision.program.last_verified_on
                    ),
                    import_job_id=revision.import_job_id,
                    proposed_by=revision.proposed_by,
                )
            )
        return revisions, items
    drafts = Paginator(drafts_awaiting_review(), REVIEW_PAGE_SIZE).get_page(page_number)
    for program in drafts.object_list:
        record = program_record(program)
        shown = {name: [None, value] for name, value in record.items() if value not in (None, [], {}, "")}
        items.append(
            ReviewItem(
                kind="draft",
                pk=program.pk,
                program=program,
                changes=field_changes(shown),
                hints=hints_for_program(program, today=today),
                import_job_id=None,
            )
        )
    return drafts, items


def review_counts() -> dict[str, int]:
    return {
        "revision": ProgramRevision.objects.filter(status=RevisionStatus.PENDING).count(),
        "draft": Program.objects.filter(status=ProgramStatus.DRAFT).count(),
    }


@dataclass(frozen=True)
class ReviewOutcome:
    approved: int = 0
    rejected: int = 0
    skipped: int = 0


class NoteRequired(ValueError):
    """Rejecting needs a note saying why."""


def _origin(revision: ProgramRevision) -> str:
    if revision.import_job_id:
        return f"from import #{revision.import_job_id}"
    return f"edited by {revision.proposed_by}" if revision.proposed_by else "edited in the curation form"


def review_decide(
    *,
    revision_ids: Sequence[int] = (),
    draft_ids: Sequence[int] = (),
    approve: bool,
    actor: User,
    note: str = "",
) -> ReviewOutcome:
    """Approve (publish) or reject drafts and held changes, in one transaction.

    Approving a held change applies its record to the live listing through
    `program_upsert_from_record` (history attributed to the curator, source
    "review"); rejecting one leaves the live listing as it is and records the
    note. Approving a draft publishes it; rejecting a draft archives it with
    the note. Items already decided by someone else are skipped.
    """
    note = note.strip()[:500]
    if not approve and not note:
        raise NoteRequired("Say why you reject, so the provider or the next curator knows what to fix.")
    approved = rejected = skipped = 0
    now = timezone.now()
    with transaction.atomic():
        revisions = list(
            ProgramRevision.objects.select_for_update()
            .filter(pk__in=list(revision_ids), status=RevisionStatus.PENDING)
            .order_by("pk")
        )
        skipped += len(set(revision_ids)) - len(revisions)
        for revision in revisions:
            if approve:
                program_upsert_from_record(
                    record=revision.record,
                    actor=actor,
                    source=ChangeSource.REVIEW,
                    import_job_id=revision.import_job_id,
                )
            else:
                program = Program.objects.select_related("provider").get(pk=revision.program_id)
                change_entry(
                    program=program,
                    action=ChangeAction.UPDATED,
                    source=ChangeSource.REVIEW,
                    actor=actor,
                    changes={},
                    import_job_id=revision.import_job_id,
                    note=f"Rejected a change {_origin(revision)}: {note}"[:500],
                ).save()
            revision.status = RevisionStatus.APPROVED if approve else RevisionStatus.REJECTED
            revision.reviewed_by = actor
            revision.reviewed_at = now
            revision.review_note = note
            revision.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note", "updated_at"])
        draft_pks = list(
            Program.objects.filter(pk__in=list(draft_ids), status=ProgramStatus.DRAFT).values_list("pk", flat=True)
        )
        skipped += len(set(draft_ids)) - len(draft_pks)
        changed = programs_set_status(
            program_ids=draft_pks,
            status=ProgramStatus.PUBLISHED if approve else ProgramStatus.ARCHIVED,
            actor=actor,
            source=ChangeSource.REVIEW,
            note=note if approve else f"Rejected in review: {note}"[:500],
        )
    if approve:
        approved = len(revisions) + changed
    else:
        rejected = len(revisions) + changed
    return ReviewOutcome(approved=approved, rejected=rejected, skipped=skipped)
