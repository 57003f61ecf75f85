from typing import Any

from django import template

from programs.models import Program

from ..selectors import program_outcome_evidence

register = template.Library()


@register.inclusion_tag("outcomes/_program_evidence_list.html")
def program_evidence(program: Program) -> dict[str, Any]:
    """The program's curated outcome evidence (one query); verified rows as fact, others labelled."""
    evidence = program_outcome_evidence(program=program)
    return {
        "program": program,
        "verified": [e for e in evidence if e.verified],
        "unverified": [e for e in evidence if not e.verified],
    }
