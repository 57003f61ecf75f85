"""Ranking programs against a clinician's goal (shared/product/scoring.md).

Pure Python: no Django, no database. Plain dataclasses in, plain dataclasses
out. This module is the one place the ranking arithmetic lives:

- `outcome_factor`, `independence_factor`, `interprofessional_factor` depend on
  the listing alone; their scores are stored on the program when it is saved
  (programs.services) so the catalog can rank without recomputing them.
- `career_alignment_coefficients` turns a goal into per-signal points; both
  `career_factor` (Python) and the catalog's SQL ranking add up these same
  points, so the two orders agree (tests/programs/test_ranking_sql.py).
- `score_program` combines the four factors with the clinician's weights.

Whether a program fits the clinician's situation (profession, licences, budget,
leave, dates) is a separate question, answered in programs.ranking.fit.

Scores are whole "points" out of 1000 (permille) so sums are exact in Python and
in SQL; `FactorScore.score` gives the 0..1 value.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

FULL = 1000  # points of a perfect sub-score

MAX_WEIGHT = 5


class Factor(StrEnum):
    OUTCOME = "outcome"
    INDEPENDENCE = "independence"
    INTERPROFESSIONAL = "interprofessional"
    CAREER = "career"


FACTOR_LABELS: dict[Factor, str] = {
    Factor.OUTCOME: "Outcome tracking",
    Factor.INDEPENDENCE: "Commercial independence",
    Factor.INTERPROFESSIONAL: "Interprofessional design",
    Factor.CAREER: "Career alignment",
}

MOORE_LEVEL_NAMES: dict[str, str] = {
    "1": "participation",
    "2": "satisfaction",
    "3a": "declarative knowledge",
    "3b": "procedural knowledge",
    "4": "competence",
    "5": "performance",
    "6": "patient health",
    "7": "community health",
}
# Points for the highest Moore level measured: level 5+ is a real practice outcome.
MEASURED_LEVEL_POINTS: dict[str, int] = {
    "1": 30,
    "2": 60,
    "3a": 120,
    "3b": 150,
    "4": 200,
    "5": 400,
    "6": 450,
    "7": 500,
}
# A level the program is only designed to change counts for much less.
DESIGNED_TO_CHANGE_POINTS: dict[str, int] = {"competence": 30, "performance": 60, "patient_outcomes": 80}
VERIFIED_OUTCOMES_POINTS = 250
DECLARED_OUTCOMES_POINTS = 150
PRACTICE_PROJECT_POINTS = 120
DESCRIPTION_HINT_POINTS = 50

RECOGNIZED_ACCREDITORS: dict[str, str] = {
    "accme": "ACCME",
    "state": "a state recognized accreditor",
    "joint_accreditation": "Joint Accreditation",
    "ancc": "ANCC",
    "acpe": "ACPE",
    "aapa": "AAPA",
}
ACCREDITED_POINTS = 400
OTHER_ACCREDITOR_POINTS = 150
COMMENDATION_POINTS = 50
NO_SUPPORT_POINTS = 350
DISCLOSED_NAMED_SUPPORT_POINTS = 200
DISCLOSED_UNNAMED_SUPPORT_POINTS = 120
DISCLOSURES_POINTS = 150
NO_MARKETING_POINTS = 50
MARKETING_PENALTY = 100

PROFESSION_POINTS_CAP = 350
INTERPROFESSIONAL_PLANNING_POINTS = 200
IPCE_POINTS = 200
JOINTLY_ACCREDITED_POINTS = 150
MULTI_PROFESSION_CREDIT_POINTS = 100

# Which profession each credit type serves, to tell "credit offered for several professions".
CREDIT_TYPE_PROFESSION: dict[str, str] = {
    "ama_pra_1": "physician",
    "ama_pra_2": "physician",
    "moc": "physician",
    "ancc": "nurse",
    "ancc_pharmacology": "nurse",
    "acpe": "pharmacist",
    "aapa_1": "physician_assistant",
}

CREDIT_TYPE_LABELS: dict[str, str] = {
    "ama_pra_1": "AMA PRA Category 1",
    "ama_pra_2": "AMA PRA Category 2",
    "ancc": "ANCC contact hours",
    "ancc_pharmacology": "ANCC pharmacology hours",
    "acpe": "ACPE CPE",
    "aapa_1": "AAPA Category 1",
    "ipce": "IPCE",
    "moc": "MOC points",
}

COMPETENCY_LABELS: dict[str, str] = {
    "healthcare_finance": "finance",
    "strategic_planning": "strategy",
    "organizational_management": "organizational management",
    "quality_improvement": "quality improvement",
    "patient_safety": "patient safety",
    "interprofessional_collaboration": "interprofessional collaboration",
    "communication": "communication",
    "clinical_knowledge": "clinical knowledge",
    "data_and_informatics": "data and informatics",
    "teaching": "teaching",
}

PROGRAM_TRACK_LABELS: dict[str, str] = {
    "executive_leadership": "executive leadership",
    "quality_improvement": "quality-improvement leadership",
    "advanced_practice": "advanced practice",
    "clinical_excellence": "clinical excellence",
    "education": "education",
    "research": "research",
}
# A goal's track -> the program track that serves it.
GOAL_TRACK_TO_PROGRAM_TRACK: dict[str, str] = {
    "executive_leadership": "executive_leadership",
    "department_leadership": "executive_leadership",
    "quality_improvement": "quality_improvement",
    "advanced_practice": "advanced_practice",
    "clinical_excellence": "clinical_excellence",
    "education": "education",
    "research": "research",
}
# Goals about leading clinical improvement value practice-change integration (EHR, workflow).
IMPROVEMENT_GOAL_TRACKS = frozenset({"quality_improvement", "clinical_excellence", "department_leadership"})

COVERAGE_SHARE = 600
TRACK_SHARE = 300
INTEGRATION_SHARE = 100

_PRACTICE_CHANGE_WORDS = re.compile(
    r"\b(practice (change|improvement|gap)s?|performance improvement|quality improvement|"
    r"chart audit|audit and feedback|pdsa|plan-do-study-act|improve(s|d)? (patient )?outcomes|"
    r"change (in|to) practice|implement(ed|ing)? (a )?change|measur(e|ed|ing) (practice|performance))\b",
    re.IGNORECASE,
)


# --- Inputs ---------------------------------------------------------------


@dataclass(frozen=True)
class ProgramSignals:
    """What the scoring needs to know about one listing."""

    program_id: int
    title: str
    outcome_level_measured: str | None = None
    designed_to_change: frozenset[str] = frozenset()
    publishes_outcomes: bool | None = None
    has_verified_outcome_evidence: bool = False
    requires_practice_project: bool | None = None
    description: str = ""
    accreditor: str | None = None
    accreditation_status: str | None = None
    commercial_support: str | None = None
    commercial_supporters: tuple[str, ...] = ()
    disclosures_published: bool | None = None
    ancillary_marketing: bool | None = None
    professions: frozenset[str] = frozenset()
    planning_professions: frozenset[str] = frozenset()
    ipce_credit: bool | None = None
    jointly_accredited: bool | None = None
    credits: Mapping[str, Decimal] = field(default_factory=dict)
    competencies: frozenset[str] = frozenset()
    career_tracks: frozenset[str] = frozenset()
    ehr_integration: bool | None = None
    fee_amount: Decimal | None = None
    fee_currency: str = "USD"
    leave_days: Decimal | None = None
    start_date: datetime.date | None = None
    end_date: datetime.date | None = None
    topics: frozenset[str] = frozenset()


@dataclass(frozen=True)
class GoalCriteria:
    """The goal-dependent part of ranking: what the clinician is aiming at."""

    track: str
    competencies: frozenset[str] = frozenset()
    essential_competencies: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Weights:
    """How much each factor matters, each 0..MAX_WEIGHT; not all zero."""

    outcome: int = 1
    independence: int = 1
    interprofessional: int = 1
    career: int = 1

    def __post_init__(self) -> None:
        values = self.as_dict().values()
        if any(value < 0 or value > MAX_WEIGHT for value in values):
            raise ValueError(f"Each weight must be between 0 and {MAX_WEIGHT}.")
        if sum(values) == 0:
            raise ValueError("At least one factor needs a weight above 0.")

    def as_dict(self) -> dict[Factor, int]:
        return {
            Factor.OUTCOME: self.outcome,
            Factor.INDEPENDENCE: self.independence,
            Factor.INTERPROFESSIONAL: self.interprofessional,
            Factor.CAREER: self.career,
        }

    @property
    def total(self) -> int:
        return sum(self.as_dict().values())


# --- Outputs --------------------------------------------------------------


@dataclass(frozen=True)
class FactorScore:
    factor: Factor
    points: int  # 0..FULL
    evidence: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def score(self) -> float:
        return self.points / FULL

    @property
    def label(self) -> str:
        return FACTOR_LABELS[self.factor]


@dataclass(frozen=True)
class ScoredProgram:
    program_id: int
    title: str
    factors: tuple[FactorScore, ...]
    weights: Weights
    weighted_points: int  # sum of weight x points: exact ordering key

    @property
    def total(self) -> float:
        """0..100 with one decimal."""
        return round(100 * self.weighted_points / (FULL * self.weights.total), 1)

    def factor(self, factor: Factor) -> FactorScore:
        return next(item for item in self.factors if item.factor is factor)


# --- Goal-independent factors ---------------------------------------------


def _clamp(points: int) -> int:
    return max(0, min(FULL, points))


def describes_practice_change(description: str) -> bool:
    """Whether free text speaks of practice improvement, not only hours and topics."""
    return bool(_PRACTICE_CHANGE_WORDS.search(description or ""))


def outcome_factor(program: ProgramSignals) -> FactorScore:
    """How far the program's evaluation reaches: measured Moore level, published outcomes, QI project."""
    points = 0
    evidence: list[str] = []
    missing: list[str] = []
    level = program.outcome_level_measured or None
    if level in MEASURED_LEVEL_POINTS:
        points += MEASURED_LEVEL_POINTS[level]
        kind = "a practice outcome" if level in {"5", "6", "7"} else "not a practice outcome"
        evidence.append(f"measures {MOORE_LEVEL_NAMES[level]} (Moore level {level}: {kind})")
        if level not in {"5", "6", "7"}:
            missing.append("does not measure performance or patient outcomes (Moore level 5+)")
    else:
        missing.append("no measured outcome level")
    designed = sorted(program.designed_to_change, key=lambda code: DESIGNED_TO_CHANGE_POINTS.get(code, 0))
    designed = [code for code in designed if code in DESIGNED_TO_CHANGE_POINTS]
    if designed:
        points += DESIGNED_TO_CHANGE_POINTS[designed[-1]]
        names = ", ".join(code.replace("_", " ") for code in designed)
        evidence.append(f"designed to change {names} (intent, not measured)")
    if program.has_verified_outcome_evidence:
        points += VERIFIED_OUTCOMES_POINTS
        evidence.append("published outcomes of past cohorts, verified by the CME office")
    elif program.publishes_outcomes:
        points += DECLARED_OUTCOMES_POINTS
        evidence.append("provider says it publishes outcome data (not verified)")
    else:
        missing.append("no published outcome data")
    if program.requires_practice_project:
        points += PRACTICE_PROJECT_POINTS
        evidence.append("each participant runs a practice-improvement project")
    if describes_practice_change(program.description):
        points += DESCRIPTION_HINT_POINTS
        evidence.append("description speaks of practice change (unverified hint)")
    return FactorScore(Factor.OUTCOME, _clamp(points), tuple(evidence), tuple(missing))


