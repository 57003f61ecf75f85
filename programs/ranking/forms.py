"""The catalog's ranking controls: a weight per factor (0 to 5) and "only programs that fit"."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.http import QueryDict

from . import scoring

WEIGHT_FIELDS: dict[str, scoring.Factor] = {
    "w_outcome": scoring.Factor.OUTCOME,
    "w_independence": scoring.Factor.INDEPENDENCE,
    "w_interprofessional": scoring.Factor.INTERPROFESSIONAL,
    "w_career": scoring.Factor.CAREER,
}

ALL_ZERO_MESSAGE = (
    "All four weights are 0, so there is nothing to rank by. Showing the ranking with your goal's weights instead."
)


class WeightInput(forms.NumberInput):
    """A weight as a number input: it shows its own value, by keyboard and without script.

    static/js/app.js turns each one into a range slider and shows the template's <output> beside
    it, which follows the slider; without script there is no slider whose number would lag behind.
    """

    def __init__(self) -> None:
        super().__init__(attrs={"min": 0, "max": scoring.MAX_WEIGHT, "step": 1, "data-weight-slider": ""})


def _weight_field(factor: scoring.Factor) -> forms.IntegerField:
    return forms.IntegerField(
        label=scoring.FACTOR_LABELS[factor],
        required=False,
        min_value=0,
        max_value=scoring.MAX_WEIGHT,
        widget=WeightInput(),
    )


@dataclass(frozen=True)
class RankingChoice:
    weights: scoring.Weights
    fits_only: bool
    message: str  # why the weights given were not used, or ""


class RankingForm(forms.Form):
    """Weights override the goal's for this view only; invalid or all-zero weights fall back to the goal's."""

    w_outcome = _weight_field(scoring.Factor.OUTCOME)
    w_independence = _weight_field(scoring.Factor.INDEPENDENCE)
    w_interprofessional = _weight_field(scoring.Factor.INTERPROFESSIONAL)
    w_career = _weight_field(scoring.Factor.CAREER)
    fits_only = forms.BooleanField(label="Only programs that fit", required=False)

    def __init__(self, data: QueryDict | None, *, goal_weights: scoring.Weights) -> None:
        self.goal_weights = goal_weights
        goal_values = goal_weights.as_dict()
        initial = {name: goal_values[factor] for name, factor in WEIGHT_FIELDS.items()}
        super().__init__(data, initial=initial)
        if data is not None:
            # Missing weights show the goal's value on the slider, not 0.
            values = data.copy()
            for name, value in initial.items():
                if values.get(name) in (None, ""):
                    values[name] = str(value)
            self.data = values

    def weight_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in WEIGHT_FIELDS]

    def choice(self) -> RankingChoice:
        """The weights to rank with, whether to show only programs that fit, and any message."""
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        goal_values = self.goal_weights.as_dict()
        values = {}
        for name, factor in WEIGHT_FIELDS.items():
            value = cleaned.get(name) if name not in self.errors else None
            values[factor] = goal_values[factor] if value is None else value
        message = ""
        try:
            weights = scoring.Weights(
                outcome=values[scoring.Factor.OUTCOME],
                independence=values[scoring.Factor.INDEPENDENCE],
                interprofessional=values[scoring.Factor.INTERPROFESSIONAL],
                career=values[scoring.Factor.CAREER],
            )
        except ValueError:
            weights = self.goal_weights
            message = ALL_ZERO_MESSAGE
        if any(name in self.errors for name in WEIGHT_FIELDS):
            message = f"Each weight is a whole number from 0 to {scoring.MAX_WEIGHT}; invalid ones use your goal's."
        return RankingChoice(
            weights=weights,
            fits_only=bool(cleaned.get("fits_only")),
            message=message,
        )
