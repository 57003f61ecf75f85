"""Example tests: the selection table, fit checks with their numbers, weights validation."""

from __future__ import annotations

import dataclasses
import datetime
import itertools
from decimal import Decimal

import pytest

from programs.ranking import fit, scoring
from programs.ranking.fit import FitKind, FitSeverity, FitStatus, FitVerdict
from tests.programs.test_scoring_properties import HIGH_TRAITS, LOW_TRAITS

TODAY = datetime.date(2026, 6, 1)
GOAL = scoring.GoalCriteria(
    track="executive_leadership",
    competencies=frozenset({"healthcare_finance", "strategic_planning", "organizational_management"}),
    essential_competencies=frozenset({"healthcare_finance"}),
)


def _program(**changes) -> scoring.ProgramSignals:
    base = scoring.ProgramSignals(
        program_id=1,
        title="Program",
        credits={"ama_pra_1": Decimal("20")},
        fee_amount=Decimal("500"),
        leave_days=Decimal("1"),
        start_date=TODAY + datetime.timedelta(days=30),
        end_date=TODAY + datetime.timedelta(days=32),
        professions=frozenset({"physician"}),
    )
    return dataclasses.replace(base, **changes)


CALIFORNIA = fit.LicenceNeed(
    licence_id=1,
    name="California",
    renewal_date=datetime.date(2027, 1, 31),
    accepted_credit_types=frozenset({"ama_pra_1"}),
    hours_short=Decimal("30"),
    missing_topics={"opioids": Decimal("3")},
)
CLINICIAN = fit.ClinicianContext(
    today=TODAY,
    profession="physician",
    remaining_budget=Decimal("2000"),
    remaining_leave_days=Decimal("3"),
    horizon=datetime.date(2027, 6, 30),
    next_review=datetime.date(2027, 3, 1),
    licences=(CALIFORNIA,),
)


def _check(program, clinician=CLINICIAN, kind=None):
    checks = fit.fit_checks(program, clinician)
    return next(check for check in checks if check.kind is kind)


# --- The selection table ------------------------------------------------------------------


def test_higher_value_program_beats_lower_value_program_for_every_non_zero_weighting():
    high = _program(program_id=1, title="High", **HIGH_TRAITS)
    low = _program(program_id=2, title="Low", **LOW_TRAITS)
    for values in itertools.product(range(scoring.MAX_WEIGHT + 1), repeat=4):
        if not any(values):
            continue
        weights = scoring.Weights(*values)
        assert [s.program_id for s, _ in scoring.rank_programs([low, high], GOAL, weights)] == [1, 2], values


def test_selection_table_reasons_read_as_the_article_says():
    high = scoring.score_program(_program(**HIGH_TRAITS), GOAL, scoring.Weights())
    outcome = high.factor(scoring.Factor.OUTCOME).evidence
    assert "measures patient health (Moore level 6: a practice outcome), stated by the provider" in outcome
    independence = high.factor(scoring.Factor.INDEPENDENCE).evidence
    assert "accredited by ACCME, stated by the provider" in independence and "no commercial support" in independence
    assert "designed for 4 professions" in high.factor(scoring.Factor.INTERPROFESSIONAL).evidence
    assert (
        "covers 3 of your 3 competencies: finance, organizational management, strategy"
        in high.factor(scoring.Factor.CAREER).evidence
    )
    low = scoring.score_program(_program(**LOW_TRAITS), GOAL, scoring.Weights())
    outcome_missing = {item.text: item.points for item in low.factor(scoring.Factor.OUTCOME).shortfalls}
    assert (
        outcome_missing[
            "published outcome data of past cohorts, verified by the CME office (15 if published but not verified)"
        ]
        == 250
    )
    independence_missing = {item.text: item.points for item in low.factor(scoring.Factor.INDEPENDENCE).shortfalls}
    assert (
        independence_missing[
            "no commercial support (support not disclosed; disclosing it with named supporters would earn 20 of these)"
        ]
        == 350
    )
    assert low.factor(scoring.Factor.CAREER).points == 0
    assert high.total > 90 > 10 > low.total


def _lines(factor: scoring.FactorScore) -> tuple[list[str], list[str]]:
    return [f"{r.shown}: {r.text}" for r in factor.reasons], [f"{m.shown}: {m.text}" for m in factor.shortfalls]


