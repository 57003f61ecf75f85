"""Every item of "What must hold" in shared/product/scoring.md, as hypothesis properties."""

from __future__ import annotations

import dataclasses
import datetime
import re

from hypothesis import given
from hypothesis import strategies as st

from programs.ranking import scoring
from programs.ranking.scoring import Factor
from tests.programs.scoring_strategies import COMPETENCIES, LEVELS, PROFESSIONS, catalogs, goals, programs, weights


def _order(catalog, goal, weighting) -> list[int]:
    return [scored.program_id for scored, _ in scoring.rank_programs(catalog, goal, weighting)]


# --- Bounded ---------------------------------------------------------------------


@given(programs(), goals(), weights)
def test_sub_scores_and_total_are_bounded(program, goal, weighting):
    scored = scoring.score_program(program, goal, weighting)
    for factor in scored.factors:
        assert 0 <= factor.points <= scoring.FULL
        assert 0.0 <= factor.score <= 1.0
    assert 0.0 <= scored.total <= 100.0
    assert scored.total == round(scored.total, 1)


# --- Monotone --------------------------------------------------------------------


def _higher_level(program):
    current = program.outcome_level_measured
    position = LEVELS.index(current) if current in LEVELS else -1
    if position + 1 >= len(LEVELS):
        return None
    return dataclasses.replace(program, outcome_level_measured=LEVELS[position + 1])


def _accredited(program):
    if program.accreditor in scoring.RECOGNIZED_ACCREDITORS:
        return None
    return dataclasses.replace(program, accreditor="accme")


def _disclosed(program):
    if program.commercial_support not in (None, "undisclosed"):
        return None
    return dataclasses.replace(program, commercial_support="disclosed")


def _one_more_profession(program):
    missing = [code for code in PROFESSIONS if code not in program.professions]
    return dataclasses.replace(program, professions=program.professions | {missing[0]}) if missing else None


POSITIVE_SIGNALS = {
    "higher measured level": (Factor.OUTCOME, _higher_level),
    "published outcomes": (Factor.OUTCOME, lambda p: dataclasses.replace(p, publishes_outcomes=True)),
    "verified outcomes": (Factor.OUTCOME, lambda p: dataclasses.replace(p, has_verified_outcome_evidence=True)),
    "practice project": (Factor.OUTCOME, lambda p: dataclasses.replace(p, requires_practice_project=True)),
    "accreditation": (Factor.INDEPENDENCE, _accredited),
    "support disclosed": (Factor.INDEPENDENCE, _disclosed),
    "relationships disclosed": (Factor.INDEPENDENCE, lambda p: dataclasses.replace(p, disclosures_published=True)),
    "one more profession": (Factor.INTERPROFESSIONAL, _one_more_profession),
    "IPCE credit": (Factor.INTERPROFESSIONAL, lambda p: dataclasses.replace(p, ipce_credit=True)),
    "jointly accredited": (Factor.INTERPROFESSIONAL, lambda p: dataclasses.replace(p, jointly_accredited=True)),
    "EHR integration": (Factor.CAREER, lambda p: dataclasses.replace(p, ehr_integration=True)),
}


@given(programs(), goals(), weights, st.sampled_from(sorted(POSITIVE_SIGNALS)))
def test_adding_a_positive_signal_never_lowers_its_factor_or_the_total(program, goal, weighting, signal):
    factor, improve = POSITIVE_SIGNALS[signal]
    better = improve(program)
    if better is None:
        return
    before = scoring.score_program(program, goal, weighting)
    after = scoring.score_program(better, goal, weighting)
    assert after.factor(factor).points >= before.factor(factor).points
    assert after.weighted_points >= before.weighted_points
    assert after.total >= before.total


