"""Reading import files, streaming: CSV or JSON rows in, raw rows (or a RowProblem) out.

Memory stays flat with file size: csv reads over a text wrapper; JSON is
decoded with `json.JSONDecoder.raw_decode` over chunks, holding at most one
array element. `file_scan` is the first pass over a file: file-level problems,
the row count and duplicate identities (one 64-bit digest per row, bounded by
the row limit).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

from django.conf import settings

from cme_portal.spreadsheet import cell_restore

from ..models import ImportFileFormat
from .format import FIELDS, REQUIRED_FIELDS
from .problems import (
    MSG_NOT_OBJECT,
    MSG_TOO_MANY_CELLS,
    REJECT_BAD_CSV,
    REJECT_BAD_JSON,
    REJECT_DUPLICATE_COLUMN,
    REJECT_EMPTY,
    REJECT_JSON_NOT_ARRAY,
    REJECT_MISSING_COLUMNS,
    REJECT_NOT_UTF8,
    REJECT_TOO_MANY_ROWS,
    FileRejected,
    RowProblem,
    shorten,
)

JSON_CHUNK_CHARS = 64 * 1024
JSON_MAX_ELEMENT_CHARS = 1024 * 1024


@dataclass
class ScanResult:
    """What the first pass learned: data rows, unknown columns, later rows of duplicate identities."""

    rows_total: int = 0
    unknown_columns: list[str] = field(default_factory=list)
    duplicates: dict[int, int] = field(default_factory=dict)  # row number -> the earlier row


def format_for(file_name: str, head: bytes = b"") -> str:
    """CSV or JSON, from the extension; otherwise from the first non-blank character."""
    lowered = file_name.lower()
    if lowered.endswith(".json"):
        return ImportFileFormat.JSON
    if lowered.endswith(".csv"):
        return ImportFileFormat.CSV
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return ImportFileFormat.JSON if stripped[:1] in (b"[", b"{") else ImportFileFormat.CSV


def _text_stream(binary: IO[bytes], newline: str | None) -> io.TextIOWrapper:
    return io.TextIOWrapper(binary, encoding="utf-8-sig", errors="strict", newline=newline)


def csv_rows(binary: IO[bytes]) -> Iterator[tuple[int, dict[str, Any] | RowProblem]]:
    """Yield (row number, raw row) for each non-blank data row; the header is row 1.

    Raises FileRejected for file-level problems. A row with more cells than the
    header comes back as a RowProblem. Header names are trimmed and lowercased.
    """
    text = _text_stream(binary, newline="")
    reader = csv.reader(text, strict=True)
    row_number = 0
    try:
        header: list[str] | None = None
        for cells in reader:
            row_number += 1
            if header is None:
                if not any(cell.strip() for cell in cells):
                    continue
                header = [cell.strip().lower() for cell in cells]
                _check_header(header)
                yield 0, {"__header__": header}
                row_number = 1
                continue
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > len(header):
                yield row_number, RowProblem("", "", MSG_TOO_MANY_CELLS.format(count=len(cells), expected=len(header)))
                continue
            yield row_number, {name: _csv_cell(cell) for name, cell in zip(header, cells, strict=False) if name}
        if header is None:
            raise FileRejected(REJECT_EMPTY)
    except UnicodeDecodeError:
        raise FileRejected(REJECT_NOT_UTF8.format(row=row_number + 1)) from None
    except csv.Error as error:
        raise FileRejected(REJECT_BAD_CSV.format(row=row_number + 1, detail=error)) from None


def _csv_cell(cell: str) -> str:
    """A CSV cell as entered; undoes the export's formula neutralization ('=x -> =x)."""
    return cell_restore(cell.strip())


def _check_header(header: list[str]) -> None:
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            raise FileRejected(REJECT_DUPLICATE_COLUMN.format(name=name))
        seen.add(name)
    missing = [name for name in FIELDS if name in REQUIRED_FIELDS and name not in seen]
    if missing:
        raise FileRejected(REJECT_MISSING_COLUMNS.format(missing=", ".join(missing)))


def json_rows(binary: IO[bytes]) -> Iterator[tuple[int, dict[str, Any] | RowProblem]]:
    """Yield (element number, object) for each element of a top-level JSON array (first = 1).

    Incremental: decodes one element at a time from a bounded buffer with
    `raw_decode`, so memory does not grow with the file. Numbers are parsed as
    Decimal so amounts keep their exact value.
    """
    decoder = json.JSONDecoder(parse_float=Decimal)
    text = _text_stream(binary, newline=None)
    buffer = ""
    position = 0
    eof = False
    element = 0

    def fill() -> bool:
        nonlocal buffer, position, eof
        if eof:
            return False
        try:
            chunk = text.read(JSON_CHUNK_CHARS)
        except UnicodeDecodeError:
            raise FileRejected(REJECT_NOT_UTF8.format(row=max(element, 1))) from None
        buffer = buffer[position:] + chunk
        position = 0
        if not chunk:
            eof = True
        return bool(chunk)

    def skip_space() -> str:
        nonlocal position
        while True:
            while position < len(buffer) and buffer[position] in " \t\r\n":
                position += 1
            if position < len(buffer):
                return buffer[position]
            if not fill():
                return ""

    first = skip_space()
    if first == "":
        raise FileRejected(REJECT_EMPTY)
    if first != "[":
        raise FileRejected(REJECT_JSON_NOT_ARRAY)
    position += 1
    expect_value = True
    while True:
        char = skip_space()
        if char == "":
            raise FileRejected(REJECT_BAD_JSON.format(detail="the file ends before the closing ]"))
        if char == "]" and (element == 0 or not expect_value):
            position += 1
            break
        if not expect_value:
            if char != ",":
                raise FileRejected(REJECT_BAD_JSON.format(detail=f"expected , or ] after element {element}"))
            position += 1
            expect_value = True
            continue
        while True:
            try:
                value, end = decoder.raw_decode(buffer, position)
            except json.JSONDecodeError as error:
                if len(buffer) - position > JSON_MAX_ELEMENT_CHARS or not fill():
                    raise FileRejected(REJECT_BAD_JSON.format(detail=f"element {element + 1}: {error.msg}")) from None
                continue
            # A number or literal that ends the buffer may continue in the next chunk.
            if end == len(buffer) and not isinstance(value, dict | list | str) and fill():
                continue
            break
        position = end
        element += 1
        expect_value = False
        if isinstance(value, dict):
            yield element, {str(key).strip().lower(): item for key, item in value.items()}
        else:
            yield element, RowProblem("", shorten(value), MSG_NOT_OBJECT)
    if skip_space() != "":
        raise FileRejected(REJECT_BAD_JSON.format(detail="text after the closing ]"))


def file_rows(binary: IO[bytes], file_format: str) -> Iterator[tuple[int, dict[str, Any] | RowProblem]]:
    """Data rows of either format, header rows filtered out."""
    reader = json_rows(binary) if file_format == ImportFileFormat.JSON else csv_rows(binary)
    for row_number, row in reader:
        if row_number == 0:
            continue
        yield row_number, row


def file_scan(binary: IO[bytes], file_format: str) -> ScanResult:
    """First pass: file-level problems (raised as FileRejected), row count, duplicates, unknown columns."""
    result = ScanResult()
    first_row_of: dict[int, int] = {}
    unknown: dict[str, None] = {}
    reader = json_rows(binary) if file_format == ImportFileFormat.JSON else csv_rows(binary)
    for row_number, row in reader:
        if row_number == 0:
            assert isinstance(row, dict)
            unknown.update(dict.fromkeys(name for name in row["__header__"] if name not in FIELDS))
            continue
        result.rows_total += 1
        if result.rows_total > settings.IMPORT_MAX_ROWS:
            raise FileRejected(REJECT_TOO_MANY_ROWS.format(limit=settings.IMPORT_MAX_ROWS))
        if isinstance(row, RowProblem):
            continue
        if file_format == ImportFileFormat.JSON:
            unknown.update(dict.fromkeys(name for name in row if name not in FIELDS))
        key = _identity_digest(row)
        if key is None:
            continue
        if key in first_row_of:
            result.duplicates[row_number] = first_row_of[key]
        else:
            first_row_of[key] = row_number
    result.unknown_columns = [name or "(blank)" for name in unknown]
    return result


def _identity_digest(row: dict[str, Any]) -> int | None:
    provider = row.get("provider_name")
    external_id = row.get("external_id")
    if provider in (None, "") or external_id in (None, ""):
        return None
    text = f"{str(provider).strip()}\x1f{str(external_id).strip()}"
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")
