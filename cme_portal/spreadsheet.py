"""CSV cells that are safe to open in a spreadsheet (CWE-1236, OWASP "CSV Injection").

One rule for every CSV the app writes (`csv_line` is the only writer), and its
exact inverse for files the app reads back (`cell_restore`).

The rule
--------
A spreadsheet runs a cell as a formula when it starts with one of
``= + - @ TAB CR`` (`FORMULA_PREFIXES`). Quoting a cell does not help when
the spreadsheet splits lines on another separator than the writer used (many
European locales split on ``;``): ``CA;=cmd|' /C calc'!A0`` then yields a
cell ``=cmd|...``. So neutralization looks at every *segment* of the text:

- a segment starts at the beginning of the text and right after every
  *boundary* character (`SEGMENT_BOUNDARIES`): the separators a spreadsheet
  may split on (``,`` ``;`` ``|`` TAB), the line breaks CR and LF, and the
  double quote (which could close a quoted field in a differently split line);
- a segment that starts with any run of spaces and single quotes followed by a
  formula character (``=1``, `` =1``, ``'=1``, ``''-1``) gets one single quote
  inserted at its start. Nothing else changes.

Whatever separator a spreadsheet splits on, every resulting cell therefore
starts with a single quote (shown as text) or with a character that is not a
formula prefix. `csv_line` also quotes every cell (``csv.QUOTE_ALL``) and
doubles embedded double quotes, as OWASP recommends.

The inverse removes the first single quote of every segment that starts with
one or more single quotes, then spaces and quotes, then a formula character.
Because a segment that already looked like ``'*=...`` in the text gets a quote
too, the inserted quotes are told apart from typed ones: for every text,
``cell_restore(cell_neutralize(text)) == text`` (tests/test_spreadsheet.py
checks it with hypothesis).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from decimal import Decimal

# A cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# After any of these a spreadsheet may start a new cell (or a new line).
SEGMENT_BOUNDARIES = (",", ";", "|", "\t", "\r", "\n", '"')

_BOUNDARY = "".join(re.escape(c) for c in SEGMENT_BOUNDARIES)
_FORMULA = "".join(re.escape(c) for c in FORMULA_PREFIXES)
# The start of a segment that a spreadsheet would run: spaces and quotes, then a formula character.
_RUNNABLE_SEGMENT = re.compile(rf"(?:^|(?<=[{_BOUNDARY}]))(?=[ ']*[{_FORMULA}])")
# The start of a neutralized segment: the inserted quote, then what made it runnable.
_NEUTRALIZED_SEGMENT = re.compile(rf"(?:^|(?<=[{_BOUNDARY}]))'(?=[ ']*[{_FORMULA}])")


def cell_neutralize(text: str) -> str:
    """Insert a single quote at the start of every segment a spreadsheet would run as a formula."""
    return _RUNNABLE_SEGMENT.sub("'", text)


def cell_restore(text: str) -> str:
    """Undo cell_neutralize exactly: "'=x;'-y" -> "=x;-y"; text it did not change is returned as it is."""
    return _NEUTRALIZED_SEGMENT.sub("", text)


CsvValue = str | int | float | Decimal | None


def _cell(value: CsvValue) -> str | int | float | Decimal:
    if value is None:
        return ""
    if isinstance(value, str):
        return cell_neutralize(value)
    return value


def csv_line(cells: Iterable[CsvValue]) -> str:
    """One CSV line (CRLF-terminated) with every cell quoted and every text cell neutralized.

    Numbers are written as numbers (the app's own figures, never user text); None is an empty cell.
    """
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerow(_cell(value) for value in cells)
    return buffer.getvalue()
