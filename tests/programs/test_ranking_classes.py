"""The point classes a page is found from: their positions equal a brute-force expansion, and new weights cost the same.

`ordered_classes_between` is checked against the ranking of the classes' programs one by one (many
ties: small point ranges, classes of several programs, pages inside a class); the paged ranking with
weights never asked before reads no GROUP BY and the same number of queries at two catalog sizes.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from demo.synthetic import synthetic_programs_create
from programs.ranking import fit, scoring
from programs.ranking.queries import PointClasses, RankingQuery, ordered_classes_between, ranked_catalog_page
from programs.selectors import CatalogFilters, catalog_base, program_signals
from tests.factories import ProgramFactory, ProviderFactory
from tests.programs.scoring_strategies import weights

class_rows = st.lists(
    st.tuples(
        st.booleans(),
        st.sampled_from([0, 500, 1000]),
        st.sampled_from([0, 250, 1000]),
        st.sampled_from([0, 1000]),
        st.sampled_from([0, 300, 1000]),
        st.integers(1, 6),
    ),
    max_size=30,
)


def _expanded_keys(rows, weighting: scoring.Weights, *, takeable_first: bool, fits_only: bool) -> list[tuple]:
    """Every program's ordering key before the tie-break, in ranking order (the brute force)."""
    keys = []
    for takeable, outcome, independence, interprofessional, career, count in rows:
        if fits_only and not takeable:
            continue
        weighted = (
            weighting.outcome * outcome
            + weighting.independence * independence
            + weighting.interprofessional * interprofessional
            + weighting.career * career
        )
        key = (int(takeable) if takeable_first and not fits_only else 0, weighted, career if weighting.career else 0)
        keys += [key] * count
    return sorted(keys, reverse=True)


@given(
    rows=class_rows,
    weighting=weights,
    takeable_first=st.booleans(),
    fits_only=st.booleans(),
    start=st.integers(0, 120),
    length=st.integers(1, 40),
)
def test_classes_between_hold_exactly_the_positions_of_the_expanded_ranking(
    rows, weighting, takeable_first, fits_only, start, length
):
    # Distinct classes, as the GROUP BY gives them.
    rows = list({row[:5]: row for row in rows}.values())
    classes = PointClasses.from_cached_form(PointClasses.from_rows(rows).cached_form())
    expected = _expanded_keys(rows, weighting, takeable_first=takeable_first, fits_only=fits_only)
    assert classes.ranked_count(fits_only=fits_only) == len(expected)
    stop = start + length
    found = ordered_classes_between(
        classes, weighting, takeable_first=takeable_first, fits_only=fits_only, start=start, stop=stop
    )
    wanted_keys = sorted(set(expected[start:stop]), reverse=True)
    assert [item.key for item in found] == wanted_keys
    for item in found:
        assert expected.index(item.key) == item.start
        assert expected.count(item.key) == item.count
        members = {
            (outcome, independence, interprofessional)
            for takeable, outcome, independence, interprofessional, career, _ in rows
            if _expanded_keys(
                [(takeable, outcome, independence, interprofessional, career, 1)],
                weighting,
                takeable_first=takeable_first,
                fits_only=fits_only,
            )
            == [item.key]
        }
        assert set(item.members) == members


@pytest.fixture
def bump_at_once(db):
    """PostgreSQL moves the catalog version at commit, which a test's transaction never reaches: move it at once."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def _big_tied_class() -> None:
    """Twenty-five listings equal on every point, fee, start and title: one class larger than a page, by id."""
    provider = ProviderFactory(name="Tied provider")
    start = timezone.localdate() + datetime.timedelta(days=30)
    for _ in range(25):
        ProgramFactory(provider=provider, title="Same", start_date=start, fee_amount=Decimal("50"))


def _unseen_weights_run(goal, clinician, seen: scoring.Weights, unseen: list[scoring.Weights]):
    """Fill the classes with `seen`, then rank every page of each new combination; the queries and the ids."""
    arguments = {"goal": goal, "clinician": clinician, "filters": CatalogFilters()}
    ranked_catalog_page(RankingQuery(weights=seen, page_number=1, **arguments))
    counts, pages = set(), []
    for weighting in unseen:
        with CaptureQueriesContext(connection) as captured:
            first = ranked_catalog_page(RankingQuery(weights=weighting, page_number=1, **arguments))
        assert not any("GROUP BY" in query["sql"] for query in captured.captured_queries)
        counts.add(len(captured))
        ids = [result.program.pk for result in first.results]
        number = 2
        while first.page.has_next() and number <= 8:
            later = ranked_catalog_page(RankingQuery(weights=weighting, page_number=number, per_page=7, **arguments))
            ids += [result.program.pk for result in later.results]
            number += 1
        pages.append((weighting, ids))
    return counts, pages


def _check_pages(goal, clinician, pages) -> None:
    programs = list(catalog_base())
    for weighting, ids in pages:
        ranked = fit.rank_for_clinician(map(program_signals, programs), goal, weighting, clinician)
        expected = [scored.program_id for scored, _ in ranked]
        assert ids[:20] == expected[:20]
        assert ids[20:] == expected[7 : 7 + len(ids) - 20]  # pages 2.. of seven, from the second page on


def test_unseen_weights_read_no_group_by_and_the_same_queries_at_two_sizes(bump_at_once):
    rng = random.Random(5)
    goal = scoring.GoalCriteria(
        track="executive_leadership", competencies=frozenset({"healthcare_finance", "strategic_planning"})
    )
    clinician = fit.ClinicianContext(today=timezone.localdate(), remaining_budget=Decimal("600"))
    unseen = [scoring.Weights(*[rng.choice([0, 1, 2, 5]) or 1 for _ in range(4)]) for _ in range(3)]
    unseen += [scoring.Weights(1, 0, 0, 0), scoring.Weights(0, 0, 0, 3)]
    _big_tied_class()
    synthetic_programs_create(count=40, seed=31)
    small, pages = _unseen_weights_run(goal, clinician, scoring.Weights(), unseen[:3])
    _check_pages(goal, clinician, pages)
    synthetic_programs_create(count=360, seed=32)
    large, pages = _unseen_weights_run(goal, clinician, scoring.Weights(), unseen[3:])
    _check_pages(goal, clinician, pages)
    assert small == large and len(small) == 1
