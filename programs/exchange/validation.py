"""Validating one raw row against the exchange format (docs/import-format.md).

`row_validate` turns a raw row (from programs.exchange.reading) into a
canonical exchange record, the form `programs.exchange.format.program_record`
produces, or a list of `RowProblem`s naming each bad field. Vocabularies and
limits come from the models so the two cannot drift apart. Writes nothing.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models

from ..choices import (
    AccreditationStatus,
    Accreditor,
    ActivityFormat,
    CommercialSupport,
    CreditType,
    Delivery,
    OutcomeLevel,
    ProgramStatus,
)
from ..models import Program, Provider
from .format import (
    BOOLEAN_FIELDS,
    CODE_SET_FIELDS,
    DATE_FIELDS,
    DECIMAL_FIELDS,
    FIELDS,
    MULTI_VALUED_FIELDS,
    REQUIRED_FIELDS,
    decimal_text,
    record_canonical,
)
from .problems import (
    MSG_BOOLEAN,
    MSG_CHOICE,
    MSG_CODES,
    MSG_CREDITS_AMOUNT,
    MSG_CREDITS_SYNTAX,
    MSG_CREDITS_TWICE,
    MSG_CREDITS_TYPE,
    MSG_CURRENCY,
    MSG_DATE,
    MSG_DECIMAL,
    MSG_END_BEFORE_START,
    MSG_LIST_TYPE,
    MSG_REQUIRED,
    MSG_TAG_SEMICOLON,
    MSG_TAG_TOO_LONG,
    MSG_TAGS_TOO_MANY,
    MSG_TEXT_TOO_LONG,
    MSG_TEXT_TYPE,
    MSG_UNSTORABLE,
    MSG_URL,
    UNSTORABLE_CHARACTER,
    RowProblem,
    shorten,
)

CREDIT_TYPES = tuple(CreditType.values)

STATUS_VALUES = (ProgramStatus.DRAFT, ProgramStatus.PUBLISHED, ProgramStatus.ARCHIVED)
CHOICE_FIELDS: dict[str, tuple[str, ...]] = {
    "provider_accreditor": tuple(Accreditor.values),
    "provider_accreditation_status": tuple(AccreditationStatus.values),
    "format": tuple(ActivityFormat.values),
    "delivery": tuple(Delivery.values),
    "outcome_level_measured": tuple(OutcomeLevel.values),
    "commercial_support": tuple(CommercialSupport.values),
    "status": tuple(str(value) for value in STATUS_VALUES),
}


def _max_length(model: type[models.Model], name: str) -> int:
    """The max_length of one of the model's CharFields."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.CharField) and field.max_length is not None
    return field.max_length


DESCRIPTION_MAX_LENGTH = 200_000
# Tag lists are JSON arrays in the database (no limit there); the format sets these.
TAGS_MAX_COUNT = 100
TAG_MAX_LENGTH = 200
TEXT_MAX_LENGTH: dict[str, int] = {
    "external_id": _max_length(Program, "external_id"),
    "title": _max_length(Program, "title"),
    "provider_name": _max_length(Provider, "name"),
    # The model's TextField has no limit (PostgreSQL would take 1 GB); the format sets one.
    "description": DESCRIPTION_MAX_LENGTH,
    "location_city": _max_length(Program, "location_city"),
    "location_state": _max_length(Program, "location_state"),
    "location_country": _max_length(Program, "location_country"),
}
URL_FIELDS = {"url": 500, "outcomes_url": 500}


def _decimal_limits(name: str) -> tuple[int, int]:
    """(max_digits, decimal_places) of one of Program's decimal columns."""
    field = cast("models.DecimalField[Any, Any]", Program._meta.get_field(name))
    return field.max_digits, field.decimal_places


# field -> (max_digits, decimal_places), as the model columns store them.
DECIMAL_LIMITS: dict[str, tuple[int, int]] = {name: _decimal_limits(name) for name in DECIMAL_FIELDS}
CREDIT_LIMITS = (7, 2)
CREDIT_MINIMUM = Decimal("0.25")
TRUE_WORDS = {"true", "yes", "1"}
FALSE_WORDS = {"false", "no", "0"}
CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")
_url_validator = URLValidator(schemes=["http", "https"])


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "") or value == []


def _as_text(value: Any) -> str | None:
    """Text of a scalar (numbers become their text); None when it is not a scalar."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool | dict | list):
        return None
    return str(value)


def _as_list(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [part.strip() for part in value.split(";") if part.strip()]
    if isinstance(value, list):
        items = [_as_text(item) for item in value]
        if any(item is None for item in items):
            return None
        return [item for item in items if item]
    return None


def _texts_of(value: Any) -> Iterator[str]:
    """Every text in a raw value: itself, or the items (keys too) of a list or object."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _texts_of(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _texts_of(item)


