"""SQL for careers' arithmetic, kept equal to the pure rules in careers.progress."""

from __future__ import annotations

import functools

from django.db import connection
from django.db.models import TextChoices

from programs.choices import CreditType
from programs.fields import codes_to_mask

from .models import CreditAmount, CreditClaim, Licence


def cycle_start_sql(renewal: str, months: str, *, vendor: str) -> str:
    """`progress.cycle_start(renewal_date, cycle_months)` in SQL, of two column references: the renewal date minus
    the cycle's months, clamped to the month's last day (March 31 minus one month is February's last day).

    PostgreSQL's date minus an interval of months clamps the same way; SQLite's date modifiers
    overflow into the next month instead, so there the day is capped at the month's last day.
    """
    if vendor == "postgresql":
        return f"(({renewal}) - make_interval(months => ({months})::integer))::date"
    month = f"date({renewal}, 'start of month', '-' || ({months}) || ' months')"
    return (
        f"min(date({month}, '+' || (CAST(strftime('%%d', {renewal}) AS INTEGER) - 1) || ' days'), "
        f"date({month}, '+1 month', '-1 day'))"
    )


def code_bit_sql(column: str, *, choices: type[TextChoices]) -> str:
    """The bit `programs.fields.codes_to_mask` gives the code in `column` (0 for an unknown code), in SQL."""
    whens = " ".join(f"WHEN '{code}' THEN {codes_to_mask([code], choices)}" for code in choices.values)
    return f"CASE {column} {whens} ELSE 0 END"


@functools.cache
def _licence_cycle_hours_sql(vendor: str) -> str:
    quote = connection.ops.quote_name
    licence, claim, amount = (quote(model._meta.db_table) for model in (Licence, CreditClaim, CreditAmount))
    every_type = codes_to_mask(CreditType.values, CreditType)
    accepted = f"CASE WHEN l.accepted_credit_types = 0 THEN {every_type} ELSE l.accepted_credit_types END"
    # Per claim in the licence's cycle, the largest amount of a type it accepts (none ticked: any type), summed.
    cycle_hours = (
        "SELECT SUM(hours) FROM ("  # noqa: S608 - names from the models, no input
        f"SELECT MAX(a.amount) AS hours FROM {claim} c JOIN {amount} a ON a.claim_id = c.id "
        "WHERE c.user_id = l.user_id "
        f"AND c.completed_on >= {cycle_start_sql('l.renewal_date', 'l.cycle_months', vendor=vendor)} "
        "AND c.completed_on <= l.renewal_date "
        f"AND a.amount > 0 AND ({code_bit_sql('a.credit_type', choices=CreditType)} & {accepted}) <> 0 "
        "GROUP BY c.id) per_claim"
    )
    return (
        "SELECT l.id, l.user_id, l.jurisdiction, l.licence_type, l.renewal_date, l.hours_required, "  # noqa: S608
        f"COALESCE(({cycle_hours}), 0) FROM {licence} l "
        "WHERE l.user_id IN ({users}) ORDER BY l.user_id, l.renewal_date, l.id"
    )


def licence_cycle_hours_sql(*, user_count: int) -> str:
    """One statement giving every licence of `user_count` users (its parameters: their ids) with the hours earned in
    its current cycle, as careers.progress counts them (a claim counts once, for the largest amount among the credit
    types the licence accepts): licence id, user id, jurisdiction, type, renewal date, hours required, hours
    earned, by user, renewal date and id.

    Written in SQL: the ORM's nested correlated subqueries cost more to compile than to run, and ran one subquery
    per claim; this one runs one per licence, over the claims of its cycle (index claim_user_completed).
    """
    return _licence_cycle_hours_sql(connection.vendor).replace("{users}", ", ".join(["%s"] * user_count))
