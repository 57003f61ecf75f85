"""The key functions of the tag and city indexes call each other by schema-qualified name.

PostgreSQL only. Why: `pg_restore` (and psql replaying a `pg_dump`) builds indexes with an
empty search_path, and so does every maintenance command from PostgreSQL 17 on
(VACUUM, ANALYZE, REINDEX). `cme_tag_keys` called `cme_key`, which called `cme_unaccent`,
by bare name, so a dump of the catalog restored without program_topic_keys,
program_specialty_keys and program_status_city_key ("function cme_key(text) does not
exist"). Same results as 0006's definitions; the indexes keep their entries.
"""

from django.db import migrations

# 0006's definitions; {schema} is the schema the functions live in, or nothing (as 0006 wrote them).
KEY = r"""
    CREATE OR REPLACE FUNCTION {schema}cme_key(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT btrim(regexp_replace(lower({schema}cme_unaccent(coalesce($1, ''))), '[[:space:]_-]+', ' ', 'g')) $$
"""
TAG_KEYS = """
    CREATE OR REPLACE FUNCTION {schema}cme_tag_keys(jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
      SELECT CASE WHEN jsonb_typeof($1) = 'array'
        THEN coalesce((SELECT jsonb_agg({schema}cme_key(tag)) FROM jsonb_array_elements_text($1) AS tag), '[]'::jsonb)
        ELSE '[]'::jsonb END
    $$
"""


def _define(qualified: bool):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT pronamespace::regnamespace::text FROM pg_proc WHERE oid = 'cme_key(text)'::regprocedure"
            )
            schema = f"{cursor.fetchone()[0]}." if qualified else ""
        for statement in (KEY, TAG_KEYS):
            schema_editor.execute(statement.format(schema=schema))

    return run


class Migration(migrations.Migration):
    dependencies = [("programs", "0011_redundant_indexes_dropped")]

    operations = [migrations.RunPython(_define(qualified=True), _define(qualified=False))]
