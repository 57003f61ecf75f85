"""Forms for outcome projects, measurements, presentations, team members and share links.

Every rule that decides whether a figure is acceptable lives here, with a message that
says what to fix; the services write only what a valid form produced.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.db.models import Q
from django.utils import timezone

from careers.models import CreditClaim
from programs.choices import OutcomeLevel
from programs.models import Program

from . import privacy
from .models import (
    PRACTICE_OUTCOME_LEVELS,
    MeasureKind,
    Measurement,
    OutcomeProject,
    PortfolioShareLink,
    Presentation,
    ProjectTeamMember,
)

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MAX_SHARE_DAYS = 366

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
    "expiry_past": "The expiry date must be today or later.",
    "expiry_too_far": f"A share link can last at most {MAX_SHARE_DAYS} days.",
}


def _date(value: datetime.date) -> str:
    return f"{value:%b} {value.day}, {value.year}"


def _level_label(code: str, label: str) -> str:
    return label if code in PRACTICE_OUTCOME_LEVELS else f"{label} (not a practice outcome)"


MOORE_LEVEL_CHOICES = [(code, _level_label(code, str(label))) for code, label in OutcomeLevel.choices]


class LinesField(forms.CharField):
    """A list of short entries edited one per line."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value: Any) -> str:
        if isinstance(value, list):
            return "\n".join(value)
        return value or ""

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        if isinstance(value, list):
            return value
        return [line.strip(" -•\t") for line in (value or "").splitlines() if line.strip(" -•\t")]

    def validate(self, value: Any) -> None:
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")


class PrivacyCheckedForm:
    """Mixin for forms: checks the listed free-text fields for patient identifiers.

    A finding blocks saving until the clinician removes it or confirms that the text is
    not about a patient; the error says why.
    """

    privacy_fields: tuple[str, ...] = ()
    fields: dict[str, forms.Field]
    add_error: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["confirm_no_patient_data"] = forms.BooleanField(
            required=False,
            label="I have checked: the flagged text does not identify a patient.",
        )
        self.privacy_findings: list[privacy.PrivacyFinding] = []

    @property
    def needs_privacy_confirmation(self) -> bool:
        return bool(self.privacy_findings)

    def check_privacy(self, cleaned: dict[str, Any]) -> None:
        if cleaned.get("confirm_no_patient_data"):
            return
        for name in self.privacy_fields:
            value = cleaned.get(name)
            text = "\n".join(value) if isinstance(value, list) else str(value or "")
            findings = privacy.find_patient_identifiers(text)
            for finding in findings:
                self.add_error(
                    name,
                    f"{finding.message} (“{finding.excerpt}”) {privacy.WHY} Remove it, or tick the "
                    "confirmation below if it is not about a patient.",
                )
            self.privacy_findings.extend(findings)


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


def _overlaps(start: datetime.date, end: datetime.date, other_start: datetime.date, other_end: datetime.date) -> bool:
    return start <= other_end and other_start <= end


