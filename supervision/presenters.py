"""What the supervision pages draw: the equity page's table cells and bar charts, a request's snapshot.

Presenters turn the equity arithmetic (supervision.equity) into the strings and
geometry templates/supervision/equity.html shows, and a funding request's stored
snapshot into what templates/supervision/request_detail.html shows; and what removing a
member changes. No queries.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from accounts.models import Team, User
from cme_portal.confirmation import Confirmation, counted
from cme_portal.fragments import render_fragment
from programs.choices import Profession
from programs.presenters import source_fingerprint
from programs.ranking.fit import format_amount, format_date, format_money

from . import disclosure, equity
from . import forms as forms_module
from .allowance import Allowance
from .forms import DashboardFilterForm
from .ledger import Ledger
from .rules import days_text
from .selectors import MemberRow, PendingRequestRow

PROFESSION_LABELS: dict[str, str] = {str(code): str(label) for code, label in Profession.choices} | {
    "not_entered": "Profession not entered"
}
METRIC_FORMATS: dict[str, Callable[[Decimal], str]] = {
    "participation_rate": lambda v: f"{v * 100:.0f}%",
    "funding_per_member": lambda v: f"${v:,.0f}",
    "leave_per_member": lambda v: f"{v:.1f} days",
    "approval_rate": lambda v: f"{v * 100:.0f}%",
}


@dataclass(frozen=True)
class Bar:
    """One bar of a horizontal SVG bar chart, in SVG user units."""

    label: str
    value_text: str
    y: int
    width: int
    flagged: bool


BAR_CHART_WIDTH = 300
BAR_HEIGHT = 22
BAR_GAP = 10


def bar_chart(rows: list[tuple[str, Decimal | None, str, bool]], *, width: int = BAR_CHART_WIDTH) -> list[Bar]:
    """Lay out (label, value, value text, flagged) rows as bars scaled to the largest value."""
    largest = max((value for _, value, _, _ in rows if value is not None), default=Decimal("0"))
    bars = []
    for index, (label, value, text, flagged) in enumerate(rows):
        scaled = 0 if value is None or largest <= 0 else round(width * float(value / largest))
        bars.append(Bar(label=label, value_text=text, y=index * (BAR_HEIGHT + BAR_GAP), width=scaled, flagged=flagged))
    return bars


def chart_height(bar_count: int) -> int:
    return max(1, bar_count) * (BAR_HEIGHT + BAR_GAP)


@dataclass(frozen=True)
class EquityChart:
    metric: str
    title: str
    bars: list[Bar]
    height: int


@dataclass(frozen=True)
class EquityRow:
    label: str
    group: equity.ProfessionFigures
    cells: list[tuple[str, bool]]  # (value text, flagged) per compared metric


@dataclass(frozen=True)
class EquityPage:
    charts: list[EquityChart]  # one per compared metric, shown groups only
    table: list[EquityRow]  # shown professions, then one unnamed row for all suppressed ones


def metric_text(metric: str, value: Decimal | None) -> str:
    return "no data" if value is None else METRIC_FORMATS[metric](value)


def equity_page(report: equity.EquityReport) -> EquityPage:
    """The table cells and one bar chart per compared metric of an equity report."""
    charts = []
    for metric, title in equity.COMPARED_METRICS.items():
        rows = [
            (
                PROFESSION_LABELS.get(group.profession, group.profession),
                group.value(metric),
                metric_text(metric, group.value(metric)),
                metric in group.flagged,
            )
            for group in report.shown
        ]
        bars = bar_chart(rows)
        charts.append(EquityChart(metric=metric, title=title, bars=bars, height=chart_height(len(bars))))
    table = [
        EquityRow(
            label=PROFESSION_LABELS.get(group.profession, group.profession),
            group=group,
            cells=[
                (metric_text(metric, group.value(metric)), metric in group.flagged)
                for metric in equity.COMPARED_METRICS
            ],
        )
        for group in report.shown
    ]
    if len(report.shown) < len(report.professions):
        # Suppressed groups are neither named nor counted: one row stands for all of them.
        hidden = equity.ProfessionFigures(profession="", suppressed=True)
        cells = [(metric_text(metric, None), False) for metric in equity.COMPARED_METRICS]
        table.append(EquityRow(label=disclosure.GROUPS_NOT_SHOWN, group=hidden, cells=cells))
    return EquityPage(charts=charts, table=table)


# An unverified outcome in a snapshot recorded before claims were worded as claims: its
# stored summary carries the provider's figures, which the program page never showed.
LEGACY_UNVERIFIED_CLAIM = (
    "An outcome the provider claims, not verified by the CME office: its figures are not shown as fact"
)


@dataclass(frozen=True)
class SnapshotEvidence:
    text: str
    verified: bool
    source_url: str
    source_text: str


def snapshot_outcome_evidence(rows: list[dict[str, Any]]) -> list[SnapshotEvidence]:
    """A snapshot's outcome evidence in the program page's wording: unverified figures are never shown.

    Rows written by supervision.selectors carry `shown_as` and their final wording; older
    rows are reworded here (verified ones keep their figures, unverified ones lose them).
    """
    lines = []
    for row in rows:
        verified = row.get("verified") == "yes"
        if "shown_as" in row:
            text = str(row.get("summary", ""))
        elif verified:
            text = f"{row.get('summary', '')}; verified by the CME office"
        else:
            text = LEGACY_UNVERIFIED_CLAIM
        source_text = str(row.get("source_text") or ("Source" if verified else "Where it is claimed"))
        lines.append(SnapshotEvidence(text, verified, str(row.get("source_url", "")), source_text))
    return lines


@dataclass(frozen=True)
class FactLine:
    label: str
    text: str
    from_listing_now: bool = False  # not in an older snapshot: read from the listing as it is now


def _date_text(value: str | None) -> str:
    return format_date(datetime.date.fromisoformat(value)) if value else ""


def program_fact_lines(recorded: dict[str, Any], current: dict[str, Any] | None = None) -> list[FactLine]:
    """The program's dates, delivery, fee and leave days as the request form and the request page show them.

    `recorded` is supervision.selectors.program_facts (live, or as kept in a snapshot);
    a key an older snapshot lacks is taken from `current` and marked so.
    """
    current = current or {}

    def value(key: str) -> tuple[Any, bool]:
        if key in recorded:
            return recorded[key], False
        return current.get(key), key in current

    start, start_now = value("start_date")
    end, end_now = value("end_date")
    if start:
        dates = _date_text(start)
        if end and end != start:
            dates += f" to {_date_text(end)}"
    else:
        dates = "On demand"
    form, form_now = value("format")
    delivery, delivery_now = value("delivery")
    location, location_now = value("location")
    delivery_text = ", ".join(part for part in (form, delivery, location) if part) or "Not stated"
    fee, fee_now = value("fee_amount")
    currency, currency_now = value("fee_currency")
    if fee is None:
        fee_text = "Not stated"
    elif Decimal(fee) == 0:
        fee_text = "Free"
    else:
        fee_text = f"{currency or 'USD'} {Decimal(fee):,.2f}"
    leave, leave_now = value("leave_days")
    leave_text = "Not stated" if leave is None else f"{days_text(Decimal(leave))} away from practice"
    return [
        FactLine("Dates", dates, start_now or end_now),
        FactLine("Format and delivery", delivery_text, form_now or delivery_now or location_now),
        FactLine("Fee", fee_text, fee_now or currency_now),
        FactLine("Leave days the program states", leave_text, leave_now),
    ]


# --- The ledger -------------------------------------------------------------


@dataclass(frozen=True)
class LedgerLine:
    """One figure of the ledger: `key` names it for tests that compare pages, `text` is what the page says."""

    key: str
    label: str
    text: str


def _days_text(days: Decimal) -> str:
    return days_text(days)  # one wording of days: supervision.rules.days_text


def ledger_lines(ledger: Ledger, *, whole_year: bool = False) -> list[LedgerLine]:
    """The ledger as the lines every page shows, worded once. No queries.

    `whole_year`: the ledger stands for its year (the plan), not for one program's costs day.
    """
    year = (
        f"{'the policy year' if ledger.allowance else 'the year'} "
        f"{format_date(ledger.year_start)} to {format_date(ledger.year_last_day)}"
    )
    lines = [
        LedgerLine(
            "year", "Counts in", year if whole_year else f"{year} (costs fall on {format_date(ledger.costs_on)})"
        )
    ]
    money, leave = ledger.money_left, ledger.leave_left
    if money is None:
        lines.append(LedgerLine("money_left", "Money left", "not known: enter your CME budget in your profile"))
    else:
        lines.append(LedgerLine("money_left", "Money left", format_money(money)))
    if leave is not None:
        lines.append(LedgerLine("leave_left", "Paid leave left", _days_text(leave)))
    own = "not entered" if ledger.own_money is None else format_money(ledger.own_money)
    own_leave = "" if ledger.own_leave is None else f" and {_days_text(ledger.own_leave)}"
    lines.append(LedgerLine("own", "Your own budget (as you entered it)", f"{own}{own_leave}"))
    allowance = ledger.allowance
    if allowance is None:
        lines.append(LedgerLine("employer", "Employer allowance", "no written employer policy applies"))
    else:
        lines.append(
            LedgerLine(
                "employer",
                "Employer allowance left",
                f"{format_money(allowance.amount_remaining)} of {format_money(allowance.amount_total)} and "
                f"{_days_text(allowance.leave_remaining)} of {_days_text(allowance.leave_total)}",
            )
        )
        lines.append(
            LedgerLine(
                "employer_used",
                "Approved",
                f"{format_money(allowance.amount_used)} and {_days_text(allowance.leave_used)}",
            )
        )
        lines.append(
            LedgerLine(
                "employer_pending",
                "Reserved by pending requests",
                f"{format_money(allowance.amount_pending)} and {_days_text(allowance.leave_pending)}",
            )
        )
    if ledger.planned_titles:
        after_money = ledger.money_left_after_plan
        after = "" if after_money is None else f"; {format_money(after_money)} left after them"
        unknown = (
            f" (fee not stated for {len(ledger.planned_unknown_fee_titles)})"
            if ledger.planned_unknown_fee_titles
            else ""
        )
        count = len(ledger.planned_titles)
        lines.append(
            LedgerLine(
                "planned",
                "Your plan, not yet requested",
                f"{format_money(ledger.planned_money)} and {_days_text(ledger.planned_leave)} for "
                f"{count} program{'' if count == 1 else 's'}{unknown}{after}",
            )
        )
    return lines


def ledger_after_text(ledger: Ledger, *, amount: Decimal, leave_days: Decimal) -> str:
    """What granting `amount` and `leave_days` would leave, e.g. "$2,800 in all ($1,800 of the employer
    allowance) and 2 days" (below zero says "over")."""

    def money_text(value: Decimal) -> str:
        return format_money(value) if value >= 0 else f"{format_money(-value)} over"

    money, leave = ledger.after(amount=amount, leave_days=leave_days)
    parts = []
    if money is not None:
        employer = ledger.employer_money_left
        of_employer = f" ({money_text(employer - amount)} of the employer allowance)" if employer is not None else ""
        parts.append(f"{money_text(money)} in all{of_employer}")
    if leave is not None:
        parts.append(_days_text(leave) if leave >= 0 else f"{_days_text(-leave)} over")
    return " and ".join(parts) if parts else "not known: no budget or employer policy is on record"


