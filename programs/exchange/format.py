"""The exchange format (import-format.md) as data: field list and a program's record.

`program_record` is the one canonical view of a listing in exchange-format terms.
History diffs, exports and the import's "unchanged" check all compare these
records, so they cannot disagree about what a listing says.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any, overload

from ..choices import CareerTrack, Competency, DesignedToChange, Profession
from ..models import CreditOffering, Program, Provider

FORMAT_VERSION = "1"

# In export order. Multi-valued fields hold lists; `credits` a dict type -> amount.
FIELDS: tuple[str, ...] = (
    "external_id",
    "title",
    "provider_name",
    "provider_accreditor",
    "provider_accreditation_status",
    "jointly_accredited",
    "description",
    "format",
    "delivery",
    "start_date",
    "end_date",
    "location_city",
    "location_state",
    "location_country",
    "url",
    "fee_amount",
    "fee_currency",
    "time_commitment_hours",
    "leave_days",
    "credits",
    "moc_boards",
    "professions",
    "planning_professions",
    "specialties",
    "topics",
    "competencies",
    "career_tracks",
    "designed_to_change",
    "outcome_level_measured",
    "publishes_outcomes",
    "outcomes_url",
    "requires_practice_project",
    "ehr_integration",
    "commercial_support",
    "commercial_supporters",
    "disclosures_published",
    "ancillary_marketing",
    "ipce_credit",
    "status",
)

REQUIRED_FIELDS = frozenset({"external_id", "title", "provider_name", "format"})
BOOLEAN_FIELDS = frozenset(
    {
        "publishes_outcomes",
        "requires_practice_project",
        "ehr_integration",
        "disclosures_published",
        "ancillary_marketing",
        "ipce_credit",
        "jointly_accredited",
    }
)
# Code sets are unordered; they are stored and exported in vocabulary order.
CODE_SET_FIELDS: dict[str, list[str]] = {
    "professions": Profession.values,
    "planning_professions": Profession.values,
    "competencies": Competency.values,
    "career_tracks": CareerTrack.values,
    "designed_to_change": DesignedToChange.values,
}
# Free-text tag lists, kept in the order given.
TAG_LIST_FIELDS = frozenset({"moc_boards", "specialties", "topics", "commercial_supporters"})
# Multi-valued fields hold lists: the code sets and the tag lists.
MULTI_VALUED_FIELDS = frozenset({*CODE_SET_FIELDS, *TAG_LIST_FIELDS})
DECIMAL_FIELDS = frozenset({"fee_amount", "time_commitment_hours", "leave_days"})
DATE_FIELDS = frozenset({"start_date", "end_date"})
PROVIDER_FIELDS = {
    "provider_name": "name",
    "provider_accreditor": "accreditor",
    "provider_accreditation_status": "accreditation_status",
    "jointly_accredited": "jointly_accredited",
}
# Exchange-format fields stored directly on Program under the same name.
PROGRAM_COLUMNS: tuple[str, ...] = tuple(name for name in FIELDS if name not in PROVIDER_FIELDS and name != "credits")


@overload
def decimal_text(value: Decimal) -> str: ...
@overload
def decimal_text(value: None) -> None: ...
def decimal_text(value: Decimal | None) -> str | None:
    """A decimal as the shortest exact text: 185.00 -> "185", 0.50 -> "0.5"."""
    if value is None:
        return None
    text = format(value.normalize(), "f")
    return text


def program_record(program: Program, offerings: Iterable[CreditOffering] | None = None) -> dict[str, Any]:
    """The listing in exchange-format terms, with JSON-ready values.

    Uses `program.provider` and `program.credit_offerings.all()` (or
    `offerings`, the listing's credit offerings when the caller holds them:
    the importer, which would otherwise build a queryset per listing); select
    and prefetch them when building records for many programs.
    """
    record: dict[str, Any] = {}
    provider = program.provider
    record["provider_name"] = provider.name
    record["provider_accreditor"] = provider.accreditor or None
    record["provider_accreditation_status"] = provider.accreditation_status or None
    record["jointly_accredited"] = provider.jointly_accredited
    for name in PROGRAM_COLUMNS:
        value = getattr(program, name)
        if name in DECIMAL_FIELDS:
            value = decimal_text(value)
        elif name in DATE_FIELDS:
            value = value.isoformat() if value else None
        elif name in MULTI_VALUED_FIELDS:
            value = list(value or [])
        elif value == "":
            value = None
        record[name] = value
    record["credits"] = {
        offering.credit_type: decimal_text(offering.amount)
        for offering in sorted(
            program.credit_offerings.all() if offerings is None else offerings, key=lambda o: o.credit_type
        )
    }
    return {name: record[name] for name in FIELDS}


def provider_record(program_provider: Provider) -> dict[str, Any]:
    """The provider's fields in exchange-format terms."""
    return {
        "provider_name": program_provider.name,
        "provider_accreditor": program_provider.accreditor or None,
        "provider_accreditation_status": program_provider.accreditation_status or None,
        "jointly_accredited": program_provider.jointly_accredited,
        "url": program_provider.url or None,
    }


def record_diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, list[Any]]:
    """Fields whose values differ, as {field: [before, after]}."""
    before = before or {}
    after = after or {}
    return {
        key: [before.get(key), after.get(key)]
        for key in dict.fromkeys([*before, *after])
        if before.get(key) != after.get(key)
    }


def _in_declaration_order(codes: Iterable[str], order: list[str]) -> list[str]:
    """`codes` without repeats, in the order of `order`; codes outside it go last."""
    return sorted(set(codes), key=lambda code: order.index(code) if code in order else len(order))


def record_canonical(record: dict[str, Any]) -> dict[str, Any]:
    """A valid incoming record in the exact form `program_record` produces."""
    canonical: dict[str, Any] = {}
    for name in FIELDS:
        value = record.get(name)
        if name in CODE_SET_FIELDS:
            value = _in_declaration_order(value or [], CODE_SET_FIELDS[name])
        elif name in MULTI_VALUED_FIELDS:
            value = list(value or [])
        elif name == "credits":
            value = {key: decimal_text(Decimal(str(amount))) for key, amount in sorted((value or {}).items())}
        elif name in DECIMAL_FIELDS:
            value = decimal_text(Decimal(str(value))) if value not in (None, "") else None
        elif name == "fee_currency":
            value = value or "USD"
        elif name == "status":
            value = value or "draft"
        elif value == "":
            value = None
        canonical[name] = value
    return canonical


def record_changes(stored: dict[str, Any], incoming: dict[str, Any]) -> dict[str, list[Any]]:
    """What importing `incoming` would change in the stored listing.

    Provider fields the incoming record leaves blank are not changes: a row
    need not restate its provider's accreditation.
    """
    canonical = record_canonical(incoming)
    for name in PROVIDER_FIELDS:
        if canonical.get(name) is None:
            canonical[name] = stored.get(name)
    return record_diff(stored, canonical)