class OutcomeProjectForm(PrivacyCheckedForm, forms.ModelForm):
    privacy_fields = (
        "title",
        "gap_statement",
        "setting",
        "measure_name",
        "change_implemented",
        "co_interventions",
    )
    co_interventions = LinesField(
        required=False,
        label="Co-interventions",
        help_text=(
            "One per line: every other change made at the same time (a new guideline, an EHR order set, "
            "staffing, audit and feedback ...). A before/after result is never credited to CME alone; "
            "leave this empty only if nothing else changed."
        ),
    )
    moore_level = forms.ChoiceField(
        label="Moore level of the measure",
        choices=MOORE_LEVEL_CHOICES,
        initial="5",
        help_text="Level 5 performance, 6 patient health, 7 community health are practice outcomes.",
    )

    class Meta:
        model = OutcomeProject
        fields = [
            "title",
            "gap_statement",
            "setting",
            "measure_name",
            "measure_kind",
            "measure_unit",
            "higher_is_better",
            "moore_level",
            "baseline_start",
            "baseline_end",
            "baseline_numerator",
            "baseline_denominator",
            "baseline_value",
            "baseline_n",
            "baseline_sd",
            "target_value",
            "change_implemented",
            "co_interventions",
            "linked_programs",
            "linked_claims",
            "status",
        ]
        labels = {
            "higher_is_better": "Higher values are better",
            "baseline_numerator": "Baseline numerator (proportions)",
            "baseline_denominator": "Baseline denominator (proportions)",
            "baseline_value": "Baseline value (the mean, rate, count or duration)",
            "baseline_n": "Baseline n",
            "baseline_sd": "Baseline standard deviation (means)",
            "target_value": "Target",
            "linked_programs": "Linked catalog programs",
            "linked_claims": "Linked completed CME",
        }
        widgets = {
            "baseline_start": DATE_WIDGET,
            "baseline_end": DATE_WIDGET,
            "gap_statement": forms.Textarea(attrs={"rows": 3}),
            "change_implemented": forms.Textarea(attrs={"rows": 3}),
            "linked_programs": forms.CheckboxSelectMultiple,
            "linked_claims": forms.CheckboxSelectMultiple,
        }
        help_texts = {
            "higher_is_better": "Untick when lower is better (e.g. treatment duration, length of stay).",
        }

    def __init__(self, *args: Any, owner: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.owner = owner
        linked = Q(pk__in=self.instance.linked_programs.values("pk")) if self.instance.pk else Q(pk__in=[])
        self.fields["linked_programs"].queryset = (
            Program.objects.filter(Q(shortlist_entries__user=owner) | Q(credit_claims__user=owner) | linked)
            .distinct()
            .order_by("title")
        )
        self.fields[
            "linked_programs"
        ].help_text = (
            "Programs on your shortlist or that you completed. Shortlist a program in the catalog to link it here."
        )
        self.fields["linked_claims"].queryset = CreditClaim.objects.filter(user=owner).order_by("-completed_on")
        self.fields["target_value"].help_text = "In the measure's units; for a proportion, a percentage (0-100)."

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        kind = cleaned.get("measure_kind")
        start, end = cleaned.get("baseline_start"), cleaned.get("baseline_end")
        if start and end and end < start:
            self.add_error("baseline_end", MESSAGES["baseline_order"])
        if kind:
            errors = value_errors(
                kind=kind,
                numerator=cleaned.get("baseline_numerator"),
                denominator=cleaned.get("baseline_denominator"),
                value=cleaned.get("baseline_value"),
                n=cleaned.get("baseline_n"),
                sd=cleaned.get("baseline_sd"),
            )
            for name, message in errors.items():
                self.add_error(f"baseline_{name}", message)
            target = cleaned.get("target_value")
            if target is not None:
                if kind == MeasureKind.PROPORTION and not 0 <= target <= 100:
                    self.add_error("target_value", MESSAGES["target_percent"])
                elif kind not in (MeasureKind.PROPORTION, MeasureKind.MEAN) and target < 0:
                    self.add_error("target_value", MESSAGES["target_negative"])
        if self.instance.pk:
            measurements = list(self.instance.measurements.all())
            if measurements and kind and kind != self.instance.measure_kind:
                self.add_error("measure_kind", MESSAGES["kind_locked"])
            if start and end and end >= start:
                for m in measurements:
                    if _overlaps(start, end, m.period_start, m.period_end):
                        self.add_error(
                            "baseline_end",
                            MESSAGES["baseline_overlaps_measurement"].format(
                                start=_date(m.period_start), end=_date(m.period_end)
                            ),
                        )
                        break
        self.check_privacy(cleaned)
        return cleaned


class MeasurementForm(PrivacyCheckedForm, forms.ModelForm):
    privacy_fields = ("data_source",)

    class Meta:
        model = Measurement
        fields = ["period_start", "period_end", "numerator", "denominator", "value", "n", "sd", "data_source"]
        labels = {
            "numerator": "Numerator (proportions)",
            "denominator": "Denominator (proportions)",
            "value": "Value (the mean, rate, count or duration)",
            "sd": "Standard deviation (means)",
        }
        widgets = {"period_start": DATE_WIDGET, "period_end": DATE_WIDGET}

    def __init__(self, *args: Any, project: OutcomeProject, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.project = project

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        project = self.project
        start, end = cleaned.get("period_start"), cleaned.get("period_end")
        if start and end:
            if end < start:
                self.add_error("period_end", MESSAGES["period_order"])
            elif _overlaps(start, end, project.baseline_start, project.baseline_end):
                self.add_error(
                    "period_start",
                    MESSAGES["overlaps_baseline"].format(
                        start=_date(project.baseline_start), end=_date(project.baseline_end)
                    ),
                )
            else:
                for other in project.measurements.all():
                    if other.pk != self.instance.pk and _overlaps(start, end, other.period_start, other.period_end):
                        self.add_error(
                            "period_start",
                            MESSAGES["overlaps_measurement"].format(
                                start=_date(other.period_start), end=_date(other.period_end)
                            ),
                        )
                        break
        errors = value_errors(
            kind=project.measure_kind,
            numerator=cleaned.get("numerator"),
            denominator=cleaned.get("denominator"),
            value=cleaned.get("value"),
            n=cleaned.get("n"),
            sd=cleaned.get("sd"),
        )
        for name, message in errors.items():
            self.add_error(name, message)
        self.check_privacy(cleaned)
        return cleaned


class PresentationForm(PrivacyCheckedForm, forms.ModelForm):
    privacy_fields = ("title", "audience")

    class Meta:
        model = Presentation
        fields = ["venue_kind", "title", "presented_on", "audience"]
        labels = {"venue_kind": "Where", "title": "Presentation or report title"}
        widgets = {"presented_on": DATE_WIDGET}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        self.check_privacy(cleaned)
        return cleaned


class TeamMemberForm(forms.ModelForm):
    class Meta:
        model = ProjectTeamMember
        fields = ["name", "profession"]
        labels = {"name": "Team member's name"}


class ShareLinkForm(forms.ModelForm):
    class Meta:
        model = PortfolioShareLink
        fields = ["label", "expires_on"]
        widgets = {"expires_on": DATE_WIDGET}

    def clean_expires_on(self) -> datetime.date:
        value: datetime.date = self.cleaned_data["expires_on"]
        today = timezone.localdate()
        if value < today:
            raise forms.ValidationError(MESSAGES["expiry_past"])
        if value > today + datetime.timedelta(days=MAX_SHARE_DAYS):
            raise forms.ValidationError(MESSAGES["expiry_too_far"])
        return value
