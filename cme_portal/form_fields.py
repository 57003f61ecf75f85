"""Form fields shared by every app's forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet

from .ids import id_from_text


class IdsChoiceField(forms.ModelMultipleChoiceField[Model]):
    """A ModelMultipleChoiceField whose chosen ids must be whole numbers a database can hold.

    Django's own field passes a value like "-99999999999999999999" to the query, where SQLite
    raises OverflowError (a 500); here it is the field's "not a valid value" error instead.
    """

    def clean(self, value: Any) -> QuerySet[Model]:
        for item in value if isinstance(value, list | tuple) else []:
            if id_from_text(item) is None:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": str(item)[:40]}
                )
        return super().clean(value)
