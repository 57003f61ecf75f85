"""What can be wrong with an import file or row, in the words users see.

docs/import-format.md lists each message; keep the two in step. `MSG_*` are
row errors (one `RowProblem` per bad field), `REJECT_*` reject the whole file
(`FileRejected`), and the rest are a job's notice or failure text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

MSG_REQUIRED = "Required; cannot be blank."
MSG_CHOICE = "Not an allowed value. Allowed: {allowed}."
MSG_CODES = "Contains a value that is not allowed: “{bad}”. Allowed, separated by “;”: {allowed}."
MSG_TEXT_TOO_LONG = "Too long: at most {limit} characters."
MSG_TEXT_TYPE = "Must be text."
MSG_UNSTORABLE = (
    "Contains a character that cannot be stored: a NUL (\\x00) or an unpaired surrogate (\\ud800-\\udfff). "
    "Remove it and import the row again."
)
MSG_TAGS_TOO_MANY = "Too many values: at most {limit}."
MSG_TAG_TOO_LONG = "A value is too long: each at most {limit} characters."
MSG_TAG_SEMICOLON = "A value cannot contain “;” (it separates values in CSV)."
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
MSG_NOT_STORED = "The database could not store this row ({detail}); the other rows were imported."
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
REJECT_JSON_STRUCTURE = (
    "The file is not a listing file: element {element} of the JSON array {detail}. Nothing was imported."
)
REJECT_JSON_NOT_ARRAY = "A JSON import must be one array of objects: [{...}, {...}]."
REJECT_MISSING_COLUMNS = (
    "Required column(s) missing from the header: {missing}. "
    "The header must name external_id, title, provider_name and format."
)
REJECT_DUPLICATE_COLUMN = "The column “{name}” appears more than once in the header."
REJECT_ALREADY_RUNNING = (
    "This file is already being imported (job #{job_id}, {status}); nothing new was queued. "
    "Its page shows the progress."
)
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


# What neither database can store in a text column: NUL (PostgreSQL refuses it) and
# lone surrogates, which are not Unicode scalar values (neither database encodes them).
UNSTORABLE_CHARACTER = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> str:
    """The text with each character no database can store (NUL, lone surrogates) replaced by U+FFFD."""
    return UNSTORABLE_CHARACTER.sub("\ufffd", text)


def shorten(value: Any, limit: int = 300) -> str:
    """A raw value as the text an error row shows: JSON for lists and objects, at most `limit` characters.

    Characters no database stores are shown as U+FFFD, so the error row itself can be saved.
    """
    if value is None:
        return ""
    if isinstance(value, dict | list):
        text = json.dumps(value, default=str, ensure_ascii=False)
    elif isinstance(value, bool):
        text = "true" if value else "false"
    else:
        text = str(value)
    text = storable(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
