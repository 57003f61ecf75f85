"""SQL expressions for careers' arithmetic, kept equal to the pure rules in careers.progress."""

from __future__ import annotations

from typing import Any

from django.db.models import BigIntegerField, DateField, Func, TextChoices


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


class CodeBit(Func):
    """The bit `programs.fields.codes_to_mask` gives a code of `choices` (0 for an unknown code), in SQL.

    One CASE over the choices' codes, written as SQL text once: a handful of `When`
    expressions would be resolved and copied again for every query that nests it.
    """

    output_field = BigIntegerField()
    arity = 1

    def __init__(self, expression: Any, *, choices: type[TextChoices]) -> None:
        super().__init__(expression)
        self.codes = tuple(str(code) for code in choices.values)

    def as_sql(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, list[Any]]:  # type: ignore[override]
        column, column_params = compiler.compile(self.source_expressions[0])
        whens = " ".join(f"WHEN %s THEN {1 << index}" for index in range(len(self.codes)))
        return f"CASE {column} {whens} ELSE 0 END", [*column_params, *self.codes]
