"""Curator quality hints: flags on a listing a curator can act on.

Pure functions over an exchange-format record (a mapping with the keys of
`programs.exchange.format.FIELDS`; dates as `datetime.date` or ISO text) plus the
listing's `last_verified_on`. No Django, no database.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..ranking.scoring import describes_practice_change

# Moore levels from competence up are claims about outcomes a reader would want evidence for.
EVIDENCE_EXPECTED_LEVELS = frozenset({"4", "5", "6", "7"})
VERIFICATION_MAX_AGE = datetime.timedelta(days=365)


@dataclass(frozen=True)
class QualityHint:
    code: str
    label: str
    detail: str


HINT_LABELS: dict[str, str] = {
    "outcome_without_evidence": "Outcome claim without evidence",
    "supporter_not_named": "Commercial supporter not named",
    "description_lacks_practice_change": "Description lists only hours and topics",
    "past_but_published": "Past end date, still published",
    "verification_stale": "Not verified in over a year",
}


def _hint(code: str, detail: str) -> QualityHint:
    """The hint `code` with its label."""
    return QualityHint(code, HINT_LABELS[code], detail)


def _date(value: Any) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value))


def outcome_without_evidence(record: Mapping[str, Any]) -> QualityHint | None:
    """Claims a measured outcome level of 4 (competence) or higher but gives no outcomes URL."""
    level = record.get("outcome_level_measured") or ""
    if level in EVIDENCE_EXPECTED_LEVELS and not record.get("outcomes_url"):
        return _hint(
            "outcome_without_evidence",
            f"Claims Moore level {level} measured but has no outcomes_url pointing to the evidence.",
        )
    return None


def supporter_not_named(record: Mapping[str, Any]) -> QualityHint | None:
    """Commercial support marked (disclosed or undisclosed) but no supporter named."""
    support = record.get("commercial_support") or ""
    if support in {"disclosed", "undisclosed"} and not record.get("commercial_supporters"):
        return _hint(
            "supporter_not_named", f"Commercial support is marked “{support}” but commercial_supporters is empty."
        )
    return None


def description_lacks_practice_change(record: Mapping[str, Any]) -> QualityHint | None:
    """The description does not speak of practice change (only hours, credits or topics, or nothing)."""
    if not describes_practice_change(record.get("description") or ""):
        return _hint(
            "description_lacks_practice_change",
            "The description does not say what practice it aims to change or improve.",
        )
    return None


def past_but_published(record: Mapping[str, Any], *, today: datetime.date) -> QualityHint | None:
    """Published although its end date has passed."""
    end = _date(record.get("end_date"))
    if record.get("status") == "published" and end is not None and end < today:
        return _hint(
            "past_but_published", f"Ended on {end.isoformat()} but is still published; archive it or update its dates."
        )
    return None


def verification_stale(last_verified_on: datetime.date | None, *, today: datetime.date) -> QualityHint | None:
    """Last verified more than a year ago (never-verified listings are a separate admin filter)."""
    if last_verified_on is not None and last_verified_on < today - VERIFICATION_MAX_AGE:
        return _hint("verification_stale", f"Last verified on {last_verified_on.isoformat()}, over a year ago.")
    return None


def listing_hints(
    record: Mapping[str, Any], *, today: datetime.date, last_verified_on: datetime.date | None = None
) -> list[QualityHint]:
    """Every hint that applies to the listing, in a fixed order."""
    found = [
        outcome_without_evidence(record),
        supporter_not_named(record),
        description_lacks_practice_change(record),
        past_but_published(record, today=today),
        verification_stale(last_verified_on, today=today),
    ]
    return [hint for hint in found if hint is not None]
