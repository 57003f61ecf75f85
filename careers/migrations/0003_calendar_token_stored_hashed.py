"""Calendar feed tokens are stored hashed (cme_portal.tokens): each existing token is replaced by
its SHA-256 digest in place, so every feed address already in a calendar app keeps working."""

import hashlib

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

import cme_portal.tokens


def hash_existing_tokens(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    ClinicianProfile = apps.get_model("careers", "ClinicianProfile")
    for profile in ClinicianProfile.objects.only("pk", "calendar_token_digest").iterator():
        digest = hashlib.sha256(profile.calendar_token_digest.encode()).hexdigest()
        ClinicianProfile.objects.filter(pk=profile.pk).update(calendar_token_digest=digest)


class Migration(migrations.Migration):
    dependencies = [("careers", "0002_profession_confirmed_by_supervisor")]

    operations = [
        migrations.RenameField("clinicianprofile", "calendar_token", "calendar_token_digest"),
        migrations.RunPython(hash_existing_tokens, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="clinicianprofile",
            name="calendar_token_digest",
            field=models.CharField(
                default=cme_portal.tokens.token_digest_unusable, editable=False, max_length=64, unique=True
            ),
        ),
    ]