def test_partial_credit_below_the_maximum_is_named_with_its_points():
    """The demo's "What is missing: Nothing" at 73 (outcome) and 95 (independence), now itemised."""
    program = _program(
        outcome_level_measured="5",
        designed_to_change=frozenset({"competence", "performance"}),
        publishes_outcomes=True,
        requires_practice_project=True,
        accreditor="joint_accreditation",
        commercial_support="none",
        disclosures_published=True,
        ancillary_marketing=False,
    )
    outcome = scoring.outcome_factor(program)
    assert outcome.shown == "73"
    assert _lines(outcome) == (
        [
            "+40: measures performance (Moore level 5: a practice outcome), stated by the provider",
            "+6: designed to change competence, performance (intent, not measured), stated by the provider",
            "+15: provider says it publishes outcome data (not verified)",
            "+12: each participant runs a practice-improvement project",
        ],
        [
            "+5: measures patient health (Moore level 6; now level 5)",
            "+5: measures community health (Moore level 7)",
            "+2: designed to change patient outcomes",
            "+10: its published outcomes verified by the CME office",
            "+5: the description speaks of practice change (an unverified hint)",
        ],
    )
    independence = scoring.independence_factor(program)
    assert independence.shown == "95"
    assert _lines(independence)[1] == ["+5: provider holds recognized accreditation with commendation"]


def test_interprofessional_partial_credit_names_each_missing_part():
    factor = scoring.interprofessional_factor(
        _program(professions=frozenset({"physician", "nurse", "pharmacist"}), credits={"ama_pra_1": Decimal(5)})
    )
    assert factor.shown == "26"
    assert _lines(factor) == (
        ["+26: designed for 3 professions"],
        [
            "+9: designed for 5 or more professions (now 3; 2 earn 18)",
            "+20: planned by an interprofessional team (2 or more professions)",
            "+20: offers IPCE credit",
            "+15: provider is jointly accredited (JA-IPCE)",
            "+10: credit for 2 or more professions (e.g. AMA PRA and ANCC)",
        ],
    )


def test_career_names_each_uncovered_competency_with_its_share():
    goal = scoring.GoalCriteria(
        track="quality_improvement",
        competencies=frozenset({"quality_improvement", "patient_safety", "data_and_informatics"}),
        essential_competencies=frozenset({"quality_improvement"}),
    )
    factor = scoring.career_factor(_program(competencies=frozenset({"patient_safety"})), goal)
    assert factor.points == 150
    assert _lines(factor) == (
        ["+15: covers 1 of your 3 competencies: patient safety"],
        [
            "+15: covers data and informatics",
            "+30: covers quality improvement (essential)",
            "+30: built for quality-improvement leadership (your career track)",
            "+10: integrates practice change (EHR order sets, workflow)",
        ],
    )


def test_uneven_competency_shares_keep_their_decimal_so_they_add_up():
    goal = scoring.GoalCriteria(track="research", competencies=frozenset(scoring.COMPETENCY_LABELS) - {"teaching"})
    factor = scoring.career_factor(_program(competencies=frozenset({"communication"})), goal)
    assert [r.shown for r in factor.reasons] == ["+6.7"]
    assert factor.shown == "6.7"
    assert sum(m.points for m in factor.shortfalls) == scoring.FULL - 67


def test_marketing_deducts_at_most_what_was_earned_and_says_so():
    nothing_else = scoring.independence_factor(_program(accreditor="none", ancillary_marketing=True))
    assert nothing_else.points == 0
    assert _lines(nothing_else)[0] == ["0: marketing alongside the education (nothing earned for it to deduct from)"]
    assert _lines(nothing_else)[1][-1] == "+5: no marketing alongside the education"
    accredited = scoring.independence_factor(_program(accreditor="accme", ancillary_marketing=True))
    assert accredited.points == 300
    assert _lines(accredited)[0] == [
        "+40: accredited by ACCME, stated by the provider",
        "\N{MINUS SIGN}10: marketing alongside the education",
    ]
    assert "+15: no marketing alongside the education (ends the 10-point deduction)" in _lines(accredited)[1]


def test_all_zero_or_out_of_range_weights_are_invalid_and_say_so():
    with pytest.raises(ValueError, match="At least one factor"):
        scoring.Weights(0, 0, 0, 0)
    with pytest.raises(ValueError, match="between 0 and 5"):
        scoring.Weights(6, 1, 1, 1)


def test_career_does_not_break_ties_when_its_weight_is_zero():
    weights = scoring.Weights(outcome=1, independence=0, interprofessional=0, career=0)
    aligned = _program(program_id=2, title="B", career_tracks=frozenset({"executive_leadership"}))
    plain = _program(program_id=1, title="A")
    order = [s.program_id for s, _ in scoring.rank_programs([aligned, plain], GOAL, weights)]
    assert order == [1, 2]  # equal totals: fee, start, then title decides, not career
    with_career = scoring.Weights(outcome=1, independence=0, interprofessional=0, career=1)
    assert [s.program_id for s, _ in scoring.rank_programs([plain, aligned], GOAL, with_career)] == [2, 1]


