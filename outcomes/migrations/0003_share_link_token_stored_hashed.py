"""Portfolio share-link tokens are stored hashed (cme_portal.tokens): each existing token is
replaced by its SHA-256 digest in place, so every link already handed out keeps working."""

import hashlib

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

import cme_portal.tokens


def hash_existing_tokens(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    PortfolioShareLink = apps.get_model("outcomes", "PortfolioShareLink")
    for link in PortfolioShareLink.objects.only("pk", "token_digest").iterator():
        digest = hashlib.sha256(link.token_digest.encode()).hexdigest()
        PortfolioShareLink.objects.filter(pk=link.pk).update(token_digest=digest)


class Migration(migrations.Migration):
    dependencies = [("outcomes", "0002_program_verified_evidence_flag_fill")]

    operations = [
        migrations.RenameField("portfoliosharelink", "token", "token_digest"),
        migrations.RunPython(hash_existing_tokens, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="portfoliosharelink",
            name="token_digest",
            field=models.CharField(
                default=cme_portal.tokens.token_digest_unusable, editable=False, max_length=64, unique=True
            ),
        ),
    ]
