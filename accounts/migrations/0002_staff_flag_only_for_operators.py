"""The Django admin is for operators (superusers): curators made staff earlier lose the flag.

Role group permissions themselves are reset by accounts.services.roles_sync after every migrate.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def staff_only_for_operators(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    User = apps.get_model("accounts", "User")
    User.objects.filter(is_staff=True, is_superuser=False).update(is_staff=False)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(staff_only_for_operators, migrations.RunPython.noop)]
