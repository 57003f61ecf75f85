"""Fit checks and the badge, as hypothesis properties: constraints apart from notes, never a claim beyond the checks."""

from __future__ import annotations

import datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from programs.ranking import fit
from programs.ranking.fit import FitSeverity, FitStatus, FitVerdict
from tests.programs.scoring_strategies import CREDIT_TYPES, PROFESSIONS, TODAY, goals, programs, weights

days = st.integers(-30, 800).map(lambda n: TODAY + datetime.timedelta(days=n))


@st.composite
def clinicians(draw) -> fit.ClinicianContext:
    licences = tuple(
        fit.LicenceNeed(
            licence_id=index + 1,
            name=f"State {index}",
            renewal_date=draw(days),
            accepted_credit_types=frozenset(draw(st.sets(st.sampled_from(CREDIT_TYPES), max_size=2))),
            hours_short=Decimal(draw(st.sampled_from([0, 5, 20]))),
            missing_topics=draw(st.sampled_from([{}, {"opioids": Decimal(3)}])),
        )
        for index in range(draw(st.integers(0, 2)))
    )
    return fit.ClinicianContext(
        today=TODAY,
        profession=draw(st.one_of(st.none(), st.sampled_from(PROFESSIONS))),
        remaining_budget=draw(st.one_of(st.none(), st.sampled_from([0, 100, 1200, 6000]).map(Decimal))),
        remaining_leave_days=draw(st.one_of(st.none(), st.sampled_from([0, 1, 5]).map(Decimal))),
        horizon=draw(st.one_of(st.none(), days)),
        next_review=draw(st.one_of(st.none(), days)),
        licences=licences,
    )


@given(programs(), clinicians())
def test_constraints_fit_fail_or_are_unknown_and_notes_never_fail(program, clinician):
    for check in fit.fit_checks(program, clinician):
        if check.severity is FitSeverity.CONSTRAINT:
            assert check.status in (FitStatus.FITS, FitStatus.DOES_NOT_FIT, FitStatus.UNKNOWN), check
        else:
            assert check.status in (FitStatus.FITS, FitStatus.CAUTION, FitStatus.UNKNOWN), check
        # Whatever could not be checked says why, in a few words.
        assert bool(check.not_checked) is (check.status is FitStatus.UNKNOWN), check


@given(programs(), clinicians())
def test_timing_never_decides_whether_a_program_can_be_taken(program, clinician):
    without_dates = fit.ClinicianContext(
        today=clinician.today,
        profession=clinician.profession,
        remaining_budget=clinician.remaining_budget,
        remaining_leave_days=clinician.remaining_leave_days,
        licences=tuple(
            fit.LicenceNeed(
                licence_id=licence.licence_id,
                name=licence.name,
                renewal_date=clinician.today.replace(year=clinician.today.year + 10),
                accepted_credit_types=licence.accepted_credit_types,
                hours_short=licence.hours_short,
            )
            for licence in clinician.licences
        ),
    )
    assert fit.program_fits(fit.fit_checks(program, clinician)) == fit.program_fits(
        fit.fit_checks(program, without_dates)
    )


@given(programs(), clinicians())
def test_the_badge_claims_only_what_was_checked(program, clinician):
    checks = fit.fit_checks(program, clinician)
    summary = fit.fit_summary(checks)
    constraints = [check for check in checks if check.is_constraint]
    assert summary.takeable is fit.program_fits(checks)
    assert {*summary.met, *summary.failed, *summary.unknown} == set(constraints)
    if summary.verdict is FitVerdict.DOES_NOT_FIT:
        assert summary.headline.startswith("Does not fit: ") and summary.failed
    elif summary.verdict is FitVerdict.NOT_CHECKED:
        assert not summary.met and summary.headline.startswith("Could not check fit: ")
        assert "Fits" not in summary.text
    else:
        assert summary.headline == "Fits: " + ", ".join(dict.fromkeys(c.label.lower() for c in summary.met))
        assert (summary.verdict is FitVerdict.FITS) is (not summary.unknown)
    for check in summary.unknown:
        assert check.not_checked in summary.text


@given(st.lists(programs(), max_size=8, unique_by=lambda p: p.program_id), goals(), weights, clinicians())
def test_no_program_failing_a_constraint_ranks_above_a_takeable_one(catalog, goal, weighting, clinician):
    ranked = fit.rank_for_clinician(catalog, goal, weighting, clinician)
    takeable = [fit.program_fits(fit.fit_checks(program, clinician)) for _, program in ranked]
    assert takeable == sorted(takeable, reverse=True)
    # Within each group, the score order is the scoring module's.
    for group in (True, False):
        members = [scored for (scored, _), ok in zip(ranked, takeable, strict=True) if ok is group]
        assert [s.weighted_points for s in members] == sorted((s.weighted_points for s in members), reverse=True)
