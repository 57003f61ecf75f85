"""One-off check of the move: the importer-loaded catalog file gives the demo the old literal seed gave it.

Runs the whole `seed_demo` twice, once with the old seed (DEMO_LISTINGS through
`program_upsert_from_record`) and once with the new one, and compares everything the
demo stores about the catalog and what hangs off it.
"""

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction

from demo.listings import DEMO_LISTINGS
from outcomes.models import ProgramOutcomeEvidence
from programs.exchange import program_record
from programs.exports import json_lines
from programs.models import ChangeLogEntry, ChangeSource, CreditOffering, Program, ProgramRevision, Provider
from programs.services import UpsertOutcome, program_upsert_from_record
from supervision.models import FundingRequest

pytestmark = pytest.mark.django_db


def old_seed_programs(*, actor):
    counts = {UpsertOutcome.CREATED: 0, UpsertOutcome.UPDATED: 0, UpsertOutcome.UNCHANGED: 0}
    for record in DEMO_LISTINGS:
        _, outcome = program_upsert_from_record(record=record, actor=actor, source=ChangeSource.SEED)
        counts[outcome] += 1
    return counts


def _without_ids_and_times(value: Any) -> Any:
    """Row ids and clock times differ between two runs (PostgreSQL sequences survive a rollback)."""
    if isinstance(value, dict):
        return {key: _without_ids_and_times(item) for key, item in value.items() if key not in ("id", "taken_at")}
    if isinstance(value, list):
        return [_without_ids_and_times(item) for item in value]
    return value


def _demo_state() -> dict[str, Any]:
    programs = Program.objects.select_related("provider", "verified_by").prefetch_related("credit_offerings")
    programs = list(programs.order_by("pk"))
    return {
        "export": "".join(json_lines(program_record(p) for p in programs)),
        "programs": [
            (
                p.provider.name,
                p.external_id,
                p.status,
                p.source_url,
                p.last_verified_on,
                p.verified_by.email if p.verified_by else None,
                *(getattr(p, name) for name in Program.STATIC_POINT_FIELDS),
            )
            for p in programs
        ],
        "providers": list(
            Provider.objects.order_by("pk").values_list(
                "name", "accreditor", "accreditation_status", "jointly_accredited", "url"
            )
        ),
        "credits": sorted(CreditOffering.objects.values_list("program__external_id", "credit_type", "amount")),
        "evidence": sorted(
            ProgramOutcomeEvidence.objects.values_list(
                "program__external_id",
                "metric",
                "baseline",
                "follow_up",
                "verified",
                "verified_by__email",
                "source_url",
            )
        ),
        "revisions": list(ProgramRevision.objects.values_list("program__external_id", "status", "record")),
        "requests": sorted(
            (r.requester.email, r.program.external_id, r.status, _without_ids_and_times(r.snapshot))
            for r in FundingRequest.objects.select_related("requester", "program")
        ),
        "history": sorted(
            (e.object_repr, e.action, e.source, e.actor.email if e.actor else None, repr(sorted(e.changes.items())))
            for e in ChangeLogEntry.objects.select_related("actor")
        ),
    }


class _Rollback(Exception):
    pass


def _state_after_seed_demo(monkeypatch, seed) -> dict[str, Any]:
    monkeypatch.setattr("demo.management.commands.seed_demo.seed_catalog", seed)
    try:
        with transaction.atomic():
            call_command("seed_demo", stdout=io.StringIO())
            state = _demo_state()
            raise _Rollback
    except _Rollback:
        pass
    return state


def test_the_catalog_file_gives_the_demo_exactly_what_the_old_literals_gave(monkeypatch):
    from demo.catalog import seed_catalog

    old = _state_after_seed_demo(monkeypatch, old_seed_programs)
    assert Program.objects.count() == 0
    new = _state_after_seed_demo(monkeypatch, seed_catalog)
    sizes = {key: len(value) for key, value in old.items() if key != "export"}
    assert sizes == {
        "programs": 42,
        "providers": 17,
        "credits": 72,
        "evidence": 2,
        "revisions": 0,
        "requests": 10,
        "history": 59,
    }
    for key in old:
        assert new[key] == old[key], key
