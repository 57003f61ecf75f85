"""Forms for outcome projects, measurements, presentations, team members, share links and program evidence.

The rules that decide whether a figure is acceptable live in outcomes.rules with their
messages; the forms show those messages next to the fields and the services enforce
the same rules, so nothing bypasses them.
"""

from __future__ import annotations

import datetime
from typing import Any, cast

from django import forms
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from careers.models import CreditClaim
from cme_portal.form_fields import IdsChoiceField
from programs.choices import OutcomeLevel
from programs.models import Program

from . import privacy, rules
from .models import (
    PRACTICE_OUTCOME_LEVELS,
    Measurement,
    OutcomeProject,
    PortfolioShareLink,
    Presentation,
    ProgramOutcomeEvidence,
    ProjectTeamMember,
)

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MAX_SHARE_DAYS = 366

MESSAGES = {
    **rules.MESSAGES,
    "expiry_past": "The expiry date must be today or later.",
    "expiry_too_far": f"A share link can last at most {MAX_SHARE_DAYS} days.",
}


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

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]  # the lines as a list, not CharField's str
        if isinstance(value, list):
            return value
        return [line.strip(" -•\t") for line in (value or "").splitlines() if line.strip(" -•\t")]

    def validate(self, value: Any) -> None:
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")


class PrivacyCheckedForm(forms.BaseForm):
    """Mixin for forms (listed before ModelForm): checks the listed free-text fields for patient identifiers.

    A finding blocks saving until the clinician removes it or confirms that the text is
    not about a patient; the error says why. `clean` runs the check, so a subclass's
    own `clean` needs only call `super().clean()`.
    """

    privacy_fields: tuple[str, ...] = ()

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

    def clean(self) -> dict[str, Any]:
        super().clean()
        errors, findings = rules.privacy_errors(data=self.cleaned_data, fields=self.privacy_fields)
        add_errors(self, errors)
        self.privacy_findings.extend(findings)
        return self.cleaned_data


def add_errors(form: Any, errors: rules.Errors) -> None:
    """Show each rule's messages next to its field."""
    for name, messages in errors.items():
        for message in messages:
            form.add_error(name, message)


class OutcomeProjectForm(PrivacyCheckedForm, forms.ModelForm[OutcomeProject]):
    privacy_fields = rules.PROJECT_PRIVACY_FIELDS
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
        fields = [*OutcomeProject.ENTERED_FIELDS, "co_interventions", "linked_programs", "linked_claims"]
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
        field_classes = {"linked_programs": IdsChoiceField, "linked_claims": IdsChoiceField}
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

    def __init__(self, *args: Any, owner: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.owner = owner
        linked = Q(pk__in=self.instance.linked_programs.values("pk")) if self.instance.pk else Q(pk__in=[])
        # The model's many-to-many fields: ModelForm makes them ModelMultipleChoiceFields.
        linked_programs = cast(forms.ModelMultipleChoiceField[Program], self.fields["linked_programs"])
        linked_programs.queryset = (
            Program.objects.filter(Q(shortlist_entries__user=owner) | Q(credit_claims__user=owner) | linked)
            .distinct()
            .order_by("title")
        )
        linked_programs.help_text = (
            "Programs on your shortlist or that you completed. Shortlist a program in the catalog to link it here."
        )
        linked_claims = cast(forms.ModelMultipleChoiceField[CreditClaim], self.fields["linked_claims"])
        linked_claims.queryset = CreditClaim.objects.filter(user=owner).order_by("-completed_on")
        self.fields["target_value"].help_text = "In the measure's units; for a proportion, a percentage (0-100)."

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        stored = self.instance if self.instance.pk else None
        measurements = list(self.instance.measurements.all()) if stored is not None else []
        add_errors(self, rules.project_errors(data=cleaned, stored=stored, measurements=measurements))
        return cleaned


class MeasurementForm(PrivacyCheckedForm, forms.ModelForm[Measurement]):
    privacy_fields = rules.MEASUREMENT_PRIVACY_FIELDS

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
        super().clean()
        cleaned = self.cleaned_data
        add_errors(self, rules.measurement_errors(project=self.project, data=cleaned, measurement_id=self.instance.pk))
        return cleaned


class PresentationForm(PrivacyCheckedForm, forms.ModelForm[Presentation]):
    privacy_fields = rules.PRESENTATION_PRIVACY_FIELDS

    class Meta:
        model = Presentation
        fields = ["venue_kind", "title", "presented_on", "audience"]
        labels = {"venue_kind": "Where", "title": "Presentation or report title"}
        widgets = {"presented_on": DATE_WIDGET}


class TeamMemberForm(forms.ModelForm[ProjectTeamMember]):
    class Meta:
        model = ProjectTeamMember
        fields = ["name", "profession"]
        labels = {"name": "Team member's name"}


class ShareLinkForm(forms.ModelForm[PortfolioShareLink]):
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


class ProgramOutcomeEvidenceForm(forms.ModelForm[ProgramOutcomeEvidence]):
    """A curator's program outcome evidence: the figures as published, their source, whether they were checked.

    Who verified it and when are not fields: `services.evidence_save` records them.
    """

    class Meta:
        model = ProgramOutcomeEvidence
        fields = [
            "metric",
            "moore_level",
            "baseline",
            "follow_up",
            "significance",
            "n",
            "n_unit",
            "time_window",
            "source_url",
            "verified",
        ]
        help_texts = {
            "verified": "Tick only after checking every figure against the source. Only verified evidence is "
            "shown as fact and counts for the program's outcome score; the rest reads as the provider's claim.",
        }
