"""Fair access to CME by profession: the arithmetic of the equity view.

Pure Python: no Django, no database. A selector turns rows into `MemberFigures`;
this module groups them by profession, computes the rates, applies the
four-fifths (adverse-impact) rule and suppresses groups too small to show.

- Four-fifths rule: a profession whose rate is below 0.8 x the rate of the
  best-served profession is flagged. Only shown (not suppressed) groups take
  part in the comparison, so a suppressed group can neither be flagged nor set
  the bar for others.
- Which groups are suppressed is decided by supervision.disclosure (groups of
  fewer than `MIN_GROUP_SIZE` people, and complementary groups hidden with them):
  their figures are not returned at all, only that they are suppressed.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal

from .disclosure import MIN_GROUP_SIZE, Disclosure, disclosure_for_professions

__all__ = ["MIN_GROUP_SIZE", "Disclosure"]
FOUR_FIFTHS = Decimal("0.8")

# Metrics where more is better access; the four-fifths rule applies to these.
COMPARED_METRICS: dict[str, str] = {
    "participation_rate": "CME participation (last 12 months)",
    "funding_per_member": "Funding approved per member",
    "leave_per_member": "Paid leave days approved per member",
    "approval_rate": "Request approval rate",
}


@dataclass(frozen=True)
class MemberFigures:
    """One team member's access figures over the period."""

    profession: str
    participated: bool  # completed any CME in the last 12 months
    funding_approved: Decimal = Decimal("0")
    leave_days_approved: Decimal = Decimal("0")
    requests_decided: int = 0  # approved, partially approved or declined (withdrawn ones do not count)
    requests_approved: int = 0  # approved in full or in part
    days_to_decision: tuple[float, ...] = ()


@dataclass(frozen=True)
class ProfessionFigures:
    """A profession's figures, or only its size band when suppressed."""

    profession: str
    suppressed: bool
    size: int | None = None  # None when suppressed: not even the exact count is shown
    participation_rate: Decimal | None = None
    funding_per_member: Decimal | None = None
    leave_per_member: Decimal | None = None
    approval_rate: Decimal | None = None  # None when no request was decided
    median_days_to_decision: float | None = None
    flagged: frozenset[str] = field(default_factory=frozenset)  # metric names under four-fifths of the best

    def value(self, metric: str) -> Decimal | None:
        """The figure for one of COMPARED_METRICS (each a `Decimal | None` field)."""
        figure: Decimal | None = getattr(self, metric)
        return figure


@dataclass(frozen=True)
class EquityReport:
    professions: tuple[ProfessionFigures, ...]
    best: Mapping[str, Decimal]  # best value per compared metric among shown groups

    @property
    def shown(self) -> tuple[ProfessionFigures, ...]:
        return tuple(group for group in self.professions if not group.suppressed)

    @property
    def any_flag(self) -> bool:
        return any(group.flagged for group in self.professions)


def _rate(numerator: int | Decimal, denominator: int) -> Decimal | None:
    if denominator == 0:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.0001"))


def below_four_fifths(value: Decimal | None, best: Decimal | None) -> bool:
    """True when `value` is under 0.8 x `best`. Nothing is flagged when the best is 0 or unknown."""
    if value is None or best is None or best <= 0:
        return False
    return value < FOUR_FIFTHS * best


def group_figures(profession: str, members: list[MemberFigures], *, suppressed: bool = False) -> ProfessionFigures:
    """The unflagged figures of one profession; only its name when `suppressed`."""
    size = len(members)
    if suppressed or size == 0:
        return ProfessionFigures(profession=profession, suppressed=True)
    decided = sum(member.requests_decided for member in members)
    approved = sum(member.requests_approved for member in members)
    durations = [days for member in members for days in member.days_to_decision]
    return ProfessionFigures(
        profession=profession,
        suppressed=False,
        size=size,
        participation_rate=_rate(sum(1 for member in members if member.participated), size),
        funding_per_member=(sum((m.funding_approved for m in members), Decimal("0")) / size).quantize(Decimal("0.01")),
        leave_per_member=(sum((m.leave_days_approved for m in members), Decimal("0")) / size).quantize(Decimal("0.01")),
        approval_rate=_rate(approved, decided),
        median_days_to_decision=round(statistics.median(durations), 1) if durations else None,
    )


