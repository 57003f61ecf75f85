"""The demo outcome seed: verified Colorado evidence and the demo clinician's projects."""

import pytest

from demo.catalog import seed_catalog
from demo.outcomes import colorado_program, seed_outcomes
from outcomes.models import OutcomeProject, ProgramOutcomeEvidence
from outcomes.presenters import project_report
from outcomes.selectors import project_result

pytestmark = pytest.mark.django_db


def test_demo_seed_is_idempotent_and_reports_the_colorado_figures(world):
    seed_catalog(actor=world.admin)
    program = colorado_program()
    plain_score = program.outcome_points
    assert seed_outcomes(clinician=world.owner, curator=world.admin) == {"evidence": 2, "projects": 2}
    assert seed_outcomes(clinician=world.owner, curator=world.admin) == {"evidence": 0, "projects": 0}
    program.refresh_from_db()
    assert program.outcome_points > plain_score
    evidence = ProgramOutcomeEvidence.objects.filter(program=program, verified=True)
    assert {(e.baseline, e.follow_up) for e in evidence} == {("43.4%", "62.4%"), ("7.3 days", "6.0 days")}
    uti = OutcomeProject.objects.get(owner=world.owner, status="reported")
    assert list(uti.linked_programs.all()) == [program]
    assert uti.measurements.count() == 18
    total = uti.baseline_denominator + sum(m.denominator for m in uti.measurements.all())
    assert total == 2142
    report = project_report(project_result(uti))
    assert report.before == "43.4%" and report.after == "62.4%"
    assert report.interval == "+8.0 to +29.1 percentage points"
    assert any(s.startswith("Shift") for s in report.signals)
    assert OutcomeProject.objects.filter(owner=world.owner, status="measuring").count() == 1
