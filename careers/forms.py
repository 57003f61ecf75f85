"""Forms for the clinician's profile, licences, goals, shortlist and credits. Validation only."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils import timezone

from cme_portal.uploads import upload_validate
from programs.choices import CreditType, MandatedTopic

from .models import (
    CareerGoal,
    ClinicianProfile,
    Licence,
    LicenceTopicRequirement,
    ShortlistEntry,
)
from .rules import LoggableCreditTypes, credit_date_problem, goal_horizon_problem
from .transcript import FIELD_LABELS as TRANSCRIPT_FIELD_LABELS
from .transcript import FIELDS as TRANSCRIPT_FIELDS
from .transcript import REQUIRED as TRANSCRIPT_REQUIRED
from .transcript import TRANSCRIPT_MAX_BYTES

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

MAX_CERTIFICATE_BYTES = 5 * 1024 * 1024
CERTIFICATE_EXTENSIONS = (".pdf", ".png", ".jpg", ".jpeg")


class ProfileForm(forms.ModelForm[ClinicianProfile]):
    class Meta:
        model = ClinicianProfile
        fields = ClinicianProfile.ENTERED_FIELDS
        widgets = {"budget_year_start": DATE_WIDGET, "next_review_date": DATE_WIDGET}

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        budget, used = data.get("yearly_budget_amount"), data.get("budget_used_amount")
        if budget is not None and used is not None and used > budget:
            self.add_error("budget_used_amount", "Budget already used cannot be more than the yearly budget.")
        leave, leave_used = data.get("yearly_leave_days"), data.get("leave_used_days")
        if leave is not None and leave_used is not None and leave_used > leave:
            self.add_error("leave_used_days", "Leave already used cannot be more than the yearly leave days.")
        return data


class LicenceForm(forms.ModelForm[Licence]):
    class Meta:
        model = Licence
        fields = [
            "jurisdiction",
            "licence_type",
            "renewal_date",
            "cycle_months",
            "hours_required",
            "accepted_credit_types",
        ]
        labels = {"cycle_months": "Cycle length (months)", "hours_required": "Hours required per cycle"}
        widgets = {"renewal_date": DATE_WIDGET}


TopicRequirementFormSet: type[
    BaseInlineFormSet[LicenceTopicRequirement, Licence, forms.ModelForm[LicenceTopicRequirement]]
] = inlineformset_factory(
    Licence,
    LicenceTopicRequirement,
    fields=["topic", "hours"],
    extra=2,
    can_delete=True,
    labels={"topic": "Mandated topic", "hours": "Hours per cycle"},
    # Each topic at most once per licence, so no more rows than topics. Django's default cap is
    # 2,000 rows: a post claiming 99,999 built and rendered 2,000 forms (6 s, 1.9 MB).
    max_num=len(MandatedTopic.values),
    absolute_max=len(MandatedTopic.values),
    validate_max=True,
)


WEIGHT_WIDGET = forms.NumberInput(attrs={"min": 0, "max": 5, "step": 1})


class GoalForm(forms.ModelForm[CareerGoal]):
    class Meta:
        model = CareerGoal
        fields = [
            "track",
            "target_role",
            "competencies",
            "essential_competencies",
            "horizon_date",
            "weight_outcome",
            "weight_independence",
            "weight_interprofessional",
            "weight_career",
        ]
        labels = {
            "track": "Target track",
            "horizon_date": "Horizon (when you aim to be there)",
            "weight_outcome": "Weight: outcome tracking (0-5)",
            "weight_independence": "Weight: commercial independence (0-5)",
            "weight_interprofessional": "Weight: interprofessional design (0-5)",
            "weight_career": "Weight: career alignment (0-5)",
        }
        help_texts = {"essential_competencies": "Tick only competencies you also ticked above."}
        widgets = {
            "horizon_date": DATE_WIDGET,
            "weight_outcome": WEIGHT_WIDGET,
            "weight_independence": WEIGHT_WIDGET,
            "weight_interprofessional": WEIGHT_WIDGET,
            "weight_career": WEIGHT_WIDGET,
        }

    def __init__(self, *args: Any, today: datetime.date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()

    def clean_horizon_date(self) -> datetime.date | None:
        value: datetime.date | None = self.cleaned_data.get("horizon_date")
        if value is not None and (value != self.instance.horizon_date or self.instance.pk is None):
            problem = goal_horizon_problem(value, today=self.today)
            if problem:
                raise ValidationError(problem)
        return value

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        wanted = set(data.get("competencies") or [])
        essential = set(data.get("essential_competencies") or [])
        if essential - wanted:
            self.add_error(
                "essential_competencies", "An essential competency must also be ticked as a target competency."
            )
        return data


class ShortlistStatusForm(forms.ModelForm[ShortlistEntry]):
    class Meta:
        model = ShortlistEntry
        fields = ["status", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"note": "Only you can see this note."}


def validate_certificate(upload: UploadedFile) -> str:
    """Check size, extension and magic bytes; returns the normalized extension or raises ValidationError."""
    return upload_validate(
        upload,
        name=upload.name or "",
        size=upload.size,
        extensions=CERTIFICATE_EXTENSIONS,
        max_bytes=MAX_CERTIFICATE_BYTES,
        kinds="a PDF, PNG or JPEG file",
    )


ALL_CREDIT_TYPES = LoggableCreditTypes(codes=tuple(CreditType.values), has_licence=True)


class CreditClaimForm(forms.Form):
    """Credits of one activity: per credit type amounts, topics, optional certificate.

    Offers an amount field only for the credit types in `credit_types` (what the clinician's licences accept).
    """

    title = forms.CharField(max_length=300, label="Activity title")
    provider_name = forms.CharField(max_length=300, required=False, label="Provider")
    completed_on = forms.DateField(label="Completed on", widget=DATE_WIDGET)
    topics = forms.MultipleChoiceField(
        choices=MandatedTopic.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Mandated topics this activity covered",
    )
    certificate = forms.FileField(
        required=False, label="Certificate (optional)", help_text="PDF, PNG or JPEG, at most 5 MB."
    )

    def __init__(
        self,
        *args: Any,
        today: datetime.date | None = None,
        credit_types: LoggableCreditTypes = ALL_CREDIT_TYPES,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()
        self.credit_types = credit_types
        labels = dict(CreditType.choices)
        for code in credit_types.codes:
            label = labels[code]
            self.fields[f"amount_{code}"] = forms.DecimalField(
                label=f"{label} (hours)",
                required=False,
                min_value=Decimal("0"),
                max_digits=7,
                decimal_places=2,
                widget=forms.NumberInput(attrs={"step": "0.25", "min": "0"}),
            )

    @property
    def amount_fields(self) -> list[forms.BoundField]:
        return [self[f"amount_{code}"] for code in self.credit_types.codes]

    @property
    def other_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("title", "provider_name", "completed_on")]

    def clean_completed_on(self) -> datetime.date:
        value: datetime.date = self.cleaned_data["completed_on"]
        problem = credit_date_problem(value, today=self.today)
        if problem:
            raise ValidationError(problem)
        return value

    def clean_certificate(self) -> UploadedFile | None:
        upload = self.cleaned_data.get("certificate")
        if upload:
            validate_certificate(upload)
        return upload or None

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        amounts = {}
        for code in self.credit_types.codes:
            value = data.get(f"amount_{code}")
            if value is None or value == 0:
                continue
            if value < Decimal("0.25"):
                self.add_error(f"amount_{code}", "Enter at least 0.25 hours, or leave it empty.")
                continue
            amounts[code] = value
        if not amounts and not self.errors:
            raise ValidationError("Enter the hours of at least one credit type.")
        data["amounts"] = amounts
        return data


class TranscriptUploadForm(forms.Form):
    """A transcript file: a CSV of completed activities, read on a preview before anything is saved."""

    file = forms.FileField(
        label="Transcript file (CSV)",
        help_text="A CSV file with a header row, UTF-8, up to 2 MB and 5,000 rows.",
    )

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        if (upload.name or "").lower().endswith(".xml"):
            raise ValidationError(
                "XML transcripts (MedBiquitous Activity Report) are not read here yet; export the transcript as CSV."
            )
        upload_validate(
            upload,
            name=upload.name or "",
            size=upload.size,
            extensions=[".csv", ".txt"],
            max_bytes=TRANSCRIPT_MAX_BYTES,
            kinds="a CSV file saved as UTF-8 (.csv)",
        )
        return upload


DATE_ORDER_CHOICES = [
    ("", "Not chosen"),
    ("mdy", "Month/day/year (03/04/2026 is March 4)"),
    ("dmy", "Day/month/year (03/04/2026 is 3 April)"),
]


class TranscriptMappingForm(forms.Form):
    """Which column holds each field, and how numeric dates are written; built on the file's header."""

    def __init__(self, *args: Any, header: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header = header
        choices = [("", "Not in the file")] + [
            (str(index), f"Column {index + 1}: {name or '(no name)'}") for index, name in enumerate(header)
        ]
        for name_field in TRANSCRIPT_FIELDS:
            self.fields[f"col_{name_field}"] = forms.ChoiceField(
                label=TRANSCRIPT_FIELD_LABELS[name_field],
                choices=choices,
                required=name_field in TRANSCRIPT_REQUIRED,
                error_messages={
                    "required": f"Choose the column holding the {TRANSCRIPT_FIELD_LABELS[name_field].lower()}."
                },
            )
        self.fields["date_order"] = forms.ChoiceField(
            label="Dates like 03/04/2026 are written", choices=DATE_ORDER_CHOICES, required=False
        )

    @staticmethod
    def initial_for(mapping: dict[str, int | None], date_order: str) -> dict[str, str]:
        initial = {f"col_{name}": "" if index is None else str(index) for name, index in mapping.items()}
        return {**initial, "date_order": date_order}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        used: dict[str, str] = {}
        for name_field in TRANSCRIPT_FIELDS:
            value = cleaned.get(f"col_{name_field}")
            if not value:
                continue
            if value in used:
                self.add_error(
                    f"col_{name_field}",
                    f"Column {int(value) + 1} is already read as the {TRANSCRIPT_FIELD_LABELS[used[value]].lower()}.",
                )
            used[value] = name_field
        return cleaned

    def mapping(self) -> dict[str, int | None]:
        """The chosen mapping (valid forms only)."""
        return {
            name: int(self.cleaned_data[f"col_{name}"]) if self.cleaned_data.get(f"col_{name}") else None
            for name in TRANSCRIPT_FIELDS
        }


class TranscriptConfirmForm(TranscriptMappingForm):
    remember = forms.BooleanField(
        label="Use these columns for my next file with the same headers", required=False, initial=True
    )
