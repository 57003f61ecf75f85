"""Plausibility rules for what a supervisor records; forms and services both call them.

Each `*_problem` function returns the message to show, or None when the value is plausible.
"""

from __future__ import annotations

import datetime


def policy_confirmed_on_problem(confirmed_on: datetime.date, *, today: datetime.date) -> str | None:
    """A policy is confirmed on a day that has come: today or earlier."""
    if confirmed_on > today:
        return "The date confirmed cannot be in the future."
    return None
