from __future__ import annotations

import hashlib
from collections.abc import Mapping
from decimal import Decimal
from functools import cached_property
from typing import Any, cast

from django import forms
from django.core.validators import ProhibitNullCharactersValidator
from django.forms.renderers import BaseRenderer
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

from cme_portal.ids import id_from_text

from . import selectors, vocabulary
from .choices import ActivityFormat, CreditType, Delivery, OutcomeLevel, Profession
from .ranking.queries import RANKED_SORT, SCORE_SORT
from .selectors import ATTENDANCE, CATALOG_SORTS, CatalogFilters


def _with_blank(choices: list[tuple[str, str]], label: str) -> list[tuple[str, str]]:
    return [("", label), *choices]


def _html_attrs(attrs: Mapping[str, Any]) -> str:
    """Attributes as django/forms/widgets/attrs.html writes them: True bare, False left out."""
    return "".join(
        f" {conditional_escape(name)}"
        if value is True
        else f' {conditional_escape(name)}="{conditional_escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


class QuickSelect(forms.Select):
    """A <select> written in Python, byte for byte what Django's select.html and select_option.html write.

    The catalog's filters hold some 260 options; the template renderer costs two template
    renders per option (option, attrs), about 12 ms a page. Values and labels are escaped.
    """

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: BaseRenderer | None = None,
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [format_html('<select name="{}"', widget["name"]), _html_attrs(widget["attrs"]), ">"]
        for group_name, options, _ in widget["optgroups"]:
            if group_name:
                parts.append(format_html('\n  <optgroup label="{}">', group_name))
            parts.extend(
                format_html(
                    '\n  <option value="{}"{}>{}</option>\n',  # select_option.html ends with a newline
                    str(option["value"]),
                    mark_safe(_html_attrs(option["attrs"])),  # escaped by _html_attrs
                    option["label"],
                )
                for option in options
            )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # every part above went through format_html or escaping


class OpenChoiceField(forms.ChoiceField):
    """A select of the values the catalog holds (cached) that also takes a value added since.

    The options are cached for minutes; a provider or state that appeared since must
    still filter (and finds its programs) rather than be refused as "not a choice".
    """

    default_validators = [ProhibitNullCharactersValidator()]
    widget = QuickSelect

    def valid_value(self, value: str) -> bool:
        return True


def _cost_field(label: str) -> forms.DecimalField:
    return forms.DecimalField(label=label, required=False, min_value=Decimal("0"), max_digits=10, decimal_places=2)


class FilterVocabulary:
    """The values the catalog's filters offer (providers, states, topics, specialties), each read from its
    cache on first use and at most once per request: an htmx partial, which renders no filter, reads none."""

    @cached_property
    def providers(self) -> list[tuple[str, str]]:
        return _with_blank([(str(pk), name) for pk, name in selectors.catalog_provider_options()], "Any provider")

    @cached_property
    def states(self) -> list[tuple[str, str]]:
        return _with_blank([(state, state) for state in selectors.catalog_state_options()], "Any state")

    @cached_property
    def topics(self) -> list[str]:
        return selectors.catalog_tag_labels("topics")

    @cached_property
    def specialties(self) -> list[str]:
        return selectors.catalog_tag_labels("specialties")

    def fingerprint(self) -> str:
        """A digest of every value offered: what a rendered filter form depends on besides the query."""
        offered = repr((self.providers, self.states, self.topics, self.specialties)).encode()
        return hashlib.sha256(offered).hexdigest()


class CatalogFilterForm(forms.Form):
    """The catalog's query string. Invalid values are reported and ignored, never fatal.

    Topic, specialty and city are matched by key (programs.vocabulary): any case, accents
    and underscores or hyphens, and a topic's label counts as its code.
    """

    q = forms.CharField(
        label="Keywords",
        required=False,
        max_length=200,
        help_text="Searches titles, descriptions, topics, specialties, providers and cities; every word must match.",
    )
    profession = forms.ChoiceField(
        label="Profession", required=False, choices=_with_blank(Profession.choices, "Any"), widget=QuickSelect
    )
    credit_type = forms.ChoiceField(
        label="Credit type", required=False, choices=_with_blank(CreditType.choices, "Any"), widget=QuickSelect
    )
    format = forms.ChoiceField(
        label="Format", required=False, choices=_with_blank(ActivityFormat.choices, "Any"), widget=QuickSelect
    )
    delivery = forms.ChoiceField(
        label="Delivery", required=False, choices=_with_blank(Delivery.choices, "Any"), widget=QuickSelect
    )
    free_only = forms.BooleanField(label="Free only", required=False)
    min_cost = _cost_field("Minimum cost (USD)")
    max_cost = _cost_field("Maximum cost (USD)")
    provider = OpenChoiceField(label="Provider", required=False)
    attendance = forms.ChoiceField(
        label="Attend",
        required=False,
        choices=_with_blank([(code, label) for code, (label, _) in ATTENDANCE.items()], "Online or in person"),
        widget=QuickSelect,
    )
    state = OpenChoiceField(label="State", required=False)
    city = forms.CharField(label="City", required=False, max_length=120)
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
        widget=QuickSelect,
    )
    sort = forms.ChoiceField(label="Sort by", required=False, choices=list(CATALOG_SORTS.items()), widget=QuickSelect)

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        ranked: bool = False,
        vocabulary: FilterVocabulary | None = None,
    ) -> None:
        super().__init__(data)
        offered = vocabulary or FilterVocabulary()
        # Callables: read when the select is rendered, never to validate (OpenChoiceField takes any value).
        cast(forms.ChoiceField, self.fields["provider"]).choices = lambda: offered.providers
        cast(forms.ChoiceField, self.fields["state"]).choices = lambda: offered.states
        if ranked:
            # "Best fit" exists only for a clinician with an active goal; first, so it is the default.
            sort_field = cast(forms.ChoiceField, self.fields["sort"])
            sort_field.choices = [
                (RANKED_SORT, "Best fit for your goal"),
                (SCORE_SORT, "Score for your goal alone"),
                *CATALOG_SORTS.items(),
            ]

    def sort_label(self, key: str) -> str:
        """The label of one of the sort choices offered ("Best fit for your goal")."""
        sort_field = cast(forms.ChoiceField, self.fields["sort"])
        return str(dict(cast(list[tuple[str, str]], sort_field.choices))[key])

    def clean_q(self) -> str:
        q = str(self.cleaned_data.get("q") or "").strip()
        if q and not vocabulary.search_terms(q):
            raise forms.ValidationError(
                "These keywords hold no word to search for (only very common words or punctuation)."
            )
        return q

    def clean_provider(self) -> int | None:
        value = self.cleaned_data.get("provider") or ""
        if not value:
            return None
        provider_id = id_from_text(value)
        if provider_id is None:
            raise forms.ValidationError("Choose a provider from the list.")
        return provider_id

    def clean_state(self) -> str:
        state = str(self.cleaned_data.get("state") or "").strip()
        if len(state) > 120:
            raise forms.ValidationError("Choose a state from the list.")
        return state

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        starts, ends = cleaned.get("starts_after"), cleaned.get("ends_before")
        if starts and ends and ends < starts:
            self.add_error("ends_before", "The end of the date range is before its start.")
        low, high = cleaned.get("min_cost"), cleaned.get("max_cost")
        if isinstance(low, Decimal) and isinstance(high, Decimal) and low > high:
            # Both are left out, and both fields say so: the range is not quietly narrowed to one bound.
            self.add_error("min_cost", f"${low:,} is above the maximum (${high:,}), so the cost range is not applied.")
            self.add_error("max_cost", f"${high:,} is below the minimum (${low:,}), so the cost range is not applied.")
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
            min_cost=data.get("min_cost"),
            max_cost=data.get("max_cost"),
            provider=data.get("provider"),
            state=(data.get("state") or "").strip(),
            city=vocabulary.key(data.get("city") or ""),
            attendance=data.get("attendance") or "",
            accredited_only=bool(data.get("accredited_only")),
            no_commercial_support=bool(data.get("no_commercial_support")),
            specialty=vocabulary.tag_key_for(data.get("specialty") or ""),
            topic=vocabulary.tag_key_for(data.get("topic") or ""),
            starts_after=data.get("starts_after"),
            ends_before=data.get("ends_before"),
            outcome_level_min=data.get("outcome_level_min") or "",
            sort=data.get("sort") or "",
        )
