from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from demo.careers import seed_careers
from demo.catalog import seed_catalog
from demo.outcomes import seed_outcomes
from demo.supervision import seed_supervision
from demo.users import DEMO_USERS, seed_accounts


def seed_demo_refusal() -> str:
    """Why the demo may not be loaded here ("" when it may): its accounts share a published password."""
    if getattr(settings, "PRODUCTION", False):
        return (
            "seed_demo refuses to run in production (ENVIRONMENT=production): the demo accounts, "
            "a staff curator included, have a published password. Nothing was written."
        )
    if not settings.DEMO_MODE and not settings.DEBUG:
        return (
            "seed_demo runs only with DEMO_MODE or DEBUG on: the demo accounts have a published password. "
            "Nothing was written."
        )
    return ""


class Command(BaseCommand):
    help = "Load the demo catalog, team and users (one per role). Safe to run again: adds nothing the second time."

    def handle(self, *args: Any, **options: Any) -> None:
        refusal = seed_demo_refusal()
        if refusal:
            raise CommandError(refusal)
        with transaction.atomic():
            accounts = seed_accounts()
            curator = accounts.users["admin@demo.test"]
            program_counts = seed_catalog(actor=curator)
            career_counts = seed_careers(accounts=accounts)
            supervision_counts = seed_supervision(team=accounts.team, supervisor=accounts.users["supervisor@demo.test"])
            outcome_counts = seed_outcomes(clinician=accounts.users["clinician@demo.test"], curator=curator)
        self.stdout.write(
            "Demo catalog: {created} created, {updated} updated, {unchanged} unchanged.".format(**program_counts)
        )
        self.stdout.write(
            "Demo careers created: " + ", ".join(f"{n} {kind}" for kind, n in career_counts.items()) + "."
        )
        self.stdout.write(f"Demo supervision: {supervision_counts['requests_created']} funding requests created.")
        self.stdout.write(f"Demo team enrolment: {supervision_counts['proposals_created']} proposals created.")
        self.stdout.write(
            f"Demo outcomes: {outcome_counts['projects']} projects, {outcome_counts['evidence']} evidence rows created."
        )
        self.stdout.write(f"Demo logins (password: {settings.DEMO_PASSWORD}):")
        for demo in DEMO_USERS:
            self.stdout.write(f"  {demo.role.value:<10} {demo.email}")
