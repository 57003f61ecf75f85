"""Writing a batch of validated exchange records: listings, providers, credits, history, held revisions.

`records_write` is the batched equivalent of calling
`programs.services.program_upsert_from_record` for each record: same
listings, same provider updates, same history entries, far fewer queries.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.utils import timezone

from accounts.models import User

from ..choices import ProgramStatus
from ..models import (
    ChangeAction,
    ChangeLogEntry,
    ChangeSource,
    CreditOffering,
    Program,
    ProgramRevision,
    Provider,
    RevisionStatus,
)
from ..ranking import scoring
from ..selectors import outcome_evidence_mark, program_signals
from ..services import change_entry, program_apply_record
from .bulk import bulk_insert, bulk_insert_programs
from .format import PROGRAM_COLUMNS, PROVIDER_FIELDS, program_record, provider_record, record_changes, record_diff

BATCH_SIZE = 500


def _status_for(*, stated: str | None, publish: bool, existing: Program | None) -> str:
    """The status a record is written with.

    Without `publish`, new listings arrive as drafts and existing ones keep
    their status (changes to published ones are held for review). With
    `publish`, the row's own status applies, published when it states none.
    """
    if publish:
        return stated or ProgramStatus.PUBLISHED
    if existing is not None:
        return existing.status
    return ProgramStatus.DRAFT


def records_write(
    *,
    records: Iterable[dict[str, Any]],
    actor: User | None,
    publish: bool,
    import_job_id: int | None,
    source: str = ChangeSource.IMPORT,
) -> list[str]:
    """Upsert a batch of validated records; returns each record's outcome.

    Outcomes are "created", "updated", "unchanged" or "held" (a change to a
    published listing stored as a pending ProgramRevision because the job does
    not publish). Produces the same listings, provider updates and history as
    `program_upsert_from_record` per record, with a handful of queries per
    batch. Must run inside the caller's transaction; identities must be unique
    within the batch.
    """
    records = list(records)
    if not records:
        return []
    actor = actor if actor is not None and actor.pk else None
    now = timezone.now()
    names = {record["provider_name"] for record in records}
    providers = {provider.name: provider for provider in Provider.objects.filter(name__in=names)}
    existing: dict[tuple[str, str], Program] = {}
    if providers:
        candidates = (
            Program.objects.select_for_update(of=("self",))
            .filter(provider__in=list(providers.values()), external_id__in={r["external_id"] for r in records})
            .prefetch_related("credit_offerings")
        )
        provider_by_id = {provider.pk: provider for provider in providers.values()}
        for program in candidates:
            program.provider = provider_by_id[program.provider_id]
            existing[(program.provider.name, program.external_id)] = program
        # Verified outcome evidence counts in the stored outcome score; an update must keep it.
        outcome_evidence_mark(list(existing.values()))
    pending = {
        revision.program_id: revision
        for revision in ProgramRevision.objects.select_for_update().filter(
            program__in=[p.pk for p in existing.values()], status=RevisionStatus.PENDING
        )
    }

    outcomes: list[str] = []
    new_providers: list[Provider] = []
    dirty_providers: dict[int, Provider] = {}
    new_programs: list[Program] = []
    changed_programs: list[Program] = []
    credit_plans: list[tuple[Program, list[CreditOffering], list[CreditOffering]]] = []
    entries: list[ChangeLogEntry] = []
    new_revisions: list[ProgramRevision] = []
    changed_revisions: list[ProgramRevision] = []
    program_entries: list[tuple[ChangeLogEntry, Program, dict[str, Any] | None, dict[str, Any]]] = []

    for incoming in records:
        program = existing.get((incoming["provider_name"], incoming["external_id"]))
        record = {**incoming, "status": _status_for(stated=incoming["status"], publish=publish, existing=program)}
        if program is not None and not publish and program.status == ProgramStatus.PUBLISHED:
            outcomes.append(_hold_for_review(program, record, pending, new_revisions, changed_revisions, import_job_id))
            continue

        provider = _provider_apply(record, providers, new_providers, dirty_providers, entries, actor, source)
        if program is not None:
            program.provider = provider
        before = program_record(program) if program is not None else None
        if before is not None and not record_changes(before, record):
            outcomes.append("unchanged")
            continue
        old_offerings: list[CreditOffering] = []
        if program is None:
            program = Program(provider=provider)
            new_programs.append(program)
        else:
            old_offerings = list(program.credit_offerings.all())
            changed_programs.append(program)
        program_apply_record(program, record)
        program.updated_at = now
        credits = {credit_type: Decimal(amount) for credit_type, amount in (record.get("credits") or {}).items()}
        verified_evidence = getattr(program, "has_verified_outcome_evidence", False)  # a new listing has none
        scores = scoring.static_scores(
            program_signals(program, credits=credits, has_verified_outcome_evidence=verified_evidence)
        )
        program.static_points_set(scores)
        offerings = [
            CreditOffering(program=program, credit_type=credit_type, amount=amount)
            for credit_type, amount in sorted(credits.items())
        ]
        # The history diff reads the credits through the related manager; the same
        # unsaved offerings are inserted by _credits_write where they are new.
        program._prefetched_objects_cache = {"credit_offerings": offerings}  # type: ignore[attr-defined]
        credit_plans.append((program, old_offerings, offerings))
        entry = change_entry(
            program=program,
            action=ChangeAction.CREATED if before is None else ChangeAction.UPDATED,
            source=source,
            actor=actor,
            changes={},
            import_job_id=import_job_id,
        )
        entries.append(entry)
        # The provider as this row left it: a later row of the batch may change it again.
        provider_now = {name: value for name, value in provider_record(provider).items() if name in PROVIDER_FIELDS}
        program_entries.append((entry, program, before, provider_now))
        outcomes.append("created" if before is None else "updated")

    Provider.objects.bulk_create(new_providers, batch_size=BATCH_SIZE)
    for provider in dirty_providers.values():
        provider.updated_at = now
    Provider.objects.bulk_update(
        list(dirty_providers.values()),
        ["accreditor", "accreditation_status", "jointly_accredited", "updated_at"],
        batch_size=BATCH_SIZE,
    )
    bulk_insert_programs(new_programs)
    Program.objects.bulk_update(
        changed_programs,
        [*PROGRAM_COLUMNS, *Program.STATIC_POINT_FIELDS, "updated_at"],
        batch_size=BATCH_SIZE,
    )
    _credits_write(credit_plans)
    for entry, program, before, provider_now in program_entries:
        # After the insert: a related manager needs a saved instance.
        entry.changes = record_diff(before, {**program_record(program), **provider_now})
    for entry in entries:
        entry.created_at = now
    bulk_insert(ChangeLogEntry, entries)
    ProgramRevision.objects.bulk_create(new_revisions, batch_size=BATCH_SIZE)
    ProgramRevision.objects.bulk_update(changed_revisions, ["record", "import_job", "status"], batch_size=BATCH_SIZE)
    return outcomes


def _provider_apply(
    record: dict[str, Any],
    providers: dict[str, Provider],
    new_providers: list[Provider],
    dirty_providers: dict[int, Provider],
    entries: list[ChangeLogEntry],
    actor: User | None,
    source: str,
) -> Provider:
    """In memory, what services.provider_for_record does: create or update, recording history."""
    name = record["provider_name"]
    provider = providers.get(name)
    created = provider is None
    if provider is None:
        provider = Provider(name=name)
        providers[name] = provider
        new_providers.append(provider)
    before = None if created else provider_record(provider)
    for field_name in ("provider_accreditor", "provider_accreditation_status", "jointly_accredited"):
        value = record.get(field_name)
        if value is not None:
            setattr(provider, PROVIDER_FIELDS[field_name], value)
    after = provider_record(provider)
    changes = record_diff(before, after)
    if created or changes:
        if not created and provider.pk is not None:
            dirty_providers[provider.pk] = provider
        entries.append(
            change_entry(
                provider=provider,
                action=ChangeAction.CREATED if created else ChangeAction.UPDATED,
                source=source,
                actor=actor,
                changes=changes,
            )
        )
    return provider


def _hold_for_review(
    program: Program,
    record: dict[str, Any],
    pending: dict[int, ProgramRevision],
    new_revisions: list[ProgramRevision],
    changed_revisions: list[ProgramRevision],
    import_job_id: int | None,
) -> str:
    """Keep a change to a published listing as a pending revision; the live listing stays as it is."""
    revision = pending.get(program.pk)
    if not record_changes(program_record(program), record):
        if revision is not None:
            # The file now agrees with the live listing: the older proposal is moot.
            revision.status = RevisionStatus.SUPERSEDED
            changed_revisions.append(revision)
        return "unchanged"
    if revision is not None:
        if revision.record == record:
            return "unchanged"
        revision.record = record
        revision.import_job_id = import_job_id
        changed_revisions.append(revision)
        return "held"
    new_revisions.append(ProgramRevision(program=program, record=record, import_job_id=import_job_id))
    return "held"


def _credits_write(plans: list[tuple[Program, list[CreditOffering], list[CreditOffering]]]) -> None:
    delete_ids: list[int] = []
    to_update: list[CreditOffering] = []
    to_create: list[CreditOffering] = []
    for _program, old_offerings, new_offerings in plans:
        old = {offering.credit_type: offering for offering in old_offerings}
        wanted = {offering.credit_type for offering in new_offerings}
        delete_ids.extend(offering.pk for credit_type, offering in old.items() if credit_type not in wanted)
        for new in new_offerings:
            offering = old.get(new.credit_type)
            if offering is None:
                to_create.append(new)
            elif offering.amount != new.amount:
                offering.amount = new.amount
                to_update.append(offering)
    if delete_ids:
        CreditOffering.objects.filter(pk__in=delete_ids).delete()
    CreditOffering.objects.bulk_update(to_update, ["amount"], batch_size=BATCH_SIZE)
    bulk_insert(CreditOffering, to_create)
