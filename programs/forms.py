from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, cast

from django import forms

from .choices import ActivityFormat, CreditType, Delivery, OutcomeLevel, Profession
from .ranking.queries import RANKED_SORT, SCORE_SORT
from .selectors import CATALOG_SORTS, CatalogFilters


def _with_blank(choices: list[tuple[str, str]], label: str) -> list[tuple[str, str]]:
    return [("", label), *choices]


class CatalogFilterForm(forms.Form):
    """The catalog's query string. Invalid values are reported and ignored, never fatal."""

    q = forms.CharField(label="Keywords", required=False, max_length=200)
    profession = forms.ChoiceField(label="Profession", required=False, choices=_with_blank(Profession.choices, "Any"))
    credit_type = forms.ChoiceField(label="Credit type", required=False, choices=_with_blank(CreditType.choices, "Any"))
    format = forms.ChoiceField(label="Format", required=False, choices=_with_blank(ActivityFormat.choices, "Any"))
    delivery = forms.ChoiceField(label="Delivery", required=False, choices=_with_blank(Delivery.choices, "Any"))
    free_only = forms.BooleanField(label="Free only", required=False)
    max_cost = forms.DecimalField(
        label="Maximum cost (USD)", required=False, min_value=Decimal("0"), max_digits=10, decimal_places=2
    )
    accredited_only = forms.BooleanField(label="Accredited providers only", required=False)
    no_commercial_support = forms.BooleanField(label="No commercial support", required=False)
    specialty = forms.CharField(label="Specialty", required=False, max_length=100)
    topic = forms.CharField(label="Topic", required=False, max_length=100)
    starts_after = forms.DateField(
        label="Starts on or after", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_before = forms.DateField(
        label="Ends on or before", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    outcome_level_min = forms.ChoiceField(
        label="Outcome level measured, at least",
        required=False,
        choices=_with_blank(OutcomeLevel.choices, "Any"),
    )
    sort = forms.ChoiceField(label="Sort by", required=False, choices=list(CATALOG_SORTS.items()))

    def __init__(self, data: Mapping[str, Any] | None = None, *, ranked: bool = False) -> None:
        super().__init__(data)
        if ranked:
            # "Best fit" exists only for a clinician with an active goal; first, so it is the default.
            sort_field = cast(forms.ChoiceField, self.fields["sort"])
            sort_field.choices = [
                (RANKED_SORT, "Best fit for your goal"),
                (SCORE_SORT, "Score for your goal alone"),
                *CATALOG_SORTS.items(),
            ]

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        starts, ends = cleaned.get("starts_after"), cleaned.get("ends_before")
        if starts and ends and ends < starts:
            self.add_error("ends_before", "The end of the date range is before its start.")
        return cleaned

    def cleaned_filters(self) -> CatalogFilters:
        """The valid part of the query; fields with errors are left out."""
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        data = {name: value for name, value in self.cleaned_data.items() if name not in self.errors}
        return CatalogFilters(
            q=(data.get("q") or "").strip(),
            profession=data.get("profession") or "",
            credit_type=data.get("credit_type") or "",
            format=data.get("format") or "",
            delivery=data.get("delivery") or "",
            free_only=bool(data.get("free_only")),
            max_cost=data.get("max_cost"),
            accredited_only=bool(data.get("accredited_only")),
            no_commercial_support=bool(data.get("no_commercial_support")),
            specialty=(data.get("specialty") or "").strip(),
            topic=(data.get("topic") or "").strip(),
            starts_after=data.get("starts_after"),
            ends_before=data.get("ends_before"),
            outcome_level_min=data.get("outcome_level_min") or "",
            sort=data.get("sort") or "",
        )