@given(programs(), goals(), weights, st.data())
def test_one_more_covered_competency_never_lowers_career_or_total(program, goal, weighting, data):
    uncovered = sorted(goal.competencies - program.competencies)
    if not uncovered:
        return
    code = data.draw(st.sampled_from(uncovered))
    better = dataclasses.replace(program, competencies=program.competencies | {code})
    before = scoring.score_program(program, goal, weighting)
    after = scoring.score_program(better, goal, weighting)
    assert after.factor(Factor.CAREER).points > before.factor(Factor.CAREER).points
    assert after.weighted_points >= before.weighted_points


@given(programs(), goals(), weights)
def test_adding_undisclosed_commercial_support_never_raises(program, goal, weighting):
    worse = dataclasses.replace(program, commercial_support="undisclosed")
    before = scoring.score_program(program, goal, weighting)
    after = scoring.score_program(worse, goal, weighting)
    assert after.factor(Factor.INDEPENDENCE).points <= before.factor(Factor.INDEPENDENCE).points
    assert after.weighted_points <= before.weighted_points


# --- Weights matter exactly as said ----------------------------------------------

FACTOR_FIELDS = {
    Factor.OUTCOME: (
        "outcome_level_measured",
        "designed_to_change",
        "publishes_outcomes",
        "has_verified_outcome_evidence",
        "requires_practice_project",
        "description",
    ),
    Factor.INDEPENDENCE: (
        "accreditor",
        "accreditation_status",
        "commercial_support",
        "commercial_supporters",
        "disclosures_published",
        "ancillary_marketing",
    ),
    Factor.INTERPROFESSIONAL: ("professions", "planning_professions", "ipce_credit", "jointly_accredited"),
    Factor.CAREER: ("competencies", "career_tracks", "ehr_integration"),
}


@given(catalogs(min_size=2), goals(), weights, st.sampled_from(list(Factor)), st.data())
def test_a_factor_with_weight_zero_cannot_change_the_order(catalog, goal, weighting, factor, data):
    weighting = (
        dataclasses.replace(weighting, **{factor.value: 0}) if weighting.total > weighting.as_dict()[factor] else None
    )
    if weighting is None:
        return
    before = _order(catalog, goal, weighting)
    changed = []
    for program in catalog:
        other = data.draw(programs())
        changed.append(dataclasses.replace(program, **{name: getattr(other, name) for name in FACTOR_FIELDS[factor]}))
    assert _order(changed, goal, weighting) == before


@given(catalogs(min_size=2), goals(), st.sampled_from(list(Factor)), st.integers(1, scoring.MAX_WEIGHT))
def test_all_weight_on_one_factor_orders_by_that_factor(catalog, goal, factor, weight):
    values = {item.value: 0 for item in Factor} | {factor.value: weight}
    weighting = scoring.Weights(**values)
    ranked = scoring.rank_programs(catalog, goal, weighting)
    points = [scored.factor(factor).points for scored, _ in ranked]
    assert points == sorted(points, reverse=True)


# --- The article's table ------------------------------------------------------------

HIGH_TRAITS = {
    "outcome_level_measured": "6",
    "designed_to_change": frozenset({"performance", "patient_outcomes"}),
    "publishes_outcomes": True,
    "has_verified_outcome_evidence": True,
    "requires_practice_project": True,
    "accreditor": "accme",
    "accreditation_status": "commendation",
    "commercial_support": "none",
    "commercial_supporters": (),
    "disclosures_published": True,
    "ancillary_marketing": False,
    "professions": frozenset({"physician", "nurse", "pharmacist", "physician_assistant"}),
    "planning_professions": frozenset({"physician", "nurse", "pharmacist"}),
    "ipce_credit": True,
    "jointly_accredited": True,
    "competencies": frozenset(COMPETENCIES),
    "career_tracks": frozenset(scoring.PROGRAM_TRACK_LABELS),
    "ehr_integration": True,
}
LOW_TRAITS = {
    "outcome_level_measured": "1",
    "designed_to_change": frozenset(),
    "publishes_outcomes": False,
    "has_verified_outcome_evidence": False,
    "requires_practice_project": False,
    "accreditor": "none",
    "accreditation_status": None,
    "commercial_support": "undisclosed",
    "commercial_supporters": (),
    "disclosures_published": False,
    "ancillary_marketing": True,
    "professions": frozenset({"physician"}),
    "planning_professions": frozenset(),
    "ipce_credit": False,
    "jointly_accredited": False,
    "competencies": frozenset(),
    "career_tracks": frozenset(),
    "ehr_integration": False,
}