def member_removal(*, team: Team, member: User, pending_requests: int, open_proposals: int = 0) -> Confirmation:
    """What removing a member from a team changes; `pending_requests`: theirs in this team, undecided;
    `open_proposals`: the team's enrolment proposals they have not answered."""
    lines = [f"Their membership of {team.name} ends now; their history (requests, decisions, figures) is kept."]
    if pending_requests:
        requests = counted(pending_requests, "pending funding request", "pending funding requests")
        lines.append(
            f"Their {requests} {'leaves' if pending_requests == 1 else 'leave'} your queue undecided: "
            f"no supervisor of {team.name} can decide {'it' if pending_requests == 1 else 'them'} any more."
        )
    if open_proposals:
        proposals = counted(open_proposals, "enrolment proposal", "enrolment proposals")
        lines.append(
            f"Their unanswered {proposals} of {team.name} lapse{'s' if open_proposals == 1 else ''}, and any funding "
            "or leave pre-approved with them goes back to the allowance."
        )
    lines.append("They leave the team's dashboard and its figures. To have them back, invite them again.")
    return Confirmation(
        heading=f"Remove {member} from {team.name}?", consequences=tuple(lines), action="Remove from team"
    )


def members_status(*, shown: int, total: int, sort_label: str, descending: bool, refused: str) -> str:
    """What the status region reads after the dashboard's members table is re-sorted or filtered.

    E.g. "12 of 12 members shown, sorted by hours short, descending."; a refused filter reads its reason.
    """
    if refused:
        return refused
    order = "descending" if descending else "ascending"
    return f"{shown} of {total} member{'' if total == 1 else 's'} shown, sorted by {sort_label.lower()}, {order}."


