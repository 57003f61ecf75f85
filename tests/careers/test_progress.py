import datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from careers.progress import (
    ClaimCredits,
    LicenceTerms,
    claim_counted_hours,
    cycle_start,
    licence_progress,
    months_before,
)

TODAY = datetime.date(2026, 6, 1)
RENEWAL = datetime.date(2027, 1, 31)
TYPES = ["ama_pra_1", "ama_pra_2", "ancc", "acpe", "moc"]


def _terms(**kwargs):
    defaults = {
        "licence_id": 1,
        "name": "California physician",
        "renewal_date": RENEWAL,
        "cycle_months": 24,
        "hours_required": Decimal("50"),
        "accepted_credit_types": frozenset({"ama_pra_1"}),
        "topic_hours": {"opioids": Decimal("3")},
    }
    return LicenceTerms(**{**defaults, **kwargs})


def test_cycle_start_subtracts_months_and_clamps_month_end():
    assert cycle_start(datetime.date(2027, 1, 31), 24) == datetime.date(2025, 1, 31)
    assert months_before(datetime.date(2024, 3, 31), 1) == datetime.date(2024, 2, 29)
    assert months_before(datetime.date(2026, 1, 15), -12) == datetime.date(2027, 1, 15)


def test_only_claims_in_the_current_cycle_count_with_both_ends_included():
    claims = [
        ClaimCredits(1, datetime.date(2025, 1, 31), {"ama_pra_1": Decimal("5")}),
        ClaimCredits(2, datetime.date(2027, 1, 31), {"ama_pra_1": Decimal("7")}),
        ClaimCredits(3, datetime.date(2025, 1, 30), {"ama_pra_1": Decimal("100")}),
        ClaimCredits(4, datetime.date(2027, 2, 1), {"ama_pra_1": Decimal("100")}),
    ]
    result = licence_progress(_terms(), claims, today=TODAY)
    assert result.hours_earned == Decimal("12")
    assert result.hours_short == Decimal("38")
    assert result.claims_counted == 2
    assert result.days_to_renewal == (RENEWAL - TODAY).days


def test_unaccepted_types_never_count_and_one_activity_counts_once():
    claims = [
        ClaimCredits(1, datetime.date(2026, 1, 1), {"ama_pra_1": Decimal("8"), "ancc": Decimal("8")}),
        ClaimCredits(2, datetime.date(2026, 2, 1), {"ancc": Decimal("20")}),
    ]
    result = licence_progress(_terms(), claims, today=TODAY)
    assert result.hours_earned == Decimal("8")
    assert result.hours_by_type == {"ama_pra_1": Decimal("8")}
    open_terms = _terms(accepted_credit_types=frozenset())
    result = licence_progress(open_terms, claims, today=TODAY)
    # max per activity, not the sum of its credit types
    assert result.hours_earned == Decimal("28")
    assert result.hours_by_type == {"ama_pra_1": Decimal("8"), "ancc": Decimal("28")}


def test_topic_hours_come_from_claims_tagged_with_the_topic():
    claims = [
        ClaimCredits(1, datetime.date(2026, 1, 1), {"ama_pra_1": Decimal("2")}, frozenset({"opioids"})),
        ClaimCredits(2, datetime.date(2026, 1, 2), {"ancc": Decimal("5")}, frozenset({"opioids"})),
    ]
    result = licence_progress(_terms(), claims, today=TODAY)
    (topic,) = result.topics
    assert topic.hours_earned == Decimal("2")
    assert topic.hours_short == Decimal("1")
    assert result.missing_topics == {"opioids": Decimal("1")}


def test_claim_counted_hours_is_the_largest_accepted_amount():
    amounts = {"ama_pra_1": Decimal("3"), "moc": Decimal("5")}
    assert claim_counted_hours(amounts, frozenset({"ama_pra_1"})) == Decimal("3")
    assert claim_counted_hours(amounts, frozenset()) == Decimal("5")
    assert claim_counted_hours(amounts, frozenset({"ancc"})) == Decimal("0")


amount = st.decimals(min_value=Decimal("0.25"), max_value=Decimal("200"), places=2)
claims_strategy = st.lists(
    st.builds(
        ClaimCredits,
        claim_id=st.integers(1, 10_000),
        completed_on=st.dates(datetime.date(2023, 1, 1), datetime.date(2028, 1, 1)),
        amounts=st.dictionaries(st.sampled_from(TYPES), amount, min_size=1, max_size=4),
        topics=st.frozensets(st.sampled_from(["opioids", "ethics", "implicit_bias"])),
    ),
    max_size=20,
)


@given(
    claims=claims_strategy,
    accepted=st.frozensets(st.sampled_from(TYPES)),
    required=st.decimals(min_value=Decimal("0"), max_value=Decimal("300"), places=2),
    months=st.integers(1, 120),
)
def test_hours_short_never_negative_and_unaccepted_types_never_count(claims, accepted, required, months):
    terms = _terms(accepted_credit_types=accepted, hours_required=required, cycle_months=months)
    result = licence_progress(terms, claims, today=TODAY)
    assert result.hours_short >= 0
    assert all(topic.hours_short >= 0 for topic in result.topics)
    if accepted:
        assert set(result.hours_by_type) <= accepted
        # Removing every unaccepted amount changes nothing.
        stripped = [
            ClaimCredits(c.claim_id, c.completed_on, {k: v for k, v in c.amounts.items() if k in accepted}, c.topics)
            for c in claims
        ]
        assert licence_progress(terms, stripped, today=TODAY).hours_earned == result.hours_earned
    # Never more than the sum of all amounts in the window, never double counting an activity.
    assert result.hours_earned <= sum((max(c.amounts.values()) for c in claims), Decimal("0"))
    assert result.hours_short == max(Decimal("0"), required - result.hours_earned)
