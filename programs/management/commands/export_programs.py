from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import QueryDict

from programs.exchange.exports import export_to_file
from programs.forms import CatalogFilterForm
from programs.models import Program
from programs.selectors import catalog_base, catalog_filter


class Command(BaseCommand):
    help = "Export listings in the exchange format (CSV or JSON): all of them, or the catalog under filters."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="Where to write the file.")
        parser.add_argument("--format", dest="file_format", choices=["csv", "json"], default="")
        parser.add_argument(
            "--catalog",
            default=None,
            metavar="QUERY",
            help="Only the published catalog, filtered like the catalog page, e.g. 'format=course&free_only=on'.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["path"]
        file_format = options["file_format"] or ("json" if path.lower().endswith(".json") else "csv")
        if options["catalog"] is not None:
            form = CatalogFilterForm(QueryDict(options["catalog"]))
            if not form.is_valid():
                raise CommandError(f"Invalid catalog filter: {form.errors.as_text()}")
            queryset = catalog_filter(catalog_base(), form.cleaned_filters())
        else:
            queryset = Program.objects.all()
        try:
            count = export_to_file(queryset, path=path, file_format=file_format)
        except OSError as error:
            raise CommandError(f"Cannot write {path}: {error.strerror or error}") from None
        self.stdout.write(f"Exported {count} listing(s) to {path} ({file_format.upper()}).")