@given(programs(program_id=1), programs(program_id=2), goals(), weights)
def test_every_higher_value_trait_beats_every_lower_value_trait_for_any_weighting(high, low, goal, weighting):
    high = dataclasses.replace(high, description="", credits={}, **HIGH_TRAITS)
    low = dataclasses.replace(low, description="", credits={}, **LOW_TRAITS)
    ranked = _order([low, high], goal, weighting)
    assert ranked == [1, 2]
    assert scoring.score_program(high, goal, weighting).total > scoring.score_program(low, goal, weighting).total


# --- Explanations ------------------------------------------------------------------


# What the listing states (level measured, intent, accreditation): its reasons name who vouches for it.
_LISTING_CLAIM = re.compile(
    r"measures |designed to change |accredited by |provider holds accreditation|provider is jointly"
)


def _claim_holds(reason: str, program: scoring.ProgramSignals, goal: scoring.GoalCriteria) -> bool:
    """Each evidence sentence the module can write, with the record signal it claims."""
    if _LISTING_CLAIM.match(reason):
        verified_on = program.listing_verified_on
        source = ", " + scoring.listing_claim_source(verified_on)
        assert reason.endswith(source), reason
        reason = reason.removesuffix(source)
    level = program.outcome_level_measured
    if match := re.fullmatch(r"measures (.+) \(Moore level (\w+): .+\)", reason):
        return level == match[2] and scoring.MOORE_LEVEL_NAMES[level] == match[1]
    if reason.startswith("designed to change "):
        return bool(program.designed_to_change)
    if reason == "published outcomes of past cohorts, verified by the CME office":
        return program.has_verified_outcome_evidence
    if reason == "provider says it publishes outcome data (not verified)":
        return program.publishes_outcomes is True
    if reason == "each participant runs a practice-improvement project":
        return program.requires_practice_project is True
    if reason == "description speaks of practice change (unverified hint)":
        return scoring.describes_practice_change(program.description)
    if reason == "accredited by a body outside the recognized accreditors":
        return program.accreditor == "other"
    if match := re.fullmatch(r"accredited by (.+)", reason):
        return scoring.RECOGNIZED_ACCREDITORS.get(program.accreditor or "") == match[1]
    if reason == "provider holds accreditation with commendation":
        return program.accreditation_status == "commendation"
    if reason == "no commercial support":
        return program.commercial_support == "none"
    if match := re.fullmatch(r"commercial support disclosed(?:: (.+))?", reason):
        named = match[1].split(", ") if match[1] else []
        return program.commercial_support == "disclosed" and list(program.commercial_supporters) == named
    if reason == "planner and faculty financial relationships disclosed":
        return program.disclosures_published is True
    if reason == "no marketing alongside the education":
        return program.ancillary_marketing is False
    if reason.startswith("marketing alongside the education"):
        return program.ancillary_marketing is True
    if match := re.fullmatch(r"designed for (\d+) professions", reason):
        return len(program.professions) == int(match[1]) >= 2
    if match := re.fullmatch(r"planned by an interprofessional team \((\d+) professions\)", reason):
        return len(program.planning_professions) == int(match[1]) >= 2
    if reason == "offers IPCE credit":
        return program.ipce_credit is True or "ipce" in program.credits
    if reason == "provider is jointly accredited (JA-IPCE)":
        return program.jointly_accredited is True
    if match := re.fullmatch(r"credit for (\d+) professions", reason):
        return len(scoring.credit_professions(program.credits)) == int(match[1])
    if match := re.fullmatch(r"covers (\d+) of your (\d+) competencies: (.+)", reason):
        covered = sorted(goal.competencies & program.competencies)
        names = ", ".join(scoring.COMPETENCY_LABELS[code] for code in covered)
        return int(match[1]) == len(covered) and int(match[2]) == len(goal.competencies) and match[3] == names
    if match := re.fullmatch(r"built for (.+)", reason):
        track = scoring.GOAL_TRACK_TO_PROGRAM_TRACK.get(goal.track)
        return track in program.career_tracks and scoring.PROGRAM_TRACK_LABELS[track] == match[1]
    if reason == "integrates practice change (EHR order sets, workflow)":
        return program.ehr_integration is True
    raise AssertionError(f"Unknown claim: {reason!r}")


