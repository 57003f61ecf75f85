"""Forms of the curator pages: import upload, export choice, review decisions."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.http import QueryDict

from ..models import ImportFileFormat


class ImportUploadForm(forms.Form):
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

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_BYTES:
            limit = settings.IMPORT_MAX_BYTES // (1024 * 1024)
            raise forms.ValidationError(f"The file is larger than {limit} MB, the import limit. Split it.")
        return upload


class ExportForm(forms.Form):
    file_format = forms.ChoiceField(label="Format", choices=ImportFileFormat.choices, initial="csv")
    scope = forms.ChoiceField(
        label="Listings",
        choices=[
            ("all", "All listings (drafts, published, archived)"),
            ("catalog", "The published catalog, with the catalog filters in the address"),
        ],
        initial="all",
    )


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
            ids = [int(raw_id)] if raw_id.isdigit() else []
            return (ids, [], decision) if kind == "revision" else ([], ids, decision)
        revisions = [int(value) for value in data.getlist("revision") if value.isdigit()]
        drafts = [int(value) for value in data.getlist("draft") if value.isdigit()]
        return revisions, drafts, self.cleaned_data.get("decision") or ""
