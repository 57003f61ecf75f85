"""SQL expressions for careers' arithmetic, kept equal to the pure rules in careers.progress."""

from __future__ import annotations

from typing import Any

from django.db.models import DateField, Func


class CycleStart(Func):
    """`progress.cycle_start(renewal_date, cycle_months)` in SQL: the renewal date minus the cycle's months,
    clamped to the month's last day (March 31 minus one month is February's last day).

    PostgreSQL's date minus an interval of months clamps the same way; SQLite's date modifiers
    overflow into the next month instead, so there the day is capped at the month's last day.
    """

    output_field = DateField()
    arity = 2

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, list[Any]]:
        renewal, months = (compiler.compile(expression) for expression in self.source_expressions)
        return f"(({renewal[0]}) - make_interval(months => ({months[0]})::integer))::date", [*renewal[1], *months[1]]

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, list[Any]]:
        renewal, months = (compiler.compile(expression) for expression in self.source_expressions)
        month = f"date({renewal[0]}, 'start of month', '-' || ({months[0]}) || ' months')"
        sql = (
            f"min(date({month}, '+' || (CAST(strftime('%%d', {renewal[0]}) AS INTEGER) - 1) || ' days'), "
            f"date({month}, '+1 month', '-1 day'))"
        )
        return sql, [*renewal[1], *months[1], *renewal[1], *renewal[1], *months[1]]