def _absence_holds(reason: str, program: scoring.ProgramSignals, goal: scoring.GoalCriteria) -> bool:
    """Each "what is missing" sentence the module can write: the record must indeed lack what it names."""
    level_points = scoring.MEASURED_LEVEL_POINTS.get(program.outcome_level_measured or "", 0)
    recognized = program.accreditor in scoring.RECOGNIZED_ACCREDITORS
    if match := re.fullmatch(r"measures (.+) \(Moore level (\w+)(?:; (.+))?\)", reason):
        rung = match[2]
        if match[3] == "no measured level stated":
            assert level_points == 0
        elif match[3]:
            assert match[3] == f"now level {program.outcome_level_measured}"
        return scoring.MOORE_LEVEL_NAMES[rung] == match[1] and level_points < scoring.MEASURED_LEVEL_POINTS[rung]
    if reason == "designed to change patient outcomes":
        return "patient_outcomes" not in program.designed_to_change
    if reason == "its published outcomes verified by the CME office":
        return program.publishes_outcomes is True and not program.has_verified_outcome_evidence
    if reason.startswith("published outcome data of past cohorts, verified by the CME office"):
        return not program.publishes_outcomes and not program.has_verified_outcome_evidence
    if reason == "each participant runs a practice-improvement project":
        return not program.requires_practice_project
    if reason == "the description speaks of practice change (an unverified hint)":
        return not scoring.describes_practice_change(program.description)
    if match := re.fullmatch(
        r"accredited by a recognized accreditor \(.+?(?:; (none now|not known))?\)( instead)?", reason
    ):
        if match[2]:
            return program.accreditor == "other"
        return (program.accreditor == "none") if match[1] == "none now" else program.accreditor in (None, "")
    if reason == "provider holds recognized accreditation with commendation":
        return not (recognized and program.accreditation_status == "commendation")
    if reason == "no commercial support":
        return program.commercial_support == "disclosed" and bool(program.commercial_supporters)
    if reason.startswith("no commercial support (supporters not named"):
        return program.commercial_support == "disclosed" and not program.commercial_supporters
    if reason.startswith("no commercial support (support not disclosed"):
        return program.commercial_support == "undisclosed"
    if reason.startswith("no commercial support (support not known"):
        return program.commercial_support not in ("none", "disclosed", "undisclosed")
    if reason == "planner and faculty financial relationships disclosed":
        return not program.disclosures_published
    if reason == "no marketing alongside the education (not stated)":
        return program.ancillary_marketing is None
    if reason.startswith("no marketing alongside the education"):
        return program.ancillary_marketing is True
    if match := re.fullmatch(r"designed for 5 or more professions \((.+); 2 earn 18\)", reason):
        count = len(program.professions)
        expected = (
            f"now {count}"
            if count >= 2
            else "now a single profession"
            if count == 1
            else "target professions not stated"
        )
        return count < 5 and match[1] == expected
    if reason == "planned by an interprofessional team (2 or more professions)":
        return len(program.planning_professions) < 2
    if reason == "offers IPCE credit":
        return not program.ipce_credit and "ipce" not in program.credits
    if reason == "provider is jointly accredited (JA-IPCE)":
        return not program.jointly_accredited
    if reason.startswith("credit for 2 or more professions"):
        return len(scoring.credit_professions(program.credits)) < 2
    if match := re.fullmatch(r"covers ([a-z ]+?)( \(essential\))?", reason):
        labels = {scoring.COMPETENCY_LABELS[code]: code for code in goal.competencies}
        code = labels[match[1]]
        return code not in program.competencies and bool(match[2]) is (code in goal.essential_competencies)
    if match := re.fullmatch(r"built for (.+) \(your career track\)", reason):
        track = scoring.GOAL_TRACK_TO_PROGRAM_TRACK[goal.track]
        return scoring.PROGRAM_TRACK_LABELS[track] == match[1] and track not in program.career_tracks
    if reason == "integrates practice change (EHR order sets, workflow)":
        return not program.ehr_integration and goal.track in scoring.IMPROVEMENT_GOAL_TRACKS
    raise AssertionError(f"Unknown missing item: {reason!r}")


