"""The exchange format (import-format.md) as data: field list and a program's record.

`program_record` is the one canonical view of a listing in exchange-format terms.
History diffs, exports and the import's "unchanged" check all compare these
records, so they cannot disagree about what a listing says.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
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


def _date_text(value: Any) -> str | None:
    return value.isoformat() if value else None


def _list_copy(value: Any) -> list[Any]:
    return list(value or [])


def _blank_as_none(value: Any) -> Any:
    return None if value == "" else value


def _column_reader(name: str) -> Callable[[Any], Any]:
    """How `listing_record` turns one stored program column into its exchange-format value."""
    if name in DECIMAL_FIELDS:
        return decimal_text
    if name in DATE_FIELDS:
        return _date_text
    if name in MULTI_VALUED_FIELDS:
        return _list_copy
    return _blank_as_none


# One reader per PROGRAM_COLUMNS entry, in that order.
_COLUMN_READERS: tuple[Callable[[Any], Any], ...] = tuple(_column_reader(name) for name in PROGRAM_COLUMNS)


def listing_record(
    provider: Provider, columns: Sequence[Any], credits: Iterable[tuple[str, Decimal]]
) -> dict[str, Any]:
    """A listing in exchange-format terms from its stored values: the one home of that mapping.

    `columns` holds the listing's PROGRAM_COLUMNS values in that order (its
    attributes, or a `values_list` row the importer reads without building
    instances); `credits` its (credit type, amount) pairs in any order.
    """
    record: dict[str, Any] = {
        "provider_name": provider.name,
        "provider_accreditor": provider.accreditor or None,
        "provider_accreditation_status": provider.accreditation_status or None,
        "jointly_accredited": provider.jointly_accredited,
        "credits": {credit_type: decimal_text(amount) for credit_type, amount in sorted(credits)},
    }
    for name, read, value in zip(PROGRAM_COLUMNS, _COLUMN_READERS, columns, strict=True):
        record[name] = read(value)
    return {name: record[name] for name in FIELDS}


def program_record(program: Program, offerings: Iterable[CreditOffering] | None = None) -> dict[str, Any]:
    """The listing in exchange-format terms, with JSON-ready values.

    Uses `program.provider` and `program.credit_offerings.all()` (or
    `offerings`, the listing's credit offerings when the caller holds them:
    the importer, which would otherwise build a queryset per listing); select
    and prefetch them when building records for many programs.
    """
    return listing_record(
        program.provider,
        [getattr(program, name) for name in PROGRAM_COLUMNS],
        (
            (offering.credit_type, offering.amount)
            for offering in (program.credit_offerings.all() if offerings is None else offerings)
        ),
    )


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


def _in_declaration_order(order: list[str]) -> Callable[[Any], list[str]]:
    """A canonicaliser of one code set: codes without repeats, in the order of `order`; codes outside it go last."""
    positions = {code: position for position, code in enumerate(order)}
    outside = len(order)
    return lambda codes: sorted(set(codes or []), key=lambda code: positions.get(code, outside))


def _credits_canonical(value: Any) -> dict[str, str]:
    return {key: decimal_text(Decimal(str(amount))) for key, amount in sorted((value or {}).items())}


def _decimal_canonical(value: Any) -> str | None:
    return decimal_text(Decimal(str(value))) if value not in (None, "") else None


def _canonicaliser(name: str) -> Callable[[Any], Any]:
    """How `record_canonical` puts one field's valid value in the form `program_record` produces."""
    if name in CODE_SET_FIELDS:
        return _in_declaration_order(CODE_SET_FIELDS[name])
    if name in MULTI_VALUED_FIELDS:
        return _list_copy
    if name == "credits":
        return _credits_canonical
    if name in DECIMAL_FIELDS:
        return _decimal_canonical
    if name == "fee_currency":
        return lambda value: value or "USD"
    if name == "status":
        return lambda value: value or "draft"
    return _blank_as_none


_CANONICALISERS: tuple[tuple[str, Callable[[Any], Any]], ...] = tuple((name, _canonicaliser(name)) for name in FIELDS)


def record_canonical(record: dict[str, Any]) -> dict[str, Any]:
    """A valid incoming record in the exact form `program_record` produces."""
    get = record.get
    return {name: canonical(get(name)) for name, canonical in _CANONICALISERS}


def record_changes(
    stored: dict[str, Any], incoming: dict[str, Any], *, canonical_already: bool = False
) -> dict[str, list[Any]]:
    """What importing `incoming` would change in the stored listing.

    Provider fields the incoming record leaves blank are not changes: a row
    need not restate its provider's accreditation. `canonical_already`: the
    caller holds `incoming` in canonical form (validation.row_validate's
    records are), so it is not canonicalised a second time.
    """
    canonical = dict(incoming) if canonical_already else record_canonical(incoming)
    for name in PROVIDER_FIELDS:
        if canonical.get(name) is None:
            canonical[name] = stored.get(name)
    return record_diff(stored, canonical)
