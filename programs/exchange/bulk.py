"""Fast inserts of many rows: COPY on PostgreSQL, bulk_create elsewhere.

Why: Django's bulk_create on PostgreSQL sends each column as an array that
psycopg quotes element by element in Python, which dominated the time of large
imports. COPY streams rows in PostgreSQL's own format instead, several times
faster. Rows are inserted as given: no signals, no `save()`; field pre-save
hooks (auto_now, auto_now_add) do run.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, models

from ..fields import CodeSetField
from ..models import Program


def bulk_insert(
    model: type[models.Model], objects: Sequence[models.Model], *, batch_size: int = 2000, with_pk: bool = False
) -> None:
    """Insert the objects in one go. Their primary keys are not set unless given (`with_pk`)."""
    if not objects:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objects, batch_size=batch_size)
        return
    fields = [field for field in model._meta.concrete_fields if with_pk or not field.primary_key]
    converters = [_copy_converter(field) for field in fields]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    statement = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for obj in objects:
            # As bulk_create does: take foreign keys from related objects saved since assignment.
            obj._prepare_related_fields_for_save(operation_name="bulk_insert")  # type: ignore[attr-defined]  # private Model method bulk_create calls; not in django-stubs
            copy.write_row(
                [convert(field.pre_save(obj, True)) for field, convert in zip(fields, converters, strict=True)]
            )


def bulk_update_rows(model: type[models.Model], objects: Sequence[models.Model], fields: Sequence[str]) -> None:
    """Write `fields` of the saved objects in a constant number of statements; no signals, no `save()`.

    Why not Django's bulk_update: it builds one CASE WHEN per field with a
    branch per row, which Django resolves in Python and PostgreSQL evaluates
    linearly, so its cost grows with rows times rows per batch (about 50 rows/s
    on a 500-row batch of listings). PostgreSQL: the new values are copied into
    a temporary table and applied with one UPDATE ... FROM; row triggers (the
    search document) fire as for any UPDATE of those columns. Elsewhere: one
    executemany of a plain UPDATE ... WHERE id.
    """
    if not objects:
        return
    concrete = [model._meta.get_field(name) for name in fields]
    assert all(isinstance(field, models.Field) and field.concrete for field in concrete)
    columns: list[models.Field[Any, Any]] = [field for field in concrete if isinstance(field, models.Field)]
    pk = model._meta.pk
    assert pk is not None
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    # The statements are built from the model's own quoted table and column names
    # (never from input); every value travels as a parameter or COPY data.
    if connection.vendor != "postgresql":
        assignments = ", ".join(f"{quote(field.column)} = %s" for field in columns)
        values = [
            [*(field.get_db_prep_save(getattr(obj, field.attname), connection) for field in columns), obj.pk]
            for obj in objects
        ]
        with connection.cursor() as cursor:
            cursor.executemany(f"UPDATE {table} SET {assignments} WHERE {quote(pk.column)} = %s", values)  # noqa: S608
        return
    staged = quote(f"_bulk_update_{model._meta.db_table}")
    names = [quote(field.column) for field in [pk, *columns]]
    converters = [_copy_converter(field) for field in columns]
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{staged}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {staged} ON COMMIT DROP AS SELECT {', '.join(names)} FROM {table} WITH NO DATA"  # noqa: S608
        )
        with cursor.cursor.copy(f"COPY {staged} ({', '.join(names)}) FROM STDIN") as copy:
            for obj in objects:
                copy.write_row(
                    [
                        obj.pk,
                        *(
                            convert(getattr(obj, field.attname))
                            for field, convert in zip(columns, converters, strict=True)
                        ),
                    ]
                )
        assignments = ", ".join(f"{name} = staged.{name}" for name in names[1:])
        cursor.execute(
            f"UPDATE {table} AS target SET {assignments} FROM {staged} AS staged "  # noqa: S608
            f"WHERE target.{names[0]} = staged.{names[0]}"
        )


def bulk_insert_programs(programs: Sequence[Program]) -> None:
    """Insert new programs and set their primary keys.

    PostgreSQL: the ids are drawn from the table's sequence first, then the rows
    are copied with them.
    """
    if not programs:
        return
    if connection.vendor != "postgresql":
        Program.objects.bulk_create(programs, batch_size=500)
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [Program._meta.db_table, len(programs)],
        )
        ids = [row[0] for row in cursor.fetchall()]
    for program, pk in zip(programs, ids, strict=True):
        program.pk = pk
    bulk_insert(Program, programs, with_pk=True)
    for program in programs:
        program._state.adding = False


def _copy_converter(field: models.Field[Any, Any]) -> Callable[[Any], Any]:
    if isinstance(field, CodeSetField):
        return field.get_prep_value
    if isinstance(field, models.JSONField):
        return lambda value: json.dumps(value, cls=field.encoder)
    return lambda value: value
