"""Reading a database id from text a user sent (a query string, a button's value)."""

from __future__ import annotations

# The largest primary key either database stores (a signed 64-bit integer).
MAX_ID = 2**63 - 1


def id_from_text(text: object) -> int | None:
    """The positive id `text` spells in ASCII digits, small enough for the database; None otherwise.

    ``str.isdigit`` accepts "²" (which ``int`` refuses) and ``int`` accepts ids no column holds
    (SQLite raises OverflowError on them): both were 500s.
    """
    value = str(text).strip()
    if not value or len(value) > 19 or not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None
