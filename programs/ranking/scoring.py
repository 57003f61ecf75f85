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
- `explain_pair` answers "why is B above A?": each factor's weighted share of
  both totals, and the smallest single-weight change that would swap them.

Every sub-score is the sum of its reasons (`FactorScore.reasons`, each with its
points), and its shortfalls name every point up to the maximum with what would
earn it (`FactorScore.shortfalls`).

Whether a program fits the clinician's situation (profession, licences, budget,
leave, dates) is a separate question, answered in programs.ranking.fit.

Scores are whole "points" out of 1000 (permille) so sums are exact in Python and
in SQL; `FactorScore.score` gives the 0..1 value.
"""

from __future__ import annotations

import dataclasses
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


# --- Who vouches for a claim -------------------------------------------------
#
# What the listing states (accreditation, the Moore level measured, what it is
# designed to change) is the provider's word until the CME office verifies the
# listing (Program.last_verified_on). programs.presenters words the claims on
# every page with these same functions; the reasons below carry the same source.

STATED_BY_PROVIDER = "stated by the provider"


def format_date(day: datetime.date) -> str:
    """Jun 30, 2027."""
    return f"{day:%b} {day.day}, {day.year}"


def verified_by_office(day: datetime.date) -> str:
    return f"verified by the CME office on {format_date(day)}"


def listing_claim_source(verified_on: datetime.date | None) -> str:
    """Who vouches for a listing claim: the provider until the CME office verified the listing, then the office."""
    return verified_by_office(verified_on) if verified_on is not None else STATED_BY_PROVIDER


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
    listing_verified_on: datetime.date | None = None  # when the CME office verified the listing's claims

    @property
    def claim_source(self) -> str:
        """Who vouches for what the listing states (see `listing_claim_source`)."""
        return listing_claim_source(self.listing_verified_on)


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


def format_points(points: int, *, signed: bool = False) -> str:
    """Points on the 0-100 scale people read: 400 -> "40", 86 -> "8.6"; signed: "+40", "−10", "0"."""
    text = f"{abs(points) / 10:g}"
    if points < 0:
        return f"\N{MINUS SIGN}{text}"
    return f"+{text}" if signed and points > 0 else text


@dataclass(frozen=True)
class _PointsLine:
    text: str
    points: int

    @property
    def shown(self) -> str:
        return format_points(self.points, signed=True)


@dataclass(frozen=True)
class Reason(_PointsLine):
    """Something the record shows and the points it earns (a deduction is negative)."""


@dataclass(frozen=True)
class Shortfall(_PointsLine):
    """Points a factor does not earn, named by what would earn them (always more than 0)."""


@dataclass(frozen=True)
class FactorScore:
    """A sub-score as the sum of its reasons; its shortfalls name every point up to FULL.

    Guaranteed by construction and proved by tests/programs/test_scoring_properties.py:
    sum(reason points) == points and points + sum(shortfall points) == FULL.
    """

    factor: Factor
    reasons: tuple[Reason, ...]
    shortfalls: tuple[Shortfall, ...]

    @property
    def points(self) -> int:  # 0..FULL
        return sum(reason.points for reason in self.reasons)

    @property
    def score(self) -> float:
        return self.points / FULL

    @property
    def shown(self) -> str:
        """The sub-score out of 100, with a decimal when it has one, so its reasons visibly add up."""
        return format_points(self.points)

    @property
    def label(self) -> str:
        return FACTOR_LABELS[self.factor]

    @property
    def evidence(self) -> tuple[str, ...]:
        """The reasons' sentences alone."""
        return tuple(reason.text for reason in self.reasons)

    @property
    def missing(self) -> tuple[str, ...]:
        """The shortfalls' sentences alone."""
        return tuple(shortfall.text for shortfall in self.shortfalls)

    @property
    def top_reason(self) -> Reason | None:
        """The reason earning the most points (the first of equals), if any earns some."""
        earning = [reason for reason in self.reasons if reason.points > 0]
        return max(earning, key=lambda reason: reason.points) if earning else None


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

    @property
    def weighted_factors(self) -> tuple[tuple[FactorScore, int], ...]:
        """Each factor with the weight it was given, in the factors' order."""
        weights = self.weights.as_dict()
        return tuple((item, weights[item.factor]) for item in self.factors)


