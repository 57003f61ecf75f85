"""Shared helpers for the import, export and review tests."""

from __future__ import annotations

import csv
import hashlib
import io
import json

from programs.exchange import jobs
from programs.exchange.format import program_record
from programs.models import ChangeLogEntry, ImportJob, Program, ProgramRevision

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
