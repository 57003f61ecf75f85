"""The importer's bulk write path: same end state as the path it replaced, constant queries, hostile input.

`bulk.bulk_update_rows` replaced Django's `bulk_update` for changed listings
and credit amounts. The equivalence tests run each scenario twice, once with
`bulk_update` put back (the old path) and once as shipped, and compare every
listing, credit offering, history entry, held revision, provider and (on
PostgreSQL) search document.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from django.db import connection, models, transaction
from django.test.utils import CaptureQueriesContext

from programs.exchange import bulk, jobs, validation, writing
from programs.exchange.format import program_record
from programs.models import ChangeLogEntry, ImportJob, Program
from tests.factories import AdminFactory

from .import_helpers import csv_text, errors_of, good_row, import_snapshot, one_by_one_and_batch, run_import

pytestmark = pytest.mark.django_db


def _old_bulk_update(model: type[models.Model], objects: Sequence[models.Model], fields: Sequence[str]) -> None:
    """The write the importer used before bulk_update_rows."""
    model._default_manager.bulk_update(objects, list(fields), batch_size=writing.BATCH_SIZE)


def _rows(n: int, **overrides: str) -> list[dict[str, str]]:
    return [good_row(i, **overrides) for i in range(1, n + 1)]


# Each scenario: the files imported one after the other, as (rows, publish).
SCENARIOS: dict[str, list[tuple[list[dict[str, str]], bool]]] = {
    "published, then every field kind changed": [
        (_rows(12, provider_accreditor="state"), True),
        (
            [
                good_row(1, title="Renamed"),
                good_row(2, description="New words\twith a tab"),
                good_row(3, topics="opioids;ethics", specialties="cardiology"),
                good_row(4, credits="ama_pra_1:8;ancc:2.5"),  # one credit added
                good_row(5, credits=""),  # all removed
                good_row(6, credits="ama_pra_1:3.25"),  # amount changed
                good_row(7, fee_amount="", start_date="", end_date=""),
                good_row(8, professions="pharmacist", competencies="teaching;communication"),
                good_row(9, provider_accreditor="accme", provider_accreditation_status="commendation"),
                good_row(10, status="draft"),
                good_row(11),  # unchanged
                good_row(13, title="Brand new"),
                good_row(14, format="nope"),  # an error row
            ],
            True,
        ),
    ],
    "drafts changed without publish": [
        (_rows(6), False),
        ([good_row(i, title=f"Draft {i}", location_city="Boston") for i in range(1, 7)], False),
    ],
    "published changed without publish: held, held again, superseded": [
        (_rows(5), True),
        ([good_row(i, title=f"Proposed {i}") for i in range(1, 6)], False),
        ([good_row(1, title="Proposed again"), good_row(2, title="Proposed 2"), good_row(3)], False),
    ],
    "a file changing one program twice": [
        (_rows(3), True),
        ([good_row(1, title="First"), good_row(2), good_row(1, title="Second")], True),
    ],
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_the_bulk_path_writes_exactly_what_the_old_path_wrote(scenario, monkeypatch):
    files = SCENARIOS[scenario]
    admin = AdminFactory()

    def run_all() -> dict[str, Any]:
        for rows, publish in files:
            run_import(csv_text(rows, columns=sorted({k for r in rows for k in r})), publish=publish, actor=admin)
        return import_snapshot()

    with transaction.atomic():
        savepoint = transaction.savepoint()
        with monkeypatch.context() as patch:
            patch.setattr(writing, "bulk_update_rows", _old_bulk_update)
            old = run_all()
        transaction.savepoint_rollback(savepoint)
    new = run_all()
    assert new["programs"] == old["programs"]
    assert new["offerings"] == old["offerings"]
    assert new["history"] == old["history"]
    assert new["revisions"] == old["revisions"]
    assert new == old
    assert len(new["history"]) > 0


def test_updates_match_the_one_by_one_service():
    """records_write updating listings gives what program_upsert_from_record gives per record."""
    first = _rows(6, provider_accreditor="state")
    second = [
        good_row(1, title="Renamed", credits="ama_pra_1:8;ancc:2"),
        good_row(2, credits=""),
        good_row(3, credits="ama_pra_1:1.5", topics="ethics"),
        good_row(4, provider_accreditor="accme", outcome_level_measured="5", designed_to_change="performance"),
        good_row(5),
        good_row(6, description="Changed", commercial_support="none", publishes_outcomes="true"),
    ]
    one_by_one, batch, outcomes = one_by_one_and_batch(
        first, second, keys=("programs", "offerings", "history", "search_documents")
    )
    assert outcomes == ["updated", "updated", "updated", "updated", "unchanged", "updated"]
    assert batch == one_by_one


def _queries_of_import(rows: list[dict[str, str]], publish: bool = True) -> tuple[int, ImportJob]:
    data = csv_text(rows).encode()
    import io

    job = jobs.import_job_create(upload=io.BytesIO(data), file_name="f.csv", actor=None, publish=publish)
    with CaptureQueriesContext(connection) as queries:
        result = jobs.import_job_run(job_id=job.pk)
    assert result is not None
    return len(queries), result


@pytest.mark.parametrize("case", ["new", "unchanged", "changed"])
def test_queries_per_import_do_not_grow_with_rows_within_a_batch(case, monkeypatch):
    monkeypatch.setattr(jobs, "HEARTBEAT_SECONDS", 3600)  # no lease renewals in between
    counts = []
    for size, provider in ((10, "Small CME"), (120, "Large CME")):
        rows = [good_row(n, provider_name=provider, credits="ama_pra_1:8;ancc:2") for n in range(size)]
        if case != "new":
            run_import(csv_text(rows), publish=True)
        if case == "changed":
            rows = [{**row, "title": row["title"] + " revised", "credits": "ama_pra_1:9"} for row in rows]
        count, job = _queries_of_import(rows)
        expected = {"new": job.created_count, "unchanged": job.unchanged_count, "changed": job.updated_count}
        assert expected[case] == size
        counts.append(count)
    if connection.vendor == "postgresql":
        assert counts[0] == counts[1]
    else:
        # SQLite caps the parameters of one statement (999), so bulk_create splits
        # wide inserts of new rows into statements of about 20 rows: a few more, never one per row.
        assert counts[1] - counts[0] <= (120 - 10) // 15


HOSTILE = [
    "back\\slash \\N and \\\\N",  # \N is COPY's null marker in text format
    "tab\tinside",
    "quote \" and ' apostrophe",
    "'; DROP TABLE programs_program; --",
    "line\nbreak\r\nand return",
    "unicode: Zürich – 東京 🩺",
    '=HYPERLINK("http://x")',
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_text_survives_an_update_exactly(value):
    run_import(csv_text([good_row(1), good_row(2)]), publish=True)
    job = run_import(
        csv_text([good_row(1, title=value, description=value, topics=f"{value.replace(';', ',')};x"), good_row(2)]),
        publish=True,
    )
    assert errors_of(job) == []
    assert (job.updated_count, job.unchanged_count) == (1, 1)
    program = Program.objects.get(external_id="X-1")
    stored_title = program.title
    expected = value.strip()
    assert stored_title == expected
    assert program.description == expected
    assert program.topics[0] == value.replace(";", ",").strip()
    # Imported again: unchanged, nothing written.
    history = ChangeLogEntry.objects.count()
    again = run_import(
        csv_text([good_row(1, title=value, description=value, topics=f"{value.replace(';', ',')};x"), good_row(2)]),
        publish=True,
    )
    assert again.unchanged_count == 2
    assert ChangeLogEntry.objects.count() == history


def test_an_update_the_database_refuses_mid_batch_lands_alone_as_an_error_row(monkeypatch):
    """A refused update mid-batch: the batch is written row by row; the others land with history, it stays as it was."""
    run_import(csv_text(_rows(5)), publish=True)
    before = {p.external_id: program_record(p) for p in Program.objects.prefetch_related("credit_offerings")}
    history_before = ChangeLogEntry.objects.count()
    real_validate = validation.row_validate

    def validate_letting_a_negative_fee_through(raw: dict[str, Any]):
        record, problems = real_validate({**raw, "fee_amount": "1"} if raw.get("fee_amount") == "-5" else raw)
        if record is not None and raw.get("fee_amount") == "-5":
            record["fee_amount"] = "-5"  # past validation, refused by the database's check constraint
        return record, problems

    monkeypatch.setattr(jobs, "row_validate", validate_letting_a_negative_fee_through)
    rows = [good_row(i, title=f"Changed {i}") for i in range(1, 6)]
    rows[2]["fee_amount"] = "-5"
    job = run_import(csv_text(rows), publish=True)
    assert job.updated_count == 4
    assert job.error_count == 1
    [(row_number, _field, _value, message)] = errors_of(job)
    assert row_number == 4
    assert message.startswith("The database could not store this row (")
    programs = {p.external_id: program_record(p) for p in Program.objects.prefetch_related("credit_offerings")}
    assert programs["X-3"] == before["X-3"]
    assert {key for key in programs if programs[key] != before[key]} == {"X-1", "X-2", "X-4", "X-5"}
    assert ChangeLogEntry.objects.count() == history_before + 4
    assert not ChangeLogEntry.objects.filter(program__external_id="X-3", action="updated").exists()


def test_bulk_update_rows_writes_only_the_named_fields_of_the_given_rows():
    run_import(csv_text(_rows(3)), publish=True)
    programs = list(Program.objects.order_by("external_id"))
    for program in programs[:2]:
        program.title = f"{program.title} (new)"
        program.description = "not written"
    bulk.bulk_update_rows(Program, programs[:2], ["title"])
    stored = {p.external_id: (p.title, p.description) for p in Program.objects.all()}
    assert stored["X-1"][0].endswith("(new)") and stored["X-2"][0].endswith("(new)")
    assert "(new)" not in stored["X-3"][0]
    assert all(description != "not written" for _title, description in stored.values())
    bulk.bulk_update_rows(Program, [], ["title"])  # nothing to do, no query needed
