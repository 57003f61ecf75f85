"""Forms of the curator pages: import upload, export choice, review decisions, the listing form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.http import QueryDict

from cme_portal.ids import id_from_text

from ..exchange.exports import cell_text
from ..exchange.format import (
    BOOLEAN_FIELDS,
    CODE_SET_FIELDS,
    DATE_FIELDS,
    FIELDS,
    MULTI_VALUED_FIELDS,
    REQUIRED_FIELDS,
    program_record,
)
from ..exchange.validation import CHOICE_FIELDS, row_validate
from ..models import ImportFileFormat, Program


class ImportUploadForm(forms.Form):
    """The upload form, which shares its page (and the field name file_format) with ExportForm."""

    file = forms.FileField(
        label="File to import",
        help_text="CSV or JSON in the exchange format, version 1; at most 20 MB and 200,000 rows.",
    )
    file_format = forms.ChoiceField(
        label="Format",
        required=False,
        choices=[("", "Detect from the file name"), *ImportFileFormat.choices],
    )
    publish = forms.BooleanField(
        label="Publish right away (skip the review queue)",
        required=False,
        help_text="Unticked: new listings arrive as drafts and changes to published listings wait for review.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Ids of their own on the shared page (id_import_file_format); the field names stay as they are.
        kwargs.setdefault("auto_id", "id_import_%s")
        super().__init__(*args, **kwargs)

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_BYTES:
            limit = settings.IMPORT_MAX_BYTES // (1024 * 1024)
            raise forms.ValidationError(f"The file is larger than {limit} MB, the import limit. Split it.")
        return upload


class ExportForm(forms.Form):
    """Export choices, read from the address: their names stay plain so the catalog filters can sit beside them."""

    file_format = forms.ChoiceField(label="Format", choices=ImportFileFormat.choices, initial="csv")
    scope = forms.ChoiceField(
        label="Listings",
        choices=[
            ("all", "All listings (drafts, published, archived)"),
            ("catalog", "The published catalog, with the catalog filters in the address"),
        ],
        initial="all",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Ids of their own on the page it shares with ImportUploadForm (id_export_file_format).
        kwargs.setdefault("auto_id", "id_export_%s")
        super().__init__(*args, **kwargs)


class ReviewDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve and publish"), ("reject", "Reject")], required=False)
    note = forms.CharField(
        label="Note (required to reject)",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    approve_one = forms.CharField(required=False)
    reject_one = forms.CharField(required=False)

    def selection(self, data: QueryDict) -> tuple[list[int], list[int], str]:
        """(revision ids, draft ids, decision) from the checkboxes or a single item's button."""
        single = self.cleaned_data.get("approve_one") or self.cleaned_data.get("reject_one")
        if single:
            decision = "approve" if self.cleaned_data.get("approve_one") else "reject"
            kind, _, raw_id = single.partition(":")
            ids = [number for number in [id_from_text(raw_id)] if number is not None]
            return (ids, [], decision) if kind == "revision" else ([], ids, decision)
        revisions = [number for number in map(id_from_text, data.getlist("revision")) if number is not None]
        drafts = [number for number in map(id_from_text, data.getlist("draft")) if number is not None]
        return revisions, drafts, self.cleaned_data.get("decision") or ""


# Fields a curator edits as a choice list; the rest are text in the importer's CSV cell syntax.
_LONG_TEXT = frozenset({"description"})
_FORM_FIELDS = tuple(name for name in FIELDS if name != "status")
_IDENTITY = ("provider_name", "external_id")


def _field_for(name: str) -> forms.Field:
    label = name.replace("_", " ").capitalize() + (" (required)" if name in REQUIRED_FIELDS else "")
    # Required is the exchange validation's to say (its message), so no field is required for Django.
    required = False
    # Choice lists are plain text fields shown as a select, so a value outside the list gets the importer's message.
    if name in CHOICE_FIELDS:
        choices = [("", "—"), *((value, value) for value in CHOICE_FIELDS[name])]
        return forms.CharField(label=label, required=required, widget=forms.Select(choices=choices))
    if name in BOOLEAN_FIELDS:
        choices = [("", "—"), ("true", "Yes"), ("false", "No")]
        return forms.CharField(label=label, required=required, widget=forms.Select(choices=choices))
    if name == "credits":
        help_text = "type:amount pairs separated by “;”, e.g. ama_pra_1:20;ancc:20"
    elif name in CODE_SET_FIELDS:
        help_text = "Separated by “;”. Allowed: " + ", ".join(CODE_SET_FIELDS[name])
    elif name in MULTI_VALUED_FIELDS:
        help_text = "Separated by “;”."
    elif name in DATE_FIELDS:
        help_text = "YYYY-MM-DD"
    else:
        help_text = ""
    widget = forms.Textarea(attrs={"rows": 5}) if name in _LONG_TEXT else forms.TextInput()
    # Django's own checks stay off: the exchange validation (row_validate) is the one rule.
    return forms.CharField(label=label, required=required, help_text=help_text, widget=widget, strip=False)


class ListingForm(forms.Form):
    """Every exchange-format field of a listing, checked by the importer's `row_validate`, nothing else.

    Values are typed as in a CSV cell (lists and credits separated by “;”),
    so a curator and an import file are held to the same rules and messages.
    `record` is the canonical exchange record once the form is valid.
    """

    def __init__(self, *args: Any, program: Program | None = None, **kwargs: Any) -> None:
        if program is not None and "initial" not in kwargs:
            record = program_record(program)
            kwargs["initial"] = {name: cell_text(name, record[name]) for name in _FORM_FIELDS}
        super().__init__(*args, **kwargs)
        self.program = program
        for name in _FORM_FIELDS:
            self.fields[name] = _field_for(name)
        if program is not None:
            for name in _IDENTITY:
                self.fields[name].disabled = True
                self.fields[name].help_text = "Identifies the listing in the exchange format; not editable."
        self.record: dict[str, Any] | None = None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        raw = {name: self.data.get(name, "") if name not in _IDENTITY else cleaned.get(name) for name in _FORM_FIELDS}
        if self.program is not None:
            raw.update({"provider_name": self.program.provider.name, "external_id": self.program.external_id})
        record, problems = row_validate(raw)
        for problem in problems:
            if problem.field in self.fields and problem.field not in self.errors:
                self.add_error(problem.field, problem.message)
            elif problem.field not in self.fields:
                self.add_error(None, f"{problem.field}: {problem.message}")
        self.record = record
        return cleaned
