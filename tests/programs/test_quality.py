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
    assert _codes({"description": "8 AMA PRA Category 1 Credits. Topics: sepsis, antibiotics."}) == [
        "description_lacks_practice_change"
    ]


def test_past_end_date_but_published():
    assert _codes({"end_date": "2026-05-31"}) == ["past_but_published"]
    assert _codes({"end_date": datetime.date(2026, 5, 31), "status": "draft"}) == []


def test_not_verified_in_over_a_year():
    assert _codes({}, last_verified_on=datetime.date(2025, 5, 1)) == ["verification_stale"]
    assert _codes({}, last_verified_on=datetime.date(2025, 7, 1)) == []
