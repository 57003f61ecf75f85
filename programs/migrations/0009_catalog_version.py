"""The catalog version and the triggers that keep it (programs.catalog_version)."""

from django.db import migrations, models

TABLES = ("programs_program", "programs_creditoffering", "programs_provider")

# Microseconds since the epoch: a bump moves the value to at least the clock, so neither a row created anew
# (after a TRUNCATE) nor a bump after a rolled-back one repeats a value some cache entry was computed under.
PG_NOW = "(extract(epoch from clock_timestamp()) * 1000000)::bigint"
SQLITE_NOW = "CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)"

PG_FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION programs_catalog_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO programs_catalogchange (txid) VALUES (txid_current()) ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION programs_catalog_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO programs_catalogversion (id, value) VALUES (1, {PG_NOW})
        ON CONFLICT (id) DO UPDATE SET value = GREATEST(programs_catalogversion.value + 1, {PG_NOW});
    DELETE FROM programs_catalogchange WHERE txid = NEW.txid;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER programs_catalogchange_bump AFTER INSERT ON programs_catalogchange
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION programs_catalog_version_bump();
"""


def _create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    with schema_editor.connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute(f"INSERT INTO programs_catalogversion (id, value) VALUES (1, {PG_NOW})")
            cursor.execute(PG_FUNCTIONS)
            for table in TABLES:
                cursor.execute(
                    f"CREATE TRIGGER {table}_catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                    "FOR EACH STATEMENT EXECUTE FUNCTION programs_catalog_changed()"
                )
        elif vendor == "sqlite":
            cursor.execute(f"INSERT INTO programs_catalogversion (id, value) VALUES (1, {SQLITE_NOW})")
            for table in TABLES:
                for event in ("INSERT", "UPDATE", "DELETE"):
                    cursor.execute(
                        f"CREATE TRIGGER {table}_catalog_{event.lower()} AFTER {event} ON {table} BEGIN "
                        f"INSERT INTO programs_catalogversion (id, value) VALUES (1, {SQLITE_NOW}) "
                        f"ON CONFLICT(id) DO UPDATE SET value = MAX(value + 1, {SQLITE_NOW}); END"
                    )


def _drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    with schema_editor.connection.cursor() as cursor:
        for table in TABLES:
            if vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_catalog_changed ON {table}")
            elif vendor == "sqlite":
                for event in ("insert", "update", "delete"):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {table}_catalog_{event}")
        if vendor == "postgresql":
            cursor.execute("DROP TRIGGER IF EXISTS programs_catalogchange_bump ON programs_catalogchange")
            cursor.execute("DROP FUNCTION IF EXISTS programs_catalog_version_bump()")
            cursor.execute("DROP FUNCTION IF EXISTS programs_catalog_changed()")


class Migration(migrations.Migration):
    dependencies = [("programs", "0008_import_job_one_run_per_file_and_enqueue_time")]

    operations = [
        migrations.CreateModel(
            name="CatalogChange",
            fields=[("txid", models.BigIntegerField(primary_key=True, serialize=False))],
        ),
        migrations.CreateModel(
            name="CatalogVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("value", models.BigIntegerField()),
            ],
            options={
                "constraints": [models.CheckConstraint(condition=models.Q(id=1), name="catalog_version_single_row")]
            },
        ),
        migrations.AddIndex(
            model_name="program",
            index=models.Index(
                fields=["outcome_points", "independence_points", "interprofessional_points"], name="program_points"
            ),
        ),
        migrations.RunPython(_create, _drop),
    ]