def independence_factor(program: ProgramSignals) -> FactorScore:
    """Accreditation, commercial support and disclosure, marketing kept apart."""
    points = 0
    evidence: list[str] = []
    missing: list[str] = []
    accreditor = program.accreditor or None
    if accreditor in RECOGNIZED_ACCREDITORS:
        points += ACCREDITED_POINTS
        evidence.append(f"accredited by {RECOGNIZED_ACCREDITORS[accreditor]}")
        if program.accreditation_status == "commendation":
            points += COMMENDATION_POINTS
            evidence.append("provider holds accreditation with commendation")
    elif accreditor == "other":
        points += OTHER_ACCREDITOR_POINTS
        evidence.append("accredited by a body outside the recognized accreditors")
    else:
        missing.append("no recognized accreditation" if accreditor == "none" else "accreditation not known")
    support = program.commercial_support or None
    if support == "none":
        points += NO_SUPPORT_POINTS
        evidence.append("no commercial support")
    elif support == "disclosed" and program.commercial_supporters:
        points += DISCLOSED_NAMED_SUPPORT_POINTS
        evidence.append(f"commercial support disclosed: {', '.join(program.commercial_supporters)}")
    elif support == "disclosed":
        points += DISCLOSED_UNNAMED_SUPPORT_POINTS
        evidence.append("commercial support disclosed")
        missing.append("supporters not named")
    elif support == "undisclosed":
        missing.append("commercial support not disclosed")
    else:
        missing.append("commercial support not known")
    if program.disclosures_published:
        points += DISCLOSURES_POINTS
        evidence.append("planner and faculty financial relationships disclosed")
    else:
        missing.append("financial-relationship disclosures not published")
    if program.ancillary_marketing is False:
        points += NO_MARKETING_POINTS
        evidence.append("no marketing alongside the education")
    elif program.ancillary_marketing:
        points -= MARKETING_PENALTY
        missing.append("marketing alongside the education")
    return FactorScore(Factor.INDEPENDENCE, _clamp(points), tuple(evidence), tuple(missing))


