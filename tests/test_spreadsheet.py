"""The one CSV-injection rule (cme_portal.spreadsheet): every separator-split segment is safe; it inverts exactly."""

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from cme_portal.spreadsheet import FORMULA_PREFIXES, SEGMENT_BOUNDARIES, cell_neutralize, cell_restore, csv_line

# Text rich in what matters: formula characters, separators, quotes and spaces, plus anything else.
risky_text = st.text(alphabet=st.sampled_from(list("=+-@\t\r\n,;|\"' ax")), max_size=30) | st.text()

SPREADSHEET_SEPARATORS = (",", ";", "\t", "|")
JURISDICTION_PAYLOAD = "CA;=cmd|' /C calc'!A0;"


def test_formula_cells_get_a_leading_quote_and_plain_text_does_not():
    assert [cell_neutralize(t) for t in ["=SUM(A1)", "+1", "-1", "@x", "\tx", "ok", ""]] == [
        "'=SUM(A1)",
        "'+1",
        "'-1",
        "'@x",
        "'\tx",
        "ok",
        "",
    ]


def test_a_formula_after_a_separator_is_neutralized_too():
    assert cell_neutralize(JURISDICTION_PAYLOAD) == "CA;'=cmd|' /C calc'!A0;"
    assert cell_neutralize("a,+1|@x\t-2") == "a,'+1|'@x\t'-2"
    assert cell_neutralize('x"=1') == "x\"'=1"
    assert cell_neutralize("x; =1") == "x;' =1"  # a spreadsheet that trims spaces sees a quote first


def test_typed_quotes_before_a_formula_survive_the_round_trip():
    assert cell_neutralize("'=x") == "''=x"
    assert cell_restore("''=x") == "'=x"
    assert cell_restore("'plain") == "'plain"


@given(risky_text)
def test_restoring_a_neutralized_cell_gives_the_text_back(text):
    assert cell_restore(cell_neutralize(text)) == text


@given(risky_text)
def test_no_segment_of_a_neutralized_cell_starts_with_a_formula_character(text):
    neutralized = cell_neutralize(text)
    for separator in (*SPREADSHEET_SEPARATORS, *SEGMENT_BOUNDARIES):
        for segment in neutralized.split(separator):
            assert not segment.startswith(FORMULA_PREFIXES), (separator, segment)
            assert not segment.lstrip(" ").startswith(FORMULA_PREFIXES), (separator, segment)


@given(st.lists(risky_text, max_size=5))
def test_a_csv_line_quotes_every_cell_and_reads_back_neutralized(cells):
    line = csv_line(cells)
    assert line.endswith("\r\n")
    parsed = next(csv.reader(io.StringIO(line))) if cells else []
    if cells == [""]:
        assert line == '""\r\n'
    else:
        assert parsed == [cell_neutralize(cell) for cell in cells]


def test_a_csv_line_quotes_numbers_too_and_writes_none_as_empty():
    assert csv_line(["a", 5, None, "-1"]) == '"a","5","","\'-1"\r\n'


def test_the_jurisdiction_payload_is_safe_when_the_line_is_split_on_any_separator():
    line = csv_line(["Dr. A", JURISDICTION_PAYLOAD]).rstrip("\r\n")
    for separator in SPREADSHEET_SEPARATORS:
        for piece in line.split(separator):
            assert not piece.lstrip('" ').startswith(FORMULA_PREFIXES), (separator, piece)
