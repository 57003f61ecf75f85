"""The import contract (docs/import-format.md): one test per rule and per error kind."""

from __future__ import annotations

import json

import pytest

from programs.choices import CreditType, ProgramStatus
from programs.exchange import jobs, problems, reading, validation, writing
from programs.exchange.format import CODE_SET_FIELDS
from programs.models import ChangeLogEntry, ChangeSource, ImportJobStatus, Program, ProgramRevision, Provider
from tests.factories import AdminFactory, ProgramFactory, ProviderFactory

from .import_helpers import HEADER, catalog_checksum, csv_text, errors_of, good_row, run_import

pytestmark = pytest.mark.django_db


def test_valid_rows_arrive_as_drafts_with_history_attributed_to_admin_and_job():
    admin = AdminFactory()
    job = run_import(csv_text([good_row(1), good_row(2)]), actor=admin)
    assert job.status == ImportJobStatus.SUCCEEDED
    assert (job.rows_total, job.rows_done, job.created_count, job.error_count) == (2, 2, 2, 0)
    program = Program.objects.get(external_id="X-1")
    assert program.status == ProgramStatus.DRAFT
    assert program.professions == ["physician", "nurse"]
    assert {o.credit_type: str(o.amount) for o in program.credit_offerings.all()} == {"ama_pra_1": "8.00"}
    entry = ChangeLogEntry.objects.get(program=program)
    assert (entry.actor, entry.source, entry.import_job_id, entry.action) == (
        admin,
        ChangeSource.IMPORT,
        job.pk,
        "created",
    )
    assert program.outcome_points > 0


def test_file_metadata_is_recorded():
    content = csv_text([good_row(1)])
    job = run_import(content, name="feed.csv")
    import hashlib

    assert job.file_name == "feed.csv"
    assert job.file_size == len(content.encode())
    assert job.sha256 == hashlib.sha256(content.encode()).hexdigest()
    assert job.file_format == "csv"
    assert job.started_at and job.finished_at and job.queued_at <= job.started_at <= job.finished_at


def test_publish_flag_publishes_and_honours_a_stated_draft():
    job = run_import(csv_text([good_row(1), good_row(2, status="draft")]), publish=True)
    assert job.created_count == 2
    assert Program.objects.get(external_id="X-1").status == ProgramStatus.PUBLISHED
    assert Program.objects.get(external_id="X-2").status == ProgramStatus.DRAFT


def test_reimport_updates_and_identical_rows_are_unchanged():
    run_import(csv_text([good_row(1), good_row(2)]))
    job = run_import(csv_text([good_row(1), good_row(2, title="Renamed")]))
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 1, 1)
    assert Program.objects.get(external_id="X-2").title == "Renamed"
    assert Program.objects.count() == 2


def test_importing_the_same_file_twice_changes_nothing_the_second_time():
    content = csv_text([good_row(n) for n in range(1, 8)] + [good_row(9, format="bad")])
    run_import(content, publish=True)
    before = catalog_checksum()
    job = run_import(content, publish=True)
    assert (job.created_count, job.updated_count, job.unchanged_count, job.error_count) == (0, 0, 7, 1)
    assert catalog_checksum() == before


def test_identity_is_provider_and_external_id():
    run_import(csv_text([good_row(1), good_row(1, provider_name="Other CME")]))
    assert Program.objects.filter(external_id="X-1").count() == 2


def test_a_row_with_any_error_writes_nothing_and_other_rows_import():
    job = run_import(csv_text([good_row(1), good_row(2, fee_amount="-3", provider_name="Never Created")]))
    assert job.created_count == 1 and job.error_count == 1
    assert not Provider.objects.filter(name="Never Created").exists()
    assert not Program.objects.filter(external_id="X-2").exists()


def test_row_numbers_count_the_header_as_row_one():
    job = run_import(csv_text([good_row(1), good_row(2, format="")]))
    assert errors_of(job)[0][0] == 3


