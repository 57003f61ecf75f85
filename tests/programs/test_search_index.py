"""On PostgreSQL: search and filters are served by their indexes, and the search document never goes stale."""

import importlib

import pytest
from django.db import connection

from programs import vocabulary
from programs.curation import review
from programs.exchange.bulk import bulk_insert_programs
from programs.models import Program, ProgramRevision, Provider
from programs.search import Key, program_search
from programs.selectors import catalog_base
from tests.factories import AdminFactory, ProgramFactory, ProviderFactory

from .import_helpers import csv_text, good_row, run_import

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL indexes and triggers"),
]


def _plan(queryset) -> str:
    """The plan with sequential scans off: proves the index is usable (on 5 rows the planner would not bother).

    Without ordering, so that an index kept for the sort (program_status_title) does not hide the filter's.
    """
    sql, params = queryset.order_by().values("id").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE programs_program")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def _found(query: str) -> set[str]:
    return set(program_search(Program.objects.all(), query).values_list("title", flat=True))


def test_keyword_search_uses_the_search_document_index():
    ProgramFactory.create_batch(5)
    assert "program_search_document" in _plan(program_search(Program.objects.all(), "sepsis leadership"))


def test_keyword_search_in_the_catalog_query_uses_the_index():
    # Among the catalog's other conditions the planner prefers the index once the table is not tiny.
    provider = ProviderFactory()
    bulk_insert_programs(
        [
            Program(provider=provider, external_id=f"B-{n}", title=f"Sepsis {n}", format="course", status="published")
            for n in range(5000)
        ]
    )
    # Which index the planner picks among several usable ones depends on statistics and varied between runs
    # (a status index once won with 5,000 published rows); take the status-only indexes away, inside this
    # test's transaction, so the plan shows the search condition itself is index-backed in the catalog query.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'programs_program' AND indexname LIKE 'program_status%'"
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP INDEX "{name}"')
    assert "program_search_document" in _plan(program_search(catalog_base(), "québec cardio"))


def test_topic_and_specialty_filters_use_their_key_indexes():
    ProgramFactory.create_batch(5, topics=["pain_management"], specialties=["Cardiology"])
    assert "program_topic_keys" in _plan(Program.objects.filter(topics__has_tag_key="pain management"))
    assert "program_specialty_keys" in _plan(Program.objects.filter(specialties__has_tag_key="cardiology"))


def test_exact_tag_lookup_uses_the_key_index():
    # The raw-list GIN indexes are gone (migration 0011): the key index narrows, the exact match decides.
    ProgramFactory.create_batch(5, topics=["opioids"])
    assert "program_topic_keys" in _plan(Program.objects.filter(topics__has_tag="opioids"))
    assert "program_specialty_keys" in _plan(Program.objects.filter(specialties__has_tag="Cardiology"))


def test_location_filters_use_their_indexes():
    ProgramFactory.create_batch(5, location_city="Seattle", location_state="WA")
    for state in ["OR", "CA", "NY", "TX", "FL", "IL", "OH", "GA"]:
        ProgramFactory.create_batch(4, location_city=f"{state} city", location_state=state)
    published = Program.objects.published()
    assert "program_status_city_key" in _plan(published.alias(k=Key("location_city")).filter(k="seattle"))
    assert "program_status_state" in _plan(published.filter(location_state="WA"))


def test_the_sql_labels_are_the_vocabularys():
    migration = importlib.import_module("programs.migrations.0006_search_document_and_location_filters")
    assert migration.TAG_LABELS == vocabulary.TAG_LABELS, "Labels changed: add a migration that redefines cme_tag_text."


def test_the_sql_keys_are_the_vocabularys():
    samples = ["Pain_Management", "  Québec  ", "Substance-use  disorders", "CARDIOLOGY", "Ærø", "straße"]
    with connection.cursor() as cursor:
        for sample in samples:
            cursor.execute("SELECT cme_key(%s)", [sample])
            assert cursor.fetchone()[0] == vocabulary.key(sample), sample


# Every write path keeps the document: model save, QuerySet.update, bulk_update, the importer's COPY and
# updates, the review queue, topics, specialties, the city, a provider's rename and a move to another provider.


def test_a_saved_program_is_found_by_every_field():
    provider = ProviderFactory(name="Zephyr Institute")
    ProgramFactory(
        title="Alpha",
        description="Bravo text.",
        topics=["charlie_topic"],
        specialties=["delta"],
        provider=provider,
        location_city="Echoville",
    )
    for word in ["alpha", "bravo", "charlie topic", "delta", "zephyr", "echoville"]:
        assert _found(word) == {"Alpha"}, word


