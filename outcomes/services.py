"""Write functions for outcome projects, program outcome evidence and share links.

Each runs in one transaction. Callers pass data a form has already validated; on any
error nothing is written.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from programs.models import Program
from programs.services import program_scores_refresh

from .models import (
    Measurement,
    OutcomeProject,
    PortfolioShareAccess,
    PortfolioShareLink,
    Presentation,
    ProgramOutcomeEvidence,
    ProjectTeamMember,
)

PROJECT_M2M = ("linked_programs", "linked_claims")
_NOT_MODEL_FIELDS = ("confirm_no_patient_data",)


def _split(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    fields = {k: v for k, v in data.items() if k not in PROJECT_M2M and k not in _NOT_MODEL_FIELDS}
    m2m = {k: v for k, v in data.items() if k in PROJECT_M2M}
    return fields, m2m


def _check_links(owner: User, m2m: dict[str, Any]) -> None:
    claims = m2m.get("linked_claims") or []
    if any(claim.user_id != owner.pk for claim in claims):
        raise PermissionError("A project can only link the owner's own completed CME.")


def project_create(*, owner: User, data: dict[str, Any]) -> OutcomeProject:
    """Create an outcome project owned by `owner` from validated form data."""
    fields, m2m = _split(data)
    _check_links(owner, m2m)
    with transaction.atomic():
        project = OutcomeProject(owner=owner, **fields)
        project.full_clean()
        project.save()
        for name, values in m2m.items():
            getattr(project, name).set(values)
    return project


def project_update(*, project: OutcomeProject, data: dict[str, Any]) -> OutcomeProject:
    """Update a project's fields and links from validated form data."""
    fields, m2m = _split(data)
    _check_links(project.owner, m2m)
    with transaction.atomic():
        for name, value in fields.items():
            setattr(project, name, value)
        project.full_clean()
        project.save()
        for name, values in m2m.items():
            getattr(project, name).set(values)
    return project


def project_delete(*, project: OutcomeProject) -> None:
    """Delete a project with its measurements, presentations and team."""
    with transaction.atomic():
        project.delete()


def measurement_add(*, project: OutcomeProject, data: dict[str, Any]) -> Measurement:
    """Record one period's aggregate value; bumps the project's updated time."""
    fields = {k: v for k, v in data.items() if k not in _NOT_MODEL_FIELDS}
    with transaction.atomic():
        measurement = Measurement(project=project, **fields)
        measurement.full_clean()
        measurement.save()
        OutcomeProject.objects.filter(pk=project.pk).update(updated_at=timezone.now())
    return measurement


def measurement_delete(*, measurement: Measurement) -> None:
    with transaction.atomic():
        measurement.delete()


def presentation_add(*, project: OutcomeProject, data: dict[str, Any]) -> Presentation:
    """Record where the project's result was presented."""
    fields = {k: v for k, v in data.items() if k not in _NOT_MODEL_FIELDS}
    with transaction.atomic():
        presentation = Presentation(project=project, **fields)
        presentation.full_clean()
        presentation.save()
    return presentation


def presentation_delete(*, presentation: Presentation) -> None:
    with transaction.atomic():
        presentation.delete()


def team_member_add(*, project: OutcomeProject, name: str, profession: str) -> ProjectTeamMember:
    """Name a colleague on the project team with their profession."""
    with transaction.atomic():
        member = ProjectTeamMember(project=project, name=name, profession=profession)
        member.full_clean()
        member.save()
    return member


def team_member_delete(*, member: ProjectTeamMember) -> None:
    with transaction.atomic():
        member.delete()


# --- Program outcome evidence ------------------------------------------------


def evidence_program_scores_refresh(*, program_ids: Iterable[int]) -> int:
    """Recompute the stored sub-scores of programs whose outcome evidence changed.

    Runs after the evidence rows are saved, so `program_signals` sees them (it falls
    back to querying verified evidence for programs that are not annotated).
    """
    programs = list(
        Program.objects.filter(pk__in=set(program_ids)).select_related("provider").prefetch_related("credit_offerings")
    )
    return program_scores_refresh(programs=programs)


def evidence_set_verified(
    *, evidence: ProgramOutcomeEvidence, verified: bool, actor: User | None, today: datetime.date | None = None
) -> ProgramOutcomeEvidence:
    """Mark evidence verified (recording who and when) or not verified; refreshes the program's scores."""
    with transaction.atomic():
        evidence.verified = verified
        if verified:
            evidence.verified_by = actor if actor is not None and actor.pk else None
            evidence.verified_on = today or timezone.localdate()
        else:
            evidence.verified_by = None
            evidence.verified_on = None
        evidence.save(update_fields=["verified", "verified_by", "verified_on"])
        evidence_program_scores_refresh(program_ids=[evidence.program_id])
    return evidence


# --- Portfolio share links ---------------------------------------------------


def share_link_create(*, owner: User, expires_on: datetime.date, label: str = "") -> PortfolioShareLink:
    """A new read-only portfolio link with a random token (secrets.token_urlsafe(32))."""
    with transaction.atomic():
        return PortfolioShareLink.objects.create(owner=owner, expires_on=expires_on, label=label)


def share_link_revoke(*, link: PortfolioShareLink) -> PortfolioShareLink:
    """Stop a link from working; revoking twice keeps the first time."""
    with transaction.atomic():
        if link.revoked_at is None:
            link.revoked_at = timezone.now()
            link.save(update_fields=["revoked_at"])
    return link


def ip_hash(ip: str) -> str:
    """A keyed hash of the IP address: lets the owner tell visitors apart without storing the IP."""
    if not ip:
        return ""
    return hmac.new(settings.SECRET_KEY.encode(), ip.encode(), hashlib.sha256).hexdigest()


def share_link_access_record(*, link: PortfolioShareLink, ip: str, user_agent: str) -> PortfolioShareAccess:
    """Log one opening of a share link."""
    with transaction.atomic():
        return PortfolioShareAccess.objects.create(link=link, ip_hash=ip_hash(ip), user_agent=(user_agent or "")[:300])
