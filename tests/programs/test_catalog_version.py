"""The catalog version moves with every write the ranked catalog could see, by whatever path it comes.

Database triggers keep it (programs.catalog_version), so the proof is per table and per kind of
write: ORM saves, services, bulk updates, deletes, the importer's bulk insert (COPY on
PostgreSQL), raw SQL. And the tables the ranking SQL reads are exactly the versioned ones.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from outcomes.models import ProgramOutcomeEvidence
from outcomes.services import evidence_save
from programs.catalog_version import VERSIONED_TABLES, current_version_token
from programs.choices import ProgramStatus
from programs.exchange.bulk import bulk_insert_programs
from programs.models import CreditOffering, Program, Provider
from programs.ranking import fit, scoring
from programs.ranking.queries import RankingQuery, point_classes_query, ranked_catalog_page
from programs.selectors import CatalogFilters
from programs.services import programs_set_status
from tests.factories import ProgramFactory, ProviderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def bump_at_once():
    """PostgreSQL bumps at commit (a deferred trigger); a test's transaction never commits, so bump at once."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def _moves(write) -> None:
    before = current_version_token()
    assert before is not None
    write()
    after = current_version_token()
    assert after is not None and after != before


def test_every_table_the_ranking_reads_is_versioned():
    today = timezone.localdate()
    clinician = fit.ClinicianContext(
        today=today,
        profession="physician",
        remaining_budget=Decimal("500"),
        licences=(
            fit.LicenceNeed(
                licence_id=1,
                name="CA",
                renewal_date=today,
                accepted_credit_types=frozenset({"ama_pra_1"}),
                hours_short=Decimal(0),
            ),
        ),
    )
    filters = CatalogFilters(
        q="leadership",
        profession="nurse",
        credit_type="ancc",
        accredited_only=True,
        specialty="cardiology",
        topic="opioids",
        city="seattle",
        provider=1,
    )
    goal = scoring.GoalCriteria(track="executive_leadership", competencies=frozenset({"healthcare_finance"}))
    ProgramFactory(title="Leadership")
    with CaptureQueriesContext(connection) as captured:
        point_classes_query(goal=goal, clinician=clinician, filters=filters)
        ranked_catalog_page(
            RankingQuery(
                goal=goal,
                weights=scoring.Weights(),
                clinician=clinician,
                filters=filters,
                page_number=1,
                catalog_version=None,
            )
        )
    tables = set()
    for query in captured.captured_queries:
        tables |= set(re.findall(r'(?:FROM|JOIN)\s+"?(\w+)"?', query["sql"]))
    tables.discard("json_each")  # SQLite's table function over a column of the program row
    assert tables and tables <= set(VERSIONED_TABLES), tables - set(VERSIONED_TABLES)


def test_orm_writes_of_programs_move_the_version():
    program = ProgramFactory(title="First")
    _moves(lambda: ProgramFactory(title="Created"))
    program.title = "Renamed"
    _moves(program.save)
    _moves(lambda: Program.objects.filter(pk=program.pk).update(fee_amount=Decimal("10")))
    _moves(lambda: Program.objects.filter(pk=program.pk).delete())


def test_publish_and_unpublish_move_the_version():
    program = ProgramFactory(status=ProgramStatus.DRAFT)
    _moves(lambda: programs_set_status(program_ids=[program.pk], status=ProgramStatus.PUBLISHED, actor=None))
    _moves(lambda: programs_set_status(program_ids=[program.pk], status=ProgramStatus.ARCHIVED, actor=None))


def test_credit_offerings_and_providers_move_the_version():
    program = ProgramFactory()
    _moves(lambda: CreditOffering.objects.create(program=program, credit_type="ancc", amount=Decimal("2")))
    _moves(lambda: CreditOffering.objects.filter(program=program).update(amount=Decimal("3")))
    _moves(lambda: CreditOffering.objects.filter(program=program).delete())
    _moves(lambda: Provider.objects.filter(pk=program.provider_id).update(accreditor="other"))
    _moves(lambda: ProviderFactory(name="Another"))


def test_verified_outcome_evidence_moves_the_version():
    program = ProgramFactory()
    evidence = ProgramOutcomeEvidence(
        program=program,
        metric="Antibiotic use",
        baseline="40%",
        follow_up="60%",
        time_window="1 year",
        moore_level="6",
        source_url="https://example.org/outcome",
        verified=True,
    )
    _moves(lambda: evidence_save(evidence=evidence, actor=None))
    assert Program.objects.get(pk=program.pk).has_verified_outcome_evidence


def test_the_importers_bulk_insert_and_raw_sql_move_the_version():
    provider = ProviderFactory()
    start = timezone.localdate() + datetime.timedelta(days=10)
    _moves(
        lambda: bulk_insert_programs(
            [
                Program(
                    provider=provider,
                    external_id=f"bulk-{index}",
                    title=f"Bulk {index}",
                    status=ProgramStatus.PUBLISHED,
                    start_date=start,
                )
                for index in range(3)
            ]
        )
    )

    def raw() -> None:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE programs_program SET title = title")

    _moves(raw)


def test_a_transaction_that_changed_the_catalog_reads_around_the_cache_until_it_commits():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite bumps at once: there is no window before the commit")
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    assert current_version_token() is not None
    ProgramFactory()
    assert current_version_token() is None  # pending: its own reads must see its own writes
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # what COMMIT does first
    assert current_version_token() is not None
