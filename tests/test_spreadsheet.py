from hypothesis import assume, given
from hypothesis import strategies as st

from cme_portal.spreadsheet import FORMULA_PREFIXES, cell_neutralize, cell_restore


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


@given(st.text())
def test_restoring_a_neutralized_cell_gives_the_text_back(text):
    assume(not (len(text) > 1 and text[0] == "'" and text[1] in FORMULA_PREFIXES))
    assert cell_restore(cell_neutralize(text)) == text
    assert not cell_neutralize(text).startswith(FORMULA_PREFIXES)
