"""How many demo listings each curator quality hint fires on (for the issue notes).

Usage (seeds the demo into the database it is given, like `make run` does):
    DATABASE_URL=sqlite:///var/demo-hints.sqlite3 .venv/bin/python scripts/demo_quality_hints.py

Prints, for each hint, the number of seeded listings it fires on out of all of
them, and the titles it fires on when it fires on few. Asserts nothing.
"""

from __future__ import annotations

import io
import os
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cme_portal.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from programs.curation.quality import HINT_LABELS
    from programs.curation.review import hints_for_program
    from programs.models import Program

    call_command("migrate", verbosity=0)
    call_command("seed_demo", stdout=io.StringIO())
    programs = list(Program.objects.select_related("provider").order_by("title"))
    fired: Counter[str] = Counter()
    titles: dict[str, list[str]] = {code: [] for code in HINT_LABELS}
    for program in programs:
        for hint in hints_for_program(program):
            fired[hint.code] += 1
            titles[hint.code].append(program.title)
    print(f"{len(programs)} demo listings")
    for code, label in HINT_LABELS.items():
        print(f"{fired[code]:3d} / {len(programs)}  {label} ({code})")
        if 0 < fired[code] <= 10:
            for title in titles[code]:
                print(f"            {title}")


if __name__ == "__main__":
    main()
