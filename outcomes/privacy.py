"""Detect free text that looks like a patient identifier. Pure Python: no Django.

Outcome records hold aggregate data only. This is a guard against slips (pasting a
chart note, naming a patient), not a de-identification tool: it flags
- a medical record number: "MRN 1234567", "MRN: 00123", "medical record number ...",
  "med rec #";
- a date of birth: "DOB", "D.O.B.", "date of birth", "born on 03/04/2015";
- a person's name right next to a full date ("Jane Smith 03/14/2015",
  "Smith, Jane - 2015-03-14").
Ordinary clinical and QI text (percentages, counts, months, "age 2-17") passes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

WHY = (
    "Outcome projects and portfolios hold aggregate figures only (counts, rates, means). "
    "A medical record number or a date of birth next to a name can identify a patient, "
    "and a portfolio may be shared outside your organization."
)

_MRN = re.compile(
    r"\bMRN\b|\bmedical[\s-]+record[\s-]+(?:number|no\.?|num|#)|\bmed\.?\s*rec\.?\s*(?:no\.?|number|#)",
    re.IGNORECASE,
)
_DOB = re.compile(r"\bD\.?O\.?B\b\.?|\bdate[\s-]+of[\s-]+birth\b|\bborn[\s-]+on\b|\bbirth[\s-]?date\b", re.IGNORECASE)
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_DATE = (
    r"(?:\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})|\d{4}-\d{2}-\d{2}"
    r"|" + _MONTH + r"\s+\d{1,2},?\s+\d{4}|\d{1,2}\s+" + _MONTH + r"\s+\d{4})"
)
_NAME = r"(?:[A-Z][a-z'’-]+,?\s+[A-Z][a-z'’-]+)"
_NAME_THEN_DATE = re.compile(_NAME + r"\s*[,:(–-]?\s*(?:\(?\s*)" + _DATE)
_DATE_THEN_NAME = re.compile(_DATE + r"\s*[,:)–-]?\s*" + _NAME)
# Capitalized words that commonly precede dates in QI writing and are not names.
_NOT_NAMES = frozenset(
    {
        "Baseline",
        "Period",
        "Clinic",
        "Clinics",
        "Hospital",
        "Unit",
        "Department",
        "Meeting",
        "Review",
        "Report",
        "Audit",
        "Cycle",
        "Month",
        "Quarter",
        "Since",
        "From",
        "Until",
        "Through",
        "Between",
        "Start",
        "End",
        "Go",
        "Live",
        "Data",
        "Measure",
        "Measurement",
        "Conference",
        "Grand",
        "Rounds",
        "The",
        "On",
        "In",
        "Updated",
        "Published",
        "Presented",
    }
)


@dataclass(frozen=True)
class PrivacyFinding:
    kind: str  # "mrn", "dob", "name_and_date"
    excerpt: str
    message: str


def _name_words(match_text: str) -> list[str]:
    return re.findall(r"[A-Z][a-z'’-]+", match_text)


def find_patient_identifiers(text: str) -> list[PrivacyFinding]:
    """Findings in reading order of kind; empty when the text looks aggregate-only."""
    findings: list[PrivacyFinding] = []
    if not text:
        return findings
    for match in _MRN.finditer(text):
        findings.append(
            PrivacyFinding("mrn", match.group(0), "This looks like a medical record number (MRN) of a patient.")
        )
    for match in _DOB.finditer(text):
        findings.append(PrivacyFinding("dob", match.group(0), "This looks like a patient's date of birth."))
    for pattern in (_NAME_THEN_DATE, _DATE_THEN_NAME):
        for match in pattern.finditer(text):
            words = _name_words(match.group(0))
            if any(word in _NOT_NAMES for word in words):
                continue
            findings.append(
                PrivacyFinding(
                    "name_and_date", match.group(0), "This looks like a person's name next to a date (of birth?)."
                )
            )
    return findings


def looks_like_patient_identifier(text: str) -> bool:
    return bool(find_patient_identifiers(text))
