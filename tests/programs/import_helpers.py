"""Shared helpers for the import, export and review tests."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from typing import Any

from django.db import connection, transaction

from programs.exchange import jobs, validation, writing
from programs.exchange.format import program_record
from programs.models import ChangeLogEntry, CreditOffering, ImportJob, Program, ProgramRevision, Provider
from programs.services import program_upsert_from_record
from tests.factories import AdminFactory

HEADER = "external_id,title,provider_name,format"


def csv_text(rows: list[dict[str, str]], columns: list[str] | None = None) -> str:
    columns = columns or list(dict.fromkeys(key for row in rows for key in row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return buffer.getvalue()


def good_row(n: int = 1, **overrides: str) -> dict[str, str]:
    row = {
        "external_id": f"X-{n}",
        "title": f"Sepsis quality improvement {n}",
        "provider_name": "Mercy CME",
        "format": "course",
        "delivery": "live_online",
        "start_date": "2030-03-01",
        "end_date": "2030-03-02",
        "fee_amount": "250",
        "credits": "ama_pra_1:8",
        "professions": "physician;nurse",
        "topics": "sepsis",
        "description": "A practice improvement project with chart audit.",
    }
    row.update(overrides)
    return row


def run_import(content: str | bytes, *, name: str = "listings.csv", publish: bool = False, actor=None) -> ImportJob:
    data = content.encode() if isinstance(content, str) else content
    job = jobs.import_job_create(upload=io.BytesIO(data), file_name=name, actor=actor, publish=publish)
    if job.is_finished:
        return job
    result = jobs.import_job_run(job_id=job.pk)
    assert result is not None
    return result


def errors_of(job: ImportJob) -> list[tuple[int, str, str, str]]:
    return list(job.row_errors.values_list("row_number", "field", "value", "message"))


def catalog_checksum() -> str:
    """A digest of every listing's exchange record, revisions and history size."""
    programs = Program.objects.select_related("provider").prefetch_related("credit_offerings").order_by("pk")
    payload = {
        "programs": [program_record(p) for p in programs],
        "revisions": list(ProgramRevision.objects.order_by("pk").values("program_id", "record", "status")),
        "history": ChangeLogEntry.objects.count(),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def import_snapshot() -> dict[str, Any]:
    """Everything an import writes, keyed by identity rather than by id (ids differ between runs)."""
    programs = Program.objects.select_related("provider").prefetch_related("credit_offerings").order_by("external_id")
    job_order = {pk: n for n, pk in enumerate(ImportJob.objects.order_by("pk").values_list("pk", flat=True))}
    snapshot: dict[str, Any] = {
        "programs": [
            (
                program_record(p),
                p.status,
                [getattr(p, name) for name in Program.STATIC_POINT_FIELDS],
            )
            for p in programs
        ],
        "offerings": sorted(
            CreditOffering.objects.values_list(
                "program__provider__name", "program__external_id", "credit_type", "amount"
            )
        ),
        "history": [
            (
                entry.action,
                entry.object_repr,
                entry.changes,
                entry.source,
                entry.note,
                job_order.get(entry.import_job_id),
            )
            for entry in ChangeLogEntry.objects.order_by("pk")
        ],
        "revisions": [
            (r.program.external_id, r.record, r.changes, r.status, r.source, job_order.get(r.import_job_id))
            for r in ProgramRevision.objects.select_related("program").order_by("pk")
        ],
        "providers": list(
            Provider.objects.order_by("name").values_list(
                "name", "accreditor", "accreditation_status", "jointly_accredited"
            )
        ),
        "jobs": list(
            ImportJob.objects.order_by("pk").values_list(
                "status", "created_count", "updated_count", "unchanged_count", "held_count", "error_count"
            )
        ),
    }
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT external_id, search_document::text FROM programs_program ORDER BY external_id, provider_id"
            )
            snapshot["search_documents"] = cursor.fetchall()
    return snapshot


def published_records(rows: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Each row as validation reads it (every row must be valid), to be written as published."""
    out = []
    for row in rows:
        record, problems = validation.row_validate(row)
        assert not problems and record is not None
        record["status"] = "published"
        out.append(record)
    return out


def one_by_one_and_batch(
    first: list[dict[str, str]], second: list[dict[str, str]], *, keys: tuple[str, ...], canonical: bool = False
) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """Import `first` with the one-by-one service, then `second` both ways (the service in a rolled-back
    savepoint, then the importer's batch write): the `keys` of each end state, and the batch's outcomes."""
    admin = AdminFactory()

    def snapshot() -> dict[str, Any]:
        full = import_snapshot()
        return {key: full.get(key) for key in keys}

    for record in published_records(first):
        program_upsert_from_record(record=record, actor=admin, source="import")
    with transaction.atomic():
        savepoint = transaction.savepoint()
        for record in published_records(second):
            program_upsert_from_record(record=record, actor=admin, source="import")
        one_by_one = snapshot()
        transaction.savepoint_rollback(savepoint)
    with transaction.atomic():
        outcomes = writing.records_write(
            records=published_records(second), actor=admin, publish=True, import_job_id=None, canonical=canonical
        )
    return one_by_one, snapshot(), outcomes
