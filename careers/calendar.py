"""A minimal iCalendar (RFC 5545) writer for the clinician's private feed.

Written by hand so the feed needs no extra package: all-day VEVENTs only,
CRLF line endings, TEXT escaping (backslash, semicolon, comma, newline) and
line folding at 75 octets without splitting a UTF-8 character.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

CRLF = "\r\n"
MAX_OCTETS = 75


@dataclass(frozen=True)
class CalendarEvent:
    """An all-day event; `end` is the last day included (DTEND is written as the day after)."""

    uid: str
    summary: str
    start: datetime.date
    end: datetime.date | None = None
    description: str = ""
    url: str = ""
    categories: str = ""


def escape_text(value: str) -> str:
    """Escape a TEXT value (RFC 5545 3.3.11)."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold_line(line: str) -> str:
    """Fold a content line so no physical line exceeds 75 octets (RFC 5545 3.1).

    Continuation lines start with one space, which counts toward their 75 octets.
    """
    pieces: list[str] = []
    current = ""
    current_octets = 0
    limit = MAX_OCTETS
    for char in line:
        size = len(char.encode("utf-8"))
        if current_octets + size > limit:
            pieces.append(current)
            current = " "
            current_octets = 1
        current += char
        current_octets += size
    pieces.append(current)
    return CRLF.join(pieces)


def _date(value: datetime.date) -> str:
    return value.strftime("%Y%m%d")


def render_calendar(
    events: Iterable[CalendarEvent], *, name: str, stamp: datetime.datetime, prodid: str = "-//CME Portal//Plan//EN"
) -> str:
    """The whole VCALENDAR as text with CRLF line endings; `stamp` must be timezone-aware."""
    stamp_text = stamp.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{prodid}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
    ]
    for event in events:
        last_day = event.end if event.end and event.end >= event.start else event.start
        lines += [
            "BEGIN:VEVENT",
            f"UID:{event.uid}",
            f"DTSTAMP:{stamp_text}",
            f"DTSTART;VALUE=DATE:{_date(event.start)}",
            f"DTEND;VALUE=DATE:{_date(last_day + datetime.timedelta(days=1))}",
            f"SUMMARY:{escape_text(event.summary)}",
        ]
        if event.description:
            lines.append(f"DESCRIPTION:{escape_text(event.description)}")
        if event.categories:
            lines.append(f"CATEGORIES:{escape_text(event.categories)}")
        if event.url:
            lines.append(f"URL:{event.url}")
        lines += ["TRANSP:TRANSPARENT", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "".join(fold_line(line) + CRLF for line in lines)
