"""The demo physician's default ranking, top N, with each program's fit badge (for the issue notes).

Usage (seeds the demo into the database it is given, like `make run` does):
    DATABASE_URL=sqlite:///var/demo.sqlite3 .venv/bin/python scripts/demo_ranking_top.py 10

Prints rank, total, title, who the program is designed for, its badge
(programs.ranking.fit.fit_summary) and its timing notes. Asserts nothing.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("top", type=int, nargs="?", default=10)
    parser.add_argument("--email", default="clinician@demo.test")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cme_portal.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from accounts.models import User
    from programs.ranking import queries
    from programs.selectors import CatalogFilters
    from supervision.selectors import ranking_context_for_user

    call_command("migrate", verbosity=0)
    call_command("seed_demo", stdout=io.StringIO())
    context = ranking_context_for_user(user=User.objects.get(email=args.email))
    if context is None:
        raise SystemExit(f"{args.email} has no active goal.")
    page = queries.ranked_catalog_page(
        queries.RankingQuery(
            goal=context.goal,
            weights=context.weights,
            clinician=context.clinician,
            filters=CatalogFilters(),
            page_number=1,
            per_page=max(args.top, 1),
        )
    )
    for rank, result in enumerate(page.results, 1):
        program, summary = result.program, result.fit_summary
        audience = ", ".join(program.professions) or "all professions"
        print(f"{rank:2}. {result.scored.total:5.1f}  {program.title}  (for {audience})")
        print(f"       {summary.text}")
        for note in summary.cautions:
            print(f"       Note: {note.message}")


if __name__ == "__main__":
    main()
