"""Write functions for the catalog. Each runs in one transaction and records history."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User

from .choices import ProgramStatus
from .exchange.format import (
    BOOLEAN_FIELDS,
    DATE_FIELDS,
    DECIMAL_FIELDS,
    MULTI_VALUED_FIELDS,
    PROGRAM_COLUMNS,
    PROVIDER_FIELDS,
    program_record,
    provider_record,
    record_changes,
    record_diff,
)
from .models import ChangeAction, ChangeLogEntry, ChangeSource, CreditOffering, Program, Provider
from .ranking import scoring
from .selectors import program_signals


def program_scores_apply(program: Program, *, has_verified_outcome_evidence: bool | None = None) -> None:
    """Set the stored goal-independent sub-scores on the instance (does not save)."""
    signals = program_signals(program, has_verified_outcome_evidence=has_verified_outcome_evidence)
    scores = scoring.static_scores(signals)
    program.static_points_set(scores)


def program_scores_refresh(*, programs: Iterable[Program]) -> int:
    """Recompute and store the goal-independent sub-scores; returns how many changed.

    The programs need their provider and credit offerings; whether their outcome
    evidence is verified is read from their own row.
    """
    programs = list(programs)
    changed = []
    for program in programs:
        before = [getattr(program, name) for name in Program.STATIC_POINT_FIELDS]
        program_scores_apply(program)
        if before != [getattr(program, name) for name in Program.STATIC_POINT_FIELDS]:
            changed.append(program)
    Program.objects.bulk_update(changed, list(Program.STATIC_POINT_FIELDS), batch_size=500)
    return len(changed)


def programs_outcome_evidence_set(*, program_ids: Iterable[int], verified_ids: Iterable[int]) -> int:
    """Store which of these programs have verified outcome evidence and recompute their sub-scores.

    The outcomes app decides what counts as verified and calls this after every change
    to the evidence; programs only keeps the answer on its rows. One transaction;
    returns how many programs' scores changed.
    """
    program_ids, verified_ids = set(program_ids), set(verified_ids)
    with transaction.atomic():
        Program.objects.filter(pk__in=program_ids & verified_ids).update(has_verified_outcome_evidence=True)
        Program.objects.filter(pk__in=program_ids - verified_ids).update(has_verified_outcome_evidence=False)
        programs = (
            Program.objects.filter(pk__in=program_ids).select_related("provider").prefetch_related("credit_offerings")
        )
        return program_scores_refresh(programs=programs)


def change_entry(
    *,
    program: Program | None = None,
    provider: Provider | None = None,
    action: str,
    source: str,
    actor: User | None,
    changes: dict[str, list[Any]],
    import_job_id: int | None = None,
    note: str = "",
    object_repr: str | None = None,
) -> ChangeLogEntry:
    """An unsaved history entry; callers save it or bulk_create many."""
    target = program if program is not None else provider
    return ChangeLogEntry(
        program=program,
        provider=provider if program is None else None,
        object_repr=(object_repr or str(target))[:300],
        action=action,
        source=source,
        actor=actor if actor is not None and actor.pk else None,
        changes=changes,
        import_job_id=import_job_id,
        note=note,
    )


def program_history_record(
    *,
    program: Program,
    before: dict[str, Any] | None,
    actor: User | None,
    source: str,
    note: str = "",
    import_job_id: int | None = None,
) -> ChangeLogEntry | None:
    """Store what changed since `before` (a program_record); nothing when nothing changed."""
    return _history_save(
        before,
        program_record(program),
        program=program,
        actor=actor,
        source=source,
        note=note,
        import_job_id=import_job_id,
    )


def provider_history_record(
    *, provider: Provider, before: dict[str, Any] | None, actor: User | None, source: str
) -> ChangeLogEntry | None:
    return _history_save(before, provider_record(provider), provider=provider, actor=actor, source=source)


def _history_save(
    before: dict[str, Any] | None,
    after: dict[str, Any],
    *,
    program: Program | None = None,
    provider: Provider | None = None,
    actor: User | None,
    source: str,
    note: str = "",
    import_job_id: int | None = None,
) -> ChangeLogEntry | None:
    """Save the history entry of `program` or `provider` for a change from `before` (None: just created) to `after`.

    Saves nothing and returns None when nothing changed.
    """
    changes = record_diff(before, after)
    if before is not None and not changes:
        return None
    entry = change_entry(
        program=program,
        provider=provider,
        action=ChangeAction.CREATED if before is None else ChangeAction.UPDATED,
        source=source,
        actor=actor,
        changes=changes,
        import_job_id=import_job_id,
        note=note,
    )
    entry.save()
    return entry


def programs_set_status(
    *, program_ids: Sequence[int], status: str, actor: User | None, source: str = ChangeSource.ADMIN, note: str = ""
) -> int:
    """Publish or archive programs in bulk; returns how many changed status.

    One transaction; one history entry per program that actually changed.
    """
    if status not in ProgramStatus.values:
        raise ValueError(f"Unknown status {status!r}")
    with transaction.atomic():
        programs = list(Program.objects.select_for_update().filter(pk__in=program_ids).exclude(status=status))
        now = timezone.now()
        entries = [
            change_entry(
                program=program,
                action=ChangeAction.UPDATED,
                source=source,
                actor=actor,
                changes={"status": [program.status, status]},
                note=note,
            )
            for program in programs
        ]
        Program.objects.filter(pk__in=[p.pk for p in programs]).update(status=status, updated_at=now)
        for entry in entries:
            entry.created_at = now
        ChangeLogEntry.objects.bulk_create(entries, batch_size=500)
    return len(programs)


def program_history_for_delete(*, program: Program, actor: User | None, source: str) -> None:
    """Record a deletion with the listing's last content, before it is deleted."""
    change_entry(
        program=None,
        provider=None,
        action=ChangeAction.DELETED,
        source=source,
        actor=actor,
        changes=record_diff(program_record(program), None),
        object_repr=f"{program.title} ({program.provider.name} / {program.external_id})",
    ).save()


