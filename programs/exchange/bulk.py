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
