"""Statistics against independently computed reference values.

Each expected value states where it comes from; none is produced by the code under test.
"""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from outcomes.statistics import (
    MeanSample,
    ProportionSample,
    ValueSample,
    compare,
    compare_means,
    compare_proportions,
    direction,
    format_p,
    welch_df,
)


def test_newcombe_interval_matches_newcombes_published_example():
    # Source: Newcombe RG, "Interval estimation for the difference between independent
    # proportions", Stat Med 1998;17:873-890, Table II example (a): 56/70 vs 48/80,
    # method 10 (score interval, no continuity correction): +0.0524 to +0.3339.
    result = compare_proportions(ProportionSample(48, 80), ProportionSample(56, 70))
    assert result.difference == pytest.approx(0.2)
    assert result.ci_low == pytest.approx(0.0524, abs=5e-5)
    assert result.ci_high == pytest.approx(0.3339, abs=5e-5)


def test_newcombe_interval_matches_hand_computation_from_wilson_limits():
    # Hand computation with the formula (Newcombe 1998, method 10), z = 1.959964:
    # Wilson limits for p = x/n: (2x + z² ± z·sqrt(z² + 4x(1 - x/n))) / (2(n + z²)).
    # after 58/93: p1 = 0.623656; before 219/505: p2 = 0.433663.
    z = 1.959963985

    def wilson(x, n):
        centre = 2 * x + z * z
        half = z * math.sqrt(z * z + 4 * x * (1 - x / n))
        return (centre - half) / (2 * (n + z * z)), (centre + half) / (2 * (n + z * z))

    p1, p2 = 58 / 93, 219 / 505
    l1, u1 = wilson(58, 93)
    l2, u2 = wilson(219, 505)
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    # The formula gives 0.0795 to 0.2911 (rounded); the module must agree to 1e-9.
    assert round(low, 4) == 0.0795
    assert round(high, 4) == 0.2911
    result = compare_proportions(ProportionSample(219, 505), ProportionSample(58, 93))
    assert result.ci_low == pytest.approx(low, abs=1e-9)
    assert result.ci_high == pytest.approx(high, abs=1e-9)


def test_two_proportion_z_test_matches_hand_computation():
    # 56/70 vs 48/80, pooled p = 104/150 = 0.693333;
    # SE = sqrt(0.693333 × 0.306667 × (1/70 + 1/80)) = sqrt(0.212622 × 0.0267857) = 0.0754670;
    # z = 0.2 / 0.0754670 = 2.65017; two-sided P = 2 × (1 - Φ(2.65017)) = 0.00805
    # (R: prop.test(c(56, 48), c(70, 80), correct = FALSE) gives X-squared = 7.0234 = z², p = 0.008045).
    result = compare_proportions(ProportionSample(48, 80), ProportionSample(56, 70))
    assert result.statistic == pytest.approx(2.65017, abs=1e-4)
    assert result.p_value == pytest.approx(0.008045, abs=2e-5)


def test_welch_interval_and_test_match_hand_computation():
    # before 7.3 (SD 2.0, n 50), after 6.0 (SD 1.8, n 60):
    # SE² = 1.8²/60 + 2.0²/50 = 0.054 + 0.08 = 0.134, SE = 0.366060;
    # df = 0.134² / (0.054²/59 + 0.08²/49) = 0.017956 / (0.0000494237 + 0.000130612) = 99.735;
    # t = -1.3 / 0.366060 = -3.5513; t(0.975, 99.7) = 1.98397 (t table: 1.984 at df 100);
    # CI = -1.3 ± 1.98397 × 0.366060 = -1.3 ± 0.72625 -> (-2.0262, -0.5738);
    # two-sided P = 0.000587 (R: t.test on data with these summaries gives p-value = 0.0005869).
    before, after = MeanSample(7.3, 50, 2.0), MeanSample(6.0, 60, 1.8)
    result = compare_means(before, after)
    assert welch_df(before, after) == pytest.approx(99.735, abs=1e-3)
    assert result.statistic == pytest.approx(-3.5513, abs=1e-4)
    assert result.ci_low == pytest.approx(-2.0262, abs=1e-3)
    assert result.ci_high == pytest.approx(-0.5738, abs=1e-3)
    assert result.p_value == pytest.approx(0.000587, abs=5e-6)


