"""Template tags for supervision pages: the ledger's lines."""

from __future__ import annotations

from django import template

from supervision.ledger import Ledger
from supervision.presenters import LedgerLine, ledger_lines

register = template.Library()


@register.simple_tag
def ledger_figures(ledger: Ledger, whole_year: bool = False) -> list[LedgerLine]:
    """The ledger's lines, worded once (supervision.presenters.ledger_lines)."""
    return ledger_lines(ledger, whole_year=bool(whole_year))
