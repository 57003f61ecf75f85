"""GIN indexes that only PostgreSQL has: full-text search, topic and specialty tags.

On SQLite (the quickstart database) this migration does nothing; search there
falls back to substring matching (programs.search).
"""

from django.db import migrations

CREATE = [
    "CREATE INDEX IF NOT EXISTS program_search_fts ON programs_program "
    "USING gin (to_tsvector('english'::regconfig, (title || ' ' || description)))",
    "CREATE INDEX IF NOT EXISTS program_topics_gin ON programs_program USING gin (topics jsonb_path_ops)",
    "CREATE INDEX IF NOT EXISTS program_specialties_gin ON programs_program USING gin (specialties jsonb_path_ops)",
]
DROP = [
    "DROP INDEX IF EXISTS program_search_fts",
    "DROP INDEX IF EXISTS program_topics_gin",
    "DROP INDEX IF EXISTS program_specialties_gin",
]


def _run(statements: list[str]):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("programs", "0001_initial")]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP))]
