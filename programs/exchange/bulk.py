"""Fast inserts of many rows: COPY on PostgreSQL, bulk_create elsewhere.

Why: Django's bulk_create on PostgreSQL sends each column as an array that
psycopg quotes element by element in Python, which dominated the time of large
imports. COPY streams rows in PostgreSQL's own format instead, several times
faster. Rows are inserted as given: no signals, no `save()`; field pre-save
hooks (auto_now, auto_now_add) do run.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Collection, Sequence
from typing import Any

from django.db import connection, models
from django.db.models import F, Lookup, Q

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
    row_of = _row_reader(fields, inserting=True)
    relations = [field for field in fields if isinstance(field, models.ForeignObject)]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    statement = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for obj in objects:
            if any(_related_unresolved(obj, field) for field in relations):
                # As bulk_create does: take foreign keys from related objects saved since assignment.
                obj._prepare_related_fields_for_save(operation_name="bulk_insert")  # type: ignore[attr-defined]  # private Model method bulk_create calls; not in django-stubs
            copy.write_row(row_of(obj))


def bulk_insert_values(model: type[models.Model], names: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert rows given as values of the model's fields `names` (attnames), without building instances first.

    PostgreSQL: one COPY. Elsewhere: bulk_create of instances made from the values.
    """
    if not rows:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create([model(**dict(zip(names, row, strict=True))) for row in rows])
        return
    fields = [model._meta.get_field(name) for name in names]
    assert all(isinstance(field, models.Field) and field.concrete for field in fields)
    converters = [_copy_converter(field) for field in fields if isinstance(field, models.Field)]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields if isinstance(field, models.Field))
    statement = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        if not any(converters):
            for row in rows:
                copy.write_row(row)
            return
        for row in rows:
            copy.write_row(
                [value if convert is None else convert(value) for value, convert in zip(row, converters, strict=True)]
            )


class _AnyOf(Lookup[Any]):
    """`column = ANY(%s)`, the values bound as one array parameter."""

    lookup_name = "any_of"  # used as an expression (`among`), never registered on a field
    prepare_rhs = False

    def get_db_prep_lookup(self, value: Any, connection: Any) -> tuple[str, list[Any]]:
        return "%s", [list(value)]

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", [*lhs_params, *rhs_params]


def among(name: str, values: Collection[Any]) -> Q | Lookup[Any]:
    """A filter condition: the field `name` (an attname) holds one of `values`.

    Why not `__in` on PostgreSQL: it binds one parameter per value, so a batch's
    thousand ids cost Django a lookup preparation each and psycopg a parse of a
    statement too long for its cache on every call (about a third of the CPU of
    reading a batch's stored listings). An array parameter is one value.
    """
    if connection.vendor != "postgresql":
        return Q(**{f"{name}__in": values})
    return _AnyOf(F(name), list(values))


def _related_unresolved(obj: models.Model, field: models.ForeignObject[Any, Any]) -> bool:
    """Whether the object's foreign key is still empty while it holds the related object (saved since, or not)."""
    return getattr(obj, field.attname) is None and field.get_cached_value(obj, None) is not None


def _row_reader(fields: Sequence[models.Field[Any, Any]], *, inserting: bool) -> Callable[[models.Model], list[Any]]:
    """A function giving an object's values of `fields` as COPY writes them.

    Inserting, each field's `pre_save` hook runs (auto_now, auto_now_add), as
    bulk_create runs them; updating, the attributes are written as they are.
    Why: a row of a wide model read per field through `pre_save` and a
    converter dominated the Python time of a large insert; plain fields are
    read in one `attrgetter` call and only the others go through their hooks.
    """
    own_pre_save = [
        (position, field)
        for position, field in enumerate(fields)
        if inserting and type(field).pre_save is not models.Field.pre_save  # auto_now and the like
    ]
    converted = [
        (position, converter)
        for position, field in enumerate(fields)
        if (converter := _copy_converter(field)) is not None
    ]
    read = operator.attrgetter(*(field.attname for field in fields))
    single = len(fields) == 1

    def row_of(obj: models.Model) -> list[Any]:
        values = [read(obj)] if single else list(read(obj))
        for position, field in own_pre_save:
            values[position] = field.pre_save(obj, True)
        for position, convert in converted:
            values[position] = convert(values[position])
        return values

    return row_of


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
    row_of = _row_reader([pk, *columns], inserting=False)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{staged}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {staged} ON COMMIT DROP AS SELECT {', '.join(names)} FROM {table} WITH NO DATA"  # noqa: S608
        )
        with cursor.cursor.copy(f"COPY {staged} ({', '.join(names)}) FROM STDIN") as copy:
            for obj in objects:
                copy.write_row(row_of(obj))
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


def _copy_converter(field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
    """How a field's Python value becomes COPY data; None when psycopg takes it as it is."""
    if isinstance(field, CodeSetField):
        return field.get_prep_value
    if isinstance(field, models.JSONField):
        # Most tag lists are empty: their text is known without a call to the encoder (a third of a listing's COPY).
        return lambda value: "[]" if value == [] else json.dumps(value, cls=field.encoder)
    return None
