"""The importer's fast path: canonical records from validation, stored listings compared as values rows.

Validation returns records already in canonical form (no second
`record_canonical` pass), and the writer compares stored listings read as
`values_list` rows, building a model instance only for a listing it changes.
These tests hold both to the reference: `record_canonical` for the form of a
record, and the one-by-one service `program_upsert_from_record` for what is
stored, on the edge cases where a shortcut would differ.
"""

from __future__ import annotations

import gc
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from programs.exchange import validation
from programs.exchange.format import FIELDS, program_record, record_canonical
from programs.models import ChangeLogEntry, CreditOffering, Program

from .import_helpers import (
    csv_text,
    errors_of,
    good_row,
    one_by_one_and_batch,
    run_import,
)

pytestmark = pytest.mark.django_db

# Valid spellings of each field, canonical or not: case, whitespace, order, repeats, number forms.
FIELD_VARIANTS: dict[str, list[Any]] = {
    "external_id": ["X-1", "  X-1  "],
    "title": ["Sepsis", " Sepsis care ", "Zürich – 東京"],
    "provider_name": ["Mercy CME", " Mercy CME"],
    "provider_accreditor": ["", "accme", " ACCME ", "State"],
    "provider_accreditation_status": ["", "accredited", "Commendation"],
    "jointly_accredited": ["", "true", "No", True, "0"],
    "description": ["", "Words\twith a tab", "  padded  "],
    "format": ["course", "COURSE", " enduring "],
    "delivery": ["", "live_online", "Hybrid"],
    "start_date": ["", "2030-03-01"],
    "end_date": ["", "2030-03-02"],
    "location_city": ["", "Boston", " boston "],
    "location_state": ["", "MA"],
    "location_country": ["", "US", " us "],
    "url": ["", "https://example.org/a", " http://example.org "],
    "fee_amount": ["", "0", "250", "250.50", "1E+2", "0.00", 12, "7.10"],
    "fee_currency": ["", "usd", " EUR "],
    "time_commitment_hours": ["", "8", "8.0", "0.5"],
    "leave_days": ["", "1", "2.50"],
    "credits": ["", "ama_pra_1:8", "ancc:2.50;AMA_PRA_1:8.00", " moc : 1 ; ", {"ancc": "4", "ama_pra_1": 185}],
    "moc_boards": ["", "ABIM;ABP", "ABP; ABIM ;ABP", ["ABIM", " ABP"]],
    "professions": ["", "nurse;physician", "Physician; NURSE;physician", ["pharmacist", "nurse"]],
    "planning_professions": ["", "physician"],
    "specialties": ["", "cardiology;Cardiology", "a;b;a"],
    "topics": ["", "sepsis", "ethics;opioids;ethics"],
    "competencies": ["", "teaching;communication", "PATIENT_SAFETY;quality_improvement"],
    "career_tracks": ["", "research;education"],
    "designed_to_change": ["", "performance;competence", "Patient_Outcomes"],
    "outcome_level_measured": ["", "5", "3A", " 3b "],
    "publishes_outcomes": ["", "yes", "FALSE"],
    "outcomes_url": ["", "https://example.org/outcomes"],
    "requires_practice_project": ["", "1"],
    "ehr_integration": ["", "no"],
    "commercial_support": ["", "none", "Disclosed"],
    "commercial_supporters": ["", "Acme Pharma;Beta Devices"],
    "disclosures_published": ["", "true"],
    "ancillary_marketing": ["", "false"],
    "ipce_credit": ["", "TRUE"],
    "status": ["", "draft", "Published"],
}
assert set(FIELD_VARIANTS) == set(FIELDS)

raw_rows = st.fixed_dictionaries({name: st.sampled_from(values) for name, values in FIELD_VARIANTS.items()})


@settings(max_examples=300, deadline=None)
@given(raw=raw_rows)
def test_a_validated_record_is_already_canonical(raw):
    record, problems = validation.row_validate(raw)
    assert problems == []
    assert record is not None
    canonical = record_canonical(record)
    canonical["status"] = record["status"]  # a blank status stays None for the writer to decide
    assert record == canonical
    assert list(record) == list(FIELDS)


def _compare_with_the_one_by_one_service(first: list[dict[str, Any]], second: list[dict[str, Any]]) -> list[str]:
    """Import `first`, then `second` both ways; assert the same end state; return the batch's outcomes."""
    # As the importer calls it: validation's records are canonical, compared as they are.
    one_by_one, batch, outcomes = one_by_one_and_batch(
        first, second, keys=("programs", "offerings", "history", "providers", "search_documents"), canonical=True
    )
    assert batch == one_by_one
    return outcomes


