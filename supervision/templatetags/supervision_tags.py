"""Template tags for supervision pages: the ledger's lines."""

from __future__ import annotations

from decimal import Decimal

from django import template

from programs.ranking.fit import format_amount, format_money
from supervision.ledger import Ledger
from supervision.presenters import LedgerLine, ledger_lines

register = template.Library()


@register.simple_tag
def ledger_figures(ledger: Ledger, whole_year: bool = False) -> list[LedgerLine]:
    """The ledger's lines, worded once (supervision.presenters.ledger_lines)."""
    return ledger_lines(ledger, whole_year=bool(whole_year))


@register.filter
def money(amount: Decimal) -> str:
    """$1,200 (programs.ranking.fit.format_money, the one money wording)."""
    return format_money(amount)


@register.filter
def days(amount: Decimal) -> str:
    return format_amount(amount)
