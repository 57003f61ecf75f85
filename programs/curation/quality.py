"""Curator quality hints: flags on a listing a curator can act on.

Pure functions over an exchange-format record (a mapping with the keys of
`programs.exchange.format.FIELDS`; dates as `datetime.date` or ISO text) plus the
listing's `last_verified_on`. No Django, no database.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

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
    "description_only_hours_and_topics": "Description lists only hours and topics",
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


# Words that say how long, how much credit, in what form or where, not what participants do.
_LOGISTICS_TEXT = """
    hour hours minute minutes credit credits contact category ama pra ce cme ceu ceus moc point points day days
    daily night nights week weeks weekly month months morning mornings afternoon afternoons evening evenings
    weekend session sessions module modules lecture lectures course courses program programs presentation
    presentations symposium symposia series webinar webinars update updates online live self paced on-demand
    virtual in-person certificate certificates certification printable instant completion attendance dinner lunch
    breakfast refreshments provided served free fee resort cruise sea topics topic assorted various clinical
    reading across bundle unlimited including includes offered offers earn earns held one two three four five six
    seven eight nine ten eleven twelve twenty thirty forty fifty sixty ninety hundred half full a an and the of on
    in for with to by at from or as its it is are be this that each their your all any per plus up
"""
_LOGISTICS_WORDS = frozenset(_LOGISTICS_TEXT.split())
_WORD = re.compile(r"[a-z]+(?:-[a-z]+)*")
# Fewer content words than this beyond logistics and the listing's own title and topics: nothing else is said.
DESCRIPTION_MIN_CONTENT_WORDS = 3


def _words(texts: Iterable[str]) -> list[str]:
    return [word for text in texts for word in _WORD.findall(text.replace("_", " ").lower())]


def description_content_words(record: Mapping[str, Any]) -> list[str]:
    """The description's words that are neither logistics (time, credit, format, venue, numbers)
    nor already the listing's title, topics or specialties."""
    own = set(_words([record.get("title") or "", *(record.get("topics") or []), *(record.get("specialties") or [])]))
    return [
        word
        for word in _words([record.get("description") or ""])
        if word not in own
        and word not in _LOGISTICS_WORDS
        and not all(part in _LOGISTICS_WORDS for part in word.split("-"))
    ]


def description_only_hours_and_topics(record: Mapping[str, Any]) -> QualityHint | None:
    """The description says nothing beyond hours, credits, format and the topics already listed.

    Fires only when fewer than DESCRIPTION_MIN_CONTENT_WORDS words remain once
    logistics words and the listing's own title, topics and specialties are set
    aside: "Two-hour dinner presentation on lipid management. Dinner provided."
    A description that says what participants do (audit, present cases,
    apply a tool) has such words and does not fire.
    """
    if len(description_content_words(record)) >= DESCRIPTION_MIN_CONTENT_WORDS:
        return None
    detail = (
        "The description is empty; say what participants do and what the activity aims to change."
        if not (record.get("description") or "").strip()
        else "The description gives only time, credit, format and the listed topics; "
        "say what participants do and what the activity aims to change."
    )
    return _hint("description_only_hours_and_topics", detail)


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
        description_only_hours_and_topics(record),
        past_but_published(record, today=today),
        verification_stale(last_verified_on, today=today),
    ]
    return [hint for hint in found if hint is not None]