# --- Team enrolment ------------------------------------------------------------------------


def proposals_sent_text(*, program_title: str, count: int) -> str:
    return (
        f"“{program_title}” proposed to {count} member{'' if count == 1 else 's'}. "
        "They find it in their plan, to accept or decline."
    )


def preapproval_text(*, amount: Decimal, leave_days: Decimal) -> str:
    """What a proposal pre-approves, in words ("" when nothing)."""
    parts = []
    if amount > 0:
        parts.append(format_money(amount))
    if leave_days > 0:
        parts.append(f"{days_text(leave_days)} of paid leave")
    return " and ".join(parts)


@dataclass(frozen=True)
class EnrolmentRow:
    label: str
    figures: equity.EnrolmentFigures


def enrolment_rows(counts: equity.EnrolmentCounts) -> list[EnrolmentRow]:
    """The table of proposals by profession: shown groups, one line for all suppressed ones, the whole team."""
    rows = [EnrolmentRow(PROFESSION_LABELS.get(g.profession, g.profession), g) for g in counts.shown]
    if counts.any_suppressed:
        rows.append(EnrolmentRow(disclosure.GROUPS_NOT_SHOWN, equity.EnrolmentFigures(profession="", suppressed=True)))
    rows.append(EnrolmentRow("Whole team", counts.team))
    return rows


