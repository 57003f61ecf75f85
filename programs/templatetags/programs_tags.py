from collections.abc import Iterable

from django import template

from programs import presenters
from programs.choices import CareerTrack, Competency, CreditType, Profession
from programs.models import Program
from programs.presenters import ProgramClaims
from programs.presenters import program_claims as claims_of
from programs.ranking.fit import FitCheck, FitSummary

register = template.Library()

_VOCABULARIES = {
    "profession": dict(Profession.choices),
    "competency": dict(Competency.choices),
    "career_track": dict(CareerTrack.choices),
    "credit_type": dict(CreditType.choices),
}


@register.filter
def code_label(code: str, vocabulary: str) -> str:
    """The human label of a vocabulary code, e.g. "nurse_practitioner" -> "Nurse practitioner"."""
    return str(_VOCABULARIES[vocabulary].get(code, code))


@register.filter
def code_labels(codes: list[str], vocabulary: str) -> str:
    """Labels of a list of codes, comma separated."""
    return ", ".join(code_label(code, vocabulary) for code in codes)


@register.simple_tag
def program_claims(program: Program) -> ProgramClaims:
    """What the provider states about the program, worded by who vouches for it (programs.presenters)."""
    return claims_of(program)


@register.filter
def fit_badges(checks: Iterable[FitCheck], compact: bool) -> tuple[presenters.FitBadge, ...]:
    """The checks as badges (programs.presenters.fit_badges); `compact` keeps what a card shows."""
    return presenters.fit_badges(checks, compact=bool(compact))


@register.filter
def fit_summary_badge(summary: FitSummary) -> presenters.FitSummaryBadge:
    """The fit badge's class and wording (programs.presenters.fit_summary_badge)."""
    return presenters.fit_summary_badge(summary)
