"""Demo catalog: the hand-written listings in demo/listings.py (idempotent)."""

from __future__ import annotations

from accounts.models import User
from programs.models import ChangeSource
from programs.services import UpsertOutcome, program_upsert_from_record

from .listings import DEMO_LISTINGS


def seed_programs(*, actor: User | None) -> dict[str, int]:
    """Load the demo listings; returns counts by outcome. A second run changes nothing."""
    counts = {UpsertOutcome.CREATED: 0, UpsertOutcome.UPDATED: 0, UpsertOutcome.UNCHANGED: 0}
    for record in DEMO_LISTINGS:
        _, outcome = program_upsert_from_record(record=record, actor=actor, source=ChangeSource.SEED)
        counts[outcome] += 1
    return counts