# --- Fit checks ---------------------------------------------------------------------------


def test_budget_check_gives_the_amount_over_what_is_left():
    check = _check(_program(fee_amount=Decimal("3200")), kind=FitKind.BUDGET)
    assert (check.status, check.message) == (FitStatus.DOES_NOT_FIT, "$1,200 more than the $2,000 you have left")
    fits = _check(_program(fee_amount=Decimal("500")), kind=FitKind.BUDGET)
    assert (fits.status, fits.message) == (FitStatus.FITS, "$500 of the $2,000 you have left")
    assert _check(_program(fee_amount=None), kind=FitKind.BUDGET).status is FitStatus.UNKNOWN
    assert _check(_program(fee_amount=Decimal("900"), fee_currency="EUR"), kind=FitKind.BUDGET).status is (
        FitStatus.UNKNOWN
    )


def test_credit_check_counts_accepted_credit_toward_the_licence():
    check = _check(_program(credits={"ama_pra_1": Decimal("20"), "ancc": Decimal("20")}), kind=FitKind.CREDIT)
    assert (check.status, check.message) == (
        FitStatus.FITS,
        "counts 20 AMA PRA Category 1 toward your California licence",
    )
    nursing = _check(_program(credits={"ancc": Decimal("5")}), kind=FitKind.CREDIT)
    assert nursing.status is FitStatus.DOES_NOT_FIT
    assert "none of your licences accept" in nursing.message
    no_licence = dataclasses.replace(CLINICIAN, licences=())
    assert _check(_program(), no_licence, FitKind.CREDIT).status is FitStatus.UNKNOWN


def test_ending_after_the_horizon_or_review_is_a_dated_note_not_a_failure():
    late = _program(start_date=datetime.date(2027, 5, 1), end_date=datetime.date(2027, 7, 1))
    horizon = _check(late, kind=FitKind.HORIZON)
    assert (horizon.severity, horizon.status, horizon.message) == (
        FitSeverity.NOTE,
        FitStatus.CAUTION,
        "ends Jul 1, 2027, after your goal horizon on Jun 30, 2027",
    )
    review = _check(late, kind=FitKind.REVIEW)
    assert (review.status, review.message) == (
        FitStatus.CAUTION,
        "ends Jul 1, 2027, after your next performance review on Mar 1, 2027",
    )
    assert fit.program_fits(fit.fit_checks(late, CLINICIAN))
    assert fit.fit_summary(fit.fit_checks(late, CLINICIAN)).cautions[:2] == (horizon, review)
    early = _check(_program(), kind=FitKind.REVIEW)
    assert (early.status, early.message) == (
        FitStatus.FITS,
        "ends Jul 3, 2026, before your next performance review on Mar 1, 2027",
    )
    on_demand = _program(start_date=None, end_date=None)
    assert _check(on_demand, kind=FitKind.HORIZON).status is FitStatus.FITS
    assert _check(on_demand, kind=FitKind.OPEN).message == "on demand"
    ended = _program(start_date=datetime.date(2026, 1, 1), end_date=datetime.date(2026, 1, 2))
    assert _check(ended, kind=FitKind.OPEN).message == "ended Jan 2, 2026"


def test_mandated_topic_and_renewal_notes_do_not_exclude():
    program = _program(topics=frozenset({"opioids"}), end_date=datetime.date(2027, 2, 10), start_date=TODAY)
    checks = fit.fit_checks(program, CLINICIAN)
    topic = next(check for check in checks if check.kind is FitKind.MANDATED_TOPIC)
    assert topic.message == "covers opioids: 3 h still missing for California"
    renewal = next(check for check in checks if check.kind is FitKind.RENEWAL)
    assert (renewal.severity, renewal.status, renewal.message) == (
        FitSeverity.NOTE,
        FitStatus.CAUTION,
        "ends Feb 10, 2027, after your California renewal on Jan 31, 2027: its credit counts toward the next cycle",
    )
    assert fit.program_fits(checks)


def test_leave_and_profession_checks():
    assert _check(_program(leave_days=Decimal("5")), kind=FitKind.LEAVE).message == (
        "needs 2 days more than the 3 days of leave you have left"
    )
    nurses = _check(_program(professions=frozenset({"nurse"})), kind=FitKind.PROFESSION)
    assert nurses.status is FitStatus.DOES_NOT_FIT and "nurses" in nurses.message
    assert _check(_program(professions=frozenset()), kind=FitKind.PROFESSION).status is FitStatus.FITS


