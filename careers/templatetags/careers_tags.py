"""Template helpers for careers: the shortlist state of a program, labels, percentages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.db.models import TextChoices

from programs.choices import CreditType, MandatedTopic

from .. import selectors

register = template.Library()

_CACHE_ATTR = "_careers_shortlisted_program_ids"


@register.simple_tag(takes_context=True)
def is_shortlisted(context: template.Context, program: Any) -> bool:
    """Whether the signed-in user has this program on their shortlist.

    One query per request, however many program cards the page shows: the ids
    are cached on the request.
    """
    if "shortlisted_override" in context:
        return bool(context["shortlisted_override"])
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or user is None or not user.is_authenticated:
        return False
    ids = getattr(request, _CACHE_ATTR, None)
    if ids is None:
        ids = selectors.shortlisted_program_ids(user=user)
        setattr(request, _CACHE_ATTR, ids)
    return program.pk in ids


def _choice_label(choices: type[TextChoices], code: str) -> str:
    """The label of `code` among `choices`; an unknown code is shown as it is."""
    try:
        return str(choices(code).label)
    except ValueError:
        return code


@register.filter
def credit_type_label(code: str) -> str:
    return _choice_label(CreditType, code)


@register.filter
def topic_label(code: str) -> str:
    return _choice_label(MandatedTopic, code)


@register.filter
def hours(value: Decimal | None) -> str:
    """Hours without trailing zeros: 50.00 -> 50, 12.50 -> 12.5."""
    if value is None:
        return ""
    text = f"{Decimal(value).quantize(Decimal('0.01')):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@register.filter
def progress_max(required: Decimal) -> Decimal:
    """A <progress> max that is never 0 (a licence may enter 0 hours required)."""
    return required if required and required > 0 else Decimal("1")


@register.filter
def sub(value: Decimal | None, other: Decimal | None) -> Decimal:
    return Decimal(value or 0) - Decimal(other or 0)
