"""What the axe sweep (tests/browser/test_axe.py) found, summed up at the end of the run.

Each scanned page state carries its violations on its test report's ``user_properties`` (so they
add up under xdist too, as the fuzz figures do); when the run ends the counts by impact and rule
are printed and written to ``var/axe-report.txt``. tests/conftest.py imports the hook: a conftest
below it is not loaded by an xdist controller.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

REPORT = Path(__file__).resolve().parents[2] / "var" / "axe-report.txt"
IMPACTS = ("critical", "serious", "moderate", "minor")
KEY = "axe"


def scanned(*, state: str, width: int, results: dict[str, Any], reused: bool) -> tuple[str, dict[str, Any]]:
    """The user property recording one page state scanned at one width, and what axe found there.

    reused: the state's document was the same as one scanned before, whose results it shares.
    """
    found = [{"id": v["id"], "impact": v["impact"], "nodes": len(v["nodes"])} for v in results["violations"]]
    review = [i["id"] for i in results["incomplete"]]
    return KEY, {"state": state, "width": width, "violations": found, "review": review, "reused": reused}


def summary(scans: list[dict[str, Any]]) -> list[str]:
    """Counts by impact and rule: in how many scans (a page state at one width) a rule failed, on how many elements."""
    pages: Counter[tuple[str, str]] = Counter()
    nodes: Counter[tuple[str, str]] = Counter()
    for scan in scans:
        for violation in scan["violations"]:
            pages[violation["impact"], violation["id"]] += 1
            nodes[violation["impact"], violation["id"]] += violation["nodes"]
    widths = sorted({scan["width"] for scan in scans}, reverse=True)
    runs = sum(not scan["reused"] for scan in scans)
    lines = [
        f"axe-core: {len({scan['state'] for scan in scans})} page states scanned"
        f" at {' and '.join(f'{width} px' for width in widths)} ({len(scans)} scans;"
        f" {runs} axe runs, the other states' documents being the same as one already scanned)"
    ]
    for impact in IMPACTS:
        rules = sorted((key for key in pages if key[0] == impact), key=lambda key: (-pages[key], key[1]))
        lines.append(f"  {impact}: {len(rules)} rules, {sum(pages[key] for key in rules)} scans with a violation")
        lines += [f"    {key[1]:<36} {pages[key]:>4} scans {nodes[key]:>6} elements" for key in rules]
    review = Counter(rule for scan in scans for rule in scan["review"])
    lines.append(f"  needs review (axe could not decide): {len(review)} rules")
    lines += [f"    {rule:<36} {count:>4} scans" for rule, count in review.most_common()]
    return lines


@pytest.hookimpl(specname="pytest_terminal_summary")
def pytest_terminal_summary_axe(terminalreporter: Any) -> None:
    scans = [
        value
        for outcome in ("passed", "failed")
        for report in terminalreporter.stats.get(outcome, [])
        if getattr(report, "when", "") == "call"
        for key, value in getattr(report, "user_properties", [])
        if key == KEY
    ]
    if not scans:
        return
    lines = summary(scans)
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    terminalreporter.section("axe-core")
    for line in [*lines, f"(also in {REPORT})"]:
        terminalreporter.write_line(line)
