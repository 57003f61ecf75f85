"""Reading a clinician's own transcript (a CSV of completed activities) into credit rows.

Pure reading: bytes in, dataclasses out; nothing here touches the database. The preview and the
confirmation both call `transcript_read`, so what is written is exactly what was shown.

The rules, written once:

* **The file**: UTF-8 (a byte-order mark is allowed), at most TRANSCRIPT_MAX_BYTES and
  TRANSCRIPT_MAX_ROWS data rows, a header row first; no NUL bytes. Anything else is refused as a
  whole (TranscriptRejected) with a sentence saying why; nothing is read from it.
* **Columns**: each field is read from the column the clinician chose; `mapping_guess` proposes
  one from the header (HEADER_NAMES). Title, completion date, credit type and amount are required.
* **Dates**: ISO (2026-03-04, 2026/03/04), numeric with the year last (03/04/2026, 3.4.2026,
  3-4-2026) and written months (4 March 2026, March 4, 2026, 04-Mar-2026). A numeric date whose
  first two numbers could each be the month (03/04/2026) is *ambiguous*: it is read only once the
  clinician chose month/day or day/month for the file; a date that contradicts the chosen order
  (13/04/2026 read as month/day) is a bad row. Two-digit years are refused.
* **Credit types**: the app's codes, their labels and the usual names (CREDIT_TYPE_NAMES);
  anything else is a bad row and is listed among the unknown types.
* **Same activity**: the normalized title and the normalized provider are equal
  (`activity_key`: Unicode NFKC, case folded, every run of characters that are not letters or
  digits is one space, trimmed). So case, spacing and punctuation do not make two activities
  differ; accents, a different word or a different provider do.
* **Duplicate**: same activity, completion date, credit type and amount (to the cent), either as
  a credit already logged (`existing_keys`) or as an earlier row of the same file.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from cme_portal.spreadsheet import cell_restore
from programs.choices import CreditType

from .rules import credit_date_problem

TRANSCRIPT_MAX_BYTES = 2 * 1024 * 1024
TRANSCRIPT_MAX_ROWS = 5_000
MAX_CELL_CHARS = 2_000

FIELDS = ("title", "provider", "completed_on", "credit_type", "amount", "certificate_id", "certificate_url", "notes")
REQUIRED = ("title", "completed_on", "credit_type", "amount")
FIELD_LABELS = {
    "title": "Activity title",
    "provider": "Provider",
    "completed_on": "Completion date",
    "credit_type": "Credit type",
    "amount": "Amount",
    "certificate_id": "Certificate ID",
    "certificate_url": "Certificate URL",
    "notes": "Notes",
}
FIELD_MAX = {"title": 300, "provider": 300, "certificate_id": 200, "certificate_url": 500, "notes": 1000}

# Header names (normalized with `header_normalize`) each field is guessed from, best first.
HEADER_NAMES: dict[str, tuple[str, ...]] = {
    "title": ("activity title", "title", "activity", "activity name", "course title", "course", "program", "event"),
    "provider": ("provider", "provider name", "accredited provider", "organization", "organisation", "sponsor"),
    "completed_on": (
        "completion date",
        "date completed",
        "completed on",
        "completed",
        "date of completion",
        "date",
        "end date",
    ),
    "credit_type": ("credit type", "credit category", "category", "type", "credit designation", "designation"),
    "amount": (
        "amount",
        "credits",
        "credit amount",
        "credits earned",
        "number of credits",
        "hours",
        "credit hours",
        "contact hours",
    ),
    "certificate_id": ("certificate id", "certificate number", "certificate no", "cert id", "certificate"),
    "certificate_url": ("certificate url", "certificate link", "url", "link"),
    "notes": ("notes", "note", "comments", "comment"),
}

DATE_ORDERS = ("mdy", "dmy")


class TranscriptRejected(Exception):
    """The file as a whole cannot be read; the message says why, for the clinician."""


def header_normalize(text: str) -> str:
    """Case folded, NFKC, runs of non-alphanumerics as one space, trimmed."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\W_]+", " ", folded).strip()


def activity_key(title: str, provider: str) -> tuple[str, str]:
    """What makes two credits the same activity: the normalized title and provider (module docstring)."""
    return header_normalize(title), header_normalize(provider)