class UpsertOutcome:
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


def provider_for_record(*, record: dict[str, Any], actor: User | None, source: str) -> Provider:
    """Get or create the record's provider; update its accreditation fields when the record states them."""
    provider, created = Provider.objects.get_or_create(name=record["provider_name"])
    before = None if created else provider_record(provider)
    for field_name in ("provider_accreditor", "provider_accreditation_status", "jointly_accredited"):
        value = record.get(field_name)
        if value is None:
            continue
        setattr(provider, PROVIDER_FIELDS[field_name], value)
    if created or record_diff(before, provider_record(provider)):
        provider.save()
        provider_history_record(provider=provider, before=before, actor=actor, source=source)
    return provider


def program_apply_record(program: Program, record: dict[str, Any]) -> None:
    """Copy a canonical exchange record's program fields onto the instance (does not save)."""
    for name in PROGRAM_COLUMNS:
        value = record.get(name)
        if name in DECIMAL_FIELDS:
            value = Decimal(value) if value is not None and value != "" else None
        elif name in DATE_FIELDS:
            value = datetime.date.fromisoformat(value) if value else None
        elif name in MULTI_VALUED_FIELDS:
            value = list(value or [])
        elif name in BOOLEAN_FIELDS:
            value = value if value is None else bool(value)
        elif name == "fee_currency":
            value = value or "USD"
        elif name == "status":
            value = value or ProgramStatus.DRAFT
        elif value is None:
            value = ""
        setattr(program, name, value)


def program_restore_record(program: Program, record: dict[str, Any]) -> None:
    """Put the listing's exchange-format fields and credits back to `record` (a program_record), writing no history.

    For a change that was saved only to be held for review (the admin's form
    saves before it can be held); other columns keep what was saved.
    """
    program_apply_record(program, record)
    program.save()
    program.credit_offerings.all().delete()
    CreditOffering.objects.bulk_create(
        [
            CreditOffering(program=program, credit_type=credit_type, amount=Decimal(amount))
            for credit_type, amount in (record.get("credits") or {}).items()
        ]
    )
    program = Program.objects.select_related("provider").prefetch_related("credit_offerings").get(pk=program.pk)
    program_scores_apply(program)
    program.save(update_fields=list(Program.STATIC_POINT_FIELDS))


def program_upsert_from_record(
    *, record: dict[str, Any], actor: User | None, source: str, import_job_id: int | None = None
) -> tuple[Program, str]:
    """Create or update the listing identified by (provider, external_id) from a canonical record.

    The record must already be valid (exchange-format values). Runs in one
    transaction; returns the program and "created", "updated" or "unchanged".
    A record equal to what is stored writes nothing.
    """
    with transaction.atomic():
        provider = provider_for_record(record=record, actor=actor, source=source)
        program = (
            Program.objects.select_for_update()
            .select_related("provider")
            .prefetch_related("credit_offerings")
            .filter(provider=provider, external_id=record["external_id"])
            .first()
        )
        before = program_record(program) if program is not None else None
        if program is not None and before is not None and not record_changes(before, record):
            return program, UpsertOutcome.UNCHANGED
        if program is None:
            program = Program(provider=provider)
        program_apply_record(program, record)
        program.full_clean(exclude=["provider", "verified_by"], validate_unique=False)
        program.save()
        credits = record.get("credits") or {}
        program.credit_offerings.exclude(credit_type__in=list(credits)).delete()
        existing = {offering.credit_type: offering for offering in program.credit_offerings.all()}
        for credit_type, amount in credits.items():
            offering = existing.get(credit_type)
            if offering is None:
                CreditOffering.objects.create(program=program, credit_type=credit_type, amount=Decimal(amount))
            elif offering.amount != Decimal(amount):
                offering.amount = Decimal(amount)
                offering.save(update_fields=["amount"])
        program = Program.objects.select_related("provider").prefetch_related("credit_offerings").get(pk=program.pk)
        program_scores_apply(program)
        Program.objects.filter(pk=program.pk).update(
            **{name: getattr(program, name) for name in Program.STATIC_POINT_FIELDS}
        )
        program_history_record(program=program, before=before, actor=actor, source=source, import_job_id=import_job_id)
        return program, UpsertOutcome.CREATED if before is None else UpsertOutcome.UPDATED
