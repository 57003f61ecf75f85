"""The clinician's private iCalendar (RFC 5545) feed, written with the icalendar package.

All-day VEVENTs only. The package does the serialization: CRLF line endings,
TEXT escaping (backslash, semicolon, comma, newline) and line folding under 75
octets without splitting a UTF-8 character or a backslash escape.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

import icalendar
from icalendar.parser import Contentline


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
    """A TEXT value as the feed writes it (RFC 5545 3.3.11), by icalendar's vText."""
    return icalendar.vText(value).to_ical().decode("utf-8")


def fold_line(line: str) -> str:
    """A content line folded as the feed writes it (RFC 5545 3.1): no physical line over 75 octets.

    Continuation lines start with one space, which counts toward their octets.
    """
    folded: bytes = Contentline(line).to_ical()  # type: ignore[no-untyped-call]  # icalendar's parser is untyped
    return folded.decode("utf-8")


def render_calendar(
    events: Iterable[CalendarEvent], *, name: str, stamp: datetime.datetime, prodid: str = "-//CME Portal//Plan//EN"
) -> str:
    """The whole VCALENDAR as text with CRLF line endings; `stamp` must be timezone-aware."""
    calendar = icalendar.Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", prodid)
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    stamp_utc = stamp.astimezone(datetime.UTC)
    for item in events:
        last_day = item.end if item.end and item.end >= item.start else item.start
        event = icalendar.Event()
        event.add("uid", item.uid)
        event.add("dtstamp", stamp_utc)
        event.add("dtstart", item.start)
        event.add("dtend", last_day + datetime.timedelta(days=1))
        event.add("summary", item.summary)
        if item.description:
            event.add("description", item.description)
        if item.categories:
            # One category, as text: a comma inside it is escaped, not a list separator.
            event.add("categories", icalendar.vText(item.categories))
        if item.url:
            event.add("url", icalendar.vUri(item.url))
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    # In the order added (icalendar would otherwise put SUMMARY first): the same bytes as the earlier hand-written feed.
    body: bytes = calendar.to_ical(sorted=False)
    return body.decode("utf-8")
