"""What curators read about listings: the searchable list and one listing's history.

A listing's history merges two sources: the change log (what was applied,
by whom, from an import, an edit, the review queue or the admin) and the
proposed changes (revisions: who or which import proposed them, and who
approved or rejected them). Both are read with a fixed number of queries.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from accounts.models import User

from ..models import ChangeLogEntry, ChangeSource, Program, ProgramRevision, RevisionStatus
from .review import FieldChange, field_changes


def listings_for_curators(*, query: str = "") -> QuerySet[Program]:
    """All listings, newest change first; `query` matches title, external_id or provider name."""
    listings = Program.objects.select_related("provider").order_by("-updated_at", "-pk")
    if query:
        listings = listings.filter(
            Q(title__icontains=query) | Q(external_id__icontains=query) | Q(provider__name__icontains=query)
        )
    return listings


@dataclass(frozen=True)
class HistoryEvent:
    """One line of a listing's history."""

    at: datetime.datetime
    kind: str  # "change" (applied) or "proposal" (a revision held for review)
    title: str
    actor: User | None
    source: str  # a ChangeSource label
    import_job_id: int | None
    changes: list[FieldChange]
    note: str
    status: str = ""  # of a proposal: its RevisionStatus label
    reviewed_by: User | None = None
    reviewed_at: datetime.datetime | None = None


_ACTION_TITLES = {"created": "Created", "updated": "Changed", "deleted": "Deleted"}


def listing_history(*, program: Program) -> list[HistoryEvent]:
    """The listing's changes and proposed changes, newest first (two queries)."""
    sources = dict(ChangeSource.choices)
    statuses = dict(RevisionStatus.choices)
    events = [
        HistoryEvent(
            at=entry.created_at,
            kind="change",
            title=_ACTION_TITLES.get(entry.action, entry.action),
            actor=entry.actor,
            source=sources.get(entry.source, entry.source),
            import_job_id=entry.import_job_id,
            changes=field_changes(entry.changes),
            note=entry.note,
        )
        for entry in ChangeLogEntry.objects.filter(program=program).select_related("actor")
    ]
    for revision in ProgramRevision.objects.filter(program=program).select_related("proposed_by", "reviewed_by"):
        events.append(
            HistoryEvent(
                at=revision.created_at,
                kind="proposal",
                title="Change proposed",
                actor=revision.proposed_by,
                source=sources.get(revision.source, revision.source),
                import_job_id=revision.import_job_id,
                changes=field_changes(revision.changes or {name: [None, v] for name, v in revision.record.items()}),
                note=revision.review_note,
                status=statuses.get(revision.status, revision.status),
                reviewed_by=revision.reviewed_by,
                reviewed_at=revision.reviewed_at,
            )
        )
    return sorted(events, key=lambda event: event.at, reverse=True)