def _has_unstorable(value: Any) -> bool:
    """Whether a raw value (text, or a list or object of them) holds a character no database stores."""
    return any(UNSTORABLE_CHARACTER.search(text) for text in _texts_of(value))


def _row_has_unstorable(raw: dict[str, Any]) -> bool:
    """One search over the whole row: the common case, a clean row, costs one regex pass."""
    values = raw.values()
    try:
        text = "\x1f".join(values)  # a CSV row: text only
    except TypeError:
        text = "\x1f".join(_texts_of(list(values)))
    return UNSTORABLE_CHARACTER.search(text) is not None


def _decimal(value: Any, limits: tuple[int, int], minimum: Decimal) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not number.is_finite() or number < minimum:
        return None
    max_digits, places = limits
    _sign, digits, exponent = number.normalize().as_tuple()
    assert isinstance(exponent, int)
    decimals = max(0, -exponent)
    whole = max(0, len(digits) + exponent)
    if decimals > places or whole > max_digits - places:
        return None
    return number


def row_validate(raw: dict[str, Any]) -> tuple[dict[str, Any] | None, list[RowProblem]]:
    """Check one raw row against the exchange format.

    Returns (canonical record, []) for a valid row (equal to its own
    record_canonical), with `status` None when the row does not state one,
    or (None, problems) naming each bad field, at most one problem per field,
    in field order. Writes nothing.
    """
    problems: list[RowProblem] = []
    record: dict[str, Any] = {}
    check_storable = _row_has_unstorable(raw)
    get = raw.get
    for name, parse, blank_kind in _FIELD_PLAN:
        value = get(name)
        # _is_blank, inlined: it runs for every field of every row.
        if value is None or (isinstance(value, str) and not value.strip()) or value == []:
            if name in REQUIRED_FIELDS:
                problems.append(RowProblem(name, shorten(value), MSG_REQUIRED))
            record[name] = {} if blank_kind is dict else [] if blank_kind is list else blank_kind
            continue
        if check_storable and _has_unstorable(value):
            problems.append(RowProblem(name, shorten(value), MSG_UNSTORABLE))
            continue
        try:
            record[name] = parse(name, value)
        except InvalidValue as error:
            problems.append(RowProblem(name, shorten(value), error.message))
    start, end = record.get("start_date"), record.get("end_date")
    if start and end and end < start:
        problems.append(RowProblem("end_date", shorten(raw.get("end_date")), MSG_END_BEFORE_START))
    if problems:
        return None, problems
    # Each parser returns its value in canonical form and each blank is the canonical blank,
    # so the record needs no record_canonical pass (tests hold record_canonical(record) == record).
    return record, []


