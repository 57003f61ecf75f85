"""The demo catalog file: an exchange-format import file that the importer stores without loss."""

import json

import pytest

from demo.catalog import (
    CATALOG_FILE,
    DemoCatalogInvalid,
    catalog_file_records,
    catalog_file_text,
    catalog_records_read,
    seed_catalog,
)
from programs.exchange.format import program_record
from programs.models import ChangeLogEntry, ChangeSource, Program, Provider
from tests.factories import AdminFactory

pytestmark = pytest.mark.django_db


def _stored_records() -> list[dict]:
    programs = Program.objects.select_related("provider").prefetch_related("credit_offerings").order_by("pk")
    return [program_record(program) for program in programs]


def test_exporting_the_seeded_catalog_gives_back_exactly_the_file():
    curator = AdminFactory()
    assert seed_catalog(actor=curator) == {"created": 42, "updated": 0, "unchanged": 0}
    assert catalog_file_records(_stored_records()) == json.loads(CATALOG_FILE.read_text(encoding="utf-8"))
    entries = ChangeLogEntry.objects.filter(program__isnull=False)
    assert entries.count() == 42
    assert set(entries.values_list("source", "actor")) == {(ChangeSource.SEED, curator.pk)}


def test_the_file_is_as_catalog_file_text_writes_it():
    seed_catalog(actor=None)
    assert catalog_file_text(_stored_records()) == CATALOG_FILE.read_text(encoding="utf-8"), (
        "Regenerate demo/data/catalog.json with demo.catalog.catalog_file_text (see its docstring)."
    )


def test_a_second_seed_changes_nothing():
    seed_catalog(actor=None)
    before = _stored_records()
    entries = ChangeLogEntry.objects.count()
    assert seed_catalog(actor=None) == {"created": 0, "updated": 0, "unchanged": 42}
    assert _stored_records() == before
    assert ChangeLogEntry.objects.count() == entries


def test_every_row_of_the_file_passes_the_importer():
    records = catalog_records_read()
    assert len(records) == 42
    assert len({(record["provider_name"], record["external_id"]) for record in records}) == 42


def test_a_bad_catalog_file_names_every_problem_and_writes_nothing(tmp_path):
    good = {"external_id": "A-1", "title": "A", "provider_name": "P", "format": "course"}
    rows = [good, {**good, "format": "webinar"}, {**good, "external_id": "B-1", "fee_amont": 5}, good]
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    with pytest.raises(DemoCatalogInvalid) as raised:
        seed_catalog(actor=None, path=path)
    message = str(raised.value)
    assert "unknown field(s): fee_amont" in message
    assert "row 2 format: Not an allowed value." in message
    assert "row 4: the same identity as row 1" in message
    assert not Program.objects.exists() and not Provider.objects.exists()


def test_a_file_the_importer_rejects_is_reported_with_its_path(tmp_path):
    path = tmp_path / "catalog.json"
    path.write_text('{"external_id": "A-1"}', encoding="utf-8")
    with pytest.raises(DemoCatalogInvalid, match="must be one array of objects"):
        seed_catalog(actor=None, path=path)
