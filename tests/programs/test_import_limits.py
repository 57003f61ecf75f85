"""The importer takes whatever the format allows (issue 12): long fields, hostile JSON, unstorable text.

Runs on SQLite and on PostgreSQL (DATABASE_URL): the row errors must be the same on both.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from programs.exchange import exports, problems, reading, validation
from programs.exchange.format import program_record
from programs.models import ChangeLogEntry, CreditOffering, ImportJobStatus, Program, ProgramRevision, Provider

from .import_helpers import csv_text, errors_of, good_row, run_import

pytestmark = pytest.mark.django_db

# Characters that make an exported value longest or hardest to read back: CSV quoting and
# line breaks, JSON escapes (a control character is six characters as \u0001), non-BMP text.
HARD = '"\n,;\\\x01é😀'.replace(";", "")


def _long(length: int, seed: str = "") -> str:
    body = (seed + HARD * length)[:length]
    return "x" + body[1:-1] + "y" if length > 2 else "x" * length


def _max_row(n: int) -> dict[str, object]:
    """A JSON row with every text field at its longest and every tag list full."""
    tags = [
        f"{k:03d}" + _long(validation.TAG_MAX_LENGTH - 3).replace("\n", " ") for k in range(validation.TAGS_MAX_COUNT)
    ]
    return {
        "external_id": _long(validation.TEXT_MAX_LENGTH["external_id"] - 4) + f"{n:04d}",
        "title": _long(validation.TEXT_MAX_LENGTH["title"]),
        "provider_name": _long(validation.TEXT_MAX_LENGTH["provider_name"]),
        "format": "course",
        "description": _long(validation.DESCRIPTION_MAX_LENGTH),
        "location_city": _long(validation.TEXT_MAX_LENGTH["location_city"]),
        "location_state": _long(validation.TEXT_MAX_LENGTH["location_state"]),
        "location_country": _long(validation.TEXT_MAX_LENGTH["location_country"]),
        "url": "https://example.org/" + "a" * 480,
        "specialties": tags,
        "topics": tags,
        "moc_boards": tags,
        "commercial_supporters": tags,
        "credits": {"ama_pra_1": "99999.75", "ancc": 0.25},
        "fee_amount": "99999999.99",
    }


def _catalog_empty() -> None:
    ProgramRevision.objects.all().delete()
    ChangeLogEntry.objects.all().delete()
    CreditOffering.objects.all().delete()
    Program.objects.all().delete()
    Provider.objects.all().delete()


def _records() -> list[dict[str, object]]:
    programs = Program.objects.select_related("provider").prefetch_related("credit_offerings").order_by("external_id")
    return [program_record(program) for program in programs]


def _export(file_format: str) -> str:
    return exports.csv_text(exports.export_lines(Program.objects.all(), file_format=file_format))


def test_a_csv_description_longer_than_the_csv_module_default_imports():
    description = "Long. " * 30_000  # 180,000 characters: over csv's default 131,072
    job = run_import(csv_text([good_row(1, description=description.strip())]), publish=True)
    assert job.status == ImportJobStatus.SUCCEEDED, job.message
    assert Program.objects.get().description == description.strip()


@pytest.mark.parametrize("file_format", ["csv", "json"])
def test_every_field_at_its_longest_exports_and_reimports_unchanged(file_format):
    job = run_import(json.dumps([_max_row(1), _max_row(2)], ensure_ascii=False), name="max.json", publish=True)
    assert (job.status, job.created_count, job.error_count) == (ImportJobStatus.SUCCEEDED, 2, 0), errors_of(job)
    before = _records()
    exported = _export(file_format)
    again = run_import(exported, name=f"export.{file_format}", publish=True)
    assert (again.unchanged_count, again.error_count) == (2, 0), errors_of(again)
    _catalog_empty()
    into_empty = run_import(exported, name=f"export.{file_format}", publish=True)
    assert (into_empty.created_count, into_empty.error_count) == (2, 0), errors_of(into_empty)
    assert _records() == before
    assert _export(file_format) == exported


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "description",
            "d" * (validation.DESCRIPTION_MAX_LENGTH + 1),
            problems.MSG_TEXT_TOO_LONG.format(limit=200_000),
        ),
        ("title", "t" * 301, problems.MSG_TEXT_TOO_LONG.format(limit=300)),
        ("topics", ";".join(f"t{k}" for k in range(101)), problems.MSG_TAGS_TOO_MANY.format(limit=100)),
        ("specialties", "s" * 201, problems.MSG_TAG_TOO_LONG.format(limit=200)),
    ],
)
def test_a_field_over_its_stated_limit_is_a_row_error_naming_the_field(field, value, message):
    job = run_import(csv_text([good_row(1), good_row(2, **{field: value})]), publish=True)
    assert job.status == ImportJobStatus.SUCCEEDED
    assert [(row, name, text) for row, name, _value, text in errors_of(job)] == [(3, field, message)]
    assert Program.objects.count() == 1


def test_a_json_tag_containing_the_csv_separator_is_a_row_error():
    job = run_import(json.dumps([{**good_row(1), "topics": ["a;b"]}]), name="f.json")
    assert [(field, message) for _row, field, _value, message in errors_of(job)] == [
        ("topics", problems.MSG_TAG_SEMICOLON)
    ]


text_values = (
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=400)
    .map(str.strip)
    .filter(lambda text: text and text[0] not in "'=+-@\t\r")
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(description=text_values, title=text_values.map(lambda text: text[:300]))
def test_any_storable_text_exports_and_reimports_unchanged_in_csv_and_json(description, title):
    _catalog_empty()
    job = run_import(json.dumps([{**good_row(1), "description": description, "title": title}]), name="h.json")
    assert job.error_count == 0, errors_of(job)
    before = _records()
    for file_format in ("csv", "json"):
        exported = _export(file_format)
        _catalog_empty()
        again = run_import(exported, name=f"export.{file_format}")
        assert again.error_count == 0, errors_of(again)
        assert _records() == before


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    ("hostile", "detail"),
    [
        ('{"external_id": "H", "topics": ' + _nested(5000) + "}", "is nested more than 8 levels deep"),
        ('{"external_id": "H", "topics": ' + _nested(20) + "}", "is nested more than 8 levels deep"),
        ('{"' + "k" * 5000 + '": 1}', "has a key longer than 200 characters"),
        ("{" + ",".join(f'"k{k}": 1' for k in range(2000)) + "}", "has an object with more than 1,000 keys"),
        ('{"topics": [' + ",".join(["1"] * 20_000) + "]}", "has a list with more than 10,000 values"),
        ('{"fee_amount": ' + "9" * 5000 + "}", "has a number longer than 100 characters"),
        ('{"fee_amount": 1.' + "5" * 5000 + "e99999}", "has a number longer than 100 characters"),
        ('{"description": "' + "d" * (reading.JSON_MAX_ELEMENT_CHARS + 10) + '"}', "is longer than 4,194,304"),
    ],
)
def test_a_hostile_json_element_rejects_the_whole_file_and_writes_nothing(hostile, detail):
    content = "[" + json.dumps(good_row(1)) + "," + hostile + "," + json.dumps(good_row(2)) + "]"
    job = run_import(content, name="hostile.json")
    assert job.status == ImportJobStatus.REJECTED, (job.status, job.message)
    assert job.message.startswith("The file is not a listing file: element 2 of the JSON array ")
    assert detail in job.message
    assert Program.objects.count() == 0
    assert job.row_errors.count() == 0


UNSTORABLE = [
    ("csv", "title", "Sepsis\x00 QI"),
    ("json", "title", "Sepsis\x00 QI"),
    ("json", "description", "lone surrogate \ud800 here"),
    ("json", "topics", ["sepsis", "bad\udfff"]),
    ("json", "external_id", "X-\ud83d"),
]


@pytest.mark.parametrize(("file_format", "field", "value"), UNSTORABLE)
def test_a_value_no_database_can_store_is_a_row_error_naming_the_field(file_format, field, value):
    rows = [good_row(1), {**good_row(2), field: value}, good_row(3)]
    if file_format == "csv":
        content: str | bytes = csv_text(rows)
    else:
        # json.dumps escapes a lone surrogate as \ud800, as a hostile file would carry it.
        content = json.dumps(rows)
    job = run_import(content, name=f"f.{file_format}", publish=True)
    assert job.status == ImportJobStatus.SUCCEEDED, job.message
    bad_row = 3 if file_format == "csv" else 2
    errors = errors_of(job)
    assert [(row, name, message) for row, name, _value, message in errors] == [
        (bad_row, field, problems.MSG_UNSTORABLE)
    ]
    assert "\ufffd" in errors[0][2]
    assert Program.objects.count() == 2


def test_an_unknown_json_key_with_a_nul_is_reported_in_a_storable_notice():
    job = run_import(json.dumps([{**good_row(1), "odd\x00key": "x"}]), name="f.json")
    assert job.status == ImportJobStatus.SUCCEEDED, job.message
    assert job.notice == problems.NOTICE_UNKNOWN_COLUMNS.format(names="odd\ufffdkey")


def test_a_batch_the_database_refuses_is_retried_row_by_row(monkeypatch):
    """Without the validation's check, a lone surrogate reaches the database: it refuses the batch."""
    monkeypatch.setattr(validation, "_has_unstorable", lambda value: False)
    rows = [good_row(1), {**good_row(2), "title": "bad \ud800"}, good_row(3), good_row(4)]
    job = run_import(json.dumps(rows), name="f.json", publish=True)
    assert job.status == ImportJobStatus.SUCCEEDED, job.message
    assert (job.created_count, job.error_count, job.rows_done) == (3, 1, 4)
    [(row, field, _value, message)] = errors_of(job)
    assert (row, field) == (2, "")
    assert message.startswith("The database could not store this row (")
    assert sorted(Program.objects.values_list("external_id", flat=True)) == ["X-1", "X-3", "X-4"]


def test_every_row_error_and_rejection_message_is_documented():
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "import-format.md").read_text()
    texts = {name: getattr(problems, name) for name in dir(problems) if name.startswith(("MSG_", "REJECT_"))}
    missing = [name for name, text in texts.items() if text.split("{")[0].strip() not in docs]
    assert not missing, f"messages not in docs/import-format.md: {missing}"