def credit_professions(credits: Iterable[str]) -> frozenset[str]:
    return frozenset(CREDIT_TYPE_PROFESSION[code] for code in credits if code in CREDIT_TYPE_PROFESSION)


def interprofessional_factor(program: ProgramSignals) -> FactorScore:
    """Designed for, planned by and credited for more than one profession."""
    points = 0
    evidence: list[str] = []
    missing: list[str] = []
    count = len(program.professions)
    if count >= 2:
        points += min(PROFESSION_POINTS_CAP, 100 + 80 * (count - 1))
        evidence.append(f"designed for {count} professions")
    elif count == 1:
        missing.append("designed for a single profession")
    else:
        missing.append("target professions not stated")
    if len(program.planning_professions) >= 2:
        points += INTERPROFESSIONAL_PLANNING_POINTS
        evidence.append(f"planned by an interprofessional team ({len(program.planning_professions)} professions)")
    if program.ipce_credit or "ipce" in program.credits:
        points += IPCE_POINTS
        evidence.append("offers IPCE credit")
    if program.jointly_accredited:
        points += JOINTLY_ACCREDITED_POINTS
        evidence.append("provider is jointly accredited (JA-IPCE)")
    credited = credit_professions(program.credits)
    if len(credited) >= 2:
        points += MULTI_PROFESSION_CREDIT_POINTS
        evidence.append(f"credit for {len(credited)} professions")
    if points == 0 and count < 2:
        missing.append("no interprofessional planning or IPCE credit")
    return FactorScore(Factor.INTERPROFESSIONAL, _clamp(points), tuple(evidence), tuple(missing))