def member_choice_label(*, name: str, profession_label: str, allowance: Allowance | None) -> str:
    """A member's checkbox on the enrolment page: name, profession as the dashboard discloses it, allowance left."""
    if allowance is None:
        left = "no employer policy applies"
    else:
        left = (
            f"employer allowance left {format_money(allowance.amount_remaining)} "
            f"and {days_text(allowance.leave_remaining)} of leave"
        )
    return f"{name} ({profession_label}; {left})"


# --- Team dashboard ----------------------------------------------------------------------------

URL_ID_SLOT = 987654321  # stands for an object id in a URL reversed once per page, not once per row


def url_for_ids(name: str, *args: int) -> Callable[[int], str]:
    """A function id -> the URL named `name` with `args` then that id: one `reverse` for a whole table."""
    pattern = reverse(name, args=[*args, URL_ID_SLOT])
    head, slot, tail = pattern.rpartition(str(URL_ID_SLOT))
    assert slot, pattern
    return lambda object_id: f"{head}{object_id}{tail}"


def _hours_text(hours: Decimal) -> str:
    """2, 2.50 (as the template's floatformat:"-2" showed them)."""
    return f"{hours:.0f}" if hours == hours.to_integral_value() else f"{hours:.2f}"


def _plural(amount: Decimal | int) -> str:
    return "" if amount == 1 else "s"


@dataclass(frozen=True)
class MemberLine:
    """One member's line of the dashboard's table, every cell worded (the template only places them).

    Flat, so each cell is one lookup for the template (50 rows of a dozen cells each add up).
    """

    name: str
    at_risk: bool
    profession_label: str
    profession_waiting: str  # the stated profession waiting for confirmation (label), or ""
    activities_12_months: int
    pending_requests: int
    licences: tuple[str, ...]  # "California Licence: 12 / 50 (38 short)"; empty: no licence entered
    renewal: str
    hours_short: str
    funding_used: str
    funding_left: str  # "" without a policy
    funding_pending: str
    leave_used: str
    leave_left: str
    remove_url: str


def member_lines(rows: list[MemberRow], *, remove_url: Callable[[int], str]) -> list[MemberLine]:
    """The dashboard's member lines from its disclosed, filtered and sorted rows. No queries."""
    lines = []
    for row in rows:
        licences = tuple(
            f"{line.name}: {_hours_text(line.hours_earned)} / {_hours_text(line.hours_required)}"
            + (f" ({_hours_text(line.hours_short)} short)" if line.hours_short else "")
            for line in row.licences
        )
        days = row.days_to_next_renewal
        allowance = row.allowance
        if allowance is not None:
            funding_used = f"{format_money(row.funding_used)} of {format_money(allowance.amount_total)}"
            leave_used = f"{format_amount(row.leave_used)} of {format_amount(allowance.leave_total)}"
        else:
            funding_used = f"{format_money(row.funding_used)} (no policy)"
            leave_used = format_amount(row.leave_used)
        lines.append(
            MemberLine(
                name=row.name,
                at_risk=row.at_risk,
                profession_label=row.profession_label,
                profession_waiting=row.profession_waiting,
                activities_12_months=row.activities_12_months,
                pending_requests=row.pending_requests,
                licences=licences,
                renewal=f"{days} day{_plural(days)}" if days is not None else "–",
                hours_short=_hours_text(row.hours_short_total) if row.licences else "–",
                funding_used=funding_used,
                funding_left=format_money(allowance.amount_remaining) if allowance else "",
                funding_pending=format_money(allowance.amount_pending) if allowance else "",
                leave_used=leave_used,
                leave_left=format_amount(allowance.leave_remaining) if allowance else "",
                remove_url=remove_url(row.user_id),
            )
        )
    return lines


