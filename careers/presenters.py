"""What the careers pages draw: the 12-month plan as an SVG timeline.

Presenters turn selector data into display geometry and strings, next to the
templates that use them (templates/careers/plan.html). No queries.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from . import progress
from .selectors import Plan, PlanItem

PLAN_WIDTH = 960  # SVG user units of the 12-month timeline (the template's viewBox)
PLAN_ROW = 30
PLAN_TOP = 34
BAR_MIN_WIDTH = 6


@dataclass(frozen=True)
class TimelineMonth:
    label: str
    x: int


@dataclass(frozen=True)
class TimelineBar:
    """A program running during the window, one row per program."""

    item: PlanItem
    x: int
    width: int
    y: int


@dataclass(frozen=True)
class TimelineMarker:
    kind: str  # "review" or "renewal"
    label: str
    day: datetime.date
    x: int


@dataclass(frozen=True)
class PlanTimeline:
    months: list[TimelineMonth]
    bars: list[TimelineBar]
    markers: list[TimelineMarker]  # by day, then label
    height: int


def _x(day: datetime.date, start: datetime.date, days: int) -> int:
    offset = min(max((day - start).days, 0), days)
    return round(PLAN_WIDTH * offset / days)


def plan_timeline(plan: Plan) -> PlanTimeline:
    """Month grid, one bar per program in the window and a line per review or renewal."""
    start = plan.window_start
    days = (plan.window_end - start).days + 1
    months = []
    for index in range(12):
        first = progress.months_before(start, -index)
        months.append(TimelineMonth(label=first.strftime("%b %Y"), x=_x(first, start, days)))
    bars: list[TimelineBar] = []
    for item in plan.items:
        if not item.in_window or item.start is None:
            continue
        x = _x(item.start, start, days)
        x_end = _x((item.end or item.start) + datetime.timedelta(days=1), start, days)
        bars.append(TimelineBar(item, x, max(x_end - x, BAR_MIN_WIDTH), PLAN_TOP + len(bars) * PLAN_ROW))
    markers = [
        TimelineMarker(
            kind=date.kind,
            label="Performance review" if date.kind == "review" else f"{date.licence_name} renewal",
            day=date.day,
            x=_x(date.day, start, days),
        )
        for date in plan.dates
    ]
    markers.sort(key=lambda marker: (marker.day, marker.label))
    return PlanTimeline(months=months, bars=bars, markers=markers, height=PLAN_TOP + max(len(bars), 1) * PLAN_ROW + 10)