@dataclass(frozen=True)
class StaticScores:
    outcome: int
    independence: int
    interprofessional: int


def static_scores(program: ProgramSignals) -> StaticScores:
    """The goal-independent sub-scores in points, as stored on the program."""
    return StaticScores(
        outcome=outcome_factor(program).points,
        independence=independence_factor(program).points,
        interprofessional=interprofessional_factor(program).points,
    )


# --- Career alignment -------------------------------------------------------


@dataclass(frozen=True)
class CareerCoefficients:
    """Points a program earns for the goal: per covered competency, track, integration."""

    competency_points: Mapping[str, int]
    program_track: str | None
    track_points: int
    integration_points: int


def _share_out(total: int, weights: Mapping[str, int]) -> dict[str, int]:
    """Split `total` in proportion to `weights` into whole points summing exactly to it."""
    weight_sum = sum(weights.values())
    if weight_sum == 0:
        return {}
    exact = {key: total * weight / weight_sum for key, weight in weights.items()}
    shares = {key: int(value) for key, value in exact.items()}
    leftover = total - sum(shares.values())
    for key in sorted(exact, key=lambda k: (-(exact[k] - shares[k]), k))[:leftover]:
        shares[key] += 1
    return shares


@functools.lru_cache(maxsize=1024)
def career_alignment_coefficients(goal: GoalCriteria) -> CareerCoefficients:
    """Points per signal for this goal; the best possible program earns FULL.

    Essential competencies count double. A goal without competencies puts the
    coverage share on the track; integration counts only for improvement goals.
    """
    integration = INTEGRATION_SHARE if goal.track in IMPROVEMENT_GOAL_TRACKS else 0
    coverage = COVERAGE_SHARE if goal.competencies else 0
    track = FULL - coverage - integration
    weights = {code: 2 if code in goal.essential_competencies else 1 for code in goal.competencies}
    return CareerCoefficients(
        competency_points=MappingProxyType(_share_out(coverage, weights)),
        program_track=GOAL_TRACK_TO_PROGRAM_TRACK.get(goal.track),
        track_points=track,
        integration_points=integration,
    )


