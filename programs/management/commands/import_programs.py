from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from programs.exchange.jobs import ImportAlreadyRunning, import_file_run
from programs.models import ImportJobStatus


class Command(BaseCommand):
    help = "Import listings from a CSV or JSON file in the exchange format (docs/import-format.md), here and now."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="The CSV or JSON file.")
        parser.add_argument("--publish", action="store_true", help="Publish the listings instead of queueing them.")
        parser.add_argument("--as", dest="as_email", default="", help="Email of the curator the history names.")
        parser.add_argument("--format", dest="file_format", choices=["csv", "json"], default="")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = None
        if options["as_email"]:
            actor = User.objects.filter(email__iexact=options["as_email"]).first()
            if actor is None:
                raise CommandError(f"No user with the email {options['as_email']}.")
        try:
            job = import_file_run(
                path=options["path"], actor=actor, publish=options["publish"], file_format=options["file_format"]
            )
        except ImportAlreadyRunning as running:
            raise CommandError(str(running)) from None
        except OSError as error:
            raise CommandError(f"Cannot read {options['path']}: {error.strerror or error}") from None
        if job.status == ImportJobStatus.REJECTED:
            raise CommandError(f"Rejected, nothing imported: {job.message}")
        if job.notice:
            self.stdout.write(job.notice)
        for row_error in job.row_errors.all().iterator(chunk_size=2000):
            self.stdout.write(
                f"Row {row_error.row_number}: {row_error.field or '(row)'} = {row_error.value!r}: {row_error.message}"
            )
        self.stdout.write(
            f"Import #{job.pk} {job.get_status_display().lower()}: {job.created_count} created, "
            f"{job.updated_count} updated, {job.held_count} held for review, {job.unchanged_count} unchanged, "
            f"{job.error_count} row(s) with errors, of {job.rows_total or 0} rows."
        )
        if job.status == ImportJobStatus.FAILED:
            raise CommandError(job.message)
