"""The schemathesis run's one summary line: operations in the schema, examples run, failures.

Each example records itself on its test's user_properties (KEY), so the figures travel with the
reports and add up under xdist, where each worker runs only a share of the operations.
"""

from __future__ import annotations

from typing import Any

import pytest

KEY = "schemathesis"


def summary_line(records: list[dict[str, Any]], *, failed_tests: int) -> str:
    """ "schemathesis: 11 operations in the schema (11 run), 110 examples, 0 failed tests"."""
    in_schema = max(record["operations_in_schema"] for record in records)
    run = len({record["operation"] for record in records})
    return (
        f"schemathesis: {in_schema} operations in the schema ({run} run), "
        f"{len(records)} examples, {failed_tests} failed tests"
    )


@pytest.hookimpl(specname="pytest_terminal_summary")
def pytest_terminal_summary_schemathesis(terminalreporter: Any) -> None:
    records: list[dict[str, Any]] = []
    failed_tests = 0
    for outcome in ("passed", "failed"):
        for report in terminalreporter.stats.get(outcome, []):
            if getattr(report, "when", "") != "call":
                continue
            mine = [value for key, value in getattr(report, "user_properties", []) if key == KEY]
            records.extend(mine)
            failed_tests += bool(mine) and outcome == "failed"
    if records:
        terminalreporter.write_line(summary_line(records, failed_tests=failed_tests))
