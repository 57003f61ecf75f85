"""Writing a batch of validated exchange records: listings, providers, credits, history, held revisions.

`records_write` is the batched equivalent of calling
`programs.services.program_upsert_from_record` for each record: same
listings, same provider updates, same history entries, far fewer queries.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
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
from ..selectors import program_signals
from ..services import change_entry, program_apply_record
from .bulk import among, bulk_insert, bulk_insert_programs, bulk_insert_values, bulk_update_rows
from .format import (
    PROGRAM_COLUMNS,
    PROVIDER_FIELDS,
    listing_record,
    provider_record,
    record_changes,
    record_diff,
)

BATCH_SIZE = 500


def _status_for(*, stated: str | None, publish: bool, stored_status: str | None) -> str:
    """The status a record is written with.

    Without `publish`, new listings arrive as drafts and existing ones keep
    their status (changes to published ones are held for review). With
    `publish`, the row's own status applies, published when it states none.
    """
    if publish:
        return stated or ProgramStatus.PUBLISHED
    if stored_status is not None:
        return stored_status
    return ProgramStatus.DRAFT


def records_write(
    *,
    records: Iterable[dict[str, Any]],
    actor: User | None,
    publish: bool,
    import_job_id: int | None,
    source: str = ChangeSource.IMPORT,
    origins: Sequence[tuple[int | None, str]] | None = None,
    canonical: bool = False,
) -> list[str]:
    """Upsert a batch of validated records; returns each record's outcome.

    Outcomes are "created", "updated", "unchanged" or "held" (a change to a
    published listing stored as a pending ProgramRevision because the job does
    not publish). Produces the same listings, provider updates and history as
    `program_upsert_from_record` per record, with a handful of queries per
    batch. Must run inside the caller's transaction; identities must be unique
    within the batch. `origins`, one (import job id, note) per record, gives
    each record's history entry its own job and note (the review queue
    approving changes from several imports and edits at once). `canonical`:
    the records are in canonical form already (validation.row_validate's
    output), so they are compared with the stored listings as they are.
    """
    records = list(records)
    if not records:
        return []
    batch = _batch_load(
        records,
        actor=actor if actor is not None and actor.pk else None,
        publish=publish,
        import_job_id=import_job_id,
        source=source,
    )
    batch.canonical = canonical
    if origins is None:
        outcomes = [_record_stage(batch, record) for record in records]
    else:
        outcomes = []
        for record, (job_id, note) in zip(records, origins, strict=True):
            batch.import_job_id, batch.note = job_id, note
            outcomes.append(_record_stage(batch, record))
    _batch_save(batch)
    return outcomes


# A credit offering as the batch holds it: (its id, None while staged and unsaved; credit type; amount).
Credit = tuple[int | None, str, Decimal]
# listing, its stored credits, the (credit type, amount) pairs it should have, sorted by type
CreditPlan = tuple[Program, list[Credit], list[tuple[str, Decimal]]]

# Every concrete column of Program, in model order: a stored listing is read as one values row of these.
_PROGRAM_ATTNAMES: tuple[str, ...] = tuple(field.attname for field in Program._meta.concrete_fields)
_EXCHANGE_COLUMN_AT: tuple[int, ...] = tuple(_PROGRAM_ATTNAMES.index(name) for name in PROGRAM_COLUMNS)
_STATUS_AT = _PROGRAM_ATTNAMES.index("status")
_PROGRAM_COLUMN_SET = frozenset(PROGRAM_COLUMNS)


@dataclass
class _StoredListing:
    """A stored listing the batch names, as read (locked): a values row, an instance only if the batch changes it.

    Why not instances: most rows of a re-imported file are unchanged, and building
    a model instance for each cost more than comparing it.
    """

    row: tuple[Any, ...]  # the values of _PROGRAM_ATTNAMES
    provider: Provider
    instance: Program | None = None

    @property
    def pk(self) -> int:
        return int(self.row[0])

    @property
    def status(self) -> str:
        return str(self.instance.status if self.instance is not None else self.row[_STATUS_AT])

    def record(self, credits: list[Credit]) -> dict[str, Any]:
        """The listing's program_record as stored (as staged, once the batch changed it)."""
        if self.instance is not None:
            columns = [getattr(self.instance, name) for name in PROGRAM_COLUMNS]
        else:
            columns = [self.row[at] for at in _EXCHANGE_COLUMN_AT]
        return listing_record(self.provider, columns, ((credit_type, amount) for _pk, credit_type, amount in credits))

    def program(self) -> Program:
        """The listing as a model instance, built once, with its provider."""
        if self.instance is None:
            self.instance = Program.from_db(connection.alias, list(_PROGRAM_ATTNAMES), self.row)
            self.instance.provider = self.provider
        return self.instance


