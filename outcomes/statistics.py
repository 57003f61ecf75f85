"""Before/after comparison of one practice measure. Pure Python: no Django.

The arithmetic is delegated to well-kept libraries:
- proportions: the 95% interval of the difference by Newcombe's hybrid score method
  (statsmodels `confint_proportions_2indep(method="newcomb")`) and the two-sided
  pooled two-proportion z-test (statsmodels `proportions_ztest`, the same test as
  R's `prop.test(correct = FALSE)`);
- means: Welch's unequal-variance t-test (scipy `ttest_ind_from_stats(equal_var=False)`)
  and Welch's interval with Welch–Satterthwaite degrees of freedom (scipy `stats.t`).

Rates, counts and durations without an SD get the change only: no interval is
claimed where the data cannot support one. Differences are always after - before.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats  # type: ignore[import-untyped]  # scipy ships no type hints; scipy-stubs is not installed
from statsmodels.stats.proportion import (  # type: ignore[import-untyped]  # statsmodels ships no type hints
    confint_proportions_2indep,
    proportions_ztest,
)

CONFIDENCE = 0.95

PROPORTION_CI_METHOD = "Newcombe hybrid score interval"
PROPORTION_TEST_METHOD = "two-sided two-proportion z-test (pooled)"
MEAN_CI_METHOD = "Welch interval (Welch–Satterthwaite df)"
MEAN_TEST_METHOD = "two-sided Welch t-test"


@dataclass(frozen=True)
class ProportionSample:
    numerator: int
    denominator: int

    @property
    def estimate(self) -> float:
        return self.numerator / self.denominator

    @property
    def n(self) -> int:
        return self.denominator


@dataclass(frozen=True)
class MeanSample:
    mean: float
    n: int
    sd: float | None = None

    @property
    def estimate(self) -> float:
        return self.mean


@dataclass(frozen=True)
class ValueSample:
    """A rate, count or duration with no spread recorded."""

    value: float
    n: int | None = None

    @property
    def estimate(self) -> float:
        return self.value


Sample = ProportionSample | MeanSample | ValueSample


@dataclass(frozen=True)
class Difference:
    """after - before on the natural scale (a proportion as 0..1), with its interval and test."""

    before: float
    after: float
    difference: float
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    statistic: float | None = None
    df: float | None = None
    ci_method: str = ""
    test_method: str = ""

    @property
    def relative_change(self) -> float | None:
        """(after - before) / before; None when the baseline is 0."""
        if self.before == 0:
            return None
        return self.difference / abs(self.before)

    @property
    def has_interval(self) -> bool:
        return self.ci_low is not None and self.ci_high is not None

    @property
    def interval_excludes_zero(self) -> bool:
        low, high = self.ci_low, self.ci_high
        return low is not None and high is not None and (low > 0 or high < 0)


def compare_proportions(before: ProportionSample, after: ProportionSample) -> Difference:
    """Difference of two independent proportions with Newcombe's interval and a pooled z-test.

    Both denominators must be > 0 (the forms guarantee it). When both proportions are
    0 or both 1 the test is undefined: p is reported as 1.0 (no evidence of a change).
    """
    if before.denominator <= 0 or after.denominator <= 0:
        raise ValueError("Denominators must be greater than 0.")
    low, high = confint_proportions_2indep(
        after.numerator,
        after.denominator,
        before.numerator,
        before.denominator,
        method="newcomb",
        compare="diff",
        alpha=1 - CONFIDENCE,
    )
    pooled = (before.numerator + after.numerator) / (before.denominator + after.denominator)
    if pooled in (0.0, 1.0):
        statistic, p_value = 0.0, 1.0
    else:
        statistic, p_value = proportions_ztest(
            [after.numerator, before.numerator], [after.denominator, before.denominator]
        )
    return Difference(
        before=before.estimate,
        after=after.estimate,
        difference=after.estimate - before.estimate,
        # A difference of proportions lies in [-1, 1]; statsmodels' Newcombe bounds can
        # overshoot by a rounding error at the extremes (e.g. 0/1 -> 27/27).
        ci_low=max(-1.0, float(low)),
        ci_high=min(1.0, float(high)),
        p_value=float(p_value),
        statistic=float(statistic),
        ci_method=PROPORTION_CI_METHOD,
        test_method=PROPORTION_TEST_METHOD,
    )


def welch_df(before: MeanSample, after: MeanSample) -> float:
    """Welch–Satterthwaite degrees of freedom."""
    v1 = (after.sd or 0) ** 2 / after.n
    v0 = (before.sd or 0) ** 2 / before.n
    return (v1 + v0) ** 2 / (v1**2 / (after.n - 1) + v0**2 / (before.n - 1))


def compare_means(before: MeanSample, after: MeanSample) -> Difference:
    """Difference of two means with Welch's interval and test.

    Needs an SD and n >= 2 on both sides and some spread; otherwise the change is
    reported without an interval.
    """
    difference = after.mean - before.mean
    before_sd, after_sd = before.sd, after.sd
    if before_sd is None or after_sd is None or before.n < 2 or after.n < 2 or not (before_sd > 0 or after_sd > 0):
        return Difference(before=before.mean, after=after.mean, difference=difference)
    result = stats.ttest_ind_from_stats(
        after.mean, after_sd, after.n, before.mean, before_sd, before.n, equal_var=False
    )
    df = welch_df(before, after)
    se = math.sqrt(after_sd**2 / after.n + before_sd**2 / before.n)
    margin = float(stats.t.ppf(1 - (1 - CONFIDENCE) / 2, df)) * se
    return Difference(
        before=before.mean,
        after=after.mean,
        difference=difference,
        ci_low=difference - margin,
        ci_high=difference + margin,
        p_value=float(result.pvalue),
        statistic=float(result.statistic),
        df=df,
        ci_method=MEAN_CI_METHOD,
        test_method=MEAN_TEST_METHOD,
    )


def compare(before: Sample, after: Sample) -> Difference:
    """The right comparison for the kind of sample; change only when no test applies."""
    if isinstance(before, ProportionSample) and isinstance(after, ProportionSample):
        return compare_proportions(before, after)
    if isinstance(before, MeanSample) and isinstance(after, MeanSample):
        return compare_means(before, after)
    return Difference(before=before.estimate, after=after.estimate, difference=after.estimate - before.estimate)


def direction(difference: float, *, higher_is_better: bool) -> str:
    """ "better", "worse" or "unchanged", judged against the measure's better direction."""
    if difference == 0:
        return "unchanged"
    return "better" if (difference > 0) == higher_is_better else "worse"


def format_p(p_value: float) -> str:
    """A p-value as journals print it: "P < .001" below a thousandth, else three decimals."""
    if p_value < 0.0001:
        return "P < .0001"
    if p_value < 0.001:
        return "P < .001"
    return "P = " + f"{p_value:.3f}".lstrip("0")