def _credit_type_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for code, label in CreditType.choices:
        names[header_normalize(code)] = code
        names[header_normalize(str(label))] = code
    extra = {
        "ama_pra_1": (
            "ama pra category 1",
            "ama pra category 1 credits",
            "ama pra cat 1",
            "ama category 1",
            "ama cat 1",
            "category 1",
            "cat 1",
            "ama pra 1",
        ),
        "ama_pra_2": (
            "ama pra category 2",
            "ama pra category 2 credits",
            "ama pra cat 2",
            "ama category 2",
            "ama cat 2",
            "category 2",
            "cat 2",
            "ama pra 2",
        ),
        "ancc": ("ancc contact hours", "nursing contact hours", "contact hours", "ancc nursing"),
        "ancc_pharmacology": ("ancc pharmacology", "pharmacology", "pharmacology hours", "rx hours"),
        "acpe": ("pharmacy cpe", "cpe", "acpe cpe", "acpe credit"),
        "aapa_1": ("aapa category 1", "aapa cat 1", "aapa 1", "aapa category 1 credit"),
        "ipce": ("ipce credits", "ipce"),
        "moc": ("moc points", "moc point", "abim moc points", "moc"),
    }
    for code, aliases in extra.items():
        for alias in aliases:
            names[header_normalize(alias)] = code
    return names


CREDIT_TYPE_NAMES = _credit_type_names()


def credit_type_read(text: str) -> str | None:
    """The app's credit type code for a name in a file, or None when it is not one we know."""
    cleaned = text.replace("™", " ").replace("®", " ")
    return CREDIT_TYPE_NAMES.get(header_normalize(cleaned))


MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_ISO = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ].*)?")
_NUMERIC = re.compile(r"(\d{1,2})([/.\-])(\d{1,2})\2(\d{2,4})")
_DAY_MONTH_NAME = re.compile(r"(\d{1,2})[ \-]([A-Za-z]{3,9})\.?[ \-,]+(\d{2,4})")
_MONTH_NAME_DAY = re.compile(r"([A-Za-z]{3,9})\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{2,4})")


@dataclass(frozen=True)
class DateRead:
    day: datetime.date | None = None
    problem: str | None = None
    ambiguous: bool = False  # could be read both ways and no order was chosen


def _make_date(year: int, month: int, day: int, text: str) -> DateRead:
    try:
        return DateRead(day=datetime.date(year, month, day))
    except ValueError:
        return DateRead(problem=f"“{text}” is not a date that exists.")


def _full_year(year_text: str, text: str) -> int | None:
    return int(year_text) if len(year_text) == 4 else None


def date_read(text: str, *, order: str = "") -> DateRead:
    """Read a completion date; `order` ("mdy", "dmy" or "") settles numeric dates like 03/04/2026."""
    value = " ".join(text.split())
    if not value:
        return DateRead(problem="The completion date is empty.")
    if match := _ISO.fullmatch(value):
        return _make_date(int(match[1]), int(match[2]), int(match[3]), value)
    if match := _NUMERIC.fullmatch(value):
        first, second, year_text = int(match[1]), int(match[3]), match[4]
        year = _full_year(year_text, value)
        if year is None:
            return DateRead(problem=f"“{value}” has a two-digit year; write the year in full (2026).")
        if order == "mdy":
            if first > 12:
                return DateRead(problem=f"“{value}” is not month/day/year, the order chosen for this file.")
            return _make_date(year, first, second, value)
        if order == "dmy":
            if second > 12:
                return DateRead(problem=f"“{value}” is not day/month/year, the order chosen for this file.")
            return _make_date(year, second, first, value)
        if first > 12:
            return _make_date(year, second, first, value)
        if second > 12 or first == second:
            return _make_date(year, first, second, value)
        return DateRead(
            problem=f"“{value}” could be month/day or day/month; choose how this file writes dates.", ambiguous=True
        )
    for pattern, day_group, month_group in ((_DAY_MONTH_NAME, 1, 2), (_MONTH_NAME_DAY, 2, 1)):
        if match := pattern.fullmatch(value):
            month = MONTHS.get(match[month_group].casefold())
            if month is None:
                return DateRead(problem=f"“{match[month_group]}” in “{value}” is not a month.")
            year = _full_year(match[3], value)
            if year is None:
                return DateRead(problem=f"“{value}” has a two-digit year; write the year in full (2026).")
            return _make_date(year, month, int(match[day_group]), value)
    return DateRead(problem=f"“{value}” is not a date this importer reads (e.g. 2026-03-04 or 4 March 2026).")


_AMOUNT = re.compile(r"\d{1,5}(?:\.\d+)?")