class InvalidValue(Exception):
    """A non-blank value a field does not accept; `message` is the row error users see."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# Each parser takes (field name, non-blank raw value) and returns the value in
# record form, or raises InvalidValue.


def _text(name: str, value: Any) -> str:
    text = _as_text(value)
    limit = TEXT_MAX_LENGTH[name]
    if text is None:
        raise InvalidValue(MSG_TEXT_TYPE)
    if len(text) > limit:
        raise InvalidValue(MSG_TEXT_TOO_LONG.format(limit=limit))
    return text


def _choice(name: str, value: Any) -> str:
    text = _as_text(value)
    code = text.lower() if text is not None else None
    if code not in CHOICE_FIELDS[name]:
        raise InvalidValue(MSG_CHOICE.format(allowed=", ".join(CHOICE_FIELDS[name])))
    return code


def _code_set(name: str, value: Any) -> list[str]:
    items = _as_list(value)
    allowed = CODE_SET_FIELDS[name]
    if items is None:
        raise InvalidValue(MSG_LIST_TYPE)
    codes = [item.lower() for item in items]
    unknown = [code for code in codes if code not in allowed]
    if unknown:
        raise InvalidValue(MSG_CODES.format(bad=unknown[0], allowed=", ".join(allowed)))
    # Stored as a bit mask, read back in declaration order: canonical order.
    return [code for code in allowed if code in codes]


def _tag_list(name: str, value: Any) -> list[str]:
    items = _as_list(value)
    if items is None:
        raise InvalidValue(MSG_LIST_TYPE)
    tags = list(dict.fromkeys(items))
    if len(tags) > TAGS_MAX_COUNT:
        raise InvalidValue(MSG_TAGS_TOO_MANY.format(limit=TAGS_MAX_COUNT))
    if any(len(tag) > TAG_MAX_LENGTH for tag in tags):
        raise InvalidValue(MSG_TAG_TOO_LONG.format(limit=TAG_MAX_LENGTH))
    if any(";" in tag for tag in tags):
        raise InvalidValue(MSG_TAG_SEMICOLON)
    return tags


def _url(name: str, value: Any) -> str:
    text = _as_text(value)
    try:
        if text is None or len(text) > URL_FIELDS[name]:
            raise ValidationError("bad")
        _url_validator(text)
    except ValidationError:
        raise InvalidValue(MSG_URL) from None
    return text


def _date(name: str, value: Any) -> str:
    text = _as_text(value)
    try:
        if text is None or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError(text)
        return datetime.date.fromisoformat(text).isoformat()
    except ValueError:
        raise InvalidValue(MSG_DATE) from None


def _decimal_field(name: str, value: Any) -> str | None:
    max_digits, places = DECIMAL_LIMITS[name]
    number = _decimal(value, DECIMAL_LIMITS[name], Decimal("0"))
    if number is None:
        raise InvalidValue(MSG_DECIMAL.format(places=places, whole=max_digits - places))
    return decimal_text(number)


def _boolean(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = _as_text(value)
    word = word.lower() if word is not None else None
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise InvalidValue(MSG_BOOLEAN)


def _currency(name: str, value: Any) -> str:
    text = _as_text(value)
    code = text.upper() if text is not None else None
    if code is None or not CURRENCY_PATTERN.match(code):
        raise InvalidValue(MSG_CURRENCY)
    return code


def _credits(name: str, value: Any) -> dict[str, str]:
    credits: dict[str, str] = {}
    for credit_type, amount in _credit_pairs(value):
        code = str(credit_type).strip().lower()
        if code not in CREDIT_TYPES:
            raise InvalidValue(MSG_CREDITS_TYPE.format(bad=code, allowed=", ".join(CREDIT_TYPES)))
        if code in credits:
            raise InvalidValue(MSG_CREDITS_TWICE.format(bad=code))
        number = _decimal(amount, CREDIT_LIMITS, CREDIT_MINIMUM)
        if number is None:
            raise InvalidValue(MSG_CREDITS_AMOUNT.format(bad=shorten(amount)))
        credits[code] = decimal_text(number)
    return dict(sorted(credits.items()))


def _credit_pairs(value: Any) -> list[tuple[Any, Any]]:
    """(type, amount) pairs from a JSON object or CSV text `type:amount;type:amount`."""
    if isinstance(value, dict):
        return list(value.items())
    if not isinstance(value, str):
        raise InvalidValue(MSG_CREDITS_SYNTAX)
    pairs = []
    for part in value.split(";"):
        if not part.strip():
            continue
        if part.count(":") != 1:
            raise InvalidValue(MSG_CREDITS_SYNTAX)
        credit_type, amount = part.split(":")
        pairs.append((credit_type, amount))
    return pairs


def _parser_for(name: str) -> Callable[[str, Any], Any]:
    """The parser of one exchange-format field; every field has one."""
    if name in TEXT_MAX_LENGTH:
        return _text
    if name in CHOICE_FIELDS:
        return _choice
    if name in CODE_SET_FIELDS:
        return _code_set
    if name in MULTI_VALUED_FIELDS:
        return _tag_list
    if name in URL_FIELDS:
        return _url
    if name in DATE_FIELDS:
        return _date
    if name in DECIMAL_FIELDS:
        return _decimal_field
    if name in BOOLEAN_FIELDS:
        return _boolean
    if name == "fee_currency":
        return _currency
    if name == "credits":
        return _credits
    raise LookupError(f"no parser for the exchange-format field {name!r}")


FIELD_PARSERS: dict[str, Callable[[str, Any], Any]] = {name: _parser_for(name) for name in FIELDS}


def _canonical_blank(name: str) -> Any:
    """What a blank field is in a canonical record (`dict` / `list`: a new empty one per record)."""
    if name == "credits":
        return dict
    if name in MULTI_VALUED_FIELDS:
        return list
    if name == "fee_currency":
        return record_canonical({})["fee_currency"]  # the format's default currency
    return None  # a blank status stays None: the writer decides it (writing._status_for)


# (field, parser, canonical blank) in field order: what row_validate walks for each row.
_FIELD_PLAN: tuple[tuple[str, Callable[[str, Any], Any], Any], ...] = tuple(
    (name, FIELD_PARSERS[name], _canonical_blank(name)) for name in FIELDS
)
