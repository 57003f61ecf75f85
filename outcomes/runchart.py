"""Run charts: the measure over time against its baseline median. Pure Python: no Django.

Rules (the IHI run-chart rules for non-random variation):
- shift: 6 or more consecutive points all above or all below the median. Points
  exactly on the median are skipped: they neither break a shift nor count towards it.
- trend: 5 or more consecutive points all going up or all going down. Like values
  (a point equal to the one before it) are skipped: they neither make nor break a
  trend and do not count towards it.

A `Run` keeps the points it spans and the ones it skipped, so every caption,
chart description and table row reports the counted points (`describe_run`
words a run once for all of them). `render_svg` draws an accessible SVG
(role="img", <title> and <desc>); the page also shows the same data as a table.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

SHIFT_MIN_POINTS = 6
TREND_MIN_POINTS = 5

SHIFT_KINDS = ("above", "below")
TREND_KINDS = ("up", "down")


@dataclass(frozen=True)
class Run:
    """One signal spanning points start..end (inclusive indexes into the series).

    `skipped` lists the indexes inside the span that do not count: points on the
    median inside a shift, like values inside a trend.
    """

    start: int
    end: int
    kind: str  # "above" / "below" for shifts, "up" / "down" for trends
    skipped: tuple[int, ...] = ()

    @property
    def span(self) -> int:
        return self.end - self.start + 1

    @property
    def counted(self) -> int:
        """The points that count towards the run (the span less the skipped points)."""
        return self.span - len(self.skipped)

    @property
    def is_shift(self) -> bool:
        return self.kind in SHIFT_KINDS

    def counts(self, index: int) -> bool:
        """Whether the point at `index` counts towards this run."""
        return self.start <= index <= self.end and index not in self.skipped

    def position(self, index: int) -> int:
        """1-based rank of a counted point among the run's counted points."""
        return sum(1 for i in range(self.start, index + 1) if i not in self.skipped)


@dataclass(frozen=True)
class RunChartAnalysis:
    median: float
    shifts: tuple[Run, ...] = ()
    trends: tuple[Run, ...] = ()
    in_signal: frozenset[int] = field(default_factory=frozenset)  # points counted in a shift or trend


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def describe_run(run: Run) -> str:
    """The words every caption and description uses for a run, with the counts the rules count.

    e.g. "7 points above the baseline median (2 on the median not counted)",
    "5 points going up (1 repeated value not counted)".
    """
    if run.is_shift:
        text = f"{_plural(run.counted, 'point', 'points')} {run.kind} the baseline median"
        if run.skipped:
            text += f" ({len(run.skipped)} on the median not counted)"
        return text
    text = f"{_plural(run.counted, 'point', 'points')} going {run.kind}"
    if run.skipped:
        text += f" ({_plural(len(run.skipped), 'repeated value', 'repeated values')} not counted)"
    return text


def detect_shifts(values: Sequence[float], median: float, *, min_points: int = SHIFT_MIN_POINTS) -> list[Run]:
    """Runs of >= min_points consecutive points on one side of the median; on-median points skipped.

    A run starts and ends on a counted point; points on the median between them are its `skipped`.
    """
    runs: list[Run] = []
    side: str | None = None
    start = end = -1
    on_median: list[int] = []  # on-median points since the current run started

    def close() -> None:
        if side is not None:
            inside = tuple(i for i in on_median if i < end)
            if end - start + 1 - len(inside) >= min_points:
                runs.append(Run(start, end, side, inside))

    for index, value in enumerate(values):
        if value == median:
            if side is not None:
                on_median.append(index)
            continue
        this_side = "above" if value > median else "below"
        if this_side == side:
            end = index
            continue
        close()
        side, start, end, on_median = this_side, index, index, []
    close()
    return runs


def detect_trends(values: Sequence[float], *, min_points: int = TREND_MIN_POINTS) -> list[Run]:
    """Runs of >= min_points consecutive points all going up or all going down; like values skipped.

    Each block of equal consecutive values counts once. A trend starts on the last point of its
    first block (where the climb or fall begins) and ends on the first point of its last block
    (where the last value is reached); the repeats in between are its `skipped`. A peak or
    trough can end one trend and start the next.
    """
    blocks: list[tuple[int, int]] = []  # (first index, last index) of each run of equal values
    for index, value in enumerate(values):
        if blocks and values[blocks[-1][0]] == value:
            blocks[-1] = (blocks[-1][0], index)
        else:
            blocks.append((index, index))

    def trend(first: int, last: int, kind: str) -> Run:
        start, end = blocks[first][1], blocks[last][0]
        skipped = tuple(i for first_i, last_i in blocks[first + 1 : last] for i in range(first_i + 1, last_i + 1))
        return Run(start, end, kind, skipped)

    runs: list[Run] = []
    first = 0
    current: str | None = None
    for block in range(1, len(blocks)):
        this = "up" if values[blocks[block][0]] > values[blocks[block - 1][0]] else "down"
        if this == current:
            continue
        if current is not None and block - first >= min_points:
            runs.append(trend(first, block - 1, current))
        current, first = this, block - 1
    if current is not None and len(blocks) - first >= min_points:
        runs.append(trend(first, len(blocks) - 1, current))
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
        flagged.update(i for i in range(run.start, run.end + 1) if run.counts(i))
    return RunChartAnalysis(median=median, shifts=shifts, trends=trends, in_signal=frozenset(flagged))


def point_signal(analysis: RunChartAnalysis, index: int) -> str:
    """What the table's signal column says about one point, e.g. "shift above, point 3 of 7".

    Points a run skips say so: "shift above: on the median, not counted".
    """
    parts = []
    for run in (*analysis.shifts, *analysis.trends):
        if not run.start <= index <= run.end:
            continue
        name = f"shift {run.kind}" if run.is_shift else f"trend {run.kind}"
        if run.counts(index):
            parts.append(f"{name}, point {run.position(index)} of {run.counted}")
        elif run.is_shift:
            parts.append(f"{name}: on the median, not counted")
        else:
            parts.append(f"{name}: same value as before, not counted")
    return "; ".join(parts)


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

    Points counted in a shift or trend are drawn as filled squares, others (including the
    points a run skips) as circles, so the signal does not depend on colour alone.
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
    signals = [f"shift, {describe_run(run)}" for run in analysis.shifts]
    signals += [f"trend, {describe_run(run)}" for run in analysis.trends]
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
        f'<text class="rc-legend" x="{PAD_LEFT + 284}" y="{legend_y}">Point counted in a shift or trend</text>'
    )
    parts.append("</svg>")
    return "".join(parts)
