"""Send every reminder due today once (what Celery beat runs hourly; `make run` runs it before serving)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from supervision.reminders import reminders_send_due


class Command(BaseCommand):
    help = "Send every reminder due today, once: a second run sends nothing."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = reminders_send_due()
        summary = ", ".join(f"{kind} {count}" for kind, count in sent.items())
        self.stdout.write(f"Reminders sent: {sum(sent.values())} ({summary}).")
