"""Run-chart rules on constructed series, and the accessible SVG."""

import pytest

from outcomes.runchart import ChartPoint, Run, analyse, detect_shifts, detect_trends, render_svg


def test_six_points_above_the_median_are_a_shift():
    assert detect_shifts([5, 6, 6, 7, 8, 6, 9], 5) == [Run(1, 6, "above")]


def test_five_points_on_one_side_are_not_a_shift():
    assert detect_shifts([5, 6, 7, 8, 9, 6, 4], 5) == []


def test_points_on_the_median_neither_break_nor_count_towards_a_shift():
    # 5 below, one on the median, 1 more below: 6 counted points -> a shift.
    assert detect_shifts([4, 3, 4, 3, 2, 5, 1], 5) == [Run(0, 6, "below")]
    # 5 below with two on the median: only 5 count -> no shift.
    assert detect_shifts([4, 5, 3, 5, 4, 3, 2], 5) == []


def test_a_point_on_the_other_side_breaks_a_shift():
    assert detect_shifts([6, 7, 8, 4, 6, 7, 8], 5) == []


def test_five_rising_points_are_a_trend_and_four_are_not():
    assert detect_trends([1, 2, 3, 4, 5]) == [Run(0, 4, "up")]
    assert detect_trends([1, 2, 3, 4]) == []
    assert detect_trends([9, 7, 5, 3, 1, 2]) == [Run(0, 4, "down")]


def test_ties_break_a_trend():
    assert detect_trends([1, 2, 3, 3, 4, 5]) == []
    assert detect_trends([1, 2, 2, 3, 4, 5, 6]) == [Run(2, 6, "up")]


def test_a_peak_can_end_one_trend_and_start_another():
    assert detect_trends([1, 2, 3, 4, 5, 4, 3, 2, 1]) == [Run(0, 4, "up"), Run(4, 8, "down")]


def test_analysis_uses_the_baseline_median_and_flags_points():
    analysis = analyse([43.4, 44, 46, 45, 48, 50, 49], baseline_count=1)
    assert analysis.median == 43.4
    assert analysis.shifts == (Run(1, 6, "above"),)
    assert analysis.trends == ()
    assert analysis.in_signal == frozenset(range(1, 7))
    assert analyse([1, 2, 3, 9], baseline_count=3).median == 2


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
    assert "Jan &lt;2025&gt;" in svg
    assert "<2025>" not in svg
