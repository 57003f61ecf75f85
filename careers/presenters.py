"""What the careers pages draw: the 12-month plan as an SVG timeline, and what a delete would lose.

Presenters turn selector data into display geometry and strings, next to the
templates that use them (templates/careers/plan.html). No queries.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from cme_portal.confirmation import Confirmation, listed
from programs.choices import CreditType
from programs.ranking.scoring import format_date

from . import progress
from .models import CareerGoal, CreditClaim, Licence
from .selectors import Plan, PlanItem, licence_name
from .templatetags.careers_tags import hours
from .transcript import FIELD_LABELS as TRANSCRIPT_FIELD_LABELS
from .transcript import TranscriptReading

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


# --- Confirmation pages ---------------------------------------------------------------


def goal_deletion(goal: CareerGoal, *, other_goals: int) -> Confirmation:
    """What deleting a goal loses; `other_goals`: how many goals the clinician keeps."""
    horizon = f", by {format_date(goal.horizon_date)}" if goal.horizon_date else ""
    weights = (
        f"outcome tracking {goal.weight_outcome}, commercial independence {goal.weight_independence}, "
        f"interprofessional design {goal.weight_interprofessional}, career alignment {goal.weight_career}"
    )
    lines = [f"The goal “{goal}” ({goal.get_track_display()}{horizon}) is deleted with its weights: {weights}."]
    if goal.is_active and other_goals:
        which = "your other goal" if other_goals == 1 else f"one of your {other_goals} other goals"
        lines.append(f"It is your active goal: the catalog is not ranked for you until you make {which} active.")
    elif goal.is_active:
        lines.append("It is your only goal: the catalog is not ranked for you until you set a new one.")
    else:
        lines.append("It is not your active goal, so the catalog's ranking does not change.")
    lines.append("Your shortlist, plan and credits stay as they are. This cannot be undone.")
    return Confirmation(heading=f"Delete the goal “{goal}”?", consequences=tuple(lines), action="Delete goal")


def licence_deletion(licence: Licence) -> Confirmation:
    """What deleting a licence loses; expects `topic_requirements` prefetched."""
    name = licence_name(licence)
    topics = [f"{hours(item.hours)} h {item.get_topic_display()}" for item in licence.topic_requirements.all()]
    with_topics = f" with its mandated topics: {listed(topics)}" if topics else ""
    renewing = f"renewing {format_date(licence.renewal_date)} with {hours(licence.hours_required)} hours required"
    lines = (
        f"The licence “{name}”, {renewing} every {licence.cycle_months} months, is deleted{with_topics}.",
        "Your credits stay: they no longer count towards this licence, and its renewal leaves your plan "
        "and your renewal reminders. This cannot be undone.",
    )
    return Confirmation(heading=f"Delete the licence “{name}”?", consequences=lines, action="Delete licence")


def credit_deletion(claim: CreditClaim) -> Confirmation:
    """What deleting a credit entry loses; expects `amounts` prefetched and `shortlist_entry` selected."""
    amounts = [f"{hours(amount.amount)} {amount.get_credit_type_display()}" for amount in claim.amounts.all()]
    credit = f"This credit of {listed(amounts)}" if amounts else "This entry"
    lines = [
        f"{credit} for “{claim}” on {format_date(claim.completed_on)} is removed from your licence progress "
        "and from your portfolio."
    ]
    if claim.certificate:
        lines.append("Its certificate file is deleted.")
    if claim.shortlist_entry is not None:
        lines.append(f"The program stays on your plan, marked {claim.shortlist_entry.get_status_display().lower()}.")
    lines.append("This cannot be undone: to count it again, log it again.")
    return Confirmation(
        heading=f"Delete the credit entry “{claim}”?", consequences=tuple(lines), action="Delete credit entry"
    )


@dataclass(frozen=True)
class TranscriptRowDisplay:
    """One preview row as shown: the parsed values and what will happen to it."""

    number: int
    title: str
    provider: str
    completed_on: str
    credit_type: str
    amount: str
    reference: str
    outcome: str  # "write", "duplicate" or "bad"
    outcome_text: str
    problems: tuple[str, ...]


def transcript_rows(reading: TranscriptReading) -> list[TranscriptRowDisplay]:
    """The preview's rows: values as read (ISO dates, the app's credit type names) and each row's fate."""
    shown = []
    for row in reading.rows:
        problems = tuple(
            f"{TRANSCRIPT_FIELD_LABELS.get(name, 'Row')}: {reason}" if name else reason for name, reason in row.problems
        )
        if row.is_bad:
            outcome, text = "bad", "Not written: bad row"
        elif row.duplicate_of_logged:
            outcome, text = "duplicate", "Not written: already logged"
        elif row.duplicate_of_row is not None:
            outcome, text = "duplicate", f"Not written: same as row {row.duplicate_of_row}"
        else:
            outcome, text = "write", "Will be logged"
        shown.append(
            TranscriptRowDisplay(
                number=row.number,
                title=row.title,
                provider=row.provider,
                completed_on=row.completed_on.isoformat() if row.completed_on else "",
                credit_type=CreditType(row.credit_type).label if row.credit_type else row.credit_type_text,
                amount=f"{row.amount}" if row.amount is not None else "",
                reference=" ".join(filter(None, [row.certificate_id, row.certificate_url])),
                outcome=outcome,
                outcome_text=text,
                problems=problems,
            )
        )
    return shown
