"""Store the goal-independent sub-scores as whole points (0..1000) instead of floats.

Integer points let the ranking add them up in SQL exactly and cheaply (no
float-to-numeric rounding per row); the values are the same: points = round(score * 1000).
"""

from django.db import migrations, models

FIELDS = {
    "score_outcome": "outcome_points",
    "score_independence": "independence_points",
    "score_interprofessional": "interprofessional_points",
}


def floats_to_points(apps, schema_editor):
    Program = apps.get_model("programs", "Program")
    batch = []
    for program in Program.objects.only("pk", *FIELDS).iterator(chunk_size=2000):
        for old, new in FIELDS.items():
            setattr(program, new, round(getattr(program, old) * 1000))
        batch.append(program)
        if len(batch) >= 2000:
            Program.objects.bulk_update(batch, list(FIELDS.values()))
            batch = []
    Program.objects.bulk_update(batch, list(FIELDS.values()))


def points_to_floats(apps, schema_editor):
    Program = apps.get_model("programs", "Program")
    for program in Program.objects.only("pk", *FIELDS.values()).iterator(chunk_size=2000):
        for old, new in FIELDS.items():
            setattr(program, old, getattr(program, new) / 1000)
        program.save(update_fields=list(FIELDS))


class Migration(migrations.Migration):
    dependencies = [("programs", "0003_import_jobs_and_review")]

    operations = [
        *[
            migrations.AddField(
                model_name="program",
                name=new,
                field=models.PositiveSmallIntegerField(default=0, editable=False),
            )
            for new in FIELDS.values()
        ],
        migrations.RunPython(floats_to_points, points_to_floats),
        *[migrations.RemoveField(model_name="program", name=old) for old in FIELDS],
        migrations.AddConstraint(
            model_name="program",
            constraint=models.CheckConstraint(
                condition=models.Q(outcome_points__lte=1000)
                & models.Q(independence_points__lte=1000)
                & models.Q(interprofessional_points__lte=1000),
                name="program_points_at_most_full",
            ),
        ),
    ]
