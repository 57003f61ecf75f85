"""Fill Program.has_verified_outcome_evidence from the curated evidence.

The stored outcome points already count verified evidence (they were computed by
looking the evidence up); from now on the flag is what the scoring reads.
"""

from django.db import migrations
from django.db.models import Exists, OuterRef


def flag_fill(apps, schema_editor):
    Program = apps.get_model("programs", "Program")
    Evidence = apps.get_model("outcomes", "ProgramOutcomeEvidence")
    Program.objects.update(
        has_verified_outcome_evidence=Exists(Evidence.objects.filter(program=OuterRef("pk"), verified=True))
    )


class Migration(migrations.Migration):
    dependencies = [
        ("outcomes", "0001_initial"),
        ("programs", "0005_program_has_verified_outcome_evidence"),
    ]

    operations = [migrations.RunPython(flag_fill, migrations.RunPython.noop)]