@dataclass
class _Batch:
    """One batch being written: what the database holds for it, and what to save at the end.

    Records are staged in memory one after the other (a later record sees the
    providers an earlier one created or changed), then `_batch_save` writes
    everything with bulk queries.
    """

    actor: User | None
    publish: bool
    import_job_id: int | None
    source: str
    now: datetime.datetime
    providers: dict[str, Provider]  # by name: the stored ones, then those the batch creates
    existing: dict[tuple[str, str], _StoredListing]  # stored listings by (provider name, external_id), locked
    credits: dict[int, list[Credit]]  # credit offerings by program id: stored, then as staged
    pending: dict[int, ProgramRevision]  # pending revisions by program id, locked
    new_providers: list[Provider] = field(default_factory=list)
    dirty_providers: dict[int, Provider] = field(default_factory=dict)
    new_programs: list[Program] = field(default_factory=list)
    changed_programs: list[Program] = field(default_factory=list)
    # The exchange-format columns some changed listing of the batch changes: the only ones its UPDATE sets
    # (the search document's trigger fires only when one of its columns is set).
    changed_columns: set[str] = field(default_factory=set)
    credit_plans: dict[int, CreditPlan] = field(default_factory=dict)  # by id() of the listing: its last plan
    entries: list[ChangeLogEntry] = field(default_factory=list)
    # A listing's entry, with the record before and the provider fields as its row left them.
    program_entries: list[tuple[ChangeLogEntry, Program, dict[str, Any] | None, dict[str, Any]]] = field(
        default_factory=list
    )
    new_revisions: list[ProgramRevision] = field(default_factory=list)
    changed_revisions: list[ProgramRevision] = field(default_factory=list)
    note: str = ""  # the history note of the record being staged
    canonical: bool = False  # the records are canonical already (records_write's `canonical`)


def _batch_load(
    records: list[dict[str, Any]], *, actor: User | None, publish: bool, import_job_id: int | None, source: str
) -> _Batch:
    """Read and lock what the batch may change: its providers, listings and pending revisions."""
    now = timezone.now()
    names = {record["provider_name"] for record in records}
    providers = {provider.name: provider for provider in Provider.objects.filter(name__in=names)}
    existing = _programs_locked(records, providers)
    credits: dict[int, list[Credit]] = {stored.pk: [] for stored in existing.values()}
    pending: dict[int, ProgramRevision] = {}
    if credits:
        # Unordered: the default ordering by program joins the listings again; listing_record sorts them.
        stored_credits = CreditOffering.objects.filter(among("program_id", credits)).order_by()
        for program_id, pk, credit, amount in stored_credits.values_list("program_id", "pk", "credit_type", "amount"):
            credits[program_id].append((pk, credit, amount))
    if credits and not publish:
        # Only a job that does not publish holds changes for review (_hold_for_review).
        pending = {
            revision.program_id: revision
            for revision in ProgramRevision.objects.select_for_update().filter(
                among("program_id", credits), status=RevisionStatus.PENDING
            )
        }
    return _Batch(
        actor=actor,
        publish=publish,
        import_job_id=import_job_id,
        source=source,
        now=now,
        providers=providers,
        existing=existing,
        credits=credits,
        pending=pending,
    )


def _programs_locked(
    records: list[dict[str, Any]], providers: dict[str, Provider]
) -> dict[tuple[str, str], _StoredListing]:
    """The stored listings the records name, locked, as values rows (with their verified-evidence marks)."""
    existing: dict[tuple[str, str], _StoredListing] = {}
    if not providers:
        return existing
    candidates = (
        Program.objects.select_for_update(of=("self",))
        .filter(
            among("external_id", {record["external_id"] for record in records}), provider__in=list(providers.values())
        )
        .order_by()
        .values_list(*_PROGRAM_ATTNAMES)
    )
    provider_by_id = {provider.pk: provider for provider in providers.values()}
    provider_at = _PROGRAM_ATTNAMES.index("provider_id")
    external_id_at = _PROGRAM_ATTNAMES.index("external_id")
    for row in candidates:
        provider = provider_by_id[row[provider_at]]
        existing[(provider.name, row[external_id_at])] = _StoredListing(row=row, provider=provider)
    return existing


