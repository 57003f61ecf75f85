import datetime

from hypothesis import given
from hypothesis import strategies as st

from careers.calendar import CalendarEvent, escape_text, fold_line, render_calendar

STAMP = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)


def test_escaping_of_commas_semicolons_backslashes_and_newlines():
    assert escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"


def test_lines_end_with_crlf_and_events_are_all_day():
    body = render_calendar(
        [CalendarEvent(uid="x@y", summary="Review, annual; HR", start=datetime.date(2027, 3, 1))],
        name="CME plan",
        stamp=STAMP,
    )
    assert body.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert body.endswith("END:VCALENDAR\r\n")
    assert "\n" not in body.replace("\r\n", "")
    assert "DTSTART;VALUE=DATE:20270301\r\n" in body
    assert "DTEND;VALUE=DATE:20270302\r\n" in body
    assert "SUMMARY:Review\\, annual\\; HR\r\n" in body
    assert "DTSTAMP:20260102T030405Z\r\n" in body


def test_long_lines_fold_at_75_octets_with_a_leading_space():
    line = "SUMMARY:" + "é" * 100
    folded = fold_line(line)
    parts = folded.split("\r\n")
    assert len(parts) > 1
    assert all(len(part.encode()) <= 75 for part in parts)
    assert all(part.startswith(" ") for part in parts[1:])
    assert "".join([parts[0], *[p[1:] for p in parts[1:]]]) == line


@given(st.text(min_size=0, max_size=400))
def test_folding_round_trips_and_respects_the_octet_limit(text):
    line = "DESCRIPTION:" + escape_text(text)
    parts = fold_line(line).split("\r\n")
    assert all(len(part.encode()) <= 75 for part in parts)
    assert "".join([parts[0], *[p[1:] for p in parts[1:]]]) == line