ROW_ERRORS = [
    ("title", "", problems.MSG_REQUIRED),
    ("format", "lecture", problems.MSG_CHOICE.format(allowed=", ".join(validation.CHOICE_FIELDS["format"]))),
    ("delivery", "by pigeon", problems.MSG_CHOICE.format(allowed=", ".join(validation.CHOICE_FIELDS["delivery"]))),
    (
        "professions",
        "physician;wizard",
        problems.MSG_CODES.format(bad="wizard", allowed=", ".join(CODE_SET_FIELDS["professions"])),
    ),
    ("title", "x" * 301, problems.MSG_TEXT_TOO_LONG.format(limit=300)),
    ("url", "javascript:alert(1)", problems.MSG_URL),
    ("start_date", "03/01/2030", problems.MSG_DATE),
    ("fee_amount", "abc", problems.MSG_DECIMAL.format(places=2, whole=8)),
    ("fee_amount", "-5", problems.MSG_DECIMAL.format(places=2, whole=8)),
    ("leave_days", "1.25", problems.MSG_DECIMAL.format(places=1, whole=4)),
    ("publishes_outcomes", "maybe", problems.MSG_BOOLEAN),
    ("fee_currency", "dollars", problems.MSG_CURRENCY),
    ("credits", "ama_pra_1=8", problems.MSG_CREDITS_SYNTAX),
    ("credits", "golf:8", problems.MSG_CREDITS_TYPE.format(bad="golf", allowed=", ".join(CreditType.values))),
    ("credits", "ancc:1;ancc:2", problems.MSG_CREDITS_TWICE.format(bad="ancc")),
    ("credits", "ancc:0.1", problems.MSG_CREDITS_AMOUNT.format(bad="0.1")),
    ("outcome_level_measured", "9", problems.MSG_CHOICE.format(allowed="1, 2, 3a, 3b, 4, 5, 6, 7")),
    ("status", "live", problems.MSG_CHOICE.format(allowed="draft, published, archived")),
]


@pytest.mark.parametrize(("field", "value", "message"), ROW_ERRORS, ids=[f"{f}={v[:12]}" for f, v, _ in ROW_ERRORS])
def test_each_row_error_names_row_field_value_and_what_is_allowed(field, value, message):
    job = run_import(csv_text([good_row(1, **{field: value})]))
    assert job.status == ImportJobStatus.SUCCEEDED
    assert job.error_count == 1 and job.created_count == 0
    assert errors_of(job) == [(2, field, value[:299] + ("…" if len(value) > 300 else ""), message)]
    assert not Program.objects.exists()


def test_end_date_before_start_date_is_a_row_error():
    job = run_import(csv_text([good_row(1, start_date="2030-03-05", end_date="2030-03-01")]))
    assert errors_of(job) == [(2, "end_date", "2030-03-01", problems.MSG_END_BEFORE_START)]


def test_several_problems_in_one_row_are_all_reported_and_count_as_one_error_row():
    job = run_import(csv_text([good_row(1, format="x", fee_amount="y")]))
    assert job.error_count == 1
    assert [e[1] for e in errors_of(job)] == ["format", "fee_amount"]


def test_same_identity_twice_in_a_file_the_later_row_is_an_error():
    job = run_import(csv_text([good_row(1), good_row(2), good_row(1, title="Again")]))
    assert job.created_count == 2
    assert errors_of(job) == [(4, "external_id", "X-1", problems.MSG_DUPLICATE.format(first=2))]
    assert Program.objects.get(external_id="X-1").title == "Sepsis quality improvement 1"


def test_a_row_with_more_cells_than_the_header_is_an_error():
    job = run_import(HEADER + "\nA,T,P,course,extra\n")
    assert errors_of(job) == [(2, "", "", problems.MSG_TOO_MANY_CELLS.format(count=5, expected=4))]


def test_unknown_columns_are_reported_and_ignored():
    job = run_import(csv_text([{**good_row(1), "colour": "red", "size": "L"}]))
    assert job.created_count == 1
    assert job.notice == problems.NOTICE_UNKNOWN_COLUMNS.format(names="colour, size")


def test_column_order_and_header_case_do_not_matter_and_bom_is_accepted():
    content = "\ufeffFORMAT, Provider_Name ,title,external_id\ncourse,Mercy CME,Sepsis,A-1\n"
    job = run_import(content)
    assert job.created_count == 1
    assert Program.objects.get().title == "Sepsis"


def test_booleans_accept_yes_no_one_zero_any_case():
    rows = [
        good_row(1, ipce_credit="YES", ehr_integration="0"),
        good_row(2, ipce_credit="True", ehr_integration="no"),
        good_row(3, ipce_credit="1", ehr_integration="FALSE"),
    ]
    run_import(csv_text(rows))
    assert set(Program.objects.values_list("ipce_credit", "ehr_integration")) == {(True, False)}


def test_blank_means_not_known():
    run_import(csv_text([good_row(1, fee_amount="", publishes_outcomes="", commercial_support="")]))
    program = Program.objects.get()
    assert (program.fee_amount, program.publishes_outcomes, program.commercial_support) == (None, None, "")
    assert program.fee_currency == "USD"


