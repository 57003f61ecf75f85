"""Run-chart rules (IHI) on constructed series, their wording, and the accessible SVG."""

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from outcomes.runchart import (
    ChartPoint,
    Run,
    analyse,
    describe_run,
    detect_shifts,
    detect_trends,
    point_signal,
    render_svg,
)

# --- Shifts: 6 or more on one side of the median; points on the median skipped ---


def test_exactly_six_points_above_the_median_are_a_shift():
    assert detect_shifts([5, 6, 6, 7, 8, 6, 9], 5) == [Run(1, 6, "above")]
    assert detect_shifts([6, 7, 8, 9, 7, 6], 5)[0].counted == 6


def test_exactly_six_points_below_the_median_are_a_shift():
    assert detect_shifts([4, 3, 2, 1, 3, 4], 5) == [Run(0, 5, "below")]


def test_five_points_on_one_side_are_not_a_shift():
    assert detect_shifts([5, 6, 7, 8, 9, 6, 4], 5) == []
    assert detect_shifts([4, 3, 2, 1, 3], 5) == []


def test_points_on_the_median_inside_a_shift_neither_break_nor_count():
    # 5 below, one on the median, 1 more below: 6 counted points -> a shift of 6, 1 skipped.
    run = detect_shifts([4, 3, 4, 3, 2, 5, 1], 5)
    assert run == [Run(0, 6, "below", skipped=(5,))]
    assert run[0].counted == 6 and run[0].span == 7
    # 5 below with two on the median: only 5 count -> no shift.
    assert detect_shifts([4, 5, 3, 5, 4, 3, 2], 5) == []


def test_points_on_the_median_around_a_shift_are_not_part_of_it():
    # Leading and trailing on-median points lie outside the run.
    assert detect_shifts([5, 6, 7, 5, 8, 9, 6, 7, 5, 5], 5) == [Run(1, 7, "above", skipped=(3,))]


def test_a_point_on_the_other_side_breaks_a_shift():
    assert detect_shifts([6, 7, 8, 4, 6, 7, 8], 5) == []
    # Median points next to the break do not carry over to the next run.
    assert detect_shifts([6, 7, 5, 4, 3, 2, 5, 1, 2, 3], 5) == [Run(3, 9, "below", skipped=(6,))]


def test_shifts_on_both_sides_of_the_median():
    values = [6, 7, 6, 7, 6, 7, 4, 3, 5, 4, 3, 4, 3]
    assert detect_shifts(values, 5) == [Run(0, 5, "above"), Run(6, 12, "below", skipped=(8,))]


# --- Trends: 5 or more all going up or down; like values skipped ---


def test_exactly_five_rising_points_are_a_trend_and_four_are_not():
    assert detect_trends([1, 2, 3, 4, 5]) == [Run(0, 4, "up")]
    assert detect_trends([1, 2, 3, 4]) == []


def test_exactly_five_falling_points_are_a_trend_and_four_are_not():
    assert detect_trends([9, 7, 5, 3, 1, 2]) == [Run(0, 4, "down")]
    assert detect_trends([9, 7, 5, 3, 4]) == []


def test_like_values_inside_a_trend_neither_make_nor_break_it():
    # 1 2 3 (3) 4 5: five counted points going up, the repeat skipped.
    runs = detect_trends([1, 2, 3, 3, 4, 5])
    assert runs == [Run(0, 5, "up", skipped=(3,))]
    assert runs[0].counted == 5 and runs[0].span == 6
    # Going down with two repeats in a row: still one trend of five.
    assert detect_trends([9, 8, 8, 8, 7, 6, 5]) == [Run(0, 6, "down", skipped=(2, 3))]


def test_like_values_do_not_make_a_trend():
    # 1 2 2 2 3 4: only four distinct steps' worth of points (1, 2, 3, 4) -> no trend.
    assert detect_trends([1, 2, 2, 2, 3, 4]) == []
    assert detect_trends([3, 3, 3, 3, 3, 3]) == []


def test_like_values_at_the_ends_are_outside_the_trend():
    # The climb starts at the last 1 and ends at the first 5.
    assert detect_trends([1, 1, 2, 3, 4, 5, 5]) == [Run(1, 5, "up")]


def test_a_peak_can_end_one_trend_and_start_another():
    assert detect_trends([1, 2, 3, 4, 5, 4, 3, 2, 1]) == [Run(0, 4, "up"), Run(4, 8, "down")]
    # A flat peak: the up trend ends on the first 5, the down trend starts on the last.
    assert detect_trends([1, 2, 3, 4, 5, 5, 4, 3, 2, 1]) == [Run(0, 4, "up"), Run(5, 9, "down")]


# --- Analysis, wording and the signal column ---


def test_analysis_uses_the_baseline_median_and_flags_counted_points_only():
    analysis = analyse([43.4, 44, 46, 45, 48, 50, 49], baseline_count=1)
    assert analysis.median == 43.4
    assert analysis.shifts == (Run(1, 6, "above"),)
    assert analysis.trends == ()
    assert analysis.in_signal == frozenset(range(1, 7))
    assert analyse([1, 2, 3, 9], baseline_count=3).median == 2
    # The on-median point inside the shift is not flagged.
    with_median = analyse([5, 6, 7, 5, 6, 7, 6, 7], baseline_count=1)
    assert with_median.shifts == (Run(1, 7, "above", skipped=(3,)),)
    assert 3 not in with_median.in_signal and with_median.in_signal == frozenset({1, 2, 4, 5, 6, 7})