def amount_read(text: str) -> tuple[Decimal | None, str | None]:
    """Credits as a number from 0.25 to 99999.99 with at most two decimals."""
    value = text.strip()
    if not value:
        return None, "The amount is empty."
    if not _AMOUNT.fullmatch(value):
        return None, f"“{value}” is not a number of credits (use digits and a dot, e.g. 1.5)."
    try:
        amount = Decimal(value)
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        return None, f"“{value}” is not a number."
    if amount != amount.quantize(Decimal("0.01")):
        return None, f"“{value}” has more than two decimals."
    if amount < Decimal("0.25"):
        return None, "The amount must be at least 0.25."
    return amount.quantize(Decimal("0.01")), None


# --- The file -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TranscriptTable:
    """The cells of a readable file: the header and the data rows (row numbers count the header as 1)."""

    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]

    @property
    def header_key(self) -> str:
        """The header set a saved mapping is found by: its normalized names, sorted, joined."""
        return "\x1f".join(sorted({header_normalize(name) for name in self.header}))


def transcript_table(data: bytes) -> TranscriptTable:
    """Decode and split a CSV file; raises TranscriptRejected for a file that cannot be read as a whole."""
    if len(data) > TRANSCRIPT_MAX_BYTES:
        raise TranscriptRejected(f"The file is larger than {TRANSCRIPT_MAX_BYTES // (1024 * 1024)} MB.")
    if not data.strip():
        raise TranscriptRejected("The file is empty.")
    if b"\x00" in data:
        raise TranscriptRejected("The file is not a text CSV file (it contains NUL bytes; is it a spreadsheet?).")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise TranscriptRejected(
            f"The file is not UTF-8 text (line {line}). Save it as “CSV UTF-8” and upload it again."
        ) from None
    if csv.field_size_limit() < TRANSCRIPT_MAX_BYTES:
        csv.field_size_limit(TRANSCRIPT_MAX_BYTES)  # only ever raised; long cells are row problems
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: tuple[str, ...] | None = None
    rows: list[tuple[int, tuple[str, ...]]] = []
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if header is None:
                header = tuple(cell.strip()[:200] for cell in cells)
                continue
            if len(rows) >= TRANSCRIPT_MAX_ROWS:
                raise TranscriptRejected(f"The file has more than {TRANSCRIPT_MAX_ROWS:,} rows; split it.")
            rows.append((reader.line_num, tuple(cells)))
    except csv.Error as error:
        raise TranscriptRejected(f"The file is not valid CSV near line {reader.line_num}: {error}.") from None
    if header is None:
        raise TranscriptRejected("The file is empty.")
    if not rows:
        raise TranscriptRejected("The file has a header but no rows of activities.")
    return TranscriptTable(header=header, rows=tuple(rows))


def mapping_guess(header: Iterable[str]) -> dict[str, int | None]:
    """The column each field is most likely in (HEADER_NAMES, best name first), each column used once."""
    names = [header_normalize(name) for name in header]
    guess: dict[str, int | None] = dict.fromkeys(FIELDS)
    used: set[int] = set()
    for name_field in FIELDS:
        for candidate in HEADER_NAMES[name_field]:
            index = next((i for i, name in enumerate(names) if name == candidate and i not in used), None)
            if index is not None:
                guess[name_field] = index
                used.add(index)
                break
    return guess


def mapping_from_saved(header: Iterable[str], saved: Mapping[str, str]) -> dict[str, int | None]:
    """A saved mapping (field -> normalized header name) placed on this file's columns."""
    names = [header_normalize(name) for name in header]
    return {
        name_field: names.index(saved[name_field]) if saved.get(name_field) in names else None for name_field in FIELDS
    }


def mapping_to_saved(header: tuple[str, ...], mapping: Mapping[str, int | None]) -> dict[str, str]:
    return {
        name_field: header_normalize(header[index])
        for name_field, index in mapping.items()
        if index is not None and index < len(header)
    }


# --- Rows ---------------------------------------------------------------------------------


@dataclass
class TranscriptRow:
    """One data row as read: its values, its problems (field, reason) and whether it duplicates."""

    number: int
    title: str = ""
    provider: str = ""
    completed_on: datetime.date | None = None
    credit_type: str | None = None
    credit_type_text: str = ""
    amount: Decimal | None = None
    certificate_id: str = ""
    certificate_url: str = ""
    notes: str = ""
    problems: list[tuple[str, str]] = field(default_factory=list)
    duplicate_of_row: int | None = None
    duplicate_of_logged: bool = False

    @property
    def is_bad(self) -> bool:
        return bool(self.problems)

    @property
    def is_duplicate(self) -> bool:
        return self.duplicate_of_row is not None or self.duplicate_of_logged

    @property
    def will_be_written(self) -> bool:
        return not self.is_bad and not self.is_duplicate

    def credit(self) -> tuple[datetime.date, str, Decimal]:
        """Completion date, credit type and amount of a good row (ValueError for a bad one)."""
        if self.completed_on is None or self.credit_type is None or self.amount is None:
            raise ValueError(f"row {self.number} is not a good row")
        return self.completed_on, self.credit_type, self.amount

    @property
    def key(self) -> tuple[tuple[str, str], datetime.date | None, str | None, Decimal | None]:
        return activity_key(self.title, self.provider), self.completed_on, self.credit_type, self.amount


