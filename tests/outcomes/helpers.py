"""Builders for outcome tests."""

from __future__ import annotations

import datetime
from typing import Any

from outcomes.models import Measurement, OutcomeProject, Presentation

BASE = datetime.date(2024, 1, 1)


def make_project(owner: Any, **fields: Any) -> OutcomeProject:
    values: dict[str, Any] = {
        "title": "First-line antibiotics",
        "gap_statement": "Fewer than half get the first-line antibiotic.",
        "measure_name": "First-line antibiotic use",
        "measure_kind": "proportion",
        "higher_is_better": True,
        "moore_level": "5",
        "baseline_start": BASE,
        "baseline_end": datetime.date(2024, 12, 31),
        "baseline_numerator": 219,
        "baseline_denominator": 505,
        "target_value": 60,
        "co_interventions": ["Guideline", "EHR order set"],
        "status": "measuring",
    }
    values.update(fields)
    return OutcomeProject.objects.create(owner=owner, **values)


def add_months(project: OutcomeProject, figures: list[tuple[int, int]], *, year: int = 2025) -> list[Measurement]:
    rows = []
    for index, (num, den) in enumerate(figures):
        start = datetime.date(year + index // 12, index % 12 + 1, 1)
        end = datetime.date(year + (index + 1) // 12, (index + 1) % 12 + 1, 1) - datetime.timedelta(days=1)
        rows.append(Measurement(project=project, period_start=start, period_end=end, numerator=num, denominator=den))
    return Measurement.objects.bulk_create(rows)


def add_presentation(project: OutcomeProject, title: str = "Department results") -> Presentation:
    return Presentation.objects.create(
        project=project, venue_kind="department", title=title, presented_on=datetime.date(2026, 1, 5)
    )


def project_form_data() -> dict[str, str]:
    """A valid body for the new-project form (no linked claims or programs)."""
    return {
        "title": "Antibiotic choice",
        "gap_statement": "Fewer than half get the first-line antibiotic.",
        "measure_name": "First-line antibiotic use",
        "measure_kind": "proportion",
        "higher_is_better": "on",
        "moore_level": "5",
        "baseline_start": "2024-01-01",
        "baseline_end": "2024-12-31",
        "baseline_numerator": "219",
        "baseline_denominator": "505",
        "status": "measuring",
    }