def career_factor(program: ProgramSignals, goal: GoalCriteria) -> FactorScore:
    """How well the program serves the goal's competencies and track."""
    coefficients = career_alignment_coefficients(goal)
    points = 0
    evidence: list[str] = []
    missing: list[str] = []
    if goal.competencies:
        covered = sorted(code for code in goal.competencies if code in program.competencies)
        points += sum(coefficients.competency_points[code] for code in covered)
        wanted = len(goal.competencies)
        if covered:
            names = ", ".join(COMPETENCY_LABELS.get(code, code) for code in covered)
            evidence.append(f"covers {len(covered)} of your {wanted} competencies: {names}")
        uncovered = sorted(goal.competencies - set(covered))
        if uncovered:
            essential = [code for code in uncovered if code in goal.essential_competencies]
            names = ", ".join(COMPETENCY_LABELS.get(code, code) for code in uncovered)
            missing.append(f"does not cover {names}" + (" (essential)" if essential else ""))
    if coefficients.program_track and coefficients.program_track in program.career_tracks:
        points += coefficients.track_points
        evidence.append(f"built for {PROGRAM_TRACK_LABELS[coefficients.program_track]}")
    else:
        missing.append("not built for your career track")
    if coefficients.integration_points:
        if program.ehr_integration:
            points += coefficients.integration_points
            evidence.append("integrates practice change (EHR order sets, workflow)")
        else:
            missing.append("no EHR or workflow integration")
    return FactorScore(Factor.CAREER, _clamp(points), tuple(evidence), tuple(missing))


# --- Combining --------------------------------------------------------------


def combine(*, program_id: int, title: str, factors: Sequence[FactorScore], weights: Weights) -> ScoredProgram:
    by_factor = {item.factor: item for item in factors}
    weighted = sum(weight * by_factor[factor].points for factor, weight in weights.as_dict().items())
    return ScoredProgram(
        program_id=program_id, title=title, factors=tuple(factors), weights=weights, weighted_points=weighted
    )


def score_program(program: ProgramSignals, goal: GoalCriteria, weights: Weights) -> ScoredProgram:
    """The program's four factors and weighted total for this goal and these weights."""
    factors = (
        outcome_factor(program),
        independence_factor(program),
        interprofessional_factor(program),
        career_factor(program, goal),
    )
    return combine(program_id=program.program_id, title=program.title, factors=factors, weights=weights)


def ranking_key(scored: ScoredProgram, program: ProgramSignals) -> tuple[object, ...]:
    """Total desc, career desc (when weighted), cost asc (unknown last), earliest start (unknown last), title, id.

    Titles compare by code point, as SQL does under a binary ("C") collation.
    """
    fee = program.fee_amount
    return (
        -scored.weighted_points,
        # Career breaks ties only when it carries weight: a factor weighted 0 never changes the order.
        -scored.factor(Factor.CAREER).points if scored.weights.career else 0,
        fee is None,
        fee if fee is not None else Decimal(0),
        program.start_date is None,
        program.start_date or datetime.date.min,
        program.title,
        program.program_id,
    )


def rank_programs(
    programs: Iterable[ProgramSignals], goal: GoalCriteria, weights: Weights
) -> list[tuple[ScoredProgram, ProgramSignals]]:
    """Score and order programs deterministically, whatever order they come in."""
    scored = [(score_program(program, goal, weights), program) for program in programs]
    scored.sort(key=lambda pair: ranking_key(pair[0], pair[1]))
    return scored