def test_json_import_with_arrays_and_credit_object():
    data = [
        {
            "external_id": "J-1",
            "title": "Opioid stewardship",
            "provider_name": "Mercy CME",
            "format": "enduring",
            "credits": {"ama_pra_1": 1.5, "ancc": 2},
            "professions": ["nurse", "physician"],
            "topics": ["opioids"],
            "fee_amount": 0,
            "ipce_credit": True,
        },
        {"external_id": "J-2", "title": "No format", "provider_name": "Mercy CME"},
        "not an object",
    ]
    job = run_import(json.dumps(data), name="feed.json")
    assert job.file_format == "json"
    assert (job.created_count, job.error_count) == (1, 2)
    assert errors_of(job) == [
        (2, "format", "", problems.MSG_REQUIRED),
        (3, "", "not an object", problems.MSG_NOT_OBJECT),
    ]
    program = Program.objects.get()
    assert program.professions == ["physician", "nurse"] and program.is_free and program.ipce_credit
    assert {o.credit_type: str(o.amount) for o in program.credit_offerings.all()} == {
        "ama_pra_1": "1.50",
        "ancc": "2.00",
    }


def test_json_is_parsed_incrementally_across_chunk_boundaries(monkeypatch):
    monkeypatch.setattr(reading, "JSON_CHUNK_CHARS", 7)
    data = [{**good_row(n), "credits": {"ama_pra_1": 12.25}} for n in range(1, 6)]
    job = run_import(json.dumps(data, indent=2), name="feed.json")
    assert job.created_count == 5 and job.error_count == 0


def test_formula_neutralized_cells_come_back_as_entered():
    job = run_import(csv_text([good_row(1, title="'=Sepsis", description="'-5 mg dose")]))
    assert job.created_count == 1
    program = Program.objects.get()
    assert (program.title, program.description) == ("=Sepsis", "-5 mg dose")


def test_text_is_stored_as_given():
    run_import(csv_text([good_row(1, title="<script>alert(1)</script>")]))
    assert Program.objects.get().title == "<script>alert(1)</script>"


# File-level problems: one clear message, nothing written.

FILE_PROBLEMS = [
    ("empty", b"", problems.REJECT_EMPTY),
    ("only blank lines", b"\n\n", problems.REJECT_EMPTY),
    (
        "missing columns",
        b"external_id,title\nA,B\n",
        problems.REJECT_MISSING_COLUMNS.format(missing="provider_name, format"),
    ),
    (
        "duplicate column",
        (HEADER + ",title\nA,T,P,course,T\n").encode(),
        problems.REJECT_DUPLICATE_COLUMN.format(name="title"),
    ),
    (
        "bad quoting",
        (HEADER + '\nA,"T"x,P,course\n').encode(),
        problems.REJECT_BAD_CSV.format(row=2, detail="',' expected after '\"'"),
    ),
]


@pytest.mark.parametrize(("content", "message"), [p[1:] for p in FILE_PROBLEMS], ids=[p[0] for p in FILE_PROBLEMS])
def test_file_level_problem_rejects_the_whole_file(content, message):
    job = run_import(content)
    assert job.status == ImportJobStatus.REJECTED
    assert job.message == message
    assert not Program.objects.exists() and not Provider.objects.exists()
    assert not job.row_errors.exists()


def test_invalid_utf8_late_in_the_file_rejects_it_and_writes_nothing(monkeypatch):
    monkeypatch.setattr(jobs, "BATCH_SIZE", 2)
    rows = csv_text([good_row(n) for n in range(1, 2001)]).encode()
    job = run_import(rows + b"Z-1,Caf\xe9,Mercy CME,course\n")
    assert job.status == ImportJobStatus.REJECTED
    assert job.message.startswith("The file is not UTF-8 text")
    assert not Program.objects.exists()


def test_over_the_row_limit_rejects_the_file(settings):
    settings.IMPORT_MAX_ROWS = 3
    job = run_import(csv_text([good_row(n) for n in range(1, 5)]))
    assert job.status == ImportJobStatus.REJECTED
    assert job.message == problems.REJECT_TOO_MANY_ROWS.format(limit=3)
    assert not Program.objects.exists()


def test_over_the_size_limit_rejects_the_file_without_storing_it(settings):
    settings.IMPORT_MAX_BYTES = 100
    job = run_import(csv_text([good_row(n) for n in range(1, 5)]))
    assert job.status == ImportJobStatus.REJECTED
    assert job.message == problems.REJECT_TOO_BIG.format(limit=0)
    assert not job.file


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"external_id": "A"}', problems.REJECT_JSON_NOT_ARRAY),
        (b'[{"external_id": "A"', problems.REJECT_BAD_JSON.format(detail="element 1: Expecting ',' delimiter")),
        (b"[1, 2", problems.REJECT_BAD_JSON.format(detail="the file ends before the closing ]")),
        (b"[] trailing", problems.REJECT_BAD_JSON.format(detail="text after the closing ]")),
    ],
)
def test_invalid_json_rejects_the_file(content, message):
    job = run_import(content, name="feed.json")
    assert job.status == ImportJobStatus.REJECTED
    assert job.message == message
    assert not Program.objects.exists()