def equity_report(members: Iterable[MemberFigures]) -> EquityReport:
    """Figures per profession with four-fifths flags; professions in a stable (alphabetical) order.

    The groups supervision.disclosure suppresses carry no figure and take no part in the comparison.
    """
    by_profession: dict[str, list[MemberFigures]] = {}
    for member in members:
        by_profession.setdefault(member.profession, []).append(member)
    disclosure = disclosure_for_professions(m.profession for rows in by_profession.values() for m in rows)
    groups = [
        group_figures(profession, rows, suppressed=not disclosure.shows(profession))
        for profession, rows in sorted(by_profession.items())
    ]
    shown = [group for group in groups if not group.suppressed]
    best: dict[str, Decimal] = {}
    for metric in COMPARED_METRICS:
        values = [value for group in shown if (value := group.value(metric)) is not None]
        if values:
            best[metric] = max(values)
    flagged_groups = []
    for group in groups:
        if group.suppressed:
            flagged_groups.append(group)
            continue
        flags = frozenset(
            metric for metric in COMPARED_METRICS if below_four_fifths(group.value(metric), best.get(metric))
        )
        flagged_groups.append(replace(group, flagged=flags))
    return EquityReport(professions=tuple(flagged_groups), best=best)


# --- Team enrolment proposals by profession -----------------------------------------------

PROPOSAL_OUTCOMES = ("accepted", "declined", "proposed")  # ProposalStatus values counted (a lapsed one is not)


@dataclass(frozen=True)
class EnrolmentFigures:
    """Proposals made to one group and what became of them; no figure when suppressed."""

    profession: str  # "" for the whole team
    suppressed: bool
    proposed: int | None = None  # every proposal made, answered or not
    accepted: int | None = None
    declined: int | None = None
    waiting: int | None = None


@dataclass(frozen=True)
class EnrolmentCounts:
    """What the dashboard and the equity view show of team enrolment, computed once (enrolment_counts)."""

    professions: tuple[EnrolmentFigures, ...]  # shown groups, alphabetical; suppressed ones carry no figure
    team: EnrolmentFigures  # the whole team (current members)

    @property
    def shown(self) -> tuple[EnrolmentFigures, ...]:
        return tuple(group for group in self.professions if not group.suppressed)

    @property
    def any_suppressed(self) -> bool:
        return any(group.suppressed for group in self.professions)


def _tally(profession: str, statuses: list[str]) -> EnrolmentFigures:
    counted = [status for status in statuses if status in PROPOSAL_OUTCOMES]
    return EnrolmentFigures(
        profession=profession,
        suppressed=False,
        proposed=len(counted),
        accepted=counted.count("accepted"),
        declined=counted.count("declined"),
        waiting=counted.count("proposed"),
    )


def enrolment_counts(members: Iterable[tuple[str, list[str]]]) -> EnrolmentCounts:
    """Proposals and their answers by profession, for (profession, statuses of their proposals) per current member.

    Suppressed exactly as the equity view is (supervision.disclosure over every current
    member's profession, whether or not anything was proposed to them): a suppressed group is
    neither named nor counted. The whole team's line is the team total the dashboard shows anyway.
    """
    rows = list(members)
    disclosure = disclosure_for_professions(profession for profession, _ in rows)
    by_profession: dict[str, list[str]] = {}
    for profession, statuses in rows:
        by_profession.setdefault(profession or "not_entered", []).extend(statuses)
    groups = tuple(
        _tally(profession, statuses)
        if disclosure.shows(profession)
        else EnrolmentFigures(profession=profession, suppressed=True)
        for profession, statuses in sorted(by_profession.items())
    )
    return EnrolmentCounts(professions=groups, team=_tally("", [status for _, statuses in rows for status in statuses]))