def _record_stage(batch: _Batch, incoming: dict[str, Any]) -> str:
    """Stage one record in memory; returns its outcome. Nothing is saved yet."""
    stored = batch.existing.get((incoming["provider_name"], incoming["external_id"]))
    stored_status = stored.status if stored is not None else None
    status = _status_for(stated=incoming["status"], publish=batch.publish, stored_status=stored_status)
    record = {**incoming, "status": status}
    if stored is not None and not batch.publish and stored_status == ProgramStatus.PUBLISHED:
        return _hold_for_review(batch, stored, record)
    provider = _provider_apply(batch, record)
    before = stored.record(batch.credits[stored.pk]) if stored is not None else None
    if before is not None:
        changes = record_changes(before, record, canonical_already=batch.canonical)
        if not changes:
            return "unchanged"
        batch.changed_columns.update(name for name in changes if name in _PROGRAM_COLUMN_SET)
    program = _program_stage(batch, stored.program() if stored is not None else None, provider, record)
    _history_stage(batch, program, provider, before)
    return "created" if before is None else "updated"


def _program_stage(batch: _Batch, program: Program | None, provider: Provider, record: dict[str, Any]) -> Program:
    """The listing (new when `program` is None) with the record applied, scores set and credits planned."""
    if program is None:
        program = Program(provider=provider)
        batch.new_programs.append(program)
    else:
        program.provider = provider
        batch.changed_programs.append(program)
    program_apply_record(program, record)
    program.updated_at = batch.now
    credits = {credit_type: Decimal(amount) for credit_type, amount in (record.get("credits") or {}).items()}
    # Verified outcome evidence (the program's own flag, False for a new listing) keeps its points.
    scores = scoring.static_scores(program_signals(program, credits=credits))
    program.static_points_set(scores)
    wanted = sorted(credits.items())
    # A listing staged again (the review queue) is planned from what is stored, to its latest credits.
    plan = batch.credit_plans.get(id(program))
    stored_credits = plan[1] if plan is not None else batch.credits.get(program.pk, []) if program.pk else []
    batch.credit_plans[id(program)] = (program, stored_credits, wanted)
    if program.pk is not None:
        batch.credits[program.pk] = [(None, credit_type, amount) for credit_type, amount in wanted]
    return program


def _history_stage(batch: _Batch, program: Program, provider: Provider, before: dict[str, Any] | None) -> None:
    """The listing's change entry; its diff is computed once the listing is saved (`_batch_save`)."""
    entry = change_entry(
        program=program,
        action=ChangeAction.CREATED if before is None else ChangeAction.UPDATED,
        source=batch.source,
        actor=batch.actor,
        changes={},
        import_job_id=batch.import_job_id,
        note=batch.note,
    )
    batch.entries.append(entry)
    # The provider as this row left it: a later row of the batch may change it again.
    provider_now = {name: value for name, value in provider_record(provider).items() if name in PROVIDER_FIELDS}
    batch.program_entries.append((entry, program, before, provider_now))


