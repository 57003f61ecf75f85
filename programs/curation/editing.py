"""Curators create and edit listings in the app, through the importer's own rules.

A record reaches these functions already checked by
`programs.exchange.validation.row_validate` (the curation form calls it), so a
listing typed in a form and one read from a file are held to one validation.
A new listing arrives as a draft; an edit to a published listing becomes a
pending `ProgramRevision`, exactly like a change an import holds, and the
live listing stays as it is until a curator approves it in the review queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from accounts.models import User

from ..choices import ProgramStatus
from ..exchange.format import program_record, record_changes
from ..models import ChangeSource, Program, ProgramRevision, RevisionStatus
from ..services import program_upsert_from_record


class ListingExists(ValueError):
    """A listing with this provider and external_id is already stored."""


class ListingIdentityChanged(ValueError):
    """An edit may not change a listing's provider_name or external_id (its identity in the exchange format)."""


@dataclass(frozen=True)
class ListingSaved:
    program: Program
    outcome: str  # "created", "updated", "unchanged" or "held" (a pending revision)
    revision: ProgramRevision | None = None


def listing_create(*, record: dict[str, Any], actor: User) -> ListingSaved:
    """Create a listing from a valid exchange record, as a draft awaiting review.

    One transaction; raises ListingExists (and writes nothing) when the
    identity (provider_name, external_id) is taken.
    """
    with transaction.atomic():
        taken = Program.objects.filter(
            provider__name=record["provider_name"], external_id=record["external_id"]
        ).exists()
        if taken:
            raise ListingExists(
                f"{record['provider_name']} already has a listing with external_id “{record['external_id']}”; "
                "edit that listing instead."
            )
        program, outcome = program_upsert_from_record(
            record={**record, "status": ProgramStatus.DRAFT}, actor=actor, source=ChangeSource.CURATION
        )
    return ListingSaved(program=program, outcome=outcome)


def listing_edit(*, program_id: int, record: dict[str, Any], actor: User) -> ListingSaved:
    """Apply a curator's edit: held for review when the listing is published, applied at once otherwise.

    The status never changes here (publishing is a review decision). For a
    published listing the edit becomes the one pending revision of the
    listing; an older pending proposal (from an import or an earlier edit)
    is marked superseded. An edit that changes nothing writes nothing.
    One transaction; raises ListingIdentityChanged when provider_name or
    external_id differ from the listing's.
    """
    with transaction.atomic():
        program = (
            Program.objects.select_for_update(of=("self",))
            .select_related("provider")
            .prefetch_related("credit_offerings")
            .get(pk=program_id)
        )
        if (record["provider_name"], record["external_id"]) != (program.provider.name, program.external_id):
            raise ListingIdentityChanged(
                "provider_name and external_id identify the listing and cannot be edited; create a new listing instead."
            )
        record = {**record, "status": program.status}
        if program.status != ProgramStatus.PUBLISHED:
            program, outcome = program_upsert_from_record(record=record, actor=actor, source=ChangeSource.CURATION)
            return ListingSaved(program=program, outcome=outcome)
        changes = record_changes(program_record(program), record)
        if not changes:
            return ListingSaved(program=program, outcome="unchanged")
        revision = revision_propose(
            program=program, record=record, changes=changes, actor=actor, source=ChangeSource.CURATION
        )
    return ListingSaved(program=program, outcome="held", revision=revision)


def revision_propose(
    *, program: Program, record: dict[str, Any], changes: dict[str, list[Any]], actor: User, source: str
) -> ProgramRevision:
    """Make `record` the one pending revision of the published `program`; an older pending one is superseded.

    The caller holds the transaction and has computed `changes` (the importer's
    `record_changes` against the live listing).
    """
    ProgramRevision.objects.filter(program=program, status=RevisionStatus.PENDING).update(
        status=RevisionStatus.SUPERSEDED
    )
    return ProgramRevision.objects.create(
        program=program, record=record, changes=changes, source=source, proposed_by=actor
    )
