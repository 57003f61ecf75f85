"""The privacy guard flags text that looks like a patient identifier, and nothing else."""

import pytest

from outcomes.privacy import find_patient_identifiers, looks_like_patient_identifier


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Reviewed MRN 1234567 after the visit", "mrn"),
        ("mrn: 00123", "mrn"),
        ("See the medical record number on file", "mrn"),
        ("med rec # 4455", "mrn"),
        ("Child DOB 03/14/2015 had pyelonephritis", "dob"),
        ("D.O.B. 2015-03-14", "dob"),
        ("date of birth: March 3, 2015", "dob"),
        ("Jane Smith 03/14/2015 returned", "name_and_date"),
        ("Smith, Jane - 2015-03-14", "name_and_date"),
        ("Jane Smith March 3, 2015", "name_and_date"),
        ("03/14/2015 Jane Smith", "name_and_date"),
    ],
)
def test_identifier_like_text_is_flagged(text, kind):
    findings = find_patient_identifiers(text)
    assert kind in {f.kind for f in findings}


@pytest.mark.parametrize(
    "text",
    [
        "First-line antibiotic use rose from 43% to 62% across 27 clinics, Jan 2024 to Jun 2025.",
        "Baseline period 01/01/2024 to 06/30/2024; 2,142 UTIs in children aged 2-17.",
        "Mean treatment duration 7.3 days (SD 2.1, n = 236).",
        "Presented at Pediatric Grand Rounds on March 3, 2025.",
        "EHR order set go-live 2024-03-01, guideline updated 2024-02-15.",
        "Dr. Okafor presented on 2025-03-03 to the quality council.",
        "",
    ],
)
def test_ordinary_clinical_and_qi_text_is_not_flagged(text):
    assert not looks_like_patient_identifier(text)
