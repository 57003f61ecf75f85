"""Keyword search over the catalog.

PostgreSQL: full-text search served by the GIN expression index created in
migration 0002; the expression below must stay identical to that index's.
SQLite (quickstart): case-insensitive substring match on title and description.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import BooleanField, FloatField, Q
from django.db.models.expressions import RawSQL

from .models import ProgramQuerySet

SEARCH_DOCUMENT_SQL = (
    'to_tsvector(\'english\'::regconfig, ("programs_program"."title" || \' \' || "programs_program"."description"))'
)
SEARCH_INDEX_SQL = (
    "CREATE INDEX IF NOT EXISTS program_search_fts ON programs_program "
    "USING gin (to_tsvector('english'::regconfig, (title || ' ' || description)))"
)


def program_search(queryset: ProgramQuerySet, query: str) -> ProgramQuerySet:
    """Narrow the queryset to programs matching the keywords, annotated with `search_rank`."""
    query = query.strip()
    if not query:
        return queryset
    if connection.vendor == "postgresql":
        tsquery = "websearch_to_tsquery('english'::regconfig, %s)"
        return queryset.filter(
            RawSQL(f"{SEARCH_DOCUMENT_SQL} @@ {tsquery}", [query], output_field=BooleanField())  # noqa: S611 - constant SQL, query is a parameter
        ).annotate(
            search_rank=RawSQL(f"ts_rank({SEARCH_DOCUMENT_SQL}, {tsquery})", [query], output_field=FloatField())  # noqa: S611
        )
    condition = Q()
    for word in query.split():
        condition &= Q(title__icontains=word) | Q(description__icontains=word)
    return queryset.filter(condition).annotate(search_rank=RawSQL("0", [], output_field=FloatField()))