class _Ledger:
    """Collects a factor's reasons and shortfalls; zero-point shortfalls are dropped."""

    def __init__(self, factor: Factor) -> None:
        self.factor = factor
        self.reasons: list[Reason] = []
        self.shortfalls: list[Shortfall] = []

    def earn(self, points: int, text: str) -> None:
        self.reasons.append(Reason(text, points))

    def short(self, points: int, text: str) -> None:
        if points > 0:
            self.shortfalls.append(Shortfall(text, points))

    @property
    def earned(self) -> int:
        return sum(reason.points for reason in self.reasons)

    def result(self) -> FactorScore:
        return FactorScore(self.factor, tuple(self.reasons), tuple(self.shortfalls))


# --- Goal-independent factors ---------------------------------------------
#
# Each factor is a few slots (the measured level, published outcomes, ...), each
# with a most it can earn; the slots' most add up to exactly FULL. A slot earns a
# reason for what the record shows and a shortfall for the rest, so no clamping
# is ever needed: the one deduction (marketing) takes at most what was earned.


def describes_practice_change(description: str) -> bool:
    """Whether free text speaks of practice improvement, not only hours and topics."""
    return bool(_PRACTICE_CHANGE_WORDS.search(description or ""))


PRACTICE_OUTCOME_LEVELS = ("5", "6", "7")
_BEST_DESIGNED = max(DESIGNED_TO_CHANGE_POINTS, key=lambda code: DESIGNED_TO_CHANGE_POINTS[code])


def outcome_factor(program: ProgramSignals) -> FactorScore:
    """How far the program's evaluation reaches: measured Moore level, published outcomes, QI project."""
    ledger = _Ledger(Factor.OUTCOME)
    level = program.outcome_level_measured or None
    level_points = 0
    if level in MEASURED_LEVEL_POINTS:
        level_points = MEASURED_LEVEL_POINTS[level]
        kind = "a practice outcome" if level in PRACTICE_OUTCOME_LEVELS else "not a practice outcome"
        ledger.earn(
            level_points, f"measures {MOORE_LEVEL_NAMES[level]} (Moore level {level}: {kind}), {program.claim_source}"
        )
    # The rungs still above the level measured, each with what it adds.
    reached = level_points
    for rung in PRACTICE_OUTCOME_LEVELS:
        rung_points = MEASURED_LEVEL_POINTS[rung]
        if reached < rung_points:
            now = f"now level {level}" if level in MEASURED_LEVEL_POINTS else "no measured level stated"
            note = f"; {now}" if reached == level_points else ""
            ledger.short(rung_points - reached, f"measures {MOORE_LEVEL_NAMES[rung]} (Moore level {rung}{note})")
            reached = rung_points
    designed = sorted(
        (code for code in program.designed_to_change if code in DESIGNED_TO_CHANGE_POINTS),
        key=lambda code: DESIGNED_TO_CHANGE_POINTS[code],
    )
    designed_points = DESIGNED_TO_CHANGE_POINTS[designed[-1]] if designed else 0
    if designed:
        names = ", ".join(code.replace("_", " ") for code in designed)
        ledger.earn(designed_points, f"designed to change {names} (intent, not measured), {program.claim_source}")
    ledger.short(
        DESIGNED_TO_CHANGE_POINTS[_BEST_DESIGNED] - designed_points,
        f"designed to change {_BEST_DESIGNED.replace('_', ' ')}",
    )
    if program.has_verified_outcome_evidence:
        ledger.earn(VERIFIED_OUTCOMES_POINTS, "published outcomes of past cohorts, verified by the CME office")
    elif program.publishes_outcomes:
        ledger.earn(DECLARED_OUTCOMES_POINTS, "provider says it publishes outcome data (not verified)")
        ledger.short(
            VERIFIED_OUTCOMES_POINTS - DECLARED_OUTCOMES_POINTS, "its published outcomes verified by the CME office"
        )
    else:
        ledger.short(
            VERIFIED_OUTCOMES_POINTS,
            "published outcome data of past cohorts, verified by the CME office "
            f"({format_points(DECLARED_OUTCOMES_POINTS)} if published but not verified)",
        )
    if program.requires_practice_project:
        ledger.earn(PRACTICE_PROJECT_POINTS, "each participant runs a practice-improvement project")
    else:
        ledger.short(PRACTICE_PROJECT_POINTS, "each participant runs a practice-improvement project")
    if describes_practice_change(program.description):
        ledger.earn(DESCRIPTION_HINT_POINTS, "description speaks of practice change (unverified hint)")
    else:
        ledger.short(DESCRIPTION_HINT_POINTS, "the description speaks of practice change (an unverified hint)")
    return ledger.result()