@dataclass
class TranscriptReading:
    """A whole file as read with one mapping and date order."""

    rows: list[TranscriptRow]
    ambiguous_dates: int = 0
    unknown_credit_types: dict[str, list[int]] = field(default_factory=dict)

    @property
    def to_write(self) -> list[TranscriptRow]:
        return [row for row in self.rows if row.will_be_written]

    @property
    def bad(self) -> int:
        return sum(row.is_bad for row in self.rows)

    @property
    def duplicates(self) -> int:
        return sum(row.is_duplicate and not row.is_bad for row in self.rows)


ExistingKey = tuple[tuple[str, str], datetime.date, str, Decimal]


def _cell(cells: tuple[str, ...], index: int | None) -> str:
    if index is None or index >= len(cells):
        return ""
    return cell_restore(cells[index].strip())


def transcript_read(
    table: TranscriptTable,
    *,
    mapping: Mapping[str, int | None],
    date_order: str,
    loggable: Iterable[str],
    existing_keys: set[ExistingKey],
    today: datetime.date,
) -> TranscriptReading:
    """Read every row with `mapping`; mark bad rows (field, reason) and duplicates (module docstring)."""
    accepted = set(loggable)
    reading = TranscriptReading(rows=[])
    seen: dict[tuple[object, ...], int] = {}
    for number, cells in table.rows:
        row = TranscriptRow(number=number)
        if len(cells) > len(table.header):
            row.problems.append(("", f"The row has {len(cells)} cells; the header has {len(table.header)}."))
        for name_field in ("title", "provider", "certificate_id", "certificate_url", "notes"):
            value = _cell(cells, mapping.get(name_field))
            if len(value) > FIELD_MAX[name_field]:
                row.problems.append((name_field, f"Longer than {FIELD_MAX[name_field]} characters."))
                value = value[: FIELD_MAX[name_field]]
            setattr(row, name_field, value)
        if not row.title:
            row.problems.append(("title", "The activity title is empty."))
        if row.certificate_url and not re.fullmatch(r"https?://[^\s<>\"']+", row.certificate_url):
            row.problems.append(("certificate_url", "Not a web address starting with http:// or https://."))
        read = date_read(_cell(cells, mapping.get("completed_on")), order=date_order)
        if read.ambiguous:
            reading.ambiguous_dates += 1
        if read.problem:
            row.problems.append(("completed_on", read.problem))
        elif read.day is not None:
            problem = credit_date_problem(read.day, today=today)
            if problem:
                row.problems.append(("completed_on", problem))
            row.completed_on = read.day
        row.credit_type_text = _cell(cells, mapping.get("credit_type"))[:200]
        row.credit_type = credit_type_read(row.credit_type_text)
        if not row.credit_type_text:
            row.problems.append(("credit_type", "The credit type is empty."))
        elif row.credit_type is None:
            row.problems.append(("credit_type", f"“{row.credit_type_text}” is not a credit type this app knows."))
            reading.unknown_credit_types.setdefault(row.credit_type_text, []).append(number)
        elif row.credit_type not in accepted:
            label = CreditType(row.credit_type).label
            row.problems.append(("credit_type", f"None of your licences accepts {label}."))
        row.amount, problem = amount_read(_cell(cells, mapping.get("amount")))
        if problem:
            row.problems.append(("amount", problem))
        if not row.is_bad:
            key = row.key
            if key in seen:
                row.duplicate_of_row = seen[key]
            else:
                seen[key] = number
        reading.rows.append(row)
    logged_duplicates_mark(reading, existing_keys)
    return reading


def logged_duplicates_mark(reading: TranscriptReading, existing_keys: set[ExistingKey]) -> None:
    """Mark the good rows whose (activity, date, credit type, amount) is a credit already logged."""
    for row in reading.rows:
        row.duplicate_of_logged = not row.is_bad and row.key in existing_keys
