"""Forms for supervision pages: input parsing and validation only; the rules live in services."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import MinValueValidator
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from careers.models import ShortlistEntry
from cme_portal.uploads import upload_validate
from programs.choices import Profession

from .models import EmployerCmePolicy, ReminderKind, RequestStatus
from .rules import policy_confirmed_on_problem
from .selectors import DASHBOARD_SORTS

POLICY_DOCUMENT_TYPES = {".pdf", ".doc", ".docx", ".odt", ".txt", ".png", ".jpg", ".jpeg"}
POLICY_DOCUMENT_MAX_BYTES = 5 * 1024 * 1024


class InviteForm(forms.Form):
    email = forms.EmailField(label="Email address of the clinician", max_length=254)


class InvitationSignUpForm(forms.Form):
    full_name = forms.CharField(label="Full name", max_length=200)
    profession = forms.ChoiceField(label="Profession", choices=Profession.choices)
    password1 = forms.CharField(label="Password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(
        label="Password again", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args: Any, email: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords differ.")
        elif first:
            try:
                validate_password(first, User(email=self.email, full_name=data.get("full_name", "")))
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class PolicyForm(forms.ModelForm[EmployerCmePolicy]):
    class Meta:
        model = EmployerCmePolicy
        fields = [
            "profession",
            "yearly_reimbursement_amount",
            "paid_leave_days",
            "year_starts_month",
            "eligible_expenses",
            "approver_description",
            "source_document",
            "source_url",
            "confirmed_on",
            "over_allowance_rule",
        ]
        widgets = {"confirmed_on": forms.DateInput(attrs={"type": "date"}), "eligible_expenses": forms.Textarea()}

    def clean_confirmed_on(self) -> datetime.date:
        value: datetime.date = self.cleaned_data["confirmed_on"]
        problem = policy_confirmed_on_problem(value, today=timezone.localdate())
        if problem:
            raise forms.ValidationError(problem)
        return value

    def clean_source_document(self) -> Any:
        document = self.cleaned_data.get("source_document")
        if isinstance(document, UploadedFile):  # a new upload, not the stored file
            upload_validate(
                document,
                name=document.name or "",  # upload_validate reads a missing name as "" too
                size=document.size,
                extensions=POLICY_DOCUMENT_TYPES,
                max_bytes=POLICY_DOCUMENT_MAX_BYTES,
                kinds="a PDF, Word, OpenDocument, text or image file",
            )
        return document

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if not data.get("source_document") and not data.get("source_url"):
            raise forms.ValidationError("Document the policy in writing: upload the document or give its URL.")
        return data


class ShortlistEntryChoiceField(forms.ModelChoiceField[ShortlistEntry]):
    """A shortlist entry, shown by its program's title."""

    def label_from_instance(self, obj: ShortlistEntry) -> str:
        return obj.program.title


class FundingRequestForm(forms.Form):
    shortlist_entry = ShortlistEntryChoiceField(label="Program from your shortlist", queryset=None, empty_label=None)
    amount = forms.DecimalField(
        label="Amount requested (USD)",
        min_value=Decimal("0"),
        max_digits=10,
        decimal_places=2,
        initial=Decimal("0"),
        required=False,
    )
    leave_days = forms.DecimalField(
        label="Paid leave days requested",
        min_value=Decimal("0"),
        max_digits=5,
        decimal_places=1,
        initial=Decimal("0"),
        required=False,
    )
    justification = forms.CharField(
        label="Why this program",
        widget=forms.Textarea,
        max_length=4000,
        help_text="What it changes in your practice or career.",
    )

    def __init__(self, *args: Any, shortlist: QuerySet[ShortlistEntry], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(ShortlistEntryChoiceField, self.fields["shortlist_entry"]).queryset = shortlist  # declared above

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        data["amount"] = data.get("amount") or Decimal("0")
        data["leave_days"] = data.get("leave_days") or Decimal("0")
        if not self.errors and data["amount"] == 0 and data["leave_days"] == 0:
            raise forms.ValidationError("Ask for an amount, paid leave days, or both.")
        return data


DECISION_CHOICES = [
    (RequestStatus.APPROVED, "Approve in full"),
    (RequestStatus.PARTIALLY_APPROVED, "Approve in part"),
    (RequestStatus.DECLINED, "Decline"),
]


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(label="Decision", choices=DECISION_CHOICES, widget=forms.RadioSelect)
    amount = forms.DecimalField(
        label="Amount approved (USD, for a partial approval)",
        required=False,
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    leave_days = forms.DecimalField(
        label="Leave days approved (for a partial approval)",
        required=False,
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0"))],
    )
    reason = forms.CharField(label="Reason (the requester sees it)", widget=forms.Textarea, max_length=4000)


class WithdrawForm(forms.Form):
    reason = forms.CharField(label="Reason (optional)", required=False, max_length=1000)


class DashboardFilterForm(forms.Form):
    profession = forms.ChoiceField(
        label="Profession", choices=[("", "All professions"), *Profession.choices], required=False
    )
    at_risk = forms.BooleanField(label="At risk only", required=False)
    sort = forms.ChoiceField(label="Sort by", choices=list(DASHBOARD_SORTS.items()), required=False)
    order = forms.ChoiceField(label="Order", choices=[("asc", "Ascending"), ("desc", "Descending")], required=False)

    def filters(self) -> dict[str, Any]:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "profession": data.get("profession") or "",
            "at_risk_only": bool(data.get("at_risk")),
            "sort": data.get("sort") or "name",
            "descending": data.get("order") == "desc",
        }


class ReminderPreferencesForm(forms.Form):
    def __init__(self, *args: Any, kinds: list[str], initial_values: dict[str, bool], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(ReminderKind.choices)
        for kind in kinds:
            self.fields[kind] = forms.BooleanField(label=labels[kind], required=False, initial=initial_values.get(kind))