RECOGNIZED_ACCREDITOR_LIST = "ACCME, Joint Accreditation, ANCC, ACPE, AAPA or a state recognized accreditor"


def independence_factor(program: ProgramSignals) -> FactorScore:
    """Accreditation, commercial support and disclosure, marketing kept apart."""
    ledger = _Ledger(Factor.INDEPENDENCE)
    accreditor = program.accreditor or None
    if accreditor in RECOGNIZED_ACCREDITORS:
        ledger.earn(ACCREDITED_POINTS, f"accredited by {RECOGNIZED_ACCREDITORS[accreditor]}, {program.claim_source}")
    elif accreditor == "other":
        ledger.earn(
            OTHER_ACCREDITOR_POINTS, f"accredited by a body outside the recognized accreditors, {program.claim_source}"
        )
        ledger.short(
            ACCREDITED_POINTS - OTHER_ACCREDITOR_POINTS,
            f"accredited by a recognized accreditor ({RECOGNIZED_ACCREDITOR_LIST}) instead",
        )
    else:
        now = "none now" if accreditor == "none" else "not known"
        ledger.short(ACCREDITED_POINTS, f"accredited by a recognized accreditor ({RECOGNIZED_ACCREDITOR_LIST}; {now})")
    if accreditor in RECOGNIZED_ACCREDITORS and program.accreditation_status == "commendation":
        ledger.earn(COMMENDATION_POINTS, f"provider holds accreditation with commendation, {program.claim_source}")
    else:
        ledger.short(COMMENDATION_POINTS, "provider holds recognized accreditation with commendation")
    support = program.commercial_support or None
    if support == "none":
        ledger.earn(NO_SUPPORT_POINTS, "no commercial support")
    elif support == "disclosed" and program.commercial_supporters:
        ledger.earn(
            DISCLOSED_NAMED_SUPPORT_POINTS, f"commercial support disclosed: {', '.join(program.commercial_supporters)}"
        )
        ledger.short(NO_SUPPORT_POINTS - DISCLOSED_NAMED_SUPPORT_POINTS, "no commercial support")
    elif support == "disclosed":
        ledger.earn(DISCLOSED_UNNAMED_SUPPORT_POINTS, "commercial support disclosed")
        named = format_points(DISCLOSED_NAMED_SUPPORT_POINTS - DISCLOSED_UNNAMED_SUPPORT_POINTS)
        ledger.short(
            NO_SUPPORT_POINTS - DISCLOSED_UNNAMED_SUPPORT_POINTS,
            f"no commercial support (supporters not named; naming them would earn {named} of these)",
        )
    else:
        now = "support not disclosed" if support == "undisclosed" else "support not known"
        named = format_points(DISCLOSED_NAMED_SUPPORT_POINTS)
        ledger.short(
            NO_SUPPORT_POINTS,
            f"no commercial support ({now}; disclosing it with named supporters would earn {named} of these)",
        )
    if program.disclosures_published:
        ledger.earn(DISCLOSURES_POINTS, "planner and faculty financial relationships disclosed")
    else:
        ledger.short(DISCLOSURES_POINTS, "planner and faculty financial relationships disclosed")
    if program.ancillary_marketing is False:
        ledger.earn(NO_MARKETING_POINTS, "no marketing alongside the education")
    elif program.ancillary_marketing:
        # The deduction takes at most what the factor earned, so the sub-score never goes below 0.
        deduction = min(MARKETING_PENALTY, ledger.earned)
        if deduction:
            ledger.earn(-deduction, "marketing alongside the education")
            ledger.short(
                NO_MARKETING_POINTS + deduction,
                f"no marketing alongside the education (ends the {format_points(deduction)}-point deduction)",
            )
        else:
            ledger.earn(0, "marketing alongside the education (nothing earned for it to deduct from)")
            ledger.short(NO_MARKETING_POINTS, "no marketing alongside the education")
    else:
        ledger.short(NO_MARKETING_POINTS, "no marketing alongside the education (not stated)")
    return ledger.result()


