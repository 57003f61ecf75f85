import datetime

from programs.curation import quality

TODAY = datetime.date(2026, 6, 1)
GOOD = {
    "outcome_level_measured": "5",
    "outcomes_url": "https://example.org/outcomes",
    "commercial_support": "disclosed",
    "commercial_supporters": ["Pharma Inc"],
    "description": "A quality improvement project with chart audit.",
    "end_date": "2026-07-01",
    "status": "published",
}


def _codes(record, last_verified_on=None):
    return [h.code for h in quality.listing_hints({**GOOD, **record}, today=TODAY, last_verified_on=last_verified_on)]


def test_a_good_listing_has_no_hints():
    assert _codes({}) == []


def test_outcome_level_claimed_without_evidence_url():
    assert _codes({"outcomes_url": None}) == ["outcome_without_evidence"]
    assert _codes({"outcomes_url": None, "outcome_level_measured": "2"}) == []


def test_commercial_support_marked_without_supporter():
    assert _codes({"commercial_supporters": []}) == ["supporter_not_named"]
    assert _codes({"commercial_support": "undisclosed", "commercial_supporters": []}) == ["supporter_not_named"]
    assert _codes({"commercial_support": "none", "commercial_supporters": []}) == []


def test_description_only_about_hours_and_topics():
    only = "description_only_hours_and_topics"
    topics = {"topics": ["sepsis", "antibiotics"]}
    assert _codes({"description": "8 AMA PRA Category 1 Credits. Topics: sepsis, antibiotics.", **topics}) == [only]
    assert _codes({"description": "Two-hour dinner presentation on lipid management. Dinner provided."}) == [only]
    assert _codes({"description": "", **topics}) == [only]


def test_a_description_that_says_what_participants_do_has_no_hint_even_without_practice_change_words():
    """The old rule (no "practice change" phrase) fired on 41 of 42 demo listings; these are fine descriptions."""
    described = [
        "Eight live online workshops on budgets, service-line margins and building a business case.",
        "Weekly case conference where oncology, surgery and pharmacy agree on treatment plans.",
        "Read designated articles and pass the post-test for each.",
    ]
    for description in described:
        assert _codes({"description": description}) == [], description


def test_past_end_date_but_published():
    assert _codes({"end_date": "2026-05-31"}) == ["past_but_published"]
    assert _codes({"end_date": datetime.date(2026, 5, 31), "status": "draft"}) == []


def test_not_verified_in_over_a_year():
    assert _codes({}, last_verified_on=datetime.date(2025, 5, 1)) == ["verification_stale"]
    assert _codes({}, last_verified_on=datetime.date(2025, 7, 1)) == []