def test_describe_run_reports_the_counted_points_and_what_was_skipped():
    assert describe_run(Run(1, 6, "above")) == "6 points above the baseline median"
    assert (
        describe_run(Run(0, 8, "below", skipped=(2, 5)))
        == "7 points below the baseline median (2 on the median not counted)"
    )
    assert describe_run(Run(0, 4, "up")) == "5 points going up"
    assert describe_run(Run(0, 5, "down", skipped=(3,))) == "5 points going down (1 repeated value not counted)"
    assert describe_run(Run(0, 6, "up", skipped=(2, 3))) == "5 points going up (2 repeated values not counted)"


def test_point_signal_numbers_counted_points_and_names_skipped_ones():
    analysis = analyse([5, 6, 7, 5, 8, 9, 10, 11], baseline_count=1)
    assert analysis.shifts == (Run(1, 7, "above", skipped=(3,)),)
    assert analysis.trends == (Run(3, 7, "up"),)
    assert point_signal(analysis, 0) == ""
    assert point_signal(analysis, 1) == "shift above, point 1 of 6"
    assert point_signal(analysis, 3) == "shift above: on the median, not counted; trend up, point 1 of 5"
    assert point_signal(analysis, 7) == "shift above, point 6 of 6; trend up, point 5 of 5"
    repeat = analyse([1, 2, 3, 3, 4, 5], baseline_count=1)
    assert point_signal(repeat, 3) == "trend up: same value as before, not counted"
    assert point_signal(repeat, 4) == "trend up, point 4 of 5"


def test_empty_series_is_refused():
    with pytest.raises(ValueError):
        analyse([], baseline_count=1)


def test_svg_is_accessible_and_escapes_text():
    points = [ChartPoint("Baseline", 43.4), ChartPoint("Jan <2025>", 44.0), ChartPoint("Feb 2025", 46.0)]
    svg = render_svg(points, analyse([p.value for p in points], baseline_count=1), title="A & B", unit="%", target=60)
    assert 'role="img"' in svg
    assert 'aria-labelledby="runchart-title runchart-desc"' in svg
    assert '<title id="runchart-title">A &amp; B</title>' in svg
    assert "<desc" in svg and "Baseline median 43.4%" in svg and "Target 60%" in svg
    assert "Signals: none." in svg
    assert "Jan &lt;2025&gt;" in svg
    assert "<2025>" not in svg


def test_svg_description_reports_the_counts_and_draws_skipped_points_as_circles():
    values = [5, 6, 7, 5, 6, 7, 6, 7, 5, 6]  # median 5: seven points above, two on the median inside
    analysis = analyse(values, baseline_count=1)
    assert analysis.shifts == (Run(1, 9, "above", skipped=(3, 8)),)
    svg = render_svg([ChartPoint(str(i), v) for i, v in enumerate(values)], analysis, title="t")
    assert "Signals: shift, 7 points above the baseline median (2 on the median not counted)." in svg
    assert svg.count('class="rc-point rc-signal"') == 7 + 1  # the seven counted points and the legend's square


# --- Properties ---

small = st.integers(min_value=-4, max_value=4)
series = st.lists(small, max_size=30)


def _shift_summary(values, median):
    return [(run.kind, run.counted) for run in detect_shifts(values, median)]


def _trend_summary(values):
    return [(run.kind, run.counted) for run in detect_trends(values)]


def _shift_oracle(values, median):
    """Drop the on-median points, group by side, keep groups of 6 or more."""
    sides = ["above" if v > median else "below" for v in values if v != median]
    return [(side, n) for side, group in itertools.groupby(sides) if (n := len(list(group))) >= 6]


def _trend_oracle(values):
    """Collapse like values, then count points of each maximal monotone stretch (peaks shared)."""
    distinct = [value for value, _ in itertools.groupby(values)]
    steps = ["up" if b > a else "down" for a, b in itertools.pairwise(distinct)]
    return [(kind, n + 1) for kind, group in itertools.groupby(steps) if (n := len(list(group))) + 1 >= 5]


@given(series, small)
def test_shifts_match_the_rule_as_written(values, median):
    assert _shift_summary(values, median) == _shift_oracle(values, median)


@given(series)
def test_trends_match_the_rule_as_written(values):
    assert _trend_summary(values) == _trend_oracle(values)


@given(series, small, st.lists(st.integers(min_value=0, max_value=30), max_size=8))
def test_inserting_median_points_never_changes_the_shift_verdict_or_count(values, median, positions):
    longer = list(values)
    for position in positions:
        longer.insert(min(position, len(longer)), median)
    assert _shift_summary(longer, median) == _shift_summary(values, median)


@given(series, st.lists(st.integers(min_value=0, max_value=30), max_size=8))
def test_duplicating_a_value_in_place_never_changes_the_trend_verdict_or_length(values, positions):
    longer = list(values)
    for position in positions:
        if longer:
            index = min(position, len(longer) - 1)
            longer.insert(index, longer[index])
    assert _trend_summary(longer) == _trend_summary(values)


@given(series, small)
def test_a_run_starts_and_ends_on_counted_points_and_skips_only_what_the_rule_skips(values, median):
    for run in detect_shifts(values, median):
        assert run.counted >= 6
        assert values[run.start] != median and values[run.end] != median
        for index in range(run.start, run.end + 1):
            if index in run.skipped:
                assert values[index] == median
            else:
                assert (values[index] > median) == (run.kind == "above") and values[index] != median
    for run in detect_trends(values):
        assert run.counted >= 5
        assert run.start not in run.skipped and run.end not in run.skipped
        counted = [values[i] for i in range(run.start, run.end + 1) if i not in run.skipped]
        pairs = list(itertools.pairwise(counted))
        assert all((b > a) if run.kind == "up" else (b < a) for a, b in pairs)
        assert all(values[i] == values[i - 1] for i in run.skipped)
