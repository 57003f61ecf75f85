from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_roles(**kwargs: Any) -> None:
    from .services import roles_sync

    roles_sync()


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts, roles and teams"

    def ready(self) -> None:
        from cme_portal import checks  # noqa: F401 - registers the deploy checks (SITE_URL)

        post_migrate.connect(_sync_roles, sender=self, dispatch_uid="accounts_roles_sync")
