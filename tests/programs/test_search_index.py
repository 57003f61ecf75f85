"""On PostgreSQL, keyword search and tag filters are served by their GIN indexes."""

import pytest
from django.db import connection

from programs.models import Program
from programs.search import program_search
from tests.factories import ProgramFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL indexes"),
]


def _plan(queryset) -> str:
    sql, params = queryset.values("id").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_keyword_search_uses_the_full_text_index():
    ProgramFactory.create_batch(5)
    assert "program_search_fts" in _plan(program_search(Program.objects.all(), "sepsis leadership"))


def test_topic_filter_uses_the_tag_index():
    ProgramFactory.create_batch(5, topics=["opioids"])
    assert "program_topics_gin" in _plan(Program.objects.filter(topics__has_tag="opioids"))


def test_specialty_filter_uses_the_tag_index():
    ProgramFactory.create_batch(5, specialties=["pediatrics"])
    assert "program_specialties_gin" in _plan(Program.objects.filter(specialties__has_tag="pediatrics"))
