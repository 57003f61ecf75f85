"""The catalog version: one number that moves with every committed write the ranked catalog could see.

Database triggers keep it (migration 0009): on PostgreSQL a statement trigger on each table in
`VERSIONED_TABLES` marks the transaction (programs.models.CatalogChange) and a deferred trigger
bumps `CatalogVersion` at its commit; on SQLite (one writer at a time) a row trigger bumps it at
once. So every writer moves it, whatever path it takes: services, the admin, the importer's bulk
COPY, raw SQL, a TRUNCATE. The ranking caches its per-catalog figures under this value, the
database's name and today's date (what is "open" changes at midnight).

`tests/programs/test_catalog_version.py` proves every table the ranking SQL reads is versioned and
that each write path moves the value.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Exists, Subquery
from django.db.models.expressions import BaseExpression

from .models import CatalogChange, CatalogVersion

# Every table whose rows the ranking, its fit filter or the catalog filters read.
VERSIONED_TABLES = ("programs_program", "programs_creditoffering", "programs_provider")


def version_annotations() -> dict[str, BaseExpression]:
    """Annotations that read the version inside another query (`catalog_version`, `catalog_changed_here`).

    The ranking context reads them with the clinician's goal, so a ranked page pays no query of its own
    for the version; give both values to `version_token`.
    """
    return {
        "catalog_version": Subquery(CatalogVersion.objects.filter(pk=1).values("value")[:1]),
        "catalog_changed_here": Exists(CatalogChange.objects.all()),
    }


def version_token(value: int | None, changed_here: bool) -> str | None:
    """What a cache key holds for the catalog's state; None means "do not cache".

    None when this transaction has written to the catalog and not yet committed (its own reads
    must see its writes, which no shared cache entry holds) or when the row is missing.
    """
    if value is None or changed_here:
        return None
    return f"{connection.settings_dict['NAME']}:{value}"


def current_version_token() -> str | None:
    """The catalog version as `version_token` gives it, in one query."""
    row = CatalogVersion.objects.filter(pk=1).annotate(changed_here=Exists(CatalogChange.objects.all()))
    found = row.values_list("value", "changed_here").first()
    return version_token(*found) if found is not None else None
