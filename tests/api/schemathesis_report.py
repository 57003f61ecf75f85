"""The schemathesis run's one summary line: operations in the schema, examples run, failures.

Each example records itself on its test's user_properties (KEY), so the figures travel with the
reports and add up under xdist, where each worker runs only a share of the operations.
"""

from __future__ import annotations

from typing import Any

import pytest

KEY = "schemathesis"
STATEFUL_KEY = "schemathesis_stateful"


def summary_line(records: list[dict[str, Any]], *, failed_tests: int) -> str:
    """ "schemathesis: 11 operations in the schema (11 run), 110 examples, 0 failed tests"."""
    in_schema = max(record["operations_in_schema"] for record in records)
    run = len({record["operation"] for record in records})
    return (
        f"schemathesis: {in_schema} operations in the schema ({run} run), "
        f"{len(records)} examples, {failed_tests} failed tests"
    )


def stateful_summary_line(records: list[dict[str, Any]], *, failed_tests: int) -> str:
    """ "schemathesis stateful: 2 runs, 24 scenarios, 140 steps, 9 of 12 links followed, 0 failed tests"."""
    followed = {link for record in records for link in record["links_followed"]}
    inferred = {link for record in records for link in record["inferred_links_followed"]}
    in_schema = max(record["links_in_schema"] for record in records)
    return (
        f"schemathesis stateful: {len(records)} runs ({', '.join(sorted(r['role'] for r in records))}), "
        f"{sum(r['scenarios'] for r in records)} scenarios, {sum(r['steps'] for r in records)} steps, "
        f"{len(followed)} of {in_schema} declared links followed (and {len(inferred)} inferred), "
        f"{failed_tests} failed tests"
    )


@pytest.hookimpl(specname="pytest_terminal_summary")
def pytest_terminal_summary_schemathesis(terminalreporter: Any) -> None:
    for key, line in ((KEY, summary_line), (STATEFUL_KEY, stateful_summary_line)):
        records: list[dict[str, Any]] = []
        failed_tests = 0
        for outcome in ("passed", "failed"):
            for report in terminalreporter.stats.get(outcome, []):
                if getattr(report, "when", "") != "call":
                    continue
                mine = [value for name, value in getattr(report, "user_properties", []) if name == key]
                records.extend(mine)
                failed_tests += bool(mine) and outcome == "failed"
        if records:
            terminalreporter.write_line(line(records, failed_tests=failed_tests))
