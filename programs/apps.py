from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created


def _register_sqlite_functions(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """SQLite's twins of the SQL functions migration 0006 creates on PostgreSQL (programs.vocabulary)."""
    if connection.vendor != "sqlite":
        return
    from . import vocabulary

    raw = connection.connection
    raw.create_function("cme_key", 1, lambda text: vocabulary.key(text or ""), deterministic=True)
    raw.create_function("cme_words", 1, vocabulary.words, deterministic=True)
    raw.create_function("cme_tag_words", 1, vocabulary.tag_words, deterministic=True)


class ProgramsConfig(AppConfig):
    name = "programs"
    verbose_name = "Program catalog"

    def ready(self) -> None:
        connection_created.connect(_register_sqlite_functions, dispatch_uid="programs-sqlite-functions")
