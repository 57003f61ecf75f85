"""Forms for supervision pages: input parsing and validation only; the rules live in services."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.core.validators import MinValueValidator
from django.utils import timezone

from accounts.models import User
from programs.choices import Profession

from . import rules
from .models import EmployerCmePolicy, ReminderKind, RequestStatus
from .rules import policy_confirmed_on_problem
from .selectors import DASHBOARD_SORTS


class InviteForm(forms.Form):
    email = forms.EmailField(label="Email address of the clinician", max_length=254)


class InvitationSignUpForm(forms.Form):
    # The invitation is bound to its address: the page does not show it, the invitee types it.
    invited_email = forms.EmailField(
        label="Email address this invitation was sent to",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
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

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if not data.get("source_document") and not data.get("source_url"):
            raise forms.ValidationError("Document the policy in writing: upload the document or give its URL.")
        return data


def _money_field(label: str, **kwargs: Any) -> forms.DecimalField:
    """A USD amount; the range is supervision.rules' (reported there, one message per rule)."""
    return forms.DecimalField(label=label, decimal_places=2, required=False, **kwargs)


def _days_field(label: str, **kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(label=label, decimal_places=1, required=False, **kwargs)


class RequestProgramForm(forms.Form):
    """The program a request is for, from the query string (?program=) of the request page."""

    program = forms.IntegerField(min_value=1, max_value=2**31 - 1)


class FundingRequestForm(forms.Form):
    """The figures of a funding request for one program; the rules are supervision.rules.funding_request_problems."""

    registration = _money_field("Registration (USD)")
    travel = _money_field("Travel (USD)")
    lodging = _money_field("Lodging (USD)")
    other = _money_field("Other costs (USD)")
    other_description = forms.CharField(label="What the other costs are", max_length=200, required=False)
    amount = _money_field(
        "Amount requested (USD)",
        help_text="Leave it empty to ask for the total of the costs above. You may ask for less, never more.",
    )
    leave_days = _days_field("Paid leave days requested")
    travel_days = _days_field(
        "Of which travel days",
        help_text=f"Days away beyond the program's own, to travel there and back (at most {rules.MAX_TRAVEL_DAYS}).",
    )
    justification = forms.CharField(
        label="Why this program",
        widget=forms.Textarea,
        max_length=4000,
        help_text="What it changes in your practice or career.",
    )

    def __init__(self, *args: Any, terms: rules.ProgramTerms, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.terms = terms

    def costs(self) -> rules.RequestCosts:
        """The itemised costs entered (after is_valid)."""
        data = self.cleaned_data
        return rules.RequestCosts(
            registration=data.get("registration") or Decimal("0"),
            travel=data.get("travel") or Decimal("0"),
            lodging=data.get("lodging") or Decimal("0"),
            other=data.get("other") or Decimal("0"),
            other_description=data.get("other_description") or "",
        )

    def request_fields(self) -> dict[str, Any]:
        """What `services.funding_request_create` takes from the form besides requester and program (after is_valid)."""
        data = self.cleaned_data
        return {
            "costs": self.costs(),
            "amount": data["amount"],
            "leave_days": data["leave_days"],
            "travel_days": data["travel_days"],
            "justification": data["justification"],
        }

    def clean(self) -> dict[str, Any]:
        super().clean()
        if self.errors:
            return self.cleaned_data
        data = self.cleaned_data
        costs = self.costs()
        data["leave_days"] = data.get("leave_days") or Decimal("0")
        data["travel_days"] = data.get("travel_days") or Decimal("0")
        problems = rules.funding_request_problems(
            costs=costs,
            amount=data.get("amount"),
            leave_days=data["leave_days"],
            travel_days=data["travel_days"],
            terms=self.terms,
        )
        for problem in problems:
            self.add_error(problem.field, problem.message)
        if not problems:
            data["amount"] = rules.amount_requested(costs, data.get("amount"))
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


class PracticeFollowUpForm(forms.Form):
    """What changed in the clinician's practice since the program (a few lines)."""

    changed = forms.CharField(
        label="What changed in your practice since you completed the program?",
        help_text="A few lines: what you now do differently, for whom, and how you know. Up to 2,000 characters.",
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=2000,
    )

    def clean_changed(self) -> str:
        value = str(self.cleaned_data["changed"]).strip()
        if not value:
            raise forms.ValidationError("Write what changed, or leave the page without answering.")
        return value


class ProfessionDecisionForm(forms.Form):
    """Confirm or decline the stated profession the reviewer saw (`profession`), for one clinician."""

    decision = forms.ChoiceField(choices=[("confirm", "Confirm"), ("decline", "Decline")])
    profession = forms.ChoiceField(choices=Profession.choices)


class EnrolFilterForm(forms.Form):
    """The enrolment page's choices from its query string: a program search, the program, a profession filter."""

    q = forms.CharField(label="Program title contains", max_length=200, required=False)
    program = forms.IntegerField(min_value=1, max_value=2**31 - 1, required=False, widget=forms.HiddenInput)
    profession = forms.ChoiceField(
        label="Show members of", choices=[("", "All professions"), *Profession.choices], required=False
    )

    def values(self) -> dict[str, Any]:
        """The valid values (a junk profession or search is ignored, not a reason to refuse the program)."""
        self.is_valid()
        data = self.cleaned_data
        return {"q": data.get("q") or "", "program": data.get("program"), "profession": data.get("profession") or ""}


class ProposalForm(forms.Form):
    """Members to propose a program to (the team's current members shown), and what is pre-approved."""

    members = forms.TypedMultipleChoiceField(
        label="Team members to propose it to",
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Choose at least one member of the team.",
            "invalid_choice": "Choose members of your team only: %(value)s is not one of those shown.",
        },
    )
    amount = _money_field(
        "Funding pre-approved per member (USD)",
        min_value=Decimal("0"),
        max_digits=10,
        help_text="Drawn from each member's employer allowance now, as an approved request; released if they decline.",
    )
    leave_days = _days_field("Paid leave days pre-approved per member", min_value=Decimal("0"), max_digits=5)
    note = forms.CharField(
        label="Note to the members", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, required=False
    )

    def __init__(self, *args: Any, member_choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["members"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = member_choices


class ProposalAnswerForm(forms.Form):
    """A member's answer to a proposal: accept, or decline with a reason (the service requires it)."""

    decision = forms.ChoiceField(choices=[("accept", "Accept"), ("decline", "Decline")], widget=forms.HiddenInput)
    reason = forms.CharField(
        label="Why you decline (your supervisor reads it)",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        if self.cleaned_data.get("decision") == "decline" and not (self.cleaned_data.get("reason") or "").strip():
            self.add_error("reason", "Say why you decline: your supervisor reads it.")
        return self.cleaned_data