@dataclass(frozen=True)
class PendingLine:
    """One pending request on the dashboard, worded."""

    request_id: int
    requester: str
    program_title: str
    over_allowance: bool
    asked: str
    since: str
    own: bool  # the supervisor's own request: another supervisor decides
    detail_url: str
    decide_url: str

    @property
    def subject(self) -> str:
        """What the row's controls name: "Member 3’s request for Leading teams"."""
        return f"{self.requester}’s request for {self.program_title}"

    @property
    def reason_id(self) -> str:
        """The id of the row's quick approval's reason field."""
        return quick_decision_auto_id(self.request_id) % "reason"


def quick_decision_auto_id(request_id: int) -> str:
    """The ids of a dashboard row's quick approval (one form per pending request on one page)."""
    return f"decide-{request_id}-%s"


def pending_lines(requests: list[PendingRequestRow], *, viewer_id: int) -> list[PendingLine]:
    """The dashboard's pending requests, worded. No queries."""
    detail_url = url_for_ids("supervision:request_detail")
    decide_url = url_for_ids("supervision:request_decide")
    lines = []
    for request in requests:
        asked = []
        if request.amount_requested:
            asked.append(f"${request.amount_requested:,.2f}")
        if request.leave_days_requested:
            leave = request.leave_days_requested
            asked.append(f"{format_amount(leave)} leave day{_plural(leave)}")
        lines.append(
            PendingLine(
                request_id=request.request_id,
                requester=request.requester,
                program_title=request.program_title,
                over_allowance=request.exceeds_allowance,
                asked=", ".join(asked),
                since=format_date(request.created_at),  # as the date filter's "M j, Y" wrote it, at a tenth the cost
                own=request.requester_id == viewer_id,
                detail_url=detail_url(request.request_id),
                decide_url=decide_url(request.request_id),
            )
        )
    return lines


# The code that writes the dashboard's filter fields, so a deploy never serves fields cached before it.
_FILTER_FIELDS_MARKUP = source_fingerprint(
    *(
        settings.BASE_DIR / "templates" / name
        for name in ("supervision/dashboard.html", "_field.html", "_field_help.html", "_field_errors.html")
    ),
    Path(forms_module.__file__ or ""),
)


def filter_fields_cache_key(form: DashboardFilterForm) -> str:
    """The cache key of the dashboard filter form's rendered fields, or "" when the form has errors.

    The fields show their values (the choices are fixed in the form), so a valid form's values and the markup,
    digested here, are all they depend on; the page caches them under that ({% cache %} in dashboard.html). The
    valid values are a few hundred combinations at most; an invalid form, whose errors show what was typed, is
    rendered afresh.
    """
    if not form.is_valid():
        return ""
    inputs = (tuple((bound.name, bound.value()) for bound in form), _FILTER_FIELDS_MARKUP)
    return hashlib.sha256(repr(inputs).encode()).hexdigest()


# --- The dashboard's table rows ---------------------------------------------------------------------
#
# Written by Jinja2 fragments (cme_portal/fragments.py), not by a {% for %} in dashboard.html: the Django
# template language spent about 0.2 ms a row on them (a lookup, localization and escaping per cell), half the
# whole page's CPU for a team of 50. The markup is the one the template wrote before, autoescaped the same.


def member_rows_html(lines: list[MemberLine], *, professions_url: str, dashboard_here: str, refused: str) -> SafeString:
    """The <tr> rows of the dashboard's members table (or its one row saying why none is shown)."""
    return render_fragment(
        "supervision/_member_rows.html",
        {"lines": lines, "professions_url": professions_url, "dashboard_here": dashboard_here, "refused": refused},
    )


def pending_rows_html(
    lines: list[PendingLine], *, csrf_input: str, quick_decision_for: int | None, quick_decision_form: Any
) -> SafeString:
    """The <tr> rows of the dashboard's pending requests table, each with its quick approval form.

    `csrf_input` is what a {% csrf_token %} writes, made once for all rows; the request `quick_decision_for`
    sent back with errors shows `quick_decision_form`'s reason as typed, with its errors (_field_errors.html).
    """
    typed, errors, errors_id = "", "", ""
    if quick_decision_for is not None:
        field = quick_decision_form["reason"]
        typed = field.value() or ""
        errors = render_to_string("_field_errors.html", {"field": field})
        errors_id = f"{field.auto_id}_error" if field.errors else ""
    return render_fragment(
        "supervision/_pending_rows.html",
        {
            "lines": lines,
            "csrf_input": csrf_input,
            "quick_decision_for": quick_decision_for,
            "quick_decision_typed": typed,
            "quick_decision_errors": mark_safe(errors),
            "quick_decision_errors_id": errors_id,
        },
    )