@given(programs(), goals(), weights)
def test_explanations_never_claim_a_signal_the_record_lacks(program, goal, weighting):
    scored = scoring.score_program(program, goal, weighting)
    for factor in scored.factors:
        for reason in factor.evidence:
            assert _claim_holds(reason, program, goal), reason
        for reason in factor.missing:
            assert _absence_holds(reason, program, goal), reason


@given(programs(), goals(), weights)
def test_verifying_the_listing_changes_the_wording_never_the_points(program, goal, weighting):
    stated = dataclasses.replace(program, listing_verified_on=None)
    verified = dataclasses.replace(program, listing_verified_on=datetime.date(2026, 3, 2))
    as_stated, as_verified = (scoring.score_program(item, goal, weighting) for item in (stated, verified))
    assert [f.points for f in as_stated.factors] == [f.points for f in as_verified.factors]
    assert as_stated.weighted_points == as_verified.weighted_points
    assert scoring.static_scores(stated) == scoring.static_scores(verified)
    for before, after in zip(as_stated.factors, as_verified.factors, strict=True):
        for old, new in zip(before.reasons, after.reasons, strict=True):
            assert old.points == new.points
            if old.text != new.text:
                assert old.text.endswith(", stated by the provider"), old.text
                assert new.text.endswith(", verified by the CME office on Mar 2, 2026"), new.text


@given(programs(), goals(), weights)
def test_reasons_add_up_to_the_sub_score_and_missing_points_to_the_maximum(program, goal, weighting):
    """A reason for every point, and every point short of the maximum named with what would earn it."""
    scored = scoring.score_program(program, goal, weighting)
    for factor in scored.factors:
        assert sum(reason.points for reason in factor.reasons) == factor.points, factor
        assert factor.points + sum(item.points for item in factor.shortfalls) == scoring.FULL, factor
        assert all(item.points > 0 for item in factor.shortfalls), factor
        # "Missing: nothing" only at the maximum.
        assert (not factor.shortfalls) is (factor.points == scoring.FULL)
        # The one deduction (marketing) never takes the sub-score below 0: no hidden clamping.
        assert all(
            reason.points >= 0 or reason.text == "marketing alongside the education" for reason in factor.reasons
        )
        assert [reason.text for reason in factor.reasons] == list(factor.evidence)
        assert [item.text for item in factor.shortfalls] == list(factor.missing)
    assert scored.weighted_points == sum(weight * factor.points for factor, weight in scored.weighted_factors)


@given(programs(), goals(), weights)
def test_every_non_zero_sub_score_has_at_least_one_reason(program, goal, weighting):
    for factor in scoring.score_program(program, goal, weighting).factors:
        if factor.points > 0:
            assert factor.evidence


# --- Determinism ---------------------------------------------------------------------


@given(catalogs(), goals(), weights, st.randoms(use_true_random=False))
def test_same_inputs_same_order_whatever_the_input_order(catalog, goal, weighting, rng):
    expected = _order(catalog, goal, weighting)
    shuffled = list(catalog)
    rng.shuffle(shuffled)
    assert _order(shuffled, goal, weighting) == expected
    assert _order(list(reversed(catalog)), goal, weighting) == expected
    for program in catalog:
        assert scoring.score_program(program, goal, weighting) == scoring.score_program(program, goal, weighting)
