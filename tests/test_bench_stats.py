"""The pure helpers of scripts/bench_pages.py compute what its report says (no benchmark runs here)."""

from __future__ import annotations

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

from _bench_stats import (
    Target,
    cost_ratio,
    median,
    median_ratio,
    parse_wrk_summary,
    percentile,
    queries_constant,
    rotated,
    verdict,
    weight_combinations,
)


def test_median_leaves_out_unmeasured_values():
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([4.0, 1.0, 2.0, 3.0]) == 2.5
    assert median([1.0, math.nan, 3.0]) == 2.0
    assert math.isnan(median([]))
    assert math.isnan(median([math.nan]))


def test_percentile_is_nearest_rank():
    values = [float(n) for n in range(1, 101)]  # 1..100
    assert percentile(values, 50) == 50.0
    assert percentile(values, 95) == 95.0
    assert percentile(values, 100) == 100.0
    assert percentile([7.0], 95) == 7.0
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 95) == 5.0
    assert math.isnan(percentile([], 50))


def test_ratio_is_taken_within_each_round_then_the_median():
    rounds = [
        {"trivial": 100.0, "ranked": 20.0},  # 0.2
        {"trivial": 50.0, "ranked": 15.0},  # 0.3: a slower round, the same page relatively faster
        {"trivial": 200.0, "ranked": 50.0},  # 0.25
        {"trivial": 0.0, "ranked": 10.0},  # no base: left out
        {"trivial": 100.0},  # no figure: left out
    ]
    assert median_ratio(rounds, "ranked", "trivial") == 0.25
    assert median_ratio(rounds, "trivial", "trivial") == 1.0
    assert math.isnan(median_ratio(rounds, "missing", "trivial"))


def test_parse_wrk_summary_reads_the_bench_line_and_adds_throughput():
    output = (
        "Running 5s test @ http://127.0.0.1:1/\nBENCH requests=250 duration_us=5000000 p50_us=1800 p95_us=4100 bad=0\n"
    )
    figures = parse_wrk_summary(output)
    assert figures is not None
    assert figures["requests"] == 250
    assert figures["p95_us"] == 4100
    assert figures["per_second"] == 50.0
    assert parse_wrk_summary("no summary here") is None


def test_weight_combinations_are_every_nonzero_one_but_the_excluded_shuffled_reproducibly():
    combinations = weight_combinations(5, exclude=[(5, 2, 1, 4)], seed=3)
    assert len(combinations) == 6**4 - 2
    assert len(set(combinations)) == len(combinations)
    assert (0, 0, 0, 0) not in combinations
    assert (5, 2, 1, 4) not in combinations
    assert combinations == weight_combinations(5, exclude=[(5, 2, 1, 4)], seed=3)
    assert combinations != weight_combinations(5, exclude=[(5, 2, 1, 4)], seed=4)


def test_rotated_starts_each_round_one_further():
    assert rotated(["a", "b", "c"], 0) == ["a", "b", "c"]
    assert rotated(["a", "b", "c"], 1) == ["b", "c", "a"]
    assert rotated(["a", "b", "c"], 4) == ["b", "c", "a"]
    assert rotated([], 2) == []


def test_targets_met_or_not_and_missing_figures():
    at_least = Target("ratio >= 0.25", "ranked", "ratio", True, 0.25, 20_000)
    at_most = Target("p95 <= 25 ms", "ranked", "p95_ms", False, 25, 20_000)
    assert verdict(at_least, 0.25).met is True
    assert verdict(at_least, 0.2).met is False
    assert verdict(at_most, 25.0).met is True
    assert verdict(at_most, 30.0).met is False
    assert verdict(at_most, None).met is None
    assert verdict(at_most, math.nan).met is None


def test_cost_ratio_and_constant_query_count():
    assert math.isclose(cost_ratio(0.3, 0.2), 1.5)
    assert math.isnan(cost_ratio(0.3, 0.0))
    assert math.isnan(cost_ratio(math.nan, 0.2))
    assert queries_constant({1000: 8, 20_000: 8, 100_000: 8}, limit=10) is True
    assert queries_constant({1000: 8, 20_000: 9}, limit=10) is False
    assert queries_constant({1000: 12, 20_000: 12}, limit=10) is False
    assert queries_constant({}, limit=10) is None
