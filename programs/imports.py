"""Bulk import of listings in the exchange format (docs/import-format.md, version 1).

The pieces, in the order a job uses them:

- `import_job_create` stores the upload in private media with its size and
  SHA-256 and records a queued `ImportJob`; `import_job_enqueue` hands it to
  Celery without ever blocking the web request on a dead broker for long.
- `import_job_run` (called by the Celery task) claims the job with a lease,
  scans the file once for file-level problems (encoding, syntax, required
  columns, row limit) and duplicate identities, then validates and writes the
  rows in batches. Each batch, its error rows and the job's counters commit in
  one transaction, so a run that dies resumes after the last committed batch
  and the end state is as if it ran once.
- `row_validate` turns one raw row into a canonical exchange record (the form
  `programs.exchange.program_record` produces) or a list of `RowProblem`s.
- `records_write` is the batched equivalent of calling
  `programs.services.program_upsert_from_record` for each record: same
  listings, same provider updates, same history entries, far fewer queries.

Memory stays flat with file size: both passes stream the file (csv over a
text wrapper; JSON with `json.JSONDecoder.raw_decode` over chunks, holding at
most one array element). The only structure that grows is the duplicate
detector: one 64-bit digest per row, bounded by the 200,000-row limit.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import json
import logging
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from cme_portal.spreadsheet import cell_restore

from . import scoring
from .bulk import bulk_insert, bulk_insert_programs
from .choices import (
    AccreditationStatus,
    Accreditor,
    ActivityFormat,
    CareerTrack,
    CommercialSupport,
    Competency,
    CreditType,
    Delivery,
    DesignedToChange,
    OutcomeLevel,
    Profession,
    ProgramStatus,
)
from .exchange import (
    BOOLEAN_FIELDS,
    DATE_FIELDS,
    DECIMAL_FIELDS,
    FIELDS,
    MULTI_VALUED_FIELDS,
    PROGRAM_COLUMNS,
    PROVIDER_FIELDS,
    REQUIRED_FIELDS,
    decimal_text,
    program_record,
    provider_record,
    record_canonical,
    record_changes,
    record_diff,
)
from .models import (
    ChangeAction,
    ChangeLogEntry,
    ChangeSource,
    CreditOffering,
    ImportFileFormat,
    ImportJob,
    ImportJobStatus,
    ImportRowError,
    Program,
    ProgramRevision,
    Provider,
    RevisionStatus,
)
from .selectors import program_signals
from .services import change_entry, program_apply_record

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
CREDIT_TYPES = tuple(CreditType.values)
LEASE_SECONDS = 120  # a run that has not committed a batch for this long is presumed dead
JSON_CHUNK_CHARS = 64 * 1024
JSON_MAX_ELEMENT_CHARS = 1024 * 1024

# ---------------------------------------------------------------------------
# Vocabularies and limits, from the models so the two cannot drift apart.

STATUS_VALUES = (ProgramStatus.DRAFT, ProgramStatus.PUBLISHED, ProgramStatus.ARCHIVED)
CHOICE_FIELDS: dict[str, tuple[str, ...]] = {
    "provider_accreditor": tuple(Accreditor.values),
    "provider_accreditation_status": tuple(AccreditationStatus.values),
    "format": tuple(ActivityFormat.values),
    "delivery": tuple(Delivery.values),
    "outcome_level_measured": tuple(OutcomeLevel.values),
    "commercial_support": tuple(CommercialSupport.values),
    "status": tuple(str(value) for value in STATUS_VALUES),
}
CODE_SET_FIELDS: dict[str, tuple[str, ...]] = {
    "professions": tuple(Profession.values),
    "planning_professions": tuple(Profession.values),
    "competencies": tuple(Competency.values),
    "career_tracks": tuple(CareerTrack.values),
    "designed_to_change": tuple(DesignedToChange.values),
}
TEXT_MAX_LENGTH: dict[str, int | None] = {
    "external_id": Program._meta.get_field("external_id").max_length,
    "title": Program._meta.get_field("title").max_length,
    "provider_name": Provider._meta.get_field("name").max_length,
    "description": None,
    "location_city": Program._meta.get_field("location_city").max_length,
    "location_state": Program._meta.get_field("location_state").max_length,
    "location_country": Program._meta.get_field("location_country").max_length,
}
URL_FIELDS = {"url": 500, "outcomes_url": 500}
# field -> (max_digits, decimal_places), as the model columns store them.
DECIMAL_LIMITS: dict[str, tuple[int, int]] = {
    name: (Program._meta.get_field(name).max_digits, Program._meta.get_field(name).decimal_places)  # type: ignore[misc]
    for name in DECIMAL_FIELDS
}
CREDIT_LIMITS = (7, 2)
CREDIT_MINIMUM = Decimal("0.25")
TRUE_WORDS = {"true", "yes", "1"}
FALSE_WORDS = {"false", "no", "0"}
CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")
_url_validator = URLValidator(schemes=["http", "https"])

# ---------------------------------------------------------------------------
# The messages users see. docs/import-format.md lists each one; keep them in step.

MSG_REQUIRED = "Required; cannot be blank."
MSG_CHOICE = "Not an allowed value. Allowed: {allowed}."
MSG_CODES = "Contains a value that is not allowed: “{bad}”. Allowed, separated by “;”: {allowed}."
MSG_TEXT_TOO_LONG = "Too long: at most {limit} characters."
MSG_TEXT_TYPE = "Must be text."
MSG_LIST_TYPE = "Must be a list of text values (CSV: separated by “;”)."
MSG_URL = "Must be a full http:// or https:// URL of at most 500 characters."
MSG_DATE = "Must be a date as YYYY-MM-DD, e.g. 2026-03-31."
MSG_END_BEFORE_START = "The end date is before the start date; end_date must be on or after start_date."
MSG_DECIMAL = (
    "Must be a number of at least 0 with at most {places} decimal place(s) and {whole} digit(s) before the point."
)
MSG_BOOLEAN = "Must be true or false (also accepted: yes/no, 1/0, any case)."
MSG_CURRENCY = "Must be a three-letter ISO 4217 currency code, e.g. USD."
MSG_CREDITS_SYNTAX = "Must be type:amount pairs separated by “;”, e.g. ama_pra_1:185;ancc:20."
MSG_CREDITS_TYPE = "Unknown credit type “{bad}”. Allowed: {allowed}."
MSG_CREDITS_TWICE = "The credit type “{bad}” is given twice."
MSG_CREDITS_AMOUNT = "Credit amounts must be numbers from 0.25 up, with at most 2 decimal places (“{bad}”)."
MSG_DUPLICATE = (
    "The same provider_name and external_id are already on row {first}; "
    "an identity may appear only once in a file, so this row was not imported."
)
MSG_TOO_MANY_CELLS = "The row has {count} cells but the header has {expected} columns."
MSG_NOT_OBJECT = "Each element of the JSON array must be an object ({...})."

REJECT_EMPTY = "The file is empty. It needs a header row naming at least: external_id, title, provider_name, format."
REJECT_TOO_BIG = "The file is larger than {limit} MB, the import limit. Split it into smaller files."
REJECT_TOO_MANY_ROWS = "The file has more than {limit:,} rows, the import limit. Split it into smaller files."
REJECT_NOT_UTF8 = (
    "The file is not UTF-8 text (invalid bytes near row {row}). "
    "Save it as UTF-8 (in Excel: “CSV UTF-8”) and upload it again."
)
REJECT_BAD_CSV = "The file is not valid CSV (row {row}: {detail})."
REJECT_BAD_JSON = "The file is not valid JSON ({detail})."
REJECT_JSON_NOT_ARRAY = "A JSON import must be one array of objects: [{...}, {...}]."
REJECT_MISSING_COLUMNS = (
    "Required column(s) missing from the header: {missing}. "
    "The header must name external_id, title, provider_name and format."
)
REJECT_DUPLICATE_COLUMN = "The column “{name}” appears more than once in the header."
REJECT_FILE_MISSING = "The uploaded file is no longer stored; upload it again."
NOTICE_UNKNOWN_COLUMNS = "Unknown column(s) ignored: {names}."
FAILED_UNEXPECTED = "The import stopped because of an unexpected error after row {row}. Rows before it were imported."


class FileRejected(Exception):
    """The whole file is unusable; nothing from it is written. The message is for the admin."""


@dataclass(frozen=True)
class RowProblem:
    field: str
    value: str
    message: str


@dataclass
class ScanResult:
    """What the first pass learned: data rows, unknown columns, later rows of duplicate identities."""

    rows_total: int = 0
    unknown_columns: list[str] = field(default_factory=list)
    duplicates: dict[int, int] = field(default_factory=dict)  # row number -> the earlier row


@dataclass
class BatchCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    held: int = 0

    def add(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)


# ---------------------------------------------------------------------------
# Reading files (streaming).


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
            yield element, RowProblem("", _shorten(value), MSG_NOT_OBJECT)
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


# ---------------------------------------------------------------------------
# Validating one row.


def _shorten(value: Any, limit: int = 300) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        text = json.dumps(value, default=str, ensure_ascii=False)
    elif isinstance(value, bool):
        text = "true" if value else "false"
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "") or value == []


def _as_text(value: Any) -> str | None:
    """Text of a scalar (numbers become their text); None when it is not a scalar."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool | dict | list):
        return None
    return str(value)