# Review: an import without publish never changes what the catalog shows.


def test_change_to_a_published_listing_is_held_for_review_and_the_live_listing_is_unchanged():
    provider = ProviderFactory(name="Mercy CME")
    live = ProgramFactory(provider=provider, external_id="X-1", title="Live title")
    before = catalog_checksum()
    job = run_import(csv_text([good_row(1, title="Proposed title")]))
    assert (job.held_count, job.updated_count) == (1, 0)
    live.refresh_from_db()
    assert live.title == "Live title" and live.status == ProgramStatus.PUBLISHED
    revision = ProgramRevision.objects.get(program=live)
    assert revision.record["title"] == "Proposed title" and revision.import_job_id == job.pk
    assert revision.record["status"] == "published"
    assert catalog_checksum() != before  # only the revision was added
    again = run_import(csv_text([good_row(1, title="Proposed title")]))
    assert (again.held_count, again.unchanged_count) == (0, 1)
    assert ProgramRevision.objects.count() == 1


def test_provider_accreditation_change_on_a_published_listing_is_held_too():
    provider = ProviderFactory(name="Mercy CME", accreditor="accme")
    ProgramFactory(provider=provider, external_id="X-1")
    run_import(csv_text([good_row(1, provider_accreditor="none")]))
    provider.refresh_from_db()
    assert provider.accreditor == "accme"


def test_publish_import_applies_changes_to_published_listings_directly():
    provider = ProviderFactory(name="Mercy CME")
    ProgramFactory(provider=provider, external_id="X-1", title="Old")
    job = run_import(csv_text([good_row(1, title="New")]), publish=True)
    assert job.updated_count == 1
    assert Program.objects.get(external_id="X-1").title == "New"


def test_batched_writes_match_the_one_by_one_service(django_db_blocker):
    """records_write gives the same listings and history as program_upsert_from_record per row."""
    from programs.services import program_upsert_from_record

    from .import_helpers import program_record

    admin = AdminFactory()
    ProviderFactory(name="Mercy CME", accreditor="state")
    rows = [
        good_row(1, provider_accreditor="accme", jointly_accredited="true"),
        good_row(2, provider_name="New Provider", provider_accreditation_status="commendation"),
        good_row(3, provider_name="New Provider", provider_accreditor="ancc", credits="ancc:2;ama_pra_1:1.5"),
        good_row(4, outcome_level_measured="5", commercial_support="none", designed_to_change="performance"),
    ]
    records = []
    for row in rows:
        record, problems = validation.row_validate(row)
        assert not problems
        record["status"] = "published"
        records.append(record)

    def snapshot():
        programs = (
            Program.objects.select_related("provider").prefetch_related("credit_offerings").order_by("external_id")
        )
        history = ChangeLogEntry.objects.order_by("pk").values_list("action", "object_repr", "changes", "source")
        scores = list(
            programs.values_list("external_id", "outcome_points", "independence_points", "interprofessional_points")
        )
        return [program_record(p) for p in programs], list(history), scores

    from django.db import transaction

    with transaction.atomic():
        sid = transaction.savepoint()
        for record in records:
            program_upsert_from_record(record=record, actor=admin, source=ChangeSource.IMPORT)
        one_by_one = snapshot()
        transaction.savepoint_rollback(sid)
    writing.records_write(records=records, actor=admin, publish=True, import_job_id=None)
    batched = snapshot()
    assert batched[0] == one_by_one[0]
    assert batched[2] == one_by_one[2]
    assert [h[:2] for h in batched[1]] == [h[:2] for h in one_by_one[1]]
    assert batched[1] == one_by_one[1]


def test_an_update_keeps_the_outcome_points_that_verified_evidence_earns():
    from outcomes.models import ProgramOutcomeEvidence
    from outcomes.services import evidence_save

    run_import(csv_text([good_row(1)]), publish=True)
    program = Program.objects.get(external_id="X-1")
    without_evidence = program.outcome_points
    evidence_save(
        evidence=ProgramOutcomeEvidence(
            program=program,
            metric="First-line use",
            baseline="40%",
            follow_up="60%",
            n=500,
            moore_level="5",
            verified=True,
        ),
        actor=None,
    )
    with_evidence = Program.objects.get(pk=program.pk).outcome_points
    assert with_evidence > without_evidence

    run_import(csv_text([good_row(1, title="Renamed")]), publish=True)

    updated = Program.objects.get(pk=program.pk)
    assert updated.title == "Renamed"
    assert updated.outcome_points == with_evidence
