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
from collections.abc import Callable, Iterator
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
    REJECT_JSON_STRUCTURE,
    REJECT_MISSING_COLUMNS,
    REJECT_NOT_UTF8,
    REJECT_TOO_MANY_ROWS,
    FileRejected,
    RowProblem,
    shorten,
    storable,
)

SCAN_PROGRESS_ROWS = 500
JSON_CHUNK_CHARS = 64 * 1024
# Room for a record with every field at its longest (validation.TEXT_MAX_LENGTH and the
# tag limits), even when every character is escaped as \uXXXX; tests hold this.
JSON_MAX_ELEMENT_CHARS = 4 * 1024 * 1024
# Shapes no listing has: beyond these an element is hostile and the file is refused.
JSON_MAX_DEPTH = 8  # the element object is level 1, a list or credits object in it level 2
JSON_MAX_KEY_CHARS = 200
JSON_MAX_KEYS = 1000
JSON_MAX_ITEMS = 10_000
JSON_MAX_NUMBER_CHARS = 100


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


def _csv_field_limit_ensure() -> None:
    """Let the csv module read a cell as long as a whole import file.

    The csv module refuses cells over 131,072 characters by default, which
    would reject a file whose description the format allows. The limit is
    process-wide, so it is only ever raised, never lowered: other readers keep
    working and a concurrent caller can only see a larger limit. Field limits
    are the validation's (row errors naming the field), not the reader's.
    """
    wanted = max(settings.IMPORT_MAX_BYTES, 1)
    if csv.field_size_limit() < wanted:
        csv.field_size_limit(wanted)


def csv_rows(binary: IO[bytes]) -> Iterator[tuple[int, dict[str, Any] | RowProblem]]:
    """Yield (row number, raw row) for each non-blank data row; the header is row 1.

    Raises FileRejected for file-level problems. A row with more cells than the
    header comes back as a RowProblem. Header names are trimmed and lowercased.
    """
    _csv_field_limit_ensure()
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
    cell = cell.strip()
    # Only a cell with a quote can hold a neutralized segment; most cells have none.
    return cell_restore(cell) if "'" in cell else cell


def _check_header(header: list[str]) -> None:
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            raise FileRejected(REJECT_DUPLICATE_COLUMN.format(name=name))
        seen.add(name)
    missing = [name for name in FIELDS if name in REQUIRED_FIELDS and name not in seen]
    if missing:
        raise FileRejected(REJECT_MISSING_COLUMNS.format(missing=", ".join(missing)))


class _HostileShape(Exception):
    """An element no listing could have (too deep, too wide, too long a key or number)."""


def _json_number(parse: type[int] | type[Decimal]) -> Any:
    def parse_number(text: str) -> int | Decimal:
        if len(text) > JSON_MAX_NUMBER_CHARS:
            raise _HostileShape(f"has a number longer than {JSON_MAX_NUMBER_CHARS} characters")
        return parse(text)

    return parse_number


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    if len(pairs) > JSON_MAX_KEYS:
        raise _HostileShape(f"has an object with more than {JSON_MAX_KEYS:,} keys")
    for key, _value in pairs:
        if len(key) > JSON_MAX_KEY_CHARS:
            raise _HostileShape(f"has a key longer than {JSON_MAX_KEY_CHARS} characters")
    return dict(pairs)


def _json_shape_check(value: Any) -> None:
    """Raise _HostileShape for nesting deeper than JSON_MAX_DEPTH or a list over JSON_MAX_ITEMS values."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list) and depth > JSON_MAX_DEPTH:
            raise _HostileShape(f"is nested more than {JSON_MAX_DEPTH} levels deep")
        if isinstance(item, list):
            if len(item) > JSON_MAX_ITEMS:
                raise _HostileShape(f"has a list with more than {JSON_MAX_ITEMS:,} values")
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())


def json_rows(binary: IO[bytes]) -> Iterator[tuple[int, dict[str, Any] | RowProblem]]:
    """Yield (element number, object) for each element of a top-level JSON array (first = 1).

    Incremental: decodes one element at a time from a bounded buffer with
    `raw_decode`, so memory does not grow with the file. Numbers are parsed as
    Decimal so amounts keep their exact value. An element of a shape no
    listing has (nested deeper than JSON_MAX_DEPTH, a list, object, key or
    number beyond the JSON_MAX_* limits, more than JSON_MAX_ELEMENT_CHARS of
    text) rejects the file before anything is written.
    """
    decoder = json.JSONDecoder(
        parse_float=_json_number(Decimal), parse_int=_json_number(int), object_pairs_hook=_json_object
    )
    text = _text_stream(binary, newline=None)
    buffer = ""
    position = 0
    eof = False
    element = 0

    def fill(at_least: int = JSON_CHUNK_CHARS) -> bool:
        nonlocal buffer, position, eof
        if eof:
            return False
        try:
            chunk = text.read(max(JSON_CHUNK_CHARS, at_least))
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
                pending = len(buffer) - position
                if pending > JSON_MAX_ELEMENT_CHARS:
                    detail = f"is longer than {JSON_MAX_ELEMENT_CHARS:,} characters"
                    raise FileRejected(REJECT_JSON_STRUCTURE.format(element=element + 1, detail=detail)) from None
                # Read as much again as is pending, so a long element is decoded a few times, not once per chunk.
                if not fill(pending):
                    raise FileRejected(REJECT_BAD_JSON.format(detail=f"element {element + 1}: {error.msg}")) from None
                continue
            except RecursionError:
                detail = f"is nested more than {JSON_MAX_DEPTH} levels deep"
                raise FileRejected(REJECT_JSON_STRUCTURE.format(element=element + 1, detail=detail)) from None
            except _HostileShape as shape:
                raise FileRejected(REJECT_JSON_STRUCTURE.format(element=element + 1, detail=shape)) from None
            # A number or literal that ends the buffer may continue in the next chunk.
            if end == len(buffer) and not isinstance(value, dict | list | str) and fill():
                continue
            break
        if end - position > JSON_MAX_ELEMENT_CHARS:
            detail = f"is longer than {JSON_MAX_ELEMENT_CHARS:,} characters"
            raise FileRejected(REJECT_JSON_STRUCTURE.format(element=element + 1, detail=detail))
        try:
            _json_shape_check(value)
        except _HostileShape as shape:
            raise FileRejected(REJECT_JSON_STRUCTURE.format(element=element + 1, detail=shape)) from None
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


def file_scan(binary: IO[bytes], file_format: str, progress: Callable[[], None] | None = None) -> ScanResult:
    """First pass: file-level problems (raised as FileRejected), row count, duplicates, unknown columns.

    `progress`, when given, is called every SCAN_PROGRESS_ROWS rows (an import job renews its lease there).
    """
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
        if progress is not None and result.rows_total % SCAN_PROGRESS_ROWS == 0:
            progress()
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
    result.unknown_columns = [storable(name) or "(blank)" for name in unknown]
    return result


def _identity_digest(row: dict[str, Any]) -> int | None:
    provider = row.get("provider_name")
    external_id = row.get("external_id")
    if provider in (None, "") or external_id in (None, ""):
        return None
    text = f"{str(provider).strip()}\x1f{str(external_id).strip()}"
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "big")