def _as_list(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [part.strip() for part in value.split(";") if part.strip()]
    if isinstance(value, list):
        items = [_as_text(item) for item in value]
        if any(item is None for item in items):
            return None
        return [item for item in items if item]  # type: ignore[misc]
    return None


def _decimal(value: Any, limits: tuple[int, int], minimum: Decimal) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not number.is_finite() or number < minimum:
        return None
    max_digits, places = limits
    _sign, digits, exponent = number.normalize().as_tuple()
    assert isinstance(exponent, int)
    decimals = max(0, -exponent)
    whole = max(0, len(digits) + exponent)
    if decimals > places or whole > max_digits - places:
        return None
    return number


def row_validate(raw: dict[str, Any]) -> tuple[dict[str, Any] | None, list[RowProblem]]:
    """Check one raw row against the exchange format.

    Returns (canonical record, []) for a valid row, with `status` None when the
    row does not state one, or (None, problems) naming each bad field.
    Writes nothing.
    """
    problems: list[RowProblem] = []
    record: dict[str, Any] = {}

    def bad(name: str, value: Any, message: str) -> None:
        problems.append(RowProblem(name, _shorten(value), message))

    for name in FIELDS:
        value = raw.get(name)
        if _is_blank(value):
            if name in REQUIRED_FIELDS:
                bad(name, value, MSG_REQUIRED)
            record[name] = {} if name == "credits" else [] if name in MULTI_VALUED_FIELDS else None
            continue
        if name in TEXT_MAX_LENGTH:
            text = _as_text(value)
            limit = TEXT_MAX_LENGTH[name]
            if text is None:
                bad(name, value, MSG_TEXT_TYPE)
            elif limit is not None and len(text) > limit:
                bad(name, value, MSG_TEXT_TOO_LONG.format(limit=limit))
            else:
                record[name] = text
        elif name in CHOICE_FIELDS:
            text = _as_text(value)
            code = text.lower() if text is not None else None
            if code not in CHOICE_FIELDS[name]:
                bad(name, value, MSG_CHOICE.format(allowed=", ".join(CHOICE_FIELDS[name])))
            else:
                record[name] = code
        elif name in CODE_SET_FIELDS:
            items = _as_list(value)
            allowed = CODE_SET_FIELDS[name]
            if items is None:
                bad(name, value, MSG_LIST_TYPE)
                continue
            codes = [item.lower() for item in items]
            unknown = [code for code in codes if code not in allowed]
            if unknown:
                bad(name, value, MSG_CODES.format(bad=unknown[0], allowed=", ".join(allowed)))
            else:
                # Stored as a bit mask, read back in declaration order: canonical order.
                record[name] = [code for code in allowed if code in codes]
        elif name in MULTI_VALUED_FIELDS:
            items = _as_list(value)
            if items is None:
                bad(name, value, MSG_LIST_TYPE)
            else:
                record[name] = list(dict.fromkeys(items))
        elif name in URL_FIELDS:
            text = _as_text(value)
            try:
                if text is None or len(text) > URL_FIELDS[name]:
                    raise ValidationError("bad")
                _url_validator(text)
            except ValidationError:
                bad(name, value, MSG_URL)
            else:
                record[name] = text
        elif name in DATE_FIELDS:
            text = _as_text(value)
            try:
                if text is None or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                    raise ValueError(text)
                record[name] = datetime.date.fromisoformat(text).isoformat()
            except ValueError:
                bad(name, value, MSG_DATE)
        elif name in DECIMAL_FIELDS:
            max_digits, places = DECIMAL_LIMITS[name]
            number = _decimal(value, DECIMAL_LIMITS[name], Decimal("0"))
            if number is None:
                bad(name, value, MSG_DECIMAL.format(places=places, whole=max_digits - places))
            else:
                record[name] = decimal_text(number)
        elif name in BOOLEAN_FIELDS:
            if isinstance(value, bool):
                record[name] = value
            else:
                word = _as_text(value)
                word = word.lower() if word is not None else None
                if word in TRUE_WORDS:
                    record[name] = True
                elif word in FALSE_WORDS:
                    record[name] = False
                else:
                    bad(name, value, MSG_BOOLEAN)
        elif name == "fee_currency":
            text = _as_text(value)
            code = text.upper() if text is not None else None
            if code is None or not CURRENCY_PATTERN.match(code):
                bad(name, value, MSG_CURRENCY)
            else:
                record[name] = code
        elif name == "credits":
            credits = _credits(value, bad)
            if credits is not None:
                record[name] = credits
    start, end = record.get("start_date"), record.get("end_date")
    if start and end and end < start:
        bad("end_date", raw.get("end_date"), MSG_END_BEFORE_START)
    if problems:
        return None, problems
    status = record.get("status")
    canonical = record_canonical(record)
    canonical["status"] = status
    return canonical, []


def _credits(value: Any, bad: Any) -> dict[str, str] | None:
    pairs: list[tuple[Any, Any]]
    if isinstance(value, dict):
        pairs = list(value.items())
    elif isinstance(value, str):
        pairs = []
        for part in value.split(";"):
            if not part.strip():
                continue
            if part.count(":") != 1:
                bad("credits", value, MSG_CREDITS_SYNTAX)
                return None
            credit_type, amount = part.split(":")
            pairs.append((credit_type, amount))
    else:
        bad("credits", value, MSG_CREDITS_SYNTAX)
        return None
    credits: dict[str, str] = {}
    for credit_type, amount in pairs:
        code = str(credit_type).strip().lower()
        if code not in CREDIT_TYPES:
            bad("credits", value, MSG_CREDITS_TYPE.format(bad=code, allowed=", ".join(CREDIT_TYPES)))
            return None
        if code in credits:
            bad("credits", value, MSG_CREDITS_TWICE.format(bad=code))
            return None
        number = _decimal(amount, CREDIT_LIMITS, CREDIT_MINIMUM)
        if number is None:
            bad("credits", value, MSG_CREDITS_AMOUNT.format(bad=_shorten(amount)))
            return None
        credits[code] = decimal_text(number)  # type: ignore[assignment]
    return dict(sorted(credits.items()))


# ---------------------------------------------------------------------------
# Writing a batch of valid records.


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
        # Verified outcome evidence (the program's own flag, False for a new listing) keeps its points.
        scores = scoring.static_scores(program_signals(program, credits=credits))
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


# ---------------------------------------------------------------------------
# Jobs.


def import_job_create(
    *, upload: IO[bytes], file_name: str, actor: User | None, publish: bool, file_format: str = ""
) -> ImportJob:
    """Store an uploaded file in private media and record a queued import job.

    Computes size and SHA-256 while storing. A file over the size limit is not
    stored: the job is recorded as rejected with the reason.
    """
    digest = hashlib.sha256()
    size = 0
    head = b""
    upload.seek(0)
    for chunk in iter(lambda: upload.read(1024 * 1024), b""):
        if not head:
            head = chunk[:64]
        digest.update(chunk)
        size += len(chunk)
    upload.seek(0)
    job = ImportJob(
        created_by=actor if actor is not None and actor.pk else None,
        file_name=(file_name or "upload")[:255],
        file_size=size,
        sha256=digest.hexdigest(),
        file_format=file_format or format_for(file_name, head),
        publish=publish,
    )
    if size > settings.IMPORT_MAX_BYTES:
        job.status = ImportJobStatus.REJECTED
        job.message = REJECT_TOO_BIG.format(limit=settings.IMPORT_MAX_BYTES // (1024 * 1024))
        job.finished_at = timezone.now()
        job.save()
        return job
    job.file.save(f"{uuid.uuid4().hex}.{job.file_format}", File(upload), save=False)
    job.save()
    return job


def import_job_enqueue(*, job: ImportJob) -> bool:
    """Hand the job to Celery; True when queued (or, without a broker, already run inline).

    Never raises for broker trouble and never blocks long on a dead broker (the
    broker settings time out connecting in about 2 s and do not retry
    publishing). On failure the job stays queued with the reason recorded; the
    beat task `programs.tasks.import_jobs_requeue_stale` queues it later.
    """
    from kombu.exceptions import KombuError, OperationalError

    from .tasks import import_job_run_task

    ImportJob.objects.filter(pk=job.pk).update(enqueue_attempts=F("enqueue_attempts") + 1)
    try:
        import_job_run_task.apply_async(args=[job.pk], retry=False)
    except (OperationalError, KombuError, OSError, TimeoutError) as error:
        logger.warning("Could not queue import job %s: %s", job.pk, error)
        ImportJob.objects.filter(pk=job.pk).update(last_enqueue_error=str(error)[:500])
        return False
    return True


def _claim(job_id: int, token: str) -> ImportJob | None:
    """Take the job's lease: queued, or running with a lease that expired. None if not ours to run."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.is_finished:
            return None
        now = timezone.now()
        stale = job.heartbeat_at is None or job.heartbeat_at < now - datetime.timedelta(seconds=LEASE_SECONDS)
        if job.status == ImportJobStatus.RUNNING and not stale:
            return None
        job.status = ImportJobStatus.RUNNING
        job.run_token = token
        job.heartbeat_at = now
        job.started_at = job.started_at or now
        job.save(update_fields=["status", "run_token", "heartbeat_at", "started_at"])
        return job


class LeaseLost(Exception):
    """Another run took over this job; this run stops without writing."""


def import_job_run(*, job_id: int, batch_size: int = BATCH_SIZE) -> ImportJob | None:
    """Run (or resume) an import job to its end state; safe to call any number of times.

    At most one run works on a job at a time (a lease on the job row). Each
    batch of rows, its error rows and the job's counters commit together, so
    a run that is killed resumes after the last committed batch: no duplicates,
    counts as if it ran once. A finished job is left as it is.
    """
    token = uuid.uuid4().hex
    job = _claim(job_id, token)
    if job is None:
        return ImportJob.objects.filter(pk=job_id).first()
    try:
        _run_claimed(job, token, batch_size)
    except FileRejected as rejection:
        _finish(job, token, ImportJobStatus.REJECTED, str(rejection))
    except LeaseLost:
        logger.info("Import job %s is being run elsewhere; this run stops.", job_id)
    except Exception:
        logger.exception("Import job %s failed", job_id)
        job.refresh_from_db()
        _finish(job, token, ImportJobStatus.FAILED, FAILED_UNEXPECTED.format(row=job.last_row))
    return ImportJob.objects.get(pk=job_id)


def _open(job: ImportJob) -> IO[bytes]:
    if not job.file or not job.file.storage.exists(job.file.name):
        raise FileRejected(REJECT_FILE_MISSING)
    return job.file.storage.open(job.file.name, "rb")


def _run_claimed(job: ImportJob, token: str, batch_size: int) -> None:
    with _open(job) as binary:
        scan = file_scan(binary, job.file_format)
    notice = NOTICE_UNKNOWN_COLUMNS.format(names=", ".join(scan.unknown_columns)) if scan.unknown_columns else ""
    ImportJob.objects.filter(pk=job.pk, run_token=token).update(rows_total=scan.rows_total, notice=notice)
    actor = job.created_by
    batch: list[tuple[int, dict[str, Any] | RowProblem]] = []
    with _open(job) as binary:
        for row_number, row in file_rows(binary, job.file_format):
            if row_number <= job.last_row:
                continue
            batch.append((row_number, row))
            if len(batch) >= batch_size:
                _batch_commit(job, token, batch, scan.duplicates, actor)
                batch = []
        if batch:
            _batch_commit(job, token, batch, scan.duplicates, actor)
    _finish(job, token, ImportJobStatus.SUCCEEDED, "")


def _batch_commit(
    job: ImportJob,
    token: str,
    batch: list[tuple[int, dict[str, Any] | RowProblem]],
    duplicates: dict[int, int],
    actor: User | None,
) -> None:
    """Validate and write one batch, its error rows and the job counters, in one transaction."""
    records: list[dict[str, Any]] = []
    errors: list[ImportRowError] = []
    for row_number, row in batch:
        if isinstance(row, RowProblem):
            errors.append(ImportRowError(row_number=row_number, field=row.field, value=row.value, message=row.message))
            continue
        record, problems = row_validate(row)
        if row_number in duplicates:
            problems = [
                *problems,
                RowProblem(
                    "external_id", _shorten(row.get("external_id")), MSG_DUPLICATE.format(first=duplicates[row_number])
                ),
            ]
        if problems:
            errors.extend(
                ImportRowError(row_number=row_number, field=p.field, value=p.value, message=p.message) for p in problems
            )
            continue
        assert record is not None
        records.append(record)
    error_rows = len({error.row_number for error in errors})
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.run_token != token or locked.is_finished:
            raise LeaseLost
        outcomes = records_write(records=records, actor=actor, publish=job.publish, import_job_id=job.pk)
        counts = BatchCounts()
        for outcome in outcomes:
            counts.add(outcome)
        for error in errors:
            error.job_id = job.pk
        ImportRowError.objects.bulk_create(errors, batch_size=BATCH_SIZE)
        ImportJob.objects.filter(pk=job.pk).update(
            rows_done=F("rows_done") + len(batch),
            last_row=batch[-1][0],
            created_count=F("created_count") + counts.created,
            updated_count=F("updated_count") + counts.updated,
            unchanged_count=F("unchanged_count") + counts.unchanged,
            held_count=F("held_count") + counts.held,
            error_count=F("error_count") + error_rows,
            heartbeat_at=timezone.now(),
        )
    job.last_row = batch[-1][0]


def _finish(job: ImportJob, token: str, status: str, message: str) -> None:
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.run_token != token or locked.is_finished:
            return
        locked.status = status
        locked.message = message
        locked.finished_at = timezone.now()
        locked.heartbeat_at = locked.finished_at
        locked.save(update_fields=["status", "message", "finished_at", "heartbeat_at"])


def import_jobs_requeue_stale(*, queued_for_seconds: int = 60) -> list[int]:
    """Queue again jobs that never reached a worker (broker was down) or whose run died.

    Returns the ids it tried to queue. Safe to run often: the job lease keeps
    each job to one run at a time.
    """
    now = timezone.now()
    waiting = ImportJob.objects.filter(
        status=ImportJobStatus.QUEUED, queued_at__lt=now - datetime.timedelta(seconds=queued_for_seconds)
    )
    dead = ImportJob.objects.filter(
        status=ImportJobStatus.RUNNING, heartbeat_at__lt=now - datetime.timedelta(seconds=LEASE_SECONDS)
    )
    job_ids = sorted({*waiting.values_list("pk", flat=True), *dead.values_list("pk", flat=True)})
    for job in ImportJob.objects.filter(pk__in=job_ids):
        import_job_enqueue(job=job)
    return job_ids


def import_file_run(*, path: str, actor: User | None, publish: bool, file_format: str = "") -> ImportJob:
    """Import a local file synchronously (the management command): create the job and run it here."""
    with open(path, "rb") as handle:
        job = import_job_create(
            upload=handle, file_name=path.rsplit("/", 1)[-1], actor=actor, publish=publish, file_format=file_format
        )
    if job.is_finished:
        return job
    result = import_job_run(job_id=job.pk)
    assert result is not None
    return result
