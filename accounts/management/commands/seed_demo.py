from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.demo import DEMO_USERS, seed_accounts
from programs.demo import seed_programs


class Command(BaseCommand):
    help = "Load the demo catalog, team and users (one per role). Safe to run again: adds nothing the second time."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            accounts = seed_accounts()
            curator = accounts.users["admin@demo.test"]
            program_counts = seed_programs(actor=curator)
        self.stdout.write(
            "Demo catalog: {created} created, {updated} updated, {unchanged} unchanged.".format(**program_counts)
        )
        self.stdout.write(f"Demo logins (password: {settings.DEMO_PASSWORD}):")
        for demo in DEMO_USERS:
            self.stdout.write(f"  {demo.role.value:<10} {demo.email}")