def test_save_update_and_bulk_update_refresh_the_document():
    program = ProgramFactory(title="Alpha")
    program.title = "Foxtrot"
    program.save()
    assert _found("foxtrot") == {"Foxtrot"}
    assert _found("alpha") == set()
    Program.objects.filter(pk=program.pk).update(description="Golf course")
    assert _found("golf") == {"Foxtrot"}
    program.refresh_from_db()
    program.topics = ["hotel"]
    program.specialties = ["india"]
    program.location_city = "Juliett"
    Program.objects.bulk_update([program], ["topics", "specialties", "location_city"])
    assert _found("hotel india juliett") == {"Foxtrot"}


def test_a_provider_rename_or_move_refreshes_its_programs():
    provider = ProviderFactory(name="Kilo Health")
    ProgramFactory(title="Alpha", provider=provider)
    provider.name = "Lima Health"
    provider.save()
    assert _found("lima") == {"Alpha"}
    assert _found("kilo") == set()
    Provider.objects.filter(pk=provider.pk).update(name="Mike Health")
    assert _found("mike") == {"Alpha"}
    Program.objects.filter(title="Alpha").update(provider=ProviderFactory(name="November Health"))
    assert _found("november") == {"Alpha"}
    assert _found("mike") == set()


def test_copy_inserts_and_importer_updates_keep_the_document():
    provider = ProviderFactory(name="Oscar CME")
    bulk_insert_programs([Program(provider=provider, external_id="C-1", title="Papa", format="course", topics=["q"])])
    assert _found("papa oscar") == {"Papa"}
    run_import(csv_text([good_row(1, title="Romeo sepsis", topics="sierra;tango_topic")]), publish=True)
    assert _found("romeo sierra tango topic mercy") == {"Romeo sepsis"}
    run_import(csv_text([good_row(1, title="Uniform sepsis", location_city="Victor")]), publish=True)
    assert _found("uniform victor") == {"Uniform sepsis"}
    assert _found("romeo") == set()


def test_an_approved_held_change_refreshes_the_document():
    live = ProgramFactory(provider=ProviderFactory(name="Mercy CME"), external_id="X-1", title="Whiskey")
    run_import(csv_text([good_row(1, title="Xray", topics="yankee")]))
    assert _found("whiskey") == {"Whiskey"}
    revision = ProgramRevision.objects.get(program=live)
    review.review_decide(revision_ids=[revision.pk], approve=True, actor=AdminFactory())
    assert _found("xray yankee") == {"Xray"}
    assert _found("whiskey") == set()


def _stale_documents() -> list[str]:
    """Titles of listings whose stored document differs from cme_program_search_vector of their words now."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.title FROM programs_program p JOIN programs_provider v ON v.id = p.provider_id "
            "WHERE p.search_document IS DISTINCT FROM cme_program_search_vector("
            "p.title, p.topics, p.specialties, v.name, p.location_city, p.description)"
        )
        return [row[0] for row in cursor.fetchall()]


def test_a_batch_where_only_some_rows_change_their_words_keeps_every_document():
    # One UPDATE sets the title of every changed row of the batch; the trigger recomputes only where a word differs.
    rows = [good_row(n, title=f"Quebec {n}") for n in range(1, 5)]
    run_import(csv_text(rows), publish=True)
    rows[0]["title"] = "Zulu renamed"
    rows[1]["fee_amount"] = "99"
    rows[2]["topics"] = "ethics"
    run_import(csv_text(rows), publish=True)
    assert _found("zulu") == {"Zulu renamed"}
    assert _found("quebec") == {"Quebec 2", "Quebec 3", "Quebec 4"}
    assert _found("ethics") == {"Quebec 3"}
    assert _stale_documents() == []


def test_setting_the_words_to_what_they_were_leaves_the_document_and_a_rename_recomputes_it():
    program = ProgramFactory(title="Alpha", provider=ProviderFactory(name="Kilo Health"))
    Program.objects.filter(pk=program.pk).update(title="Alpha", topics=program.topics)
    assert _found("alpha kilo") == {"Alpha"}
    Provider.objects.filter(pk=program.provider_id).update(name="Lima Health")
    assert _found("alpha lima") == {"Alpha"}
    assert _stale_documents() == []


def test_the_index_key_functions_run_with_an_empty_search_path():
    # As pg_restore builds the indexes (and PostgreSQL 17's VACUUM, ANALYZE and REINDEX run them).
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        schema = cursor.fetchone()[0]
        cursor.execute("SET LOCAL search_path = ''")
        cursor.execute(
            f'SELECT "{schema}".cme_tag_keys(%s::jsonb), "{schema}".cme_key(%s)', ['["Pain_Management"]', " Québec "]
        )
        assert cursor.fetchone() == ('["pain management"]', "quebec")
