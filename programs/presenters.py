"""What the pages say about what a provider states: one wording for the program page, cards, compare and requests.

A listing carries claims the provider makes: the provider's accreditation, the
highest Moore level the program measures, what it is designed to change, and
whether (and where) it publishes outcomes. How the CME office records that it
checked them:

- the listing as a whole: `Program.last_verified_on` (with `verified_by`), set by the
  CME office in the admin. Until then accreditation, measured level and intent read
  "stated by the provider"; afterwards "verified by the CME office on <date>".
- outcome results: `outcomes.ProgramOutcomeEvidence.verified`, mirrored on the program
  as `Program.has_verified_outcome_evidence`. Only then is there "published outcome
  evidence"; a provider-entered outcomes URL or "publishes outcomes" flag stays the
  provider's word whatever the listing's verification says, since nobody checked the
  results themselves.

Every page calls `program_claims`, so the wording cannot drift between pages. No
queries beyond `program.provider` (callers select_related it).
"""

from __future__ import annotations

from dataclasses import dataclass

from .choices import AccreditationStatus, Accreditor, DesignedToChange, OutcomeLevel
from .models import Program
from .ranking.scoring import listing_claim_source

NOT_VERIFIED = "not verified by the CME office"
VERIFIED_EVIDENCE = "Published outcome evidence of past cohorts"
PROVIDER_OUTCOME_LINK = "Outcome report linked by the provider"
PROVIDER_SAYS_IT_PUBLISHES = "The provider says it publishes outcome data"
NO_VERIFIED_EVIDENCE = "No verified outcome evidence"

# The Moore level each "designed to change" aim corresponds to (domain.md: levels 4, 5, 6).
DESIGNED_TO_CHANGE_LEVEL: dict[str, str] = {
    DesignedToChange.COMPETENCE: "4",
    DesignedToChange.PERFORMANCE: "5",
    DesignedToChange.PATIENT_OUTCOMES: "6",
}


@dataclass(frozen=True)
class Claim:
    """One thing the listing says, and who vouches for it.

    `source` is empty when there is nothing to vouch for ("Not stated"). `url` is the
    provider's own link, if any, always labelled as the provider's.
    """

    label: str
    value: str
    source: str = ""
    verified: bool = False
    url: str = ""
    url_text: str = ""

    @property
    def text(self) -> str:
        """The value with its source, e.g. "Level 5: performance (stated by the provider)"."""
        return f"{self.value} ({self.source})" if self.source else self.value


@dataclass(frozen=True)
class ProgramClaims:
    accreditation: Claim
    outcome_level: Claim
    designed_to_change: Claim
    outcome_results: Claim

    def as_list(self) -> list[Claim]:
        return [self.accreditation, self.outcome_level, self.designed_to_change, self.outcome_results]


def designed_to_change_labels(codes: list[str]) -> str:
    """Human labels of the aims with their Moore level, e.g. "Performance (level 5), Patient outcomes (level 6)"."""
    labels = dict(DesignedToChange.choices)
    return ", ".join(
        f"{labels.get(code, code)} (level {DESIGNED_TO_CHANGE_LEVEL[code]})"
        if code in DESIGNED_TO_CHANGE_LEVEL
        else str(labels.get(code, code))
        for code in codes
    )


def _listing_source(program: Program) -> tuple[str, bool]:
    return listing_claim_source(program.last_verified_on), program.last_verified_on is not None


def accreditation_claim(program: Program) -> Claim:
    provider = program.provider
    if not provider.accreditor:
        return Claim("Accreditation", "Not stated")
    value = str(Accreditor(provider.accreditor).label)
    if provider.accreditation_status and provider.accreditor != Accreditor.NONE:
        # "Accreditation with commendation (6 years)" -> "accreditation with commendation"
        value += f", {str(AccreditationStatus(provider.accreditation_status).label).split(' (')[0].lower()}"
    if provider.jointly_accredited:
        value += "; jointly accredited (JA-IPCE)"
    source, verified = _listing_source(program)
    return Claim("Accreditation", value, source, verified)


def outcome_level_claim(program: Program) -> Claim:
    if not program.outcome_level_measured:
        return Claim("Outcome level measured", "Not stated")
    source, verified = _listing_source(program)
    return Claim("Outcome level measured", str(OutcomeLevel(program.outcome_level_measured).label), source, verified)


def designed_to_change_claim(program: Program) -> Claim:
    label = "Designed to change (intent, not measured)"
    if not program.designed_to_change:
        return Claim(label, "Not stated")
    source, verified = _listing_source(program)
    return Claim(label, designed_to_change_labels(list(program.designed_to_change)), source, verified)


def outcome_results_claim(program: Program) -> Claim:
    """Say "published outcome evidence" only for evidence the CME office verified; the rest is the provider's word."""
    url = program.outcomes_url
    url_text = f"{PROVIDER_OUTCOME_LINK} ({NOT_VERIFIED})" if url else ""
    if program.has_verified_outcome_evidence:
        return Claim("Outcome results", VERIFIED_EVIDENCE, "verified by the CME office", True, url, url_text)
    if url:
        return Claim("Outcome results", PROVIDER_OUTCOME_LINK, NOT_VERIFIED, False, url, url_text)
    if program.publishes_outcomes:
        return Claim("Outcome results", PROVIDER_SAYS_IT_PUBLISHES, NOT_VERIFIED)
    return Claim("Outcome results", NO_VERIFIED_EVIDENCE)


def program_claims(program: Program) -> ProgramClaims:
    """Every provider claim of the listing, worded by who vouches for it (see the module docstring)."""
    return ProgramClaims(
        accreditation=accreditation_claim(program),
        outcome_level=outcome_level_claim(program),
        designed_to_change=designed_to_change_claim(program),
        outcome_results=outcome_results_claim(program),
    )


def claims_snapshot(program: Program) -> list[dict[str, str]]:
    """The claims as plain text, for a record that must keep what was shown (a funding request's snapshot)."""
    return [
        {"label": claim.label, "text": claim.text, "url": claim.url, "url_text": claim.url_text}
        for claim in program_claims(program).as_list()
    ]
