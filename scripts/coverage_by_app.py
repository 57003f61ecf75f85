"""Line coverage per app, from the data `coverage run` left (run `make coverage`).

Reads the combined coverage data and the source list in pyproject's
[tool.coverage.run]; prints one row per app (statements, missed, percent) and
the total. An app in the source list that no test imported shows as "not
measured" rather than being left out.
"""

from __future__ import annotations

import sys
from pathlib import Path

import coverage
from coverage.exceptions import NoSource, NotPython

ROOT = Path(__file__).resolve().parent.parent


def coverage_by_app(cov: coverage.Coverage) -> dict[str, tuple[int, int]]:
    """App name -> (statements, missed lines), over every measured file of each app in the source list."""
    source = cov.get_option("run:source")
    apps = [str(app) for app in source] if isinstance(source, list) else []
    totals: dict[str, tuple[int, int]] = {}
    data = cov.get_data()
    for filename in sorted(data.measured_files()):
        try:
            relative = Path(filename).resolve().relative_to(ROOT)
        except ValueError:
            continue
        app = relative.parts[0]
        if app not in apps:
            continue
        try:
            _name, statements, _excluded, missing, _text = cov.analysis2(filename)
        except (NoSource, NotPython):
            continue
        if not statements:
            continue
        counted, missed = totals.get(app, (0, 0))
        totals[app] = (counted + len(statements), missed + len(missing))
    return {app: totals.get(app, (0, 0)) for app in apps}


def _percent(statements: int, missed: int) -> str:
    return f"{100 * (statements - missed) / statements:.1f}%" if statements else "not measured"


def main() -> int:
    cov = coverage.Coverage(config_file=str(ROOT / "pyproject.toml"))
    cov.load()
    rows = coverage_by_app(cov)
    print(f"{'app':<14}{'statements':>12}{'missed':>9}{'covered':>14}")
    for app, (statements, missed) in rows.items():
        print(f"{app:<14}{statements:>12}{missed:>9}{_percent(statements, missed):>14}")
    total_statements = sum(statements for statements, _ in rows.values())
    total_missed = sum(missed for _, missed in rows.values())
    print(f"{'total':<14}{total_statements:>12}{total_missed:>9}{_percent(total_statements, total_missed):>14}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
