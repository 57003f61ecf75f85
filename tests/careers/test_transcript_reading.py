"""Reading a transcript: the file, the column guess, dates, credit types, amounts and the duplicate rules."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from careers import transcript
from careers.transcript import (
    TranscriptRejected,
    activity_key,
    amount_read,
    credit_type_read,
    date_read,
    mapping_guess,
    transcript_read,
    transcript_table,
)
from programs.choices import CreditType

TODAY = datetime.date(2026, 12, 1)
ALL_TYPES = tuple(CreditType.values)
HEADER = "Activity Title,Provider,Completion Date,Credit Type,Credits,Certificate ID,Certificate URL,Notes\n"


def read(
    body: str, *, order: str = "", existing: set[transcript.ExistingKey] | None = None
) -> transcript.TranscriptReading:
    table = transcript_table((HEADER + body).encode())
    return transcript_read(
        table,
        mapping=mapping_guess(table.header),
        date_order=order,
        loggable=ALL_TYPES,
        existing_keys=existing or set(),
        today=TODAY,
    )


# --- The file -------------------------------------------------------------------------------


def test_the_header_guesses_every_column():
    table = transcript_table(HEADER.encode() + b"x,y,2026-01-02,ANCC,1,,,\n")
    assert mapping_guess(table.header) == {
        "title": 0,
        "provider": 1,
        "completed_on": 2,
        "credit_type": 3,
        "amount": 4,
        "certificate_id": 5,
        "certificate_url": 6,
        "notes": 7,
    }


def test_other_trackers_headers_are_guessed_too():
    guess = mapping_guess(["Course", "Organization", "Date Completed", "Category", "Hours"])
    assert guess["title"] == 0 and guess["provider"] == 1 and guess["completed_on"] == 2
    assert guess["credit_type"] == 3 and guess["amount"] == 4 and guess["notes"] is None


def test_the_header_key_ignores_order_and_case():
    first = transcript_table(b"Title,Date\nx,2026-01-01\n")
    second = transcript_table(b"date, TITLE \nx,2026-01-01\n")
    assert first.header_key == second.header_key


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"title,date\n", "no rows"),
        (b"title,date\n\xff\xfe bad,2026-01-01\n", "not UTF-8"),
        ("titre,date\nCaf\u00e9,2026-01-01\n".encode("latin-1"), "not UTF-8"),
        (b"PK\x03\x04\x00\x00 spreadsheet", "NUL"),
        (b'title,date\n"unclosed,2026-01-01\n', "not valid CSV"),
        (b"x" * (transcript.TRANSCRIPT_MAX_BYTES + 1), "larger than"),
    ],
)
def test_an_unreadable_file_is_refused_with_the_reason(data, reason):
    with pytest.raises(TranscriptRejected, match=reason):
        transcript_table(data)


def test_more_rows_than_the_limit_are_refused():
    body = "t,2026-01-01\n" * (transcript.TRANSCRIPT_MAX_ROWS + 1)
    with pytest.raises(TranscriptRejected, match="more than"):
        transcript_table(("title,date\n" + body).encode())


def test_a_byte_order_mark_is_allowed():
    table = transcript_table("\ufeffTitle,Date\nx,2026-01-01\n".encode())
    assert table.header == ("Title", "Date")


def test_a_formula_cell_is_kept_as_text():
    reading = read('=HYPERLINK("http://evil.test"),Prov,2026-01-02,ANCC,1,,,@SUM(A1)\n')
    row = reading.rows[0]
    assert row.title == '=HYPERLINK("http://evil.test")' and row.notes == "@SUM(A1)"
    assert row.will_be_written


# --- Dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-04", datetime.date(2026, 3, 4)),
        ("2026/3/4", datetime.date(2026, 3, 4)),
        ("2026-03-04T10:00:00Z", datetime.date(2026, 3, 4)),
        ("13/04/2026", datetime.date(2026, 4, 13)),
        ("04/13/2026", datetime.date(2026, 4, 13)),
        ("05.05.2026", datetime.date(2026, 5, 5)),
        ("4 March 2026", datetime.date(2026, 3, 4)),
        ("March 4, 2026", datetime.date(2026, 3, 4)),
        ("Sept 4th, 2026", datetime.date(2026, 9, 4)),
        ("04-Mar-2026", datetime.date(2026, 3, 4)),
    ],
)
def test_common_date_formats(text, expected):
    assert date_read(text).day == expected


def test_a_date_read_two_ways_needs_a_choice_not_a_guess():
    unchosen = date_read("03/04/2026")
    assert unchosen.day is None and unchosen.ambiguous
    assert date_read("03/04/2026", order="mdy").day == datetime.date(2026, 3, 4)
    assert date_read("03/04/2026", order="dmy").day == datetime.date(2026, 4, 3)


def test_a_date_against_the_chosen_order_is_a_problem():
    assert "not month/day/year" in (date_read("13/04/2026", order="mdy").problem or "")
    assert "not day/month/year" in (date_read("04/13/2026", order="dmy").problem or "")


@pytest.mark.parametrize("text", ["02/30/2026", "3/4/26", "Smarch 4, 2026", "yesterday", "", "2026-13-01"])
def test_unreadable_dates_say_why(text):
    read_date = date_read(text)
    assert read_date.day is None and read_date.problem


@given(st.dates(min_value=datetime.date(1950, 1, 1), max_value=datetime.date(2100, 1, 1)))
def test_every_date_round_trips_through_each_written_form(day):
    assert date_read(day.isoformat()).day == day
    assert date_read(day.strftime("%m/%d/%Y"), order="mdy").day == day
    assert date_read(day.strftime("%d/%m/%Y"), order="dmy").day == day
    assert date_read(day.strftime("%d %B %Y")).day == day
    assert date_read(day.strftime("%B %d, %Y")).day == day


@given(st.text(max_size=40))
def test_date_reading_never_raises(text):
    result = date_read(text)
    assert (result.day is None) != (result.problem is None)


# --- Credit types and amounts ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("AMA PRA Category 1 Credit™", "ama_pra_1"),
        ("ama pra category 1 credit(s)", None),
        ("AMA PRA Category 1", "ama_pra_1"),
        ("Category 2", "ama_pra_2"),
        ("ama_pra_1", "ama_pra_1"),
        ("ANCC contact hours", "ancc"),
        ("Pharmacology", "ancc_pharmacology"),
        ("ACPE", "acpe"),
        ("AAPA Category 1 CME", "aapa_1"),
        ("IPCE", "ipce"),
        ("ABIM MOC points", "moc"),
        ("CME", None),
        ("Category 3", None),
    ],
)
def test_credit_type_names(text, code):
    assert credit_type_read(text) == code


def test_unknown_credit_types_are_reported_with_their_rows():
    reading = read("A,P,2026-01-02,Mystery credit,1,,,\nB,P,2026-01-03,Mystery credit,1,,,\nC,P,2026-01-04,ANCC,1,,,\n")
    assert reading.unknown_credit_types == {"Mystery credit": [2, 3]}
    assert reading.bad == 2 and len(reading.to_write) == 1


def test_a_credit_type_no_licence_accepts_is_a_bad_row():
    table = transcript_table((HEADER + "A,P,2026-01-02,ANCC,1,,,\n").encode())
    reading = transcript_read(
        table,
        mapping=mapping_guess(table.header),
        date_order="",
        loggable=["ama_pra_1"],
        existing_keys=set(),
        today=TODAY,
    )
    assert reading.rows[0].problems == [("credit_type", "None of your licences accepts ANCC nursing contact hours.")]


@pytest.mark.parametrize(
    ("text", "amount"), [("1", Decimal("1.00")), ("0.25", Decimal("0.25")), ("12.50", Decimal("12.50"))]
)
def test_amounts(text, amount):
    assert amount_read(text) == (amount, None)


@pytest.mark.parametrize("text", ["", "0", "0.2", "1.255", "1,5", "-1", "abc", "1e3", "123456"])
def test_bad_amounts_say_why(text):
    value, problem = amount_read(text)
    assert value is None and problem


# --- Bad rows --------------------------------------------------------------------------------


def test_a_bad_row_names_each_field_and_reason():
    reading = read(",P,2099-01-01,Nope,zero,,ftp://x,\n")
    fields = [name for name, _ in reading.rows[0].problems]
    assert fields == ["title", "certificate_url", "completed_on", "credit_type", "amount"]
    assert "future" in dict(reading.rows[0].problems)["completed_on"]


def test_an_ambiguous_date_is_a_bad_row_until_the_order_is_chosen():
    body = "A,P,03/04/2026,ANCC,1,,,\n"
    assert read(body).ambiguous_dates == 1 and read(body).bad == 1
    chosen = read(body, order="dmy")
    assert chosen.ambiguous_dates == 0 and chosen.rows[0].completed_on == datetime.date(2026, 4, 3)


def test_a_long_title_is_a_bad_row_not_a_crash():
    reading = read("T" * 5000 + ",P,2026-01-02,ANCC,1,,,\n")
    assert reading.rows[0].problems == [("title", "Longer than 300 characters.")]


def test_a_row_with_too_many_cells_is_bad():
    reading = read("A,P,2026-01-02,ANCC,1,,,,extra\n")
    assert reading.rows[0].is_bad


# --- Same activity and duplicates ---------------------------------------------------------------


def test_same_activity_ignores_case_spacing_and_punctuation():
    assert activity_key("Sepsis Update: 2026", "Mercy CME") == activity_key("sepsis  update 2026", "MERCY-CME")
    assert activity_key("Ｓepsis", "") == activity_key("sepsis", "")  # NFKC: full-width letters


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("Sepsis update", "Mercy"), ("Sepsis updates", "Mercy")),  # another word
        (("Sepsis update", "Mercy"), ("Sepsis update", "Other")),  # another provider
        (("Sepsis update", "Mercy"), ("Sepsis update", "")),  # provider missing on one side
        (("Café rounds", ""), ("Cafe rounds", "")),  # accents are kept
    ],
)
def test_different_activities(first, second):
    assert activity_key(*first) != activity_key(*second)


def test_a_row_repeated_in_the_file_is_a_duplicate_of_the_first():
    reading = read(
        "Sepsis,Mercy,2026-01-02,ANCC,1,,,\n"
        "SEPSIS,mercy,2026-01-02,ANCC contact hours,1.00,,,\n"  # the same, written differently
        "Sepsis,Mercy,2026-01-02,ANCC,2,,,\n"  # another amount
        "Sepsis,Mercy,2026-01-03,ANCC,1,,,\n"  # another day
        "Sepsis,Mercy,2026-01-02,ACPE,1,,,\n"  # another credit type
    )
    assert [row.duplicate_of_row for row in reading.rows] == [None, 2, None, None, None]
    assert len(reading.to_write) == 4 and reading.duplicates == 1


def test_a_row_already_logged_is_a_duplicate():
    existing = {(activity_key("Sepsis", "Mercy"), datetime.date(2026, 1, 2), "ancc", Decimal("1.00"))}
    reading = read("Sepsis,Mercy,2026-01-02,ANCC,1,,,\nSepsis,Mercy,2026-01-02,ANCC,1.5,,,\n", existing=existing)
    assert [row.duplicate_of_logged for row in reading.rows] == [True, False]


def test_a_bad_row_is_never_counted_as_a_duplicate():
    reading = read(
        "Sepsis,Mercy,2026-01-02,ANCC,1,,,\nSepsis,Mercy,2026-01-02,ANCC,1,,,ftp://x\n".replace(",,,ftp", ",,ftp")
    )
    assert reading.rows[1].is_bad and reading.duplicates == 0


@given(st.lists(st.sampled_from(["A", "a", "B", " b "]), min_size=1, max_size=12))
def test_exactly_one_row_of_each_activity_is_written(titles):
    body = "".join(f"{title},P,2026-01-02,ANCC,1,,,\n" for title in titles)
    reading = read(body)
    written = {activity_key(row.title, row.provider) for row in reading.to_write}
    assert len(reading.to_write) == len(written) == len({activity_key(t, "P") for t in titles})