def credit_professions(credits: Iterable[str]) -> frozenset[str]:
    return frozenset(CREDIT_TYPE_PROFESSION[code] for code in credits if code in CREDIT_TYPE_PROFESSION)


def profession_points(count: int) -> int:
    """Points for the number of professions a program is designed for (one earns none)."""
    return min(PROFESSION_POINTS_CAP, 100 + 80 * (count - 1)) if count >= 2 else 0


PROFESSIONS_FOR_CAP = next(count for count in range(2, 100) if profession_points(count) == PROFESSION_POINTS_CAP)


def interprofessional_factor(program: ProgramSignals) -> FactorScore:
    """Designed for, planned by and credited for more than one profession."""
    ledger = _Ledger(Factor.INTERPROFESSIONAL)
    count = len(program.professions)
    designed = profession_points(count)
    if count >= 2:
        ledger.earn(designed, f"designed for {count} professions")
        now = f"now {count}"
    else:
        now = "now a single profession" if count == 1 else "target professions not stated"
    ledger.short(
        PROFESSION_POINTS_CAP - designed,
        f"designed for {PROFESSIONS_FOR_CAP} or more professions ({now}; 2 earn {format_points(profession_points(2))})",
    )
    if len(program.planning_professions) >= 2:
        ledger.earn(
            INTERPROFESSIONAL_PLANNING_POINTS,
            f"planned by an interprofessional team ({len(program.planning_professions)} professions)",
        )
    else:
        ledger.short(INTERPROFESSIONAL_PLANNING_POINTS, "planned by an interprofessional team (2 or more professions)")
    if program.ipce_credit or "ipce" in program.credits:
        ledger.earn(IPCE_POINTS, "offers IPCE credit")
    else:
        ledger.short(IPCE_POINTS, "offers IPCE credit")
    if program.jointly_accredited:
        ledger.earn(JOINTLY_ACCREDITED_POINTS, f"provider is jointly accredited (JA-IPCE), {program.claim_source}")
    else:
        ledger.short(JOINTLY_ACCREDITED_POINTS, "provider is jointly accredited (JA-IPCE)")
    credited = credit_professions(program.credits)
    if len(credited) >= 2:
        ledger.earn(MULTI_PROFESSION_CREDIT_POINTS, f"credit for {len(credited)} professions")
    else:
        ledger.short(MULTI_PROFESSION_CREDIT_POINTS, "credit for 2 or more professions (e.g. AMA PRA and ANCC)")
    return ledger.result()


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
    """How well the program serves the goal's competencies and track; each uncovered competency is named."""
    coefficients = career_alignment_coefficients(goal)
    ledger = _Ledger(Factor.CAREER)
    if goal.competencies:
        covered = sorted(code for code in goal.competencies if code in program.competencies)
        if covered:
            names = ", ".join(COMPETENCY_LABELS.get(code, code) for code in covered)
            ledger.earn(
                sum(coefficients.competency_points[code] for code in covered),
                f"covers {len(covered)} of your {len(goal.competencies)} competencies: {names}",
            )
        for code in sorted(goal.competencies - set(covered)):
            essential = " (essential)" if code in goal.essential_competencies else ""
            ledger.short(coefficients.competency_points[code], f"covers {COMPETENCY_LABELS.get(code, code)}{essential}")
    track = coefficients.program_track
    if track and track in program.career_tracks:
        ledger.earn(coefficients.track_points, f"built for {PROGRAM_TRACK_LABELS[track]}")
    else:
        wanted = f"{PROGRAM_TRACK_LABELS[track]} (your career track)" if track else "your career track"
        ledger.short(coefficients.track_points, f"built for {wanted}")
    if coefficients.integration_points:
        if program.ehr_integration:
            ledger.earn(coefficients.integration_points, "integrates practice change (EHR order sets, workflow)")
        else:
            ledger.short(coefficients.integration_points, "integrates practice change (EHR order sets, workflow)")
    return ledger.result()


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


