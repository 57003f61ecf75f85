"""Run charts: the measure over time against its baseline median. Pure Python: no Django.

Rules (the standard run-chart rules for non-random variation):
- shift: 6 or more consecutive points all above or all below the median; points
  exactly on the median neither break a run nor count towards it;
- trend: 5 or more consecutive points all going up or all going down; two equal
  consecutive values break a trend.

`render_svg` draws an accessible SVG (role="img", <title> and <desc>); the page
also shows the same data as a table.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

SHIFT_MIN_POINTS = 6
TREND_MIN_POINTS = 5


@dataclass(frozen=True)
class Run:
    """Points start..end (inclusive indexes into the series) forming one signal."""

    start: int
    end: int
    kind: str  # "above" / "below" for shifts, "up" / "down" for trends

    @property
    def length(self) -> int:
        return self.end - self.start + 1


@dataclass(frozen=True)
class RunChartAnalysis:
    median: float
    shifts: tuple[Run, ...] = ()
    trends: tuple[Run, ...] = ()
    in_signal: frozenset[int] = field(default_factory=frozenset)


def detect_shifts(values: Sequence[float], median: float, *, min_points: int = SHIFT_MIN_POINTS) -> list[Run]:
    """Runs of >= min_points consecutive points on one side of the median (on-median points skipped)."""
    runs: list[Run] = []
    side: str | None = None
    start = end = -1
    count = 0
    for index, value in enumerate(values):
        if value == median:
            continue
        this_side = "above" if value > median else "below"
        if this_side == side:
            count += 1
            end = index
            continue
        if side is not None and count >= min_points:
            runs.append(Run(start, end, side))
        side, start, end, count = this_side, index, index, 1
    if side is not None and count >= min_points:
        runs.append(Run(start, end, side))
    return runs


def detect_trends(values: Sequence[float], *, min_points: int = TREND_MIN_POINTS) -> list[Run]:
    """Runs of >= min_points consecutive points strictly rising or strictly falling; ties break them."""
    runs: list[Run] = []
    start = 0
    current: str | None = None
    for index in range(1, len(values)):
        step = values[index] - values[index - 1]
        this = "up" if step > 0 else "down" if step < 0 else None
        if this is not None and this == current:
            continue
        if current is not None and index - start >= min_points:
            runs.append(Run(start, index - 1, current))
        current = this
        start = index - 1 if this is not None else index
    if current is not None and len(values) - start >= min_points:
        runs.append(Run(start, len(values) - 1, current))
    return runs


def analyse(values: Sequence[float], *, baseline_count: int) -> RunChartAnalysis:
    """Median of the first `baseline_count` values (the baseline) and the signals in the whole series."""
    if not values:
        raise ValueError("A run chart needs at least one point.")
    baseline = list(values[: max(1, baseline_count)])
    median = float(statistics.median(baseline))
    shifts = tuple(detect_shifts(values, median))
    trends = tuple(detect_trends(values))
    flagged: set[int] = set()
    for run in (*shifts, *trends):
        flagged.update(range(run.start, run.end + 1))
    return RunChartAnalysis(median=median, shifts=shifts, trends=trends, in_signal=frozenset(flagged))


@dataclass(frozen=True)
class ChartPoint:
    label: str  # e.g. "Jan 2024" or "Baseline"
    value: float


WIDTH, HEIGHT = 640, 300
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 56, 16, 16, 56


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if abs(value) < 1000 else f"{value:,.0f}"


def render_svg(
    points: Sequence[ChartPoint],
    analysis: RunChartAnalysis,
    *,
    title: str,
    unit: str = "",
    target: float | None = None,
    chart_id: str = "runchart",
) -> str:
    """An SVG run chart as markup; every piece of text is escaped.

    Points in a shift or trend are drawn as filled squares, others as circles, so the
    signal does not depend on colour alone.
    """
    values = [p.value for p in points]
    candidates = [*values, analysis.median] + ([target] if target is not None else [])
    low, high = min(candidates), max(candidates)
    if high == low:
        high, low = high + 1, low - 1
    span = high - low
    low, high = low - span * 0.08, high + span * 0.08
    if min(candidates) >= 0 > low:
        low = 0.0
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM

    def x(index: int) -> float:
        return PAD_LEFT + (plot_w * index / (len(points) - 1) if len(points) > 1 else plot_w / 2)

    def y(value: float) -> float:
        return PAD_TOP + plot_h * (high - value) / (high - low)

    suffix = unit if unit == "%" else (f" {unit}" if unit else "")
    signals = []
    for run in analysis.shifts:
        signals.append(f"a shift of {run.length} points {run.kind} the median")
    for run in analysis.trends:
        signals.append(f"a trend of {run.length} points going {run.kind}")
    desc = (
        f"{len(points)} points from {points[0].label} ({_fmt(values[0])}{suffix}) "
        f"to {points[-1].label} ({_fmt(values[-1])}{suffix}). Baseline median {_fmt(analysis.median)}{suffix}."
    )
    if target is not None:
        desc += f" Target {_fmt(target)}{suffix}."
    desc += " Signals: " + ("; ".join(signals) if signals else "none") + "."

    parts = [
        f'<svg class="runchart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]
    # Axes and four horizontal gridlines with labels.
    for step in range(5):
        value = low + (high - low) * step / 4
        parts.append(
            f'<line class="rc-grid" x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}"/>'
            f'<text class="rc-axis" x="{PAD_LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end">'
            f"{escape(_fmt(value) + suffix)}</text>"
        )
    label_every = max(1, len(points) // 8)
    for index, point in enumerate(points):
        if index % label_every == 0 or index == len(points) - 1:
            parts.append(
                f'<text class="rc-axis" x="{x(index):.1f}" y="{HEIGHT - PAD_BOTTOM + 18}" '
                f'text-anchor="middle">{escape(point.label)}</text>'
            )
    parts.append(
        f'<line class="rc-median" x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" '
        f'y1="{y(analysis.median):.1f}" y2="{y(analysis.median):.1f}"/>'
    )
    if target is not None:
        parts.append(
            f'<line class="rc-target" x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" '
            f'y1="{y(target):.1f}" y2="{y(target):.1f}"/>'
        )
    path = " ".join(f"{'M' if i == 0 else 'L'}{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
    parts.append(f'<path class="rc-line" d="{path}"/>')
    for index, value in enumerate(values):
        if index in analysis.in_signal:
            parts.append(
                f'<rect class="rc-point rc-signal" x="{x(index) - 4:.1f}" y="{y(value) - 4:.1f}" width="8" height="8"/>'
            )
        else:
            parts.append(f'<circle class="rc-point" cx="{x(index):.1f}" cy="{y(value):.1f}" r="3.5"/>')
    legend_y = HEIGHT - 14
    parts.append(
        f'<line class="rc-median" x1="{PAD_LEFT}" x2="{PAD_LEFT + 24}" y1="{legend_y - 4}" y2="{legend_y - 4}"/>'
        f'<text class="rc-legend" x="{PAD_LEFT + 30}" y="{legend_y}">Baseline median</text>'
    )
    if target is not None:
        parts.append(
            f'<line class="rc-target" x1="{PAD_LEFT + 160}" x2="{PAD_LEFT + 184}" '
            f'y1="{legend_y - 4}" y2="{legend_y - 4}"/>'
            f'<text class="rc-legend" x="{PAD_LEFT + 190}" y="{legend_y}">Target</text>'
        )
    parts.append(
        f'<rect class="rc-point rc-signal" x="{PAD_LEFT + 270}" y="{legend_y - 8}" width="8" height="8"/>'
        f'<text class="rc-legend" x="{PAD_LEFT + 284}" y="{legend_y}">Point in a shift or trend</text>'
    )
    parts.append("</svg>")
    return "".join(parts)
