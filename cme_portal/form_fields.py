"""Form fields shared by every app's forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet

# The largest primary key either database stores (a signed 64-bit integer).
MAX_ID = 2**63 - 1


class IdsChoiceField(forms.ModelMultipleChoiceField[Model]):
    """A ModelMultipleChoiceField whose chosen ids must be whole numbers a database can hold.

    Django's own field passes a value like "-99999999999999999999" to the query, where SQLite
    raises OverflowError (a 500); here it is the field's "not a valid value" error instead.
    """

    def _check_values(self, value: Any) -> QuerySet[Model]:
        for item in value if isinstance(value, list | tuple) else []:
            text = str(item).strip()
            if not (text.isascii() and text.isdigit() and len(text) <= 19 and 0 < int(text) <= MAX_ID):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": text[:40]}
                )
        return super()._check_values(value)
