"""CSV cells that are safe to open in a spreadsheet (CWE-1236, OWASP "CSV injection").

One rule for every CSV the app writes, and its inverse for files it reads back.
"""

from __future__ import annotations

# A cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def cell_neutralize(text: str) -> str:
    """Prefix a single quote to text a spreadsheet would run as a formula."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def cell_restore(text: str) -> str:
    """Undo cell_neutralize: "'=x" -> "=x"; other text is returned as it is."""
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_PREFIXES:
        return text[1:]
    return text