# --- Explaining a pair --------------------------------------------------------


@dataclass(frozen=True)
class Contribution:
    """One factor's part of two totals: sub-scores, weight and weighted share of each total.

    Shares are in tenths of a total point and add up exactly to each program's
    total as shown (one decimal): the rounding is shared out, never lost.
    """

    factor: Factor
    weight: int
    lower_points: int
    higher_points: int
    lower_share: int
    higher_share: int

    @property
    def label(self) -> str:
        return FACTOR_LABELS[self.factor]

    @property
    def lower_sub_score(self) -> str:
        return format_points(self.lower_points)

    @property
    def higher_sub_score(self) -> str:
        return format_points(self.higher_points)

    @property
    def lower_shown(self) -> str:
        return _tenths(self.lower_share)

    @property
    def higher_shown(self) -> str:
        return _tenths(self.higher_share)

    @property
    def difference_shown(self) -> str:
        """How much more this factor gives the higher program (negative when the lower one leads)."""
        return _tenths(self.higher_share - self.lower_share, signed=True)


@dataclass(frozen=True)
class WeightChange:
    """One weight moved from `current` to `suggested`, and the two totals it would give."""

    factor: Factor
    current: int
    suggested: int
    lower_total: float
    higher_total: float
    tied: bool  # equal weighted points: the tie-break decides

    @property
    def size(self) -> int:
        return abs(self.suggested - self.current)

    @property
    def label(self) -> str:
        return FACTOR_LABELS[self.factor]

    def weights(self, weights: Weights) -> Weights:
        return dataclasses.replace(weights, **{self.factor.value: self.suggested})


@dataclass(frozen=True)
class PairExplanation:
    """Why `higher` ranks above `lower` with these weights, and what one weight change would swap them."""

    lower: ScoredProgram
    higher: ScoredProgram
    weights: Weights
    contributions: tuple[Contribution, ...]
    change: WeightChange | None

    @property
    def lower_total_shown(self) -> str:
        return f"{self.lower.total:.1f}"

    @property
    def higher_total_shown(self) -> str:
        return f"{self.higher.total:.1f}"

    @property
    def difference_shown(self) -> str:
        return _tenths(round(self.higher.total * 10) - round(self.lower.total * 10), signed=True)

    @property
    def tied_on_total(self) -> bool:
        return self.lower.weighted_points == self.higher.weighted_points

    @property
    def lower_leads_on(self) -> tuple[str, ...]:
        return tuple(item.label for item in self.contributions if item.lower_points > item.higher_points)

    @property
    def suggestion(self) -> str:
        """The answer in plain words."""
        lower, higher = f"“{self.lower.title}”", f"“{self.higher.title}”"
        change = self.change
        if change is not None:
            verb = "Raising" if change.suggested > change.current else "Lowering"
            if change.tied:
                totals = (
                    f"both would total {change.lower_total:.1f}; "
                    f"the ranking's tie-break (career alignment, then cost, start date, title) puts {lower} first"
                )
            else:
                totals = f"{change.lower_total:.1f} against {change.higher_total:.1f}"
            return (
                f"{verb} the weight of {change.label} from {change.current} to {change.suggested} "
                f"would put {lower} above {higher} ({totals})."
            )
        statement = f"No change to a single weight (each 0 to {MAX_WEIGHT}) would put {lower} above {higher}"
        if not self.lower_leads_on:
            return f"{statement}: {higher} scores at least as well on every factor."
        leads = [label.lower() for label in self.lower_leads_on]
        named = leads[0] if len(leads) == 1 else f"{', '.join(leads[:-1])} and {leads[-1]}"
        return f"{statement}: its lead on {named} is too small to make up the rest."


