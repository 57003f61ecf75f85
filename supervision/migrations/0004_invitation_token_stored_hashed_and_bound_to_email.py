"""Invitation tokens are stored hashed (cme_portal.tokens): each existing token is replaced by its
SHA-256 digest in place, so links already emailed keep working; misses at typing the invited
email address are counted (the link is spent at the limit)."""

import hashlib

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

import cme_portal.tokens


def hash_existing_tokens(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Invitation = apps.get_model("supervision", "Invitation")
    for invitation in Invitation.objects.only("pk", "token_digest").iterator():
        digest = hashlib.sha256(invitation.token_digest.encode()).hexdigest()
        Invitation.objects.filter(pk=invitation.pk).update(token_digest=digest)


class Migration(migrations.Migration):
    dependencies = [("supervision", "0003_funding_request_cost_items_and_one_pending_per_program")]

    operations = [
        migrations.RenameField("invitation", "token", "token_digest"),
        migrations.RunPython(hash_existing_tokens, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="invitation",
            name="token_digest",
            field=models.CharField(
                default=cme_portal.tokens.token_digest_unusable, editable=False, max_length=64, unique=True
            ),
        ),
        migrations.AddField(
            model_name="invitation",
            name="wrong_email_attempts",
            field=models.PositiveSmallIntegerField(default=0, editable=False),
        ),
    ]
