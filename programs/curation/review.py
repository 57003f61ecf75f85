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
from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone

from accounts.models import User

from ..choices import ProgramStatus
from ..exchange.format import FIELDS, program_record, record_changes
from ..exchange.writing import BATCH_SIZE as WRITE_BATCH_SIZE
from ..exchange.writing import records_write
from ..models import (
    ChangeAction,
    ChangeLogEntry,
    ChangeSource,
    CreditOffering,
    ImportJob,
    Program,
    ProgramRevision,
    RevisionStatus,
)
from ..services import change_entry, programs_set_status
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
    | {"end_date", "status", "title", "topics", "specialties"}
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
    """Approve (publish) or reject drafts and held changes, in one transaction, with bulk queries.

    Approving held changes applies their records to the live listings with the
    importer's batched writer (`records_write`, history attributed to the
    curator, source "review", each entry naming the import or the edit it came
    from); rejecting them leaves the live listings as they are and records the
    note. Approving drafts publishes them; rejecting drafts archives them with
    the note. Items already decided by someone else are skipped. The number of
    queries does not grow with the number of items (up to 500 per batch).
    """
    note = note.strip()[:500]
    if not approve and not note:
        raise NoteRequired("Say why you reject, so the provider or the next curator knows what to fix.")
    now = timezone.now()
    with transaction.atomic():
        revisions = list(
            ProgramRevision.objects.select_for_update(of=("self",))
            .select_related("program__provider", "proposed_by")
            .filter(pk__in=list(revision_ids), status=RevisionStatus.PENDING)
            .order_by("pk")
        )
        if approve:
            _revisions_apply(revisions, actor=actor)
        else:
            ChangeLogEntry.objects.bulk_create(
                [
                    change_entry(
                        program=revision.program,
                        action=ChangeAction.UPDATED,
                        source=ChangeSource.REVIEW,
                        actor=actor,
                        changes={},
                        import_job_id=revision.import_job_id,
                        note=f"Rejected a change {_origin(revision)}: {note}"[:500],
                    )
                    for revision in revisions
                ],
                batch_size=WRITE_BATCH_SIZE,
            )
        ProgramRevision.objects.filter(pk__in=[revision.pk for revision in revisions]).update(
            status=RevisionStatus.APPROVED if approve else RevisionStatus.REJECTED,
            reviewed_by=actor,
            reviewed_at=now,
            review_note=note,
            updated_at=now,
        )
        draft_pks = list(
            Program.objects.filter(pk__in=list(draft_ids), status=ProgramStatus.DRAFT).values_list("pk", flat=True)
        )
        changed = programs_set_status(
            program_ids=draft_pks,
            status=ProgramStatus.PUBLISHED if approve else ProgramStatus.ARCHIVED,
            actor=actor,
            source=ChangeSource.REVIEW,
            note=note if approve else f"Rejected in review: {note}"[:500],
        )
    skipped = len(set(revision_ids)) - len(revisions) + len(set(draft_ids)) - len(draft_pks)
    decided = len(revisions) + changed
    return ReviewOutcome(approved=decided if approve else 0, rejected=0 if approve else decided, skipped=skipped)


def _revisions_apply(revisions: list[ProgramRevision], *, actor: User) -> None:
    """Write the held records to their live listings, a batch of queries per WRITE_BATCH_SIZE revisions."""
    for start in range(0, len(revisions), WRITE_BATCH_SIZE):
        chunk = revisions[start : start + WRITE_BATCH_SIZE]
        records_write(
            records=[{**revision.record, "status": ProgramStatus.PUBLISHED} for revision in chunk],
            actor=actor,
            publish=True,
            import_job_id=None,
            source=ChangeSource.REVIEW,
            origins=[(revision.import_job_id, f"Approved a change {_origin(revision)}"[:500]) for revision in chunk],
        )


def import_job_queue(*, job_id: int) -> tuple[list[int], list[int]]:
    """(pending revision ids, draft ids) that import `job_id` put in the review queue and nobody decided yet."""
    revision_ids = list(
        ProgramRevision.objects.filter(import_job_id=job_id, status=RevisionStatus.PENDING).values_list("pk", flat=True)
    )
    draft_ids = list(
        Program.objects.filter(
            status=ProgramStatus.DRAFT, history__action=ChangeAction.CREATED, history__import_job_id=job_id
        )
        .values_list("pk", flat=True)
        .distinct()
    )
    return revision_ids, draft_ids


@dataclass(frozen=True)
class ImportInQueue:
    """An import job with items still in the review queue."""

    job_id: int
    revisions: int
    drafts: int

    @property
    def total(self) -> int:
        return self.revisions + self.drafts


def imports_in_queue(*, job_ids: Sequence[int] | None = None) -> list[ImportInQueue]:
    """Import jobs with pending changes or drafts they created, newest job first (two queries)."""
    revisions = ProgramRevision.objects.filter(status=RevisionStatus.PENDING, import_job__isnull=False)
    # The change log keeps a deleted job's number; only jobs still stored can be decided by job.
    drafts = ChangeLogEntry.objects.filter(
        action=ChangeAction.CREATED,
        import_job_id__in=ImportJob.objects.values("pk"),
        program__status=ProgramStatus.DRAFT,
    )
    if job_ids is not None:
        revisions = revisions.filter(import_job_id__in=list(job_ids))
        drafts = drafts.filter(import_job_id__in=list(job_ids))
    revision_counts: dict[int, int] = dict(
        revisions.order_by()
        .values_list("import_job_id")
        .annotate(count=Count("pk"))
        .values_list("import_job_id", "count")
    )
    draft_counts: dict[int, int] = {
        job_id: count
        for job_id, count in drafts.order_by()
        .values_list("import_job_id")
        .annotate(count=Count("program", distinct=True))
        .values_list("import_job_id", "count")
        if job_id is not None
    }
    return [
        ImportInQueue(job_id=job_id, revisions=revision_counts.get(job_id, 0), drafts=draft_counts.get(job_id, 0))
        for job_id in sorted({*revision_counts, *draft_counts}, reverse=True)
    ]


def review_decide_import(*, job_id: int, approve: bool, actor: User, note: str = "") -> ReviewOutcome:
    """Approve or reject everything import `job_id` left in the review queue, in one transaction."""
    revision_ids, draft_ids = import_job_queue(job_id=job_id)
    return review_decide(revision_ids=revision_ids, draft_ids=draft_ids, approve=approve, actor=actor, note=note)
