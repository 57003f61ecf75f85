"""The rules a project's baseline and its measurements obey, each with the message that says what to fix.

One home: the forms show these messages next to the fields, and the services refuse
(raise ValidationError, write nothing) whatever breaks them, so no caller can bypass
them. Each function returns field name -> messages; empty means acceptable.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from programs.ranking.fit import format_date

from . import privacy
from .models import MeasureKind, Measurement, OutcomeProject

MESSAGES = {
    "numerator_required": "Enter the numerator (how many met the measure).",
    "denominator_required": "Enter the denominator (how many were eligible).",
    "denominator_positive": "The denominator must be greater than 0.",
    "numerator_too_large": "The numerator cannot be larger than the denominator.",
    "mean_required": "Enter the mean.",
    "value_required": "Enter the value.",
    "n_required": "Enter n (how many patients, episodes or cases the mean is over).",
    "n_min": "n must be at least 1.",
    "n_min_sd": "With a standard deviation, n must be at least 2.",
    "sd_negative": "The standard deviation cannot be negative.",
    "negative": "A {kind} cannot be negative.",
    "target_percent": "A target for a proportion is a percentage between 0 and 100.",
    "target_negative": "The target cannot be negative.",
    "baseline_order": "The baseline period must end on or after its start.",
    "period_order": "The period must end on or after its start.",
    "overlaps_baseline": "This period overlaps the baseline period ({start} to {end}).",
    "overlaps_measurement": "This period overlaps another measurement ({start} to {end}).",
    "baseline_overlaps_measurement": "The baseline period overlaps a measurement ({start} to {end}).",
    "kind_locked": "The measure kind cannot change once measurements are recorded.",
}

Errors = dict[str, list[str]]

PROJECT_PRIVACY_FIELDS = ("title", "gap_statement", "setting", "measure_name", "change_implemented", "co_interventions")
MEASUREMENT_PRIVACY_FIELDS = ("data_source",)
PRESENTATION_PRIVACY_FIELDS = ("title", "audience")


def _add(errors: Errors, name: str, message: str) -> None:
    errors.setdefault(name, []).append(message)


def overlaps(start: datetime.date, end: datetime.date, other_start: datetime.date, other_end: datetime.date) -> bool:
    """Whether two closed date ranges share at least one day."""
    return start <= other_end and other_start <= end


def value_errors(
    *,
    kind: str,
    numerator: int | None,
    denominator: int | None,
    value: float | None,
    n: int | None,
    sd: float | None,
) -> dict[str, str]:
    """Field name (numerator, denominator, value, n, sd) -> message for one period's figures."""
    errors: dict[str, str] = {}
    if kind == MeasureKind.PROPORTION:
        if numerator is None:
            errors["numerator"] = MESSAGES["numerator_required"]
        if denominator is None:
            errors["denominator"] = MESSAGES["denominator_required"]
        elif denominator <= 0:
            errors["denominator"] = MESSAGES["denominator_positive"]
        elif numerator is not None and numerator > denominator:
            errors["numerator"] = MESSAGES["numerator_too_large"]
        return errors
    if value is None:
        errors["value"] = MESSAGES["mean_required" if kind == MeasureKind.MEAN else "value_required"]
    elif kind != MeasureKind.MEAN and value < 0:
        errors["value"] = MESSAGES["negative"].format(kind=MeasureKind(kind).name.lower())
    if kind == MeasureKind.MEAN and n is None:
        errors["n"] = MESSAGES["n_required"]
    elif n is not None and n < 1:
        errors["n"] = MESSAGES["n_min"]
    if sd is not None:
        if sd < 0:
            errors["sd"] = MESSAGES["sd_negative"]
        elif n is not None and n < 2 and "n" not in errors:
            errors["n"] = MESSAGES["n_min_sd"]
    return errors


def _add_period(errors: Errors, name: str, key: str, start: datetime.date, end: datetime.date) -> None:
    """Add the message `key`, which names the period start..end it is about."""
    _add(errors, name, MESSAGES[key].format(start=format_date(start), end=format_date(end)))