def test_an_unchanged_row_spelled_differently_is_unchanged_and_writes_nothing():
    first = [good_row(1, professions="physician;nurse", topics="sepsis", credits="ama_pra_1:8", fee_amount="250")]
    second = [
        good_row(
            1,
            title="  Sepsis quality improvement 1 ",
            format="COURSE",
            professions="NURSE; physician;nurse",
            topics=" sepsis ;sepsis",
            credits=" AMA_PRA_1 : 8.00 ",
            fee_amount="250.00",
            fee_currency="usd",
            delivery="Live_Online",
        )
    ]
    assert _compare_with_the_one_by_one_service(first, second) == ["unchanged"]


def test_a_change_in_only_a_credit_offering_matches_the_service():
    first = [good_row(n, credits="ama_pra_1:8;ancc:2") for n in range(1, 5)]
    second = [
        good_row(1, credits="ama_pra_1:8;ancc:2.5"),  # one amount changed
        good_row(2, credits="ama_pra_1:8"),  # one removed
        good_row(3, credits="ama_pra_1:8;ancc:2;moc:1"),  # one added
        good_row(4, credits="ancc:2;ama_pra_1:8"),  # the same in another order
    ]
    assert _compare_with_the_one_by_one_service(first, second) == ["updated", "updated", "updated", "unchanged"]
    amounts = dict(CreditOffering.objects.filter(program__external_id="X-1").values_list("credit_type", "amount"))
    assert {credit_type: str(amount) for credit_type, amount in amounts.items()} == {
        "ama_pra_1": "8.00",
        "ancc": "2.50",
    }


def test_a_change_in_only_the_provider_matches_the_service():
    first = [good_row(n, provider_accreditor="state") for n in range(1, 4)]
    second = [good_row(1, provider_accreditor="accme"), good_row(2, provider_accreditor="accme"), good_row(3)]
    # The provider's change is the provider's own history entry; its listings' fields are as they were.
    assert _compare_with_the_one_by_one_service(first, second) == ["unchanged", "unchanged", "unchanged"]
    assert ChangeLogEntry.objects.filter(provider__name="Mercy CME", action="updated").count() == 1


def test_a_batch_changing_columns_the_search_document_does_not_read_matches_the_service():
    # The batch's UPDATE sets only the columns some row changes: here no column of the search document.
    first = [good_row(n) for n in range(1, 4)]
    second = [good_row(1, fee_amount="300"), good_row(2, start_date="2030-02-01", delivery="hybrid"), good_row(3)]
    assert _compare_with_the_one_by_one_service(first, second) == ["updated", "updated", "unchanged"]


def test_stored_points_follow_a_change_and_stay_for_an_unchanged_row():
    first = [good_row(1), good_row(2)]
    second = [
        good_row(1, outcome_level_measured="5", designed_to_change="performance", commercial_support="none"),
        good_row(2),
    ]
    assert _compare_with_the_one_by_one_service(first, second) == ["updated", "unchanged"]


def test_a_row_refused_mid_file_writes_nothing_of_its_own():
    run_import(csv_text([good_row(n) for n in range(1, 6)]), publish=True)
    before = {p.external_id: program_record(p) for p in Program.objects.prefetch_related("credit_offerings")}
    history = ChangeLogEntry.objects.count()
    rows = [good_row(n, title=f"Changed {n}", credits="ama_pra_1:9") for n in range(1, 6)]
    rows[2]["fee_amount"] = "-5"  # refused by validation: the whole row, credits and title too
    job = run_import(csv_text(rows), publish=True)
    assert (job.updated_count, job.error_count) == (4, 1)
    assert [(row, field) for row, field, _value, _message in errors_of(job)] == [(4, "fee_amount")]
    after = {p.external_id: program_record(p) for p in Program.objects.prefetch_related("credit_offerings")}
    assert after["X-3"] == before["X-3"]
    assert {key for key in after if after[key] != before[key]} == {"X-1", "X-2", "X-4", "X-5"}
    assert ChangeLogEntry.objects.count() == history + 4
    assert not ChangeLogEntry.objects.filter(program__external_id="X-3", action="updated").exists()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=raw_rows, second=raw_rows)
def test_any_second_row_stores_what_the_service_stores(first, second):
    # The same identity both times, so the second row updates (or leaves) what the first created.
    identity = {"external_id": "X-1", "provider_name": "Mercy CME", "start_date": "", "end_date": ""}
    with transaction.atomic():
        savepoint = transaction.savepoint()
        _compare_with_the_one_by_one_service([{**first, **identity}], [{**second, **identity}])
        transaction.savepoint_rollback(savepoint)


def test_the_run_hands_the_heap_back_to_the_collector():
    assert gc.get_freeze_count() == 0
    run_import(csv_text([good_row(1), good_row(2)]), publish=True)
    assert gc.get_freeze_count() == 0
    gc.freeze()  # a preforking server froze its heap: the run leaves that as it is
    try:
        frozen = gc.get_freeze_count()
        run_import(csv_text([good_row(3)]), publish=True)
        assert 0 < gc.get_freeze_count() <= frozen  # still frozen (a frozen object freed meanwhile leaves it)
    finally:
        gc.unfreeze()
