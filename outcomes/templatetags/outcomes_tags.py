from typing import Any

from django import template

from programs.models import Program

from ..presenters import evidence_line
from ..selectors import program_outcome_evidence

register = template.Library()


@register.inclusion_tag("outcomes/_program_evidence_list.html")
def program_evidence(program: Program) -> dict[str, Any]:
    """The program's curated outcome evidence (one query); verified rows as fact, others as the provider's claim."""
    evidence = program_outcome_evidence(program=program)
    return {
        "program": program,
        "verified": [e for e in evidence if e.verified],
        "unverified": [evidence_line(e) for e in evidence if not e.verified],
    }