def _add_first_overlap(
    errors: Errors, name: str, key: str, start: datetime.date, end: datetime.date, others: Iterable[Measurement]
) -> None:
    """Add the message `key` for the first of `others` whose period shares a day with start..end."""
    for other in others:
        if overlaps(start, end, other.period_start, other.period_end):
            _add_period(errors, name, key, other.period_start, other.period_end)
            return


def _add_figure_errors(errors: Errors, data: Mapping[str, Any], *, kind: str, prefix: str = "") -> None:
    """Add `value_errors` for the figures `data` holds under `prefix` ("baseline_" or none) to their fields."""
    figures = value_errors(
        kind=kind,
        numerator=data.get(f"{prefix}numerator"),
        denominator=data.get(f"{prefix}denominator"),
        value=data.get(f"{prefix}value"),
        n=data.get(f"{prefix}n"),
        sd=data.get(f"{prefix}sd"),
    )
    for name, message in figures.items():
        _add(errors, f"{prefix}{name}", message)


def measurement_errors(
    *, project: OutcomeProject, data: Mapping[str, Any], measurement_id: int | None = None
) -> Errors:
    """What is wrong with one measurement of `project` (period order and overlaps, then its figures).

    Reads `project.measurements.all()` (prefetched by the project selectors); the
    measurement being edited, `measurement_id`, does not overlap itself.
    """
    errors: Errors = {}
    start, end = data.get("period_start"), data.get("period_end")
    if start and end:
        if end < start:
            _add(errors, "period_end", MESSAGES["period_order"])
        elif overlaps(start, end, project.baseline_start, project.baseline_end):
            _add_period(errors, "period_start", "overlaps_baseline", project.baseline_start, project.baseline_end)
        else:
            others = (other for other in project.measurements.all() if other.pk != measurement_id)
            _add_first_overlap(errors, "period_start", "overlaps_measurement", start, end, others)
    _add_figure_errors(errors, data, kind=project.measure_kind)
    return errors


def project_errors(
    *, data: Mapping[str, Any], stored: OutcomeProject | None, measurements: Iterable[Measurement] = ()
) -> Errors:
    """What is wrong with a project's baseline, target and measure kind.

    `stored` is the project as saved (None when creating it) and `measurements` its
    recorded measurements: once there are any, the kind is locked and the baseline
    may not overlap them.
    """
    errors: Errors = {}
    kind = data.get("measure_kind")
    start, end = data.get("baseline_start"), data.get("baseline_end")
    if start and end and end < start:
        _add(errors, "baseline_end", MESSAGES["baseline_order"])
    if kind:
        _add_figure_errors(errors, data, kind=kind, prefix="baseline_")
        target = data.get("target_value")
        if target is not None:
            if kind == MeasureKind.PROPORTION and not 0 <= target <= 100:
                _add(errors, "target_value", MESSAGES["target_percent"])
            elif kind not in (MeasureKind.PROPORTION, MeasureKind.MEAN) and target < 0:
                _add(errors, "target_value", MESSAGES["target_negative"])
    if stored is not None:
        measurements = list(measurements)
        if measurements and kind and kind != stored.measure_kind:
            _add(errors, "measure_kind", MESSAGES["kind_locked"])
        if start and end and end >= start:
            _add_first_overlap(errors, "baseline_end", "baseline_overlaps_measurement", start, end, measurements)
    return errors


def privacy_errors(*, data: Mapping[str, Any], fields: Iterable[str]) -> tuple[Errors, list[privacy.PrivacyFinding]]:
    """Patient identifiers found in the free-text `fields`, unless `confirm_no_patient_data` is set.

    A finding blocks saving until the clinician removes it or confirms that the text
    is not about a patient; the message says why.
    """
    errors: Errors = {}
    found: list[privacy.PrivacyFinding] = []
    if data.get("confirm_no_patient_data"):
        return errors, found
    for name in fields:
        value = data.get(name)
        text = "\n".join(value) if isinstance(value, list) else str(value or "")
        findings = privacy.find_patient_identifiers(text)
        for finding in findings:
            _add(
                errors,
                name,
                f"{finding.message} (“{finding.excerpt}”) {privacy.WHY} Remove it, or tick the "
                "confirmation below if it is not about a patient.",
            )
        found.extend(findings)
    return errors, found
