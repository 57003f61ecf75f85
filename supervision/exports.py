"""CSV export of the team dashboard, safe to open in a spreadsheet."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal

from cme_portal.spreadsheet import CsvValue, csv_line

from .selectors import MemberRow

CSV_HEADER = [
    "Name",
    "Email",
    "Profession",
    "CME activities (last 12 months)",
    "Licences: hours logged / hours entered as required",
    "Days to next renewal",
    "At risk (renewal within 90 days, hours short)",
    "Funding used (USD)",
    "Funding allowance (USD)",
    "Leave days used",
    "Leave days allowance",
    "Pending requests",
]


def csv_cell(value: object) -> CsvValue:
    """One dashboard figure as a CSV value: yes/no for flags, numbers as numbers, anything else as text.

    The text is neutralized against spreadsheet formulas by csv_line, the one CSV writer.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float, Decimal)):
        return value
    return str(value)


def dashboard_csv_lines(rows: Iterable[MemberRow]) -> Iterator[str]:
    """The header, then one line per member: every cell quoted, text neutralized (cme_portal.spreadsheet)."""
    yield csv_line(CSV_HEADER)
    for row in rows:
        licences = "; ".join(f"{line.name}: {line.hours_earned} / {line.hours_required}" for line in row.licences)
        allowance = row.allowance
        yield csv_line(
            csv_cell(value)
            for value in (
                row.name,
                row.email,
                row.profession_label,
                row.activities_12_months,
                licences,
                row.days_to_next_renewal,
                row.at_risk,
                row.funding_used,
                allowance.amount_total if allowance else "no policy",
                row.leave_used,
                allowance.leave_total if allowance else "no policy",
                row.pending_requests,
            )
        )