def _batch_save(batch: _Batch) -> None:
    """Write everything the batch staged with bulk queries, parents before the rows that point at them."""
    Provider.objects.bulk_create(batch.new_providers, batch_size=BATCH_SIZE)
    for provider in batch.dirty_providers.values():
        provider.updated_at = batch.now
    Provider.objects.bulk_update(
        list(batch.dirty_providers.values()),
        ["accreditor", "accreditation_status", "jointly_accredited", "updated_at"],
        batch_size=BATCH_SIZE,
    )
    bulk_insert_programs(batch.new_programs)
    changed_columns = [name for name in PROGRAM_COLUMNS if name in batch.changed_columns]
    bulk_update_rows(Program, batch.changed_programs, [*changed_columns, *Program.STATIC_POINT_FIELDS, "updated_at"])
    _credits_write(list(batch.credit_plans.values()))
    for entry, program, before, provider_now in batch.program_entries:
        columns = [getattr(program, name) for name in PROGRAM_COLUMNS]
        after = listing_record(program.provider, columns, batch.credit_plans[id(program)][2])
        entry.changes = record_diff(before, {**after, **provider_now})
        entry.program_id = program.pk  # saved just now; change_entry saw the new listing without its id
    for entry in batch.entries:
        entry.created_at = batch.now
    bulk_insert(ChangeLogEntry, batch.entries)
    ProgramRevision.objects.bulk_create(batch.new_revisions, batch_size=BATCH_SIZE)
    ProgramRevision.objects.bulk_update(
        batch.changed_revisions,
        ["record", "changes", "import_job", "source", "proposed_by", "status"],
        batch_size=BATCH_SIZE,
    )


def _provider_apply(batch: _Batch, record: dict[str, Any]) -> Provider:
    """In memory, what services.provider_for_record does: create or update, recording history."""
    name = record["provider_name"]
    provider = batch.providers.get(name)
    created = provider is None
    if provider is None:
        provider = Provider(name=name)
        batch.providers[name] = provider
        batch.new_providers.append(provider)
    before = None if created else provider_record(provider)
    for field_name in ("provider_accreditor", "provider_accreditation_status", "jointly_accredited"):
        value = record.get(field_name)
        if value is not None:
            setattr(provider, PROVIDER_FIELDS[field_name], value)
    changes = record_diff(before, provider_record(provider))
    if created or changes:
        if not created and provider.pk is not None:
            batch.dirty_providers[provider.pk] = provider
        action = ChangeAction.CREATED if created else ChangeAction.UPDATED
        batch.entries.append(
            change_entry(provider=provider, action=action, source=batch.source, actor=batch.actor, changes=changes)
        )
    return provider


def _hold_for_review(batch: _Batch, stored: _StoredListing, record: dict[str, Any]) -> str:
    """Keep a change to a published listing as a pending revision; the live listing stays as it is."""
    revision = batch.pending.get(stored.pk)
    changes = record_changes(stored.record(batch.credits[stored.pk]), record, canonical_already=batch.canonical)
    if not changes:
        if revision is not None:
            # The file now agrees with the live listing: the older proposal is moot.
            revision.status = RevisionStatus.SUPERSEDED
            batch.changed_revisions.append(revision)
        return "unchanged"
    if revision is not None:
        if revision.record == record:
            return "unchanged"
        revision.record = record
        revision.changes = changes
        revision.import_job_id = batch.import_job_id
        revision.source = ChangeSource.IMPORT
        revision.proposed_by = batch.actor
        batch.changed_revisions.append(revision)
        return "held"
    batch.new_revisions.append(
        ProgramRevision(
            program_id=stored.pk,
            record=record,
            changes=changes,
            import_job_id=batch.import_job_id,
            source=ChangeSource.IMPORT,
            proposed_by=batch.actor,
        )
    )
    return "held"


def _credits_write(plans: list[CreditPlan]) -> None:
    """Bring each listing's stored credit offerings to its wanted ones: delete, update amounts, insert."""
    delete_ids: list[int] = []
    to_update: list[CreditOffering] = []
    to_create: list[tuple[int, str, Decimal]] = []
    for program, stored_credits, wanted in plans:
        stored = {credit_type: (pk, amount) for pk, credit_type, amount in stored_credits}
        wanted_types = {credit_type for credit_type, _amount in wanted}
        delete_ids.extend(pk for credit_type, (pk, _amount) in stored.items() if credit_type not in wanted_types and pk)
        for credit_type, amount in wanted:
            found = stored.get(credit_type)
            if found is None:
                to_create.append((program.pk, credit_type, amount))
            elif found[1] != amount:
                to_update.append(
                    CreditOffering(pk=found[0], program_id=program.pk, credit_type=credit_type, amount=amount)
                )
    if delete_ids:
        CreditOffering.objects.filter(pk__in=delete_ids).delete()
    bulk_update_rows(CreditOffering, to_update, ["amount"])
    bulk_insert_values(CreditOffering, ["program_id", "credit_type", "amount"], to_create)
