"""Keyword search over title, description, topics, specialties, provider and city; location filters.

PostgreSQL only (SQLite runs the same rules in Python, see programs.vocabulary):

- `cme_search`, a text search configuration: English stemming after unaccent, so
  "Québec" and "quebec" are one word.
- `programs_program.search_document`, a tsvector kept by a trigger on every insert
  (COPY included) and every update of the words it holds, and by a trigger on a
  provider's rename; so no write path (save, QuerySet.update, bulk_update, the
  importer's COPY, curation, the admin) can leave it stale. A GIN index serves it.
- `cme_key(text)` and `cme_tag_keys(jsonb)`: the matching keys of programs.vocabulary.key,
  with expression indexes for the topic, specialty and city filters.

The tag labels in `cme_tag_text` are programs.vocabulary.TAG_LABELS (the mandated
topics) as of this migration; tests/programs/test_search_index.py checks they agree.
"""

from django.db import migrations, models

TAG_LABELS = {
    "opioids": "Opioid prescribing / controlled substances",
    "implicit_bias": "Implicit bias",
    "pain_management": "Pain management",
    "ethics": "Ethics",
    "substance_use_disorder": "Substance-use disorders",
}


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


_LABEL_CASE = " ".join(f"WHEN {_quote(code)} THEN {_quote(label)}" for code, label in TAG_LABELS.items())

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    # unaccent() is only STABLE (its dictionary could change); with the dictionary named it is safe to index.
    """
    CREATE OR REPLACE FUNCTION cme_unaccent(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$
    """,
    r"""
    CREATE OR REPLACE FUNCTION cme_key(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT btrim(regexp_replace(lower(cme_unaccent(coalesce($1, ''))), '[[:space:]_-]+', ' ', 'g')) $$
    """,
    """
    CREATE OR REPLACE FUNCTION cme_tag_keys(jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
      SELECT CASE WHEN jsonb_typeof($1) = 'array'
        THEN coalesce((SELECT jsonb_agg(cme_key(tag)) FROM jsonb_array_elements_text($1) AS tag), '[]'::jsonb)
        ELSE '[]'::jsonb END
    $$
    """,
    f"""
    CREATE OR REPLACE FUNCTION cme_tag_text(jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
      SELECT CASE WHEN jsonb_typeof($1) = 'array'
        THEN coalesce((
          SELECT string_agg(replace(tag, '_', ' ') || ' ' || (CASE tag {_LABEL_CASE} ELSE '' END), ' ')
          FROM jsonb_array_elements_text($1) AS tag), '')
        ELSE '' END
    $$
    """,
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS cme_search",
    "CREATE TEXT SEARCH CONFIGURATION cme_search (COPY = pg_catalog.english)",
    "ALTER TEXT SEARCH CONFIGURATION cme_search ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem",
    "ALTER TABLE programs_program ADD COLUMN search_document tsvector",
    """
    CREATE OR REPLACE FUNCTION cme_program_search_document() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    BEGIN
      NEW.search_document :=
        setweight(to_tsvector('cme_search', coalesce(NEW.title, '')), 'A')
        || setweight(to_tsvector('cme_search', cme_tag_text(NEW.topics) || ' ' || cme_tag_text(NEW.specialties)), 'B')
        || setweight(to_tsvector('cme_search',
             coalesce((SELECT name FROM programs_provider WHERE id = NEW.provider_id), '')
             || ' ' || coalesce(NEW.location_city, '')), 'C')
        || setweight(to_tsvector('cme_search', coalesce(NEW.description, '')), 'D');
      RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER program_search_document
    BEFORE INSERT OR UPDATE OF title, description, topics, specialties, provider_id, location_city
    ON programs_program FOR EACH ROW EXECUTE FUNCTION cme_program_search_document()
    """,
    """
    CREATE OR REPLACE FUNCTION cme_provider_search_document() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    BEGIN
      -- Touching provider_id fires program_search_document, which reads the new name.
      UPDATE programs_program SET provider_id = provider_id WHERE provider_id = NEW.id;
      RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER provider_search_document
    AFTER UPDATE OF name ON programs_provider FOR EACH ROW
    WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION cme_provider_search_document()
    """,
    # Fill the column for the rows already there.
    "UPDATE programs_program SET title = title",
    "CREATE INDEX program_search_document ON programs_program USING gin (search_document)",
    # Replaced by the stored document, which also holds topics, specialties, provider and city.
    "DROP INDEX IF EXISTS program_search_fts",
    "CREATE INDEX program_topic_keys ON programs_program USING gin (cme_tag_keys(topics) jsonb_path_ops)",
    "CREATE INDEX program_specialty_keys ON programs_program USING gin (cme_tag_keys(specialties) jsonb_path_ops)",
    "CREATE INDEX program_status_city_key ON programs_program (status, cme_key(location_city))",
]

DROP = [
    "DROP INDEX IF EXISTS program_status_city_key",
    "DROP INDEX IF EXISTS program_specialty_keys",
    "DROP INDEX IF EXISTS program_topic_keys",
    "CREATE INDEX IF NOT EXISTS program_search_fts ON programs_program "
    "USING gin (to_tsvector('english'::regconfig, (title || ' ' || description)))",
    "DROP TRIGGER IF EXISTS provider_search_document ON programs_provider",
    "DROP FUNCTION IF EXISTS cme_provider_search_document()",
    "DROP TRIGGER IF EXISTS program_search_document ON programs_program",
    "DROP FUNCTION IF EXISTS cme_program_search_document()",
    "ALTER TABLE programs_program DROP COLUMN IF EXISTS search_document",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS cme_search",
    "DROP FUNCTION IF EXISTS cme_tag_text(jsonb)",
    "DROP FUNCTION IF EXISTS cme_tag_keys(jsonb)",
    "DROP FUNCTION IF EXISTS cme_key(text)",
    "DROP FUNCTION IF EXISTS cme_unaccent(text)",
]


def _run(statements: list[str]):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("programs", "0005_program_has_verified_outcome_evidence")]

    operations = [
        migrations.AddIndex(
            model_name="program",
            index=models.Index(fields=["status", "location_state"], name="program_status_state"),
        ),
        migrations.RunPython(_run(CREATE), _run(DROP)),
    ]
