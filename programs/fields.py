"""A set of codes from a TextChoices vocabulary, stored as an integer bit mask.

Why a bit mask: the catalog filters ("designed for nurses", "covers quality
improvement") and the ranking (how many of a goal's competencies a program
covers) must stay fast at 100,000 listings on PostgreSQL and work on SQLite too.
`(mask & bits) <> 0` is portable, needs no join and is cheap to evaluate, while
the Python value stays a readable list of codes.

Bit positions follow the declaration order of the choices class, so a choices
class used here may only ever gain members at its end.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from string import Formatter
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Lookup
from django.db.models.expressions import Combinable


@functools.cache
def _positions(choices: type[models.TextChoices]) -> dict[str, int]:
    return {member.value: index for index, member in enumerate(choices)}


@functools.cache
def _codes(choices: type[models.TextChoices]) -> tuple[str, ...]:
    return tuple(member.value for member in choices)


def codes_to_mask(codes: Iterable[str], choices: type[models.TextChoices]) -> int:
    positions = _positions(choices)
    mask = 0
    for code in codes:
        if code not in positions:
            raise ValidationError(f"“{code}” is not one of: {', '.join(positions)}.")
        mask |= 1 << positions[code]
    return mask


def mask_to_codes(mask: int, choices: type[models.TextChoices]) -> list[str]:
    return [code for index, code in enumerate(_codes(choices)) if mask & (1 << index)]


class CodeSetField(models.BigIntegerField[list[str] | Combinable, list[str]]):
    """A set of codes of `choices`; the Python value is a list in declaration order."""

    # Set by Field.__init__; django-stubs declares only the `validators` property.
    _validators: list[Callable[[Any], None]]

    description = "A set of codes stored as a bit mask"

    def __init__(self, *args: Any, codes: type[models.TextChoices], **kwargs: Any) -> None:
        self.codes = codes
        kwargs.setdefault("default", 0)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[str, str, Sequence[Any], dict[str, Any]]:
        name, path, args, kwargs = super().deconstruct()
        kwargs["codes"] = self.codes
        if kwargs.get("default") == 0:
            del kwargs["default"]
        if kwargs.get("blank") is True:
            del kwargs["blank"]
        return name, path, args, kwargs

    @property
    def validators(self) -> list[Callable[[Any], None]]:
        # Not the integer range validators of BigIntegerField: the Python value is a list.
        return list(self._validators)

    def from_db_value(self, value: int | None, expression: Any, connection: Any) -> list[str]:
        return mask_to_codes(value or 0, self.codes)

    def to_python(self, value: Any) -> list[str]:
        if value is None or value == "":
            return []
        if isinstance(value, int):
            return mask_to_codes(value, self.codes)
        if isinstance(value, str):
            value = [part.strip() for part in value.split(";") if part.strip()]
        return mask_to_codes(codes_to_mask(value, self.codes), self.codes)

    def get_prep_value(self, value: Any) -> int:
        if value is None or value == "":
            return 0
        if isinstance(value, int):
            return value
        if isinstance(value, str):
            value = [value]
        return codes_to_mask(value, self.codes)

    def get_default(self) -> list[str]:
        return []

    def value_to_string(self, obj: models.Model) -> str:
        return ";".join(self.value_from_object(obj) or [])

    def validate(self, value: Any, model_instance: models.Model | None) -> None:
        codes_to_mask(value or [], self.codes)

    def formfield(
        self,
        form_class: type[forms.Field] | None = None,
        choices_form_class: type[forms.ChoiceField] | None = None,
        **kwargs: Any,
    ) -> forms.Field:
        if form_class is not None:
            kwargs["form_class"] = form_class
        if choices_form_class is not None:
            kwargs["choices_form_class"] = choices_form_class
        defaults: dict[str, Any] = {
            "form_class": forms.TypedMultipleChoiceField,
            "choices": self.codes.choices,
            "required": not self.blank,
            "widget": forms.CheckboxSelectMultiple,
            "label": self.verbose_name[:1].upper() + self.verbose_name[1:],
            "help_text": self.help_text,
        }
        widget = kwargs.pop("widget", None)
        defaults.update(kwargs)
        # The admin offers an integer widget for integer columns; a code set needs checkboxes.
        if isinstance(widget, forms.SelectMultiple):
            defaults["widget"] = widget
        field_class: type[forms.Field] = defaults.pop("form_class")
        for unwanted in ("max_value", "min_value", "step_size"):
            defaults.pop(unwanted, None)
        return field_class(**defaults)


@CodeSetField.register_lookup
class HasAny(Lookup[list[str]]):
    """`professions__has_any=["nurse", "nurse_practitioner"]`: shares at least one code."""

    lookup_name = "has_any"

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"({lhs} & {rhs}) <> 0", [*lhs_params, *rhs_params]


@CodeSetField.register_lookup
class HasSeveral(Lookup[list[str]]):
    """`professions__has_several=True`: holds two codes or more (a mask with more than one bit set)."""

    lookup_name = "has_several"
    prepare_rhs = False

    def get_db_prep_lookup(self, value: Any, connection: Any) -> tuple[str, list[Any]]:
        return "%s", [bool(value)]

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        operator = "<>" if self.rhs else "="
        return f"({lhs} & ({lhs} - 1)) {operator} 0", [*lhs_params, *lhs_params]


@CodeSetField.register_lookup
class HasAll(Lookup[list[str]]):
    """`competencies__has_all=["healthcare_finance"]`: holds every given code."""

    lookup_name = "has_all"

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"({lhs} & {rhs}) = {rhs}", [*lhs_params, *rhs_params, *rhs_params]


class TagListField(models.JSONField[list[str] | Combinable, list[str]]):
    """A list of free-text tags (topics, specialties), stored as a JSON array."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default", list)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[str, str, Sequence[Any], dict[str, Any]]:
        name, path, args, kwargs = super().deconstruct()
        if kwargs.get("default") is list:
            del kwargs["default"]
        if kwargs.get("blank") is True:
            del kwargs["blank"]
        return name, path, args, kwargs

    def formfield(
        self,
        form_class: type[forms.Field] | None = None,
        choices_form_class: type[forms.ChoiceField] | None = None,
        **kwargs: Any,
    ) -> forms.Field:
        return TagListFormField(required=not self.blank, label=self.verbose_name.capitalize(), help_text=self.help_text)


