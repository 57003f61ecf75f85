import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from demo.synthetic import synthetic_programs_create


class Command(BaseCommand):
    help = "Insert N varied synthetic published programs (for benchmarks). Adds N more on each run."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--programs", type=int, required=True, help="How many programs to add.")
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        count = synthetic_programs_create(count=options["programs"], seed=options["seed"])
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"Inserted {count} synthetic programs in {elapsed:.1f} s ({count / max(elapsed, 1e-9):,.0f}/s)."
        )
