"""Keyword search over the catalog: title, description, topics, specialties (codes and labels), provider, city.

A query is reduced to its words (programs.vocabulary.search_terms: folded, no stop
words, only letters and digits, so no query-language operator reaches the database);
a program matches when it holds every word, each as the start of one of its words
("cardio" finds "cardiology"; words of one or two letters only as whole words).

PostgreSQL: full-text search on `search_document`, a tsvector that triggers keep
(migration 0006), served by its GIN index; English stemming after unaccent; ranked
by ts_rank with title above tags above provider and city above description.
SQLite (quickstart): the same words matched at word starts in the same folded text,
without stemming.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import BooleanField, CharField, F, FloatField, Func, Q, Value
from django.db.models.expressions import Expression, RawSQL
from django.db.models.functions import Concat

from .models import ProgramQuerySet
from .vocabulary import is_prefix_term, search_terms

SEARCH_CONFIG = "cme_search"
_DOCUMENT = '"programs_program"."search_document"'
_TSQUERY = f"to_tsquery('{SEARCH_CONFIG}', %s)"


class Key(Func):
    """`cme_key(text)`: the matching key of programs.vocabulary.key, in SQL on both databases."""

    function = "cme_key"
    output_field = CharField()


def _words(expression: Expression | F) -> Func:
    return Func(expression, function="cme_words", output_field=CharField())


def _tag_words(expression: Expression | F) -> Func:
    return Func(expression, function="cme_tag_words", output_field=CharField())


def _fallback_document() -> Concat:
    return Concat(
        _words(F("title")),
        _tag_words(F("topics")),
        _tag_words(F("specialties")),
        _words(F("provider__name")),
        _words(F("location_city")),
        _words(F("description")),
        output_field=CharField(),
    )


def tsquery_text(terms: list[str]) -> str:
    """The to_tsquery input for the words: every word, as a prefix when long enough."""
    return " & ".join(f"{term}:*" if is_prefix_term(term) else term for term in terms)


def program_search(queryset: ProgramQuerySet, query: str) -> ProgramQuerySet:
    """Narrow the queryset to programs holding every word of the query, annotated with `search_rank`.

    A query with no word worth searching (empty, stop words only, punctuation only)
    narrows nothing; the form tells the person so (programs.forms).
    """
    terms = search_terms(query)
    if not terms:
        return queryset.annotate(search_rank=Value(0.0, output_field=FloatField()))
    if connection.vendor == "postgresql":
        text = tsquery_text(terms)
        return queryset.filter(
            RawSQL(f"{_DOCUMENT} @@ {_TSQUERY}", [text], output_field=BooleanField())  # noqa: S611 - constant SQL, words are a parameter
        ).annotate(
            search_rank=RawSQL(f"ts_rank({_DOCUMENT}, {_TSQUERY})", [text], output_field=FloatField())  # noqa: S611
        )
    condition = Q()
    for term in terms:
        condition &= Q(search_text__contains=f" {term}" if is_prefix_term(term) else f" {term} ")
    return (
        queryset.alias(search_text=_fallback_document())
        .filter(condition)
        .annotate(search_rank=Value(0.0, output_field=FloatField()))
    )
