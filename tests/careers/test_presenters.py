"""The plan timeline: geometry from plan data, no queries."""

import datetime
from decimal import Decimal
from types import SimpleNamespace

from careers.presenters import PLAN_ROW, PLAN_TOP, PLAN_WIDTH, plan_timeline
from careers.selectors import Plan, PlanDate, PlanItem

START = datetime.date(2025, 1, 1)
END = datetime.date(2025, 12, 31)


def _item(start, end, *, in_window=True):
    return PlanItem(SimpleNamespace(pk=start.toordinal()), start, end, in_window, in_window)  # type: ignore[arg-type]


def _plan(items, dates=()):
    return Plan(START, END, list(items), list(dates), Decimal("0"), [], Decimal("0"))


def test_bars_are_placed_by_date_one_row_each_and_never_thinner_than_six_units():
    timeline = plan_timeline(
        _plan(
            [
                _item(datetime.date(2025, 7, 2), datetime.date(2025, 12, 31)),
                _item(datetime.date(2024, 6, 1), datetime.date(2024, 6, 2), in_window=False),
                _item(datetime.date(2025, 3, 5), datetime.date(2025, 3, 5)),
            ]
        )
    )
    first, second = timeline.bars
    assert (first.x, first.x + first.width, first.y) == (round(PLAN_WIDTH * 182 / 365), PLAN_WIDTH, PLAN_TOP)
    assert second.width == 6 and second.y == PLAN_TOP + PLAN_ROW
    assert timeline.height == PLAN_TOP + 2 * PLAN_ROW + 10
    assert [month.label for month in timeline.months][:2] == ["Jan 2025", "Feb 2025"]
    assert timeline.months[0].x == 0 and len(timeline.months) == 12


def test_markers_are_labelled_and_ordered_by_day_then_label():
    day = datetime.date(2025, 5, 1)
    timeline = plan_timeline(
        _plan(
            [],
            [
                PlanDate("renewal", datetime.date(2025, 9, 30), "California physician"),
                PlanDate("review", day),
                PlanDate("renewal", day, "Alaska physician"),
            ],
        )
    )
    assert [(m.kind, m.label, m.day) for m in timeline.markers] == [
        ("renewal", "Alaska physician renewal", day),
        ("review", "Performance review", day),
        ("renewal", "California physician renewal", datetime.date(2025, 9, 30)),
    ]
    assert timeline.height == PLAN_TOP + PLAN_ROW + 10 and not timeline.bars
