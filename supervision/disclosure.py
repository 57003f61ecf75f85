"""Which profession groups of a team may be shown: the one rule of small-group suppression.

Pure Python: no Django, no database. Every team-level path that breaks figures down
by profession asks this module first: the equity view and its charts
(supervision.equity), the dashboard's profession column, filter and sort, and the
team CSV (supervision.selectors.dashboard_view).

The rule, for the team's current members grouped by profession ("" counts as
the group "not_entered"):

1. A group of fewer than `MIN_GROUP_SIZE` people is suppressed.
2. Complementary suppression: while the suppressed groups are fewer than two, or
   hold together fewer than `MIN_GROUP_SIZE` people, the smallest shown group
   (ties: alphabetical) is suppressed too, until no shown group is left.

So what is hidden is never one group alone: the team's totals minus the shown
groups give only the figures of two or more groups together, holding at least
`MIN_GROUP_SIZE` people (or the whole team, when it is smaller than that). A
suppressed group is never named, counted or filterable, so a filtered view can
only select rows that the unfiltered view already labels, and no difference of
two views singles out a suppressed group.

What is not suppressed: the supervisor manages each member individually, so
the dashboard keeps each member's name, licences, activities, funding, leave and
pending requests; only the profession attached to a member of a suppressed
group is withheld ("not shown").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

MIN_GROUP_SIZE = 5
NOT_ENTERED = "not_entered"

PROFESSION_NOT_SHOWN = "Not shown (small group)"
GROUPS_NOT_SHOWN = "Other professions"
GROUPS_NOT_SHOWN_TEXT = (
    f"not shown: groups of fewer than {MIN_GROUP_SIZE} people, with at least one other group hidden alongside "
    "so that none can be worked out from the rest"
)


def group_key(profession: str) -> str:
    """The equity group of a profession code ("" is the group of members who have not entered one)."""
    return profession or NOT_ENTERED


@dataclass(frozen=True)
class Disclosure:
    """The professions whose group figures, labels and filters may be shown, and those suppressed."""

    shown: frozenset[str]
    suppressed: frozenset[str]

    def shows(self, profession: str) -> bool:
        """Whether figures may be attached to this profession (an absent one is not shown either)."""
        return group_key(profession) in self.shown


def disclosure_for(sizes: Mapping[str, int]) -> Disclosure:
    """Apply the suppression rule (module docstring) to group sizes keyed by profession."""
    present = {group_key(profession): 0 for profession, size in sizes.items() if size > 0}
    for profession, size in sizes.items():
        if size > 0:
            present[group_key(profession)] += size
    suppressed = {profession for profession, size in present.items() if size < MIN_GROUP_SIZE}
    shown_by_size = sorted((size, profession) for profession, size in present.items() if profession not in suppressed)
    while suppressed and shown_by_size:
        hidden_people = sum(present[profession] for profession in suppressed)
        if len(suppressed) >= 2 and hidden_people >= MIN_GROUP_SIZE:
            break
        _, smallest = shown_by_size.pop(0)
        suppressed.add(smallest)
    return Disclosure(shown=frozenset(present) - suppressed, suppressed=frozenset(suppressed))


def disclosure_for_professions(professions: Iterable[str]) -> Disclosure:
    """The rule applied to one profession code per member."""
    return disclosure_for(Counter(group_key(profession) for profession in professions))


def filter_refused_text(label: str) -> str:
    """Why a profession filter shows nothing: worded alike for a suppressed and an absent profession."""
    return (
        f"Filtering by {label} is not available: a profession can be filtered on only when its figures are "
        f"shown on the equity page ({MIN_GROUP_SIZE} or more members, and no smaller group would be revealed)."
    )