class TagListFormField(forms.Field):
    """Edits a tag list as text separated by semicolons."""

    def prepare_value(self, value: Any) -> str:
        if isinstance(value, list):
            return "; ".join(value)
        return value or ""

    def to_python(self, value: Any) -> list[str]:
        if isinstance(value, list):
            return value
        return [part.strip() for part in (value or "").split(";") if part.strip()]

    def validate(self, value: Any) -> None:
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")

    def has_changed(self, initial: Any, data: Any) -> bool:
        return self.to_python(initial) != self.to_python(data)


class _TagLookup(Lookup[str]):
    """A lookup on a tag list: `postgresql_sql` and `sqlite_sql` are templates over {lhs} and {rhs}."""

    postgresql_sql = ""
    sqlite_sql = ""

    def get_db_prep_lookup(self, value: Any, connection: Any) -> tuple[str, list[Any]]:
        return "%s", [value]

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        template = self.postgresql_sql if connection.vendor == "postgresql" else self.sqlite_sql
        params_of = {"lhs": lhs_params, "rhs": rhs_params}
        # Each side's parameters as often, and in the order, as the template names it.
        params = [
            param for _text, name, _spec, _conv in Formatter().parse(template) if name for param in params_of[name]
        ]
        return template.format(lhs=lhs, rhs=rhs), params  # compiled SQL, values are parameters


@TagListField.register_lookup
class HasTag(_TagLookup):
    """`topics__has_tag="opioids"`: the list contains the tag exactly.

    On PostgreSQL the tag's key among the list's keys (which the GIN expression index of
    HasTagKey serves) narrows the rows first, then `@>` keeps those holding the tag itself.
    """

    lookup_name = "has_tag"
    postgresql_sql = (
        "(cme_tag_keys({lhs}) @> jsonb_build_array(cme_key({rhs}::text)) AND {lhs} @> jsonb_build_array({rhs}::text))"
    )
    sqlite_sql = "EXISTS (SELECT 1 FROM json_each({lhs}) WHERE json_each.value = {rhs})"


@TagListField.register_lookup
class HasTagKey(_TagLookup):
    """`topics__has_tag_key="pain management"`: some tag has this key (programs.vocabulary.key).

    So "Pain management", "pain_management" and "PAIN-MANAGEMENT" all match one filter.
    On PostgreSQL the GIN expression index on `cme_tag_keys(column)` serves it (migration 0006).
    """

    lookup_name = "has_tag_key"
    postgresql_sql = "cme_tag_keys({lhs}) @> jsonb_build_array({rhs}::text)"
    sqlite_sql = "EXISTS (SELECT 1 FROM json_each({lhs}) WHERE cme_key(json_each.value) = {rhs})"
