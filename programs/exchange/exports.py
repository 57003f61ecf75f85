"""Export of listings in the exchange format (docs/import-format.md), CSV or JSON.

Streams: rows are read in chunks and written one at a time, so exporting the
whole catalog needs little memory. An exported file imports unchanged into an
empty installation (tests/programs/test_export.py checks the round trip).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet

from cme_portal.spreadsheet import csv_line

from ..models import CreditOffering, ImportRowError, Program
from .format import DECIMAL_FIELDS, FIELDS, MULTI_VALUED_FIELDS, program_record

CHUNK_SIZE = 1000


def cell_text(name: str, value: Any) -> str:
    """One exchange-format value in the CSV cell syntax (lists joined by ";", credits as type:amount)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if name == "credits":
        return ";".join(f"{credit_type}:{amount}" for credit_type, amount in value.items())
    if name in MULTI_VALUED_FIELDS:
        return ";".join(value)
    return str(value)


def export_queryset(queryset: QuerySet[Program]) -> QuerySet[Program]:
    """The listings with what their records need, in a stable order (provider, external_id)."""
    return (
        queryset.select_related("provider")
        .prefetch_related(None)
        .prefetch_related(Prefetch("credit_offerings", queryset=CreditOffering.objects.order_by("credit_type")))
        .order_by("provider__name", "external_id", "pk")
    )


def export_records(queryset: QuerySet[Program]) -> Iterator[dict[str, Any]]:
    for program in export_queryset(queryset).iterator(chunk_size=CHUNK_SIZE):
        yield program_record(program)


def csv_lines(records: Iterable[dict[str, Any]]) -> Iterator[str]:
    """CSV text, one line at a time: the header, then one row per record (cells quoted and neutralized)."""
    yield csv_line(FIELDS)
    for record in records:
        yield csv_line(cell_text(name, record.get(name)) for name in FIELDS)


def _json_value(name: str, value: Any) -> Any:
    if name == "credits":
        return {credit_type: _number(amount) for credit_type, amount in value.items()}
    if name in DECIMAL_FIELDS and value is not None:
        return _number(value)
    return value


def _number(text: str) -> Any:
    decimal = Decimal(text)
    if decimal == decimal.to_integral_value():
        return int(decimal)
    # At most 10 significant digits: the float's shortest repr is exactly this text.
    return float(decimal)


def json_lines(records: Iterable[dict[str, Any]]) -> Iterator[str]:
    """A JSON array, one element per line."""
    yield "["
    first = True
    for record in records:
        element = {name: _json_value(name, record.get(name)) for name in FIELDS}
        yield ("\n" if first else ",\n") + json.dumps(element, ensure_ascii=False)
        first = False
    yield "\n]\n"


def export_lines(queryset: QuerySet[Program], *, file_format: str) -> Iterator[str]:
    """The listings as CSV or JSON text chunks."""
    records = export_records(queryset)
    return json_lines(records) if file_format == "json" else csv_lines(records)


def export_to_file(queryset: QuerySet[Program], *, path: str, file_format: str) -> int:
    """Write the export to a local file; returns the number of listings written."""
    count = 0

    def counted() -> Iterator[dict[str, Any]]:
        nonlocal count
        for record in export_records(queryset):
            count += 1
            yield record

    lines = json_lines(counted()) if file_format == "json" else csv_lines(counted())
    with open(path, "w", encoding="utf-8", newline="") as handle:
        for line in lines:
            handle.write(line)
    return count


ERROR_COLUMNS = ("row", "field", "value", "message")


def error_rows_csv(errors: Iterable[ImportRowError]) -> Iterator[str]:
    """The error rows of an import job as CSV (row, field, value, message), neutralized."""
    yield csv_line(ERROR_COLUMNS)
    for error in errors:
        yield csv_line((error.row_number, error.field, error.value, error.message))


def csv_text(lines: Iterable[str]) -> str:
    buffer = io.StringIO()
    for line in lines:
        buffer.write(line)
    return buffer.getvalue()
