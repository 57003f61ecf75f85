"""Indexes that another index already serves, dropped: each one cost every imported row a write.

Measured on 10,000 imported rows (scripts/bench_import.py; figures in the commit message).

- Foreign keys whose column starts a composite index: Program.provider
  (program_unique_provider_external_id), CreditOffering.program
  (credit_unique_type_per_program), ChangeLogEntry.program and .provider
  (change_program_time, change_provider_time). Every query that filters or joins
  on the column alone, and the PROTECT / CASCADE / SET_NULL look-ups of a delete,
  is served by the composite index's leading column.
- Program.verified_by: a partial index of the verified listings only. Its one use is
  a user's deletion (SET_NULL looks listings up by `verified_by_id IN (...)`, which
  implies NOT NULL); imports and most listings never have one.
- PostgreSQL: the GIN indexes of 0002 on the raw `topics` and `specialties` lists.
  The only lookup they served, the exact `has_tag`, is served by the key indexes of
  0006 (programs.fields.HasTag: a tag's key is among the keys whenever the tag is
  among the tags), which the catalog's filters use too.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

RAW_TAG_INDEXES = {
    "program_topics_gin": "CREATE INDEX IF NOT EXISTS program_topics_gin ON programs_program USING gin (topics jsonb_path_ops)",
    "program_specialties_gin": (
        "CREATE INDEX IF NOT EXISTS program_specialties_gin ON programs_program USING gin (specialties jsonb_path_ops)"
    ),
}


FK_INDEXES = {
    "programs_program_provider_id_125942c7": "programs_program (provider_id)",
    "programs_program_verified_by_id_93fa96af": "programs_program (verified_by_id)",
    "programs_creditoffering_program_id_93687143": "programs_creditoffering (program_id)",
    "programs_changelogentry_program_id_d896e6a2": "programs_changelogentry (program_id)",
    "programs_changelogentry_provider_id_f4f7b2d5": "programs_changelogentry (provider_id)",
}


def _fk_indexes_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in FK_INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


def _fk_indexes_create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, columns in FK_INDEXES.items():
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {columns}")


def _raw_tag_indexes_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in RAW_TAG_INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


def _raw_tag_indexes_create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in RAW_TAG_INDEXES.values():
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("programs", "0010_search_document_function_and_when"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The database side by name, PostgreSQL only: on SQLite an AlterField rebuilds the table, which would drop
        # the catalog version's triggers (0009); there the indexes stay.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="changelogentry",
                    name="program",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="history",
                        to="programs.program",
                    ),
                ),
                migrations.AlterField(
                    model_name="changelogentry",
                    name="provider",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="history",
                        to="programs.provider",
                    ),
                ),
                migrations.AlterField(
                    model_name="creditoffering",
                    name="program",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="credit_offerings",
                        to="programs.program",
                    ),
                ),
                migrations.AlterField(
                    model_name="program",
                    name="provider",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="programs",
                        to="programs.provider",
                    ),
                ),
                migrations.AlterField(
                    model_name="program",
                    name="verified_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(_fk_indexes_drop, _fk_indexes_create)],
        ),
        migrations.AddIndex(
            model_name="program",
            index=models.Index(
                condition=models.Q(("verified_by__isnull", False)), fields=["verified_by"], name="program_verified_by"
            ),
        ),
        migrations.RunPython(_raw_tag_indexes_drop, _raw_tag_indexes_create),
    ]