def _tenths(value: int, *, signed: bool = False) -> str:
    """Tenths of a total point as text with one decimal: 612 -> "61.2"; signed: "+3.0", "−0.4"."""
    text = f"{abs(value) / 10:.1f}"
    if value < 0:
        return f"\N{MINUS SIGN}{text}"
    return f"+{text}" if signed and value > 0 else text


def _shares(scored: ScoredProgram) -> dict[Factor, int]:
    """Each factor's weighted share of the total as shown, in tenths, adding up to it exactly.

    A share's exact value is weight x points / total weight tenths. Each share is that rounded down,
    and the tenths the shown total has beyond them go to the largest remainders (factor order breaks
    ties), so every share is within a tenth of its exact value. Shares of the rounded total in
    proportion would not be: 6, 150 and 600 weighted points over a total weight of 8 show 9.4, and
    the exact 75.0 of the third would become 74.6, then 74.
    """
    target = round(scored.total * 10)
    weights, total_weight = scored.weights.as_dict(), scored.weights.total
    exact = {factor: divmod(weights[factor] * scored.factor(factor).points, total_weight) for factor in Factor}
    shares = {factor: whole for factor, (whole, _) in exact.items()}
    order = list(Factor)
    by_remainder = sorted(Factor, key=lambda factor: (-exact[factor][1], order.index(factor)))
    for factor in by_remainder[: target - sum(shares.values())]:
        shares[factor] += 1
    return shares


def _rescored(scored: ScoredProgram, weights: Weights) -> ScoredProgram:
    return combine(program_id=scored.program_id, title=scored.title, factors=scored.factors, weights=weights)


def _single_weight_changes(weights: Weights) -> list[tuple[Factor, int]]:
    """Every other value of one weight (0..MAX_WEIGHT), smallest change first; a raise before a lowering."""
    changes = [
        (factor, value)
        for factor, current in weights.as_dict().items()
        for value in range(MAX_WEIGHT + 1)
        if value != current
    ]
    order = list(Factor)
    current = weights.as_dict()
    return sorted(
        changes,
        key=lambda item: (abs(item[1] - current[item[0]]), item[1] < current[item[0]], order.index(item[0])),
    )


def explain_pair(
    lower: tuple[ScoredProgram, ProgramSignals],
    higher: tuple[ScoredProgram, ProgramSignals],
    weights: Weights,
) -> PairExplanation:
    """Why `higher` ranks above `lower` with `weights`, and the smallest single-weight change that swaps them.

    Both programs are rescored with `weights`; "above" is `ranking_key`, tie-breaks
    included. The change returned is the smallest (in steps of the weight, 0 to
    MAX_WEIGHT) after which `lower` ranks strictly above `higher`; None when no
    single-weight change does. Raises ValueError if `lower` is not below `higher`.
    """
    lower_scored, lower_program = _rescored(lower[0], weights), lower[1]
    higher_scored, higher_program = _rescored(higher[0], weights), higher[1]
    if not ranking_key(higher_scored, higher_program) < ranking_key(lower_scored, lower_program):
        raise ValueError("The first program must rank below the second with these weights.")
    lower_shares, higher_shares = _shares(lower_scored), _shares(higher_scored)
    contributions = tuple(
        Contribution(
            factor=factor,
            weight=weight,
            lower_points=lower_scored.factor(factor).points,
            higher_points=higher_scored.factor(factor).points,
            lower_share=lower_shares[factor],
            higher_share=higher_shares[factor],
        )
        for factor, weight in weights.as_dict().items()
    )
    change = None
    for factor, value in _single_weight_changes(weights):
        try:
            changed = dataclasses.replace(weights, **{factor.value: value})
        except ValueError:  # all weights 0: not a ranking
            continue
        new_lower, new_higher = _rescored(lower_scored, changed), _rescored(higher_scored, changed)
        if ranking_key(new_lower, lower_program) < ranking_key(new_higher, higher_program):
            change = WeightChange(
                factor=factor,
                current=weights.as_dict()[factor],
                suggested=value,
                lower_total=new_lower.total,
                higher_total=new_higher.total,
                tied=new_lower.weighted_points == new_higher.weighted_points,
            )
            break
    return PairExplanation(
        lower=lower_scored, higher=higher_scored, weights=weights, contributions=contributions, change=change
    )
