"""Pure helpers of scripts/bench_pages.py: medians, ratios, wrk's summary line, the issue's targets.

No Django, no I/O: tests/test_bench_stats.py checks them. Benchmarks print figures; nothing here
asserts anything about speed.
"""

from __future__ import annotations

import itertools
import math
import random
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

# The line the generated wrk Lua script prints in done(); parse_wrk_summary reads it back.
WRK_PREFIX = "BENCH "


def median(values: Sequence[float]) -> float:
    """The median of `values`, NaN ones (not measured) left out; NaN when no value is left."""
    measured = [value for value in values if not math.isnan(value)]
    return statistics.median(measured) if measured else math.nan


def percentile(values: Sequence[float], p: float) -> float:
    """The nearest-rank p-th percentile (0 < p <= 100) of `values`; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def median_ratio(rounds: Sequence[Mapping[str, float]], name: str, base: str) -> float:
    """Median over rounds of rounds[i][name] / rounds[i][base]: each ratio within one round.

    A round without either figure, or with a zero base, is left out; NaN when none is left.
    """
    ratios = [
        measured[name] / measured[base]
        for measured in rounds
        if name in measured and base in measured and measured[base] > 0 and not math.isnan(measured[name])
    ]
    return median(ratios)


def parse_wrk_summary(output: str) -> dict[str, float] | None:
    """The figures of the `BENCH key=value ...` line in wrk's output, or None without one.

    Adds `per_second` (requests / duration) when both are present.
    """
    for line in output.splitlines():
        if line.startswith(WRK_PREFIX):
            figures: dict[str, float] = {}
            for item in line[len(WRK_PREFIX) :].split():
                key, _, value = item.partition("=")
                figures[key] = float(value)
            if figures.get("duration_us", 0) > 0 and "requests" in figures:
                figures["per_second"] = figures["requests"] / (figures["duration_us"] / 1e6)
            return figures
    return None


def weight_combinations(
    max_weight: int, *, exclude: Sequence[tuple[int, ...]] = (), seed: int = 0
) -> list[tuple[int, ...]]:
    """Every combination of four weights 0..max_weight except all-zero and `exclude`, shuffled by `seed`."""
    excluded = set(exclude)
    combinations = [
        combination
        for combination in itertools.product(range(max_weight + 1), repeat=4)
        if any(combination) and combination not in excluded
    ]
    random.Random(seed).shuffle(combinations)  # noqa: S311 - an order, not a secret
    return combinations


def rotated(items: Sequence[T], by: int) -> list[T]:
    """`items` starting at position `by` (modulo its length): round r measures endpoints in this order."""
    if not items:
        return []
    shift = by % len(items)
    return [*items[shift:], *items[:shift]]


@dataclass(frozen=True)
class Target:
    """One of the issue's targets: `figure` of `endpoint` at `size` (None: every size) compared with `limit`."""

    label: str
    endpoint: str
    figure: str  # "ratio", "p95_ms", "queries", "rows_per_second", "cost"
    at_least: bool  # True: the figure must be >= limit; False: <= limit
    limit: float
    size: int | None = None


@dataclass(frozen=True)
class Verdict:
    target: Target
    value: float
    met: bool | None  # None: not measured in this run


def verdict(target: Target, value: float | None) -> Verdict:
    """Whether `value` meets `target`; met is None when the value is missing or NaN."""
    if value is None or math.isnan(value):
        return Verdict(target, math.nan, None)
    met = value >= target.limit if target.at_least else value <= target.limit
    return Verdict(target, value, met)


def cost_ratio(ratio_small: float, ratio_large: float) -> float:
    """How many times a page costs more at the large size, from its throughput ratios (small / large)."""
    if ratio_large <= 0 or math.isnan(ratio_large) or math.isnan(ratio_small):
        return math.nan
    return ratio_small / ratio_large


def queries_constant(counts: Mapping[int, int], *, limit: int) -> bool | None:
    """True when the query count is the same at every size and at most `limit`; None without counts."""
    if not counts:
        return None
    values = set(counts.values())
    return len(values) == 1 and max(values) <= limit
