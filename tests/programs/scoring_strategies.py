"""Hypothesis strategies for the scoring module's inputs."""

from __future__ import annotations

import datetime
from decimal import Decimal

from hypothesis import strategies as st

from programs.choices import Competency, CreditType, Profession
from programs.ranking import scoring

COMPETENCIES = [c.value for c in Competency]
TRACKS = list(scoring.PROGRAM_TRACK_LABELS)
GOAL_TRACKS = list(scoring.GOAL_TRACK_TO_PROGRAM_TRACK)
PROFESSIONS = [p.value for p in Profession]
CREDIT_TYPES = [c.value for c in CreditType]
LEVELS = list(scoring.MEASURED_LEVEL_POINTS)
ACCREDITORS = [*scoring.RECOGNIZED_ACCREDITORS, "other", "none"]
TODAY = datetime.date(2026, 6, 1)

maybe_bool = st.sampled_from([None, True, False])
dates = st.one_of(
    st.none(), st.dates(min_value=TODAY - datetime.timedelta(days=60), max_value=TODAY.replace(year=2028))
)


@st.composite
def programs(draw, program_id: int | None = None) -> scoring.ProgramSignals:
    start = draw(dates)
    end = draw(st.one_of(st.none(), st.integers(0, 200).map(lambda d: (start or TODAY) + datetime.timedelta(days=d))))
    credits = draw(
        st.dictionaries(st.sampled_from(CREDIT_TYPES), st.integers(1, 80).map(lambda n: Decimal(n) / 2), max_size=3)
    )
    return scoring.ProgramSignals(
        program_id=program_id if program_id is not None else draw(st.integers(1, 10**6)),
        title=draw(st.sampled_from(["Alpha", "alpha", "Beta", "Émile", "Zeta", "Leadership"])),
        outcome_level_measured=draw(st.one_of(st.none(), st.sampled_from(LEVELS))),
        designed_to_change=frozenset(draw(st.sets(st.sampled_from(list(scoring.DESIGNED_TO_CHANGE_POINTS))))),
        publishes_outcomes=draw(maybe_bool),
        has_verified_outcome_evidence=draw(st.booleans()),
        requires_practice_project=draw(maybe_bool),
        description=draw(st.sampled_from(["", "Credit hours on topics.", "Participants report practice change."])),
        accreditor=draw(st.one_of(st.none(), st.sampled_from(ACCREDITORS))),
        accreditation_status=draw(st.sampled_from([None, "provisional", "accredited", "commendation"])),
        commercial_support=draw(st.sampled_from([None, "none", "disclosed", "undisclosed"])),
        commercial_supporters=tuple(draw(st.lists(st.sampled_from(["Pharma A", "Device B"]), max_size=2, unique=True))),
        disclosures_published=draw(maybe_bool),
        ancillary_marketing=draw(maybe_bool),
        professions=frozenset(draw(st.sets(st.sampled_from(PROFESSIONS), max_size=6))),
        planning_professions=frozenset(draw(st.sets(st.sampled_from(PROFESSIONS), max_size=4))),
        ipce_credit=draw(maybe_bool),
        jointly_accredited=draw(maybe_bool),
        credits=credits,
        competencies=frozenset(draw(st.sets(st.sampled_from(COMPETENCIES), max_size=6))),
        career_tracks=frozenset(draw(st.sets(st.sampled_from(TRACKS), max_size=3))),
        ehr_integration=draw(maybe_bool),
        fee_amount=draw(st.one_of(st.none(), st.sampled_from([0, 50, 500, 1200, 5000]).map(Decimal))),
        fee_currency=draw(st.sampled_from(["USD", "USD", "USD", "EUR"])),
        leave_days=draw(st.one_of(st.none(), st.sampled_from([0, 1, 2, 5]).map(Decimal))),
        start_date=start,
        end_date=end,
        topics=frozenset(draw(st.sets(st.sampled_from(["opioids", "ethics", "sepsis"]), max_size=2))),
        listing_verified_on=draw(st.sampled_from([None, None, TODAY - datetime.timedelta(days=40)])),
    )


@st.composite
def catalogs(draw, min_size: int = 0, max_size: int = 12) -> list[scoring.ProgramSignals]:
    ids = draw(st.lists(st.integers(1, 10**6), min_size=min_size, max_size=max_size, unique=True))
    return [draw(programs(program_id=pk)) for pk in ids]


@st.composite
def goals(draw) -> scoring.GoalCriteria:
    competencies = frozenset(draw(st.sets(st.sampled_from(COMPETENCIES), max_size=6)))
    essential = (
        frozenset(draw(st.sets(st.sampled_from(sorted(competencies)), max_size=3))) if competencies else frozenset()
    )
    return scoring.GoalCriteria(
        track=draw(st.sampled_from(GOAL_TRACKS)), competencies=competencies, essential_competencies=essential
    )


weight_values = st.integers(0, scoring.MAX_WEIGHT)
weights = (
    st.tuples(weight_values, weight_values, weight_values, weight_values)
    .filter(any)
    .map(lambda values: scoring.Weights(*values))
)