def test_means_without_sd_report_the_change_without_an_interval():
    result = compare_means(MeanSample(7.3, 50), MeanSample(6.0, 60))
    assert result.difference == pytest.approx(-1.3)
    assert not result.has_interval
    assert result.p_value is None


def test_rates_and_counts_get_the_change_only():
    result = compare(ValueSample(4.0, None), ValueSample(3.0, None))
    assert result.difference == -1.0
    assert result.relative_change == pytest.approx(-0.25)
    assert not result.has_interval


def test_relative_change_is_undefined_for_a_zero_baseline():
    assert compare(ValueSample(0.0), ValueSample(3.0)).relative_change is None


def test_identical_all_zero_proportions_give_no_evidence_of_change():
    result = compare_proportions(ProportionSample(0, 40), ProportionSample(0, 50))
    assert result.difference == 0
    assert result.p_value == 1.0
    assert result.ci_low <= 0 <= result.ci_high


@pytest.mark.parametrize(
    ("difference", "higher_is_better", "expected"),
    [
        (0.1, True, "better"),
        (0.1, False, "worse"),
        (-0.1, False, "better"),
        (-0.1, True, "worse"),
        (0, True, "unchanged"),
    ],
)
def test_direction_is_judged_against_the_better_direction(difference, higher_is_better, expected):
    assert direction(difference, higher_is_better=higher_is_better) == expected


@pytest.mark.parametrize(
    ("p", "text"), [(0.00001, "P < .0001"), (0.0005, "P < .001"), (0.0123, "P = .012"), (0.5, "P = .500")]
)
def test_p_values_are_printed_as_journals_do(p, text):
    assert format_p(p) == text


proportions = st.integers(min_value=1, max_value=2000).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
)


@given(before=proportions, after=proportions)
def test_proportion_interval_contains_the_point_estimate(before, after):
    result = compare_proportions(ProportionSample(*before), ProportionSample(*after))
    assert result.ci_low - 1e-12 <= result.difference <= result.ci_high + 1e-12
    assert -1 <= result.ci_low <= result.ci_high <= 1
    assert 0 <= result.p_value <= 1


@given(before=proportions, after=proportions)
def test_swapping_before_and_after_negates_the_difference(before, after):
    forward = compare_proportions(ProportionSample(*before), ProportionSample(*after))
    backward = compare_proportions(ProportionSample(*after), ProportionSample(*before))
    assert backward.difference == pytest.approx(-forward.difference)
    assert backward.ci_low == pytest.approx(-forward.ci_high, abs=1e-9)
    assert backward.ci_high == pytest.approx(-forward.ci_low, abs=1e-9)
    assert backward.p_value == pytest.approx(forward.p_value, abs=1e-9)


means = st.tuples(
    st.floats(min_value=-1000, max_value=1000, allow_nan=False),
    st.integers(min_value=2, max_value=5000),
    st.floats(min_value=0.01, max_value=100, allow_nan=False),
)


@given(before=means, after=means)
def test_welch_interval_contains_the_point_estimate_and_swaps(before, after):
    b, a = MeanSample(before[0], before[1], before[2]), MeanSample(after[0], after[1], after[2])
    forward, backward = compare_means(b, a), compare_means(a, b)
    assert forward.ci_low <= forward.difference <= forward.ci_high
    assert backward.difference == pytest.approx(-forward.difference)
    assert backward.ci_low == pytest.approx(-forward.ci_high, rel=1e-9, abs=1e-9)


def test_proportion_interval_never_passes_one_at_the_extremes():
    # Found by hypothesis: statsmodels' Newcombe upper bound was 1.0000000000000002 for 0/1 -> 27/27.
    result = compare_proportions(ProportionSample(0, 1), ProportionSample(27, 27))
    assert result.ci_high == 1.0
    assert result.ci_low <= result.difference <= result.ci_high
