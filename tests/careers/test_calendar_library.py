"""The feed written by the icalendar package reads back, field for field, whatever the clinician typed."""

import datetime

import icalendar
from hypothesis import given, settings
from hypothesis import strategies as st

from careers.calendar import CalendarEvent, render_calendar

STAMP = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
# Text a clinician can type; a literal backslash-N is read as a line break by iCalendar readers (RFC 5545 3.3.11).
TYPED = st.text(min_size=1, max_size=200).filter(lambda s: "\\N" not in s and "\r" not in s)


def test_the_feed_is_in_the_order_written_and_every_line_is_crlf_terminated():
    body = render_calendar(
        [CalendarEvent(uid="a@b", summary="S", start=datetime.date(2027, 3, 1), url="https://x.test/p/1/")],
        name="CME plan",
        stamp=STAMP,
    )
    assert body.split("\r\n")[6:12] == [
        "BEGIN:VEVENT",
        "UID:a@b",
        "DTSTAMP:20260102T030405Z",
        "DTSTART;VALUE=DATE:20270301",
        "DTEND;VALUE=DATE:20270302",
        "SUMMARY:S",
    ]


@settings(max_examples=60, deadline=None)
@given(summary=TYPED, description=TYPED, categories=TYPED, days=st.integers(min_value=0, max_value=400))
def test_hostile_text_round_trips_through_a_reader(summary, description, categories, days):
    start = datetime.date(2027, 1, 1)
    event = CalendarEvent(
        uid="x@cme.test",
        summary=summary,
        start=start,
        end=start + datetime.timedelta(days=days),
        description=description,
        categories=categories,
    )
    body = render_calendar([event], name="CME plan", stamp=STAMP)
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    (parsed,) = icalendar.Calendar.from_ical(body).walk("VEVENT")
    assert str(parsed["SUMMARY"]) == summary.replace("\r\n", "\n")
    assert str(parsed["DESCRIPTION"]) == description
    assert parsed["CATEGORIES"].to_ical().decode() == icalendar.vText(categories).to_ical().decode()
    assert parsed.decoded("DTSTART") == start
    assert parsed.decoded("DTEND") == start + datetime.timedelta(days=days + 1)