def test_unknown_never_excludes_and_any_deciding_misfit_does():
    unknown = fit.ClinicianContext(today=TODAY)
    assert all(check.status is not FitStatus.DOES_NOT_FIT for check in fit.fit_checks(_program(), unknown))
    assert fit.program_fits(fit.fit_checks(_program(fee_amount=None, leave_days=None), CLINICIAN))
    assert not fit.program_fits(fit.fit_checks(_program(fee_amount=Decimal("9999")), CLINICIAN))


def test_past_horizon_is_reported_not_used_to_exclude():
    stale = dataclasses.replace(CLINICIAN, horizon=datetime.date(2026, 1, 1))
    check = _check(_program(), stale, FitKind.HORIZON)
    assert check.status is FitStatus.UNKNOWN and "has passed" in check.message


# --- The fit badge ------------------------------------------------------------------------


def _summary(program, clinician=CLINICIAN) -> fit.FitSummary:
    return fit.fit_summary(fit.fit_checks(program, clinician))


def test_badge_names_every_constraint_checked_when_all_fit():
    summary = _summary(_program())
    assert summary.verdict is FitVerdict.FITS
    assert summary.text == "Fits: profession, credit type, budget, leave, dates"


def test_badge_names_what_could_not_be_checked_beside_what_fits():
    no_licence = dataclasses.replace(CLINICIAN, licences=())
    summary = _summary(_program(fee_amount=None), no_licence)
    assert summary.verdict is FitVerdict.FITS_CHECKED
    assert summary.headline == "Fits: profession, leave, dates"
    assert summary.not_checked_text == "Not checked: no licence entered, fee not stated"


def test_badge_never_says_fits_when_nothing_could_be_checked():
    # No profile, no licence, no fee or leave stated, and a program with no dates: nothing to check.
    summary = _summary(
        _program(fee_amount=None, leave_days=None, professions=frozenset({"nurse"})),
        fit.ClinicianContext(today=TODAY),
    )
    assert summary.verdict is FitVerdict.FITS_CHECKED  # the dates can always be checked
    assert summary.text == (
        "Fits: dates; Not checked: no profession entered, no licence entered, fee not stated, leave days not stated"
    )
    nothing = fit.fit_summary(
        check
        for check in fit.fit_checks(_program(fee_amount=None), fit.ClinicianContext(today=TODAY))
        if check.kind is not FitKind.OPEN
    )
    assert nothing.verdict is FitVerdict.NOT_CHECKED
    assert nothing.text == (
        "Could not check fit: no profession entered, no licence entered, fee not stated, no leave entered"
    )
    assert "Fits" not in nothing.text


def test_badge_leads_with_what_fails_and_keeps_timing_as_notes():
    late = _program(fee_amount=Decimal("9000"), fee_currency="USD", end_date=datetime.date(2027, 8, 1))
    summary = _summary(late)
    assert summary.verdict is FitVerdict.DOES_NOT_FIT and not summary.takeable
    assert summary.headline == "Does not fit: budget"
    assert [check.kind for check in summary.cautions] == [FitKind.HORIZON, FitKind.REVIEW, FitKind.RENEWAL]
    foreign = _summary(_program(fee_currency="EUR", professions=frozenset({"nurse"})))
    assert foreign.text == "Does not fit: profession; Not checked: fee in EUR"


def test_ended_program_fails_the_dates_constraint():
    ended = _program(start_date=datetime.date(2026, 1, 1), end_date=datetime.date(2026, 1, 2))
    summary = _summary(ended)
    assert summary.headline == "Does not fit: dates"
    assert not fit.program_fits(fit.fit_checks(ended, CLINICIAN))


def test_takeable_first_ranks_a_lower_score_that_fits_above_a_higher_one_that_does_not():
    strong = dataclasses.replace(
        _program(program_id=1, title="Strong", **HIGH_TRAITS), professions=frozenset({"nurse"})
    )
    weak = _program(program_id=2, title="Weak")
    weights = scoring.Weights()
    assert [s.program_id for s, _ in scoring.rank_programs([weak, strong], GOAL, weights)] == [1, 2]
    ranked = fit.rank_for_clinician([strong, weak], GOAL, weights, CLINICIAN)
    assert [s.program_id for s, _ in ranked] == [2, 1]
    unknown = fit.ClinicianContext(today=TODAY)  # nothing entered: nothing fails, score decides
    assert [s.program_id for s, _ in fit.rank_for_clinician([weak, strong], GOAL, weights, unknown)] == [1, 2]
