"""Licence progress arithmetic: pure Python, no Django, no database.

Progress here is progress against the requirements the clinician entered for
a licence, never a statement that the clinician is compliant.

Definitions (one source of truth for the pages, the ranking and the team view):

- The current cycle of a licence runs from its renewal date minus its cycle
  length in months (`cycle_start`) to the renewal date, both days included.
  A claim counts when its completion date falls in that window.
- Accepted credit types: an empty set means any credit type counts.
- One activity is never counted twice. A claim that carries several credit
  types (e.g. 8 AMA PRA Category 1 and 8 ANCC for the same course) counts the
  largest amount among the types the licence accepts, not their sum: the
  credit types are different certifications of the same hours of learning.
  The per-type breakdown (`hours_by_type`) shows each accepted type's own sum,
  so those figures may add up to more than `hours_earned`.
- Topic hours: the counted hours (as above) of the claims whose topics include
  the mandated topic. A claim whose credit types the licence does not accept
  counts for neither the total nor any topic.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

ZERO = Decimal("0")


@dataclass(frozen=True)
class ClaimCredits:
    """One logged activity as the arithmetic sees it."""

    claim_id: int
    completed_on: datetime.date
    amounts: Mapping[str, Decimal]  # credit type -> hours
    topics: frozenset[str] = frozenset()


@dataclass(frozen=True)
class LicenceTerms:
    """A licence's requirements as the clinician entered them."""

    licence_id: int
    name: str
    renewal_date: datetime.date
    cycle_months: int
    hours_required: Decimal
    accepted_credit_types: frozenset[str] = frozenset()  # empty = any type
    topic_hours: Mapping[str, Decimal] = field(default_factory=dict)  # mandated topic -> hours per cycle


@dataclass(frozen=True)
class TopicProgress:
    topic: str
    hours_required: Decimal
    hours_earned: Decimal

    @property
    def hours_short(self) -> Decimal:
        return max(ZERO, self.hours_required - self.hours_earned)


@dataclass(frozen=True)
class LicenceProgress:
    """Hours entered as required for one licence's current cycle, and hours logged toward them."""

    licence_id: int
    name: str
    renewal_date: datetime.date
    days_to_renewal: int  # negative once the entered renewal date has passed
    cycle_start: datetime.date
    hours_required: Decimal
    hours_earned: Decimal  # accepted credit types only, each activity counted once
    accepted_credit_types: frozenset[str]
    hours_by_type: Mapping[str, Decimal]  # accepted types only
    topics: tuple[TopicProgress, ...]
    claims_counted: int

    @property
    def hours_short(self) -> Decimal:
        return max(ZERO, self.hours_required - self.hours_earned)

    @property
    def missing_topics(self) -> dict[str, Decimal]:
        return {item.topic: item.hours_short for item in self.topics if item.hours_short > 0}

    @property
    def renewal_passed(self) -> bool:
        return self.days_to_renewal < 0


def months_before(day: datetime.date, months: int) -> datetime.date:
    """The same day of the month `months` earlier, clamped to the month's last day (Feb 29 -> Feb 28)."""
    index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return datetime.date(year, month, min(day.day, last))


def cycle_start(renewal_date: datetime.date, cycle_months: int) -> datetime.date:
    """First day of the current cycle: the renewal date minus the cycle length."""
    return months_before(renewal_date, cycle_months)


def in_cycle(completed_on: datetime.date, *, start: datetime.date, renewal_date: datetime.date) -> bool:
    return start <= completed_on <= renewal_date


def accepted_amounts(amounts: Mapping[str, Decimal], accepted: frozenset[str]) -> dict[str, Decimal]:
    """The claim's amounts of the credit types the licence accepts (all of them when none are named)."""
    return {kind: amount for kind, amount in amounts.items() if amount > 0 and (not accepted or kind in accepted)}


def claim_counted_hours(amounts: Mapping[str, Decimal], accepted: frozenset[str]) -> Decimal:
    """Hours one activity counts toward a licence: the largest accepted amount, never a sum."""
    usable = accepted_amounts(amounts, accepted)
    return max(usable.values(), default=ZERO)


def licence_progress(terms: LicenceTerms, claims: Iterable[ClaimCredits], *, today: datetime.date) -> LicenceProgress:
    """Progress of the current cycle against the entered requirements; hours never go negative."""
    start = cycle_start(terms.renewal_date, terms.cycle_months)
    earned = ZERO
    by_type: dict[str, Decimal] = {}
    topic_earned: dict[str, Decimal] = dict.fromkeys(terms.topic_hours, ZERO)
    counted = 0
    for claim in claims:
        if not in_cycle(claim.completed_on, start=start, renewal_date=terms.renewal_date):
            continue
        hours = claim_counted_hours(claim.amounts, terms.accepted_credit_types)
        if not hours:
            continue  # none of its credit types is accepted: counts for neither the total nor a topic
        counted += 1
        earned += hours
        for kind, amount in accepted_amounts(claim.amounts, terms.accepted_credit_types).items():
            by_type[kind] = by_type.get(kind, ZERO) + amount
        for topic in claim.topics & topic_earned.keys():
            topic_earned[topic] += hours
    topics = tuple(
        TopicProgress(topic=topic, hours_required=required, hours_earned=topic_earned[topic])
        for topic, required in sorted(terms.topic_hours.items())
    )
    return LicenceProgress(
        licence_id=terms.licence_id,
        name=terms.name,
        renewal_date=terms.renewal_date,
        days_to_renewal=(terms.renewal_date - today).days,
        cycle_start=start,
        hours_required=terms.hours_required,
        hours_earned=earned,
        accepted_credit_types=terms.accepted_credit_types,
        hours_by_type=dict(sorted(by_type.items())),
        topics=topics,
        claims_counted=counted,
    )
