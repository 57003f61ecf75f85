"""Write functions for outcome projects, program outcome evidence and share links.

Each runs in one transaction. The rules the forms show (outcomes.rules: periods,
figures, patient identifiers in free text) are enforced here too: data that breaks
one raises ValidationError, field name -> messages, and nothing is written.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from cme_portal.tokens import token_digest, token_new
from programs.models import Program
from programs.services import programs_outcome_evidence_set

from . import rules, selectors
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


def _refuse(*found: rules.Errors) -> None:
    """Raise ValidationError with every message of the rules broken; do nothing when none is."""
    errors: rules.Errors = {}
    for item in found:
        for name, messages in item.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _privacy(data: dict[str, Any], fields: tuple[str, ...]) -> rules.Errors:
    return rules.privacy_errors(data=data, fields=fields)[0]


def _check_links(owner: User, m2m: dict[str, Any]) -> None:
    claims = m2m.get("linked_claims") or []
    if any(claim.user_id != owner.pk for claim in claims):
        raise PermissionError("A project can only link the owner's own completed CME.")


def project_create(*, owner: User, data: dict[str, Any]) -> OutcomeProject:
    """Create an outcome project owned by `owner`; refuses a baseline or target that breaks a rule."""
    fields, m2m = _split(data)
    _check_links(owner, m2m)
    _refuse(rules.project_errors(data=data, stored=None), _privacy(data, rules.PROJECT_PRIVACY_FIELDS))
    with transaction.atomic():
        project = OutcomeProject(owner=owner, **fields)
        project.full_clean()
        project.save()
        for name, values in m2m.items():
            getattr(project, name).set(values)
    return project


def project_update(*, project: OutcomeProject, data: dict[str, Any]) -> OutcomeProject:
    """Update a project's fields and links.

    Refuses what breaks a rule, judged against the project as stored (row locked): the
    kind cannot change once measurements exist and the baseline may not overlap them.
    """
    fields, m2m = _split(data)
    _check_links(project.owner, m2m)
    with transaction.atomic():
        stored = OutcomeProject.objects.select_for_update().get(pk=project.pk)
        _refuse(
            rules.project_errors(data=data, stored=stored, measurements=stored.measurements.all()),
            _privacy(data, rules.PROJECT_PRIVACY_FIELDS),
        )
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
    """Record one period's aggregate value; bumps the project's updated time.

    Refuses a period that is out of order or overlaps the baseline or another
    measurement, figures the measure kind does not allow, and free text naming a
    patient; the project row is locked so two additions cannot overlap each other.
    """
    fields = {k: v for k, v in data.items() if k not in _NOT_MODEL_FIELDS}
    with transaction.atomic():
        stored = OutcomeProject.objects.select_for_update().get(pk=project.pk)
        _refuse(
            rules.measurement_errors(project=stored, data=data),
            _privacy(data, rules.MEASUREMENT_PRIVACY_FIELDS),
        )
        measurement = Measurement(project=project, **fields)
        measurement.full_clean()
        measurement.save()
        OutcomeProject.objects.filter(pk=project.pk).update(updated_at=timezone.now())
    return measurement


def measurement_delete(*, measurement: Measurement) -> None:
    with transaction.atomic():
        measurement.delete()


def presentation_add(*, project: OutcomeProject, data: dict[str, Any]) -> Presentation:
    """Record where the project's result was presented; refuses free text naming a patient."""
    fields = {k: v for k, v in data.items() if k not in _NOT_MODEL_FIELDS}
    _refuse(_privacy(data, rules.PRESENTATION_PRIVACY_FIELDS))
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


def evidence_program_scores_refresh(*, program_ids: Iterable[int | None]) -> int:
    """Bring the programs' verified-evidence flag and stored sub-scores in line with their evidence.

    Every evidence service below ends with it; code that writes evidence rows directly
    (a seed) calls it afterwards. Locks the program rows before reading the evidence, so
    two curators changing one program's evidence at once leave the flag right. Returns
    how many programs' scores changed.
    """
    ids = {pk for pk in program_ids if pk is not None}
    with transaction.atomic():
        list(Program.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
        verified = selectors.programs_with_verified_evidence(program_ids=ids)
        return programs_outcome_evidence_set(program_ids=ids, verified_ids=verified)


def evidence_save(
    *,
    evidence: ProgramOutcomeEvidence,
    actor: User | None,
    today: datetime.date | None = None,
    restamp: bool = False,
) -> ProgramOutcomeEvidence:
    """Create or update curated outcome evidence: the one place its verification is recorded.

    Verified evidence names who verified it and when: evidence newly verified (or
    verified without a date, or `restamp`) gets `actor` and today; evidence that is not
    verified carries neither. Then the flag and scores of its program, and of the program
    it was moved from, are refreshed. One transaction.
    """
    with transaction.atomic():
        stored = (
            ProgramOutcomeEvidence.objects.filter(pk=evidence.pk).values("verified", "program_id").first()
            if evidence.pk
            else None
        )
        was_verified = bool(stored and stored["verified"])
        if evidence.verified and (restamp or not was_verified or evidence.verified_on is None):
            evidence.verified_by = actor if actor is not None and actor.pk else None
            evidence.verified_on = today or timezone.localdate()
        elif not evidence.verified:
            evidence.verified_by = None
            evidence.verified_on = None
        evidence.save()
        evidence_program_scores_refresh(program_ids={evidence.program_id, stored["program_id"] if stored else None})
    return evidence


def evidence_set_verified(
    *, evidence: ProgramOutcomeEvidence, verified: bool, actor: User | None, today: datetime.date | None = None
) -> ProgramOutcomeEvidence:
    """Mark evidence verified (recording `actor` and today, even if it was verified before) or not verified."""
    evidence.verified = verified
    return evidence_save(evidence=evidence, actor=actor, today=today, restamp=verified)


def evidence_delete(*, evidence_ids: Iterable[int]) -> int:
    """Delete curated evidence and refresh the flag and scores of the programs it belonged to; returns how many."""
    with transaction.atomic():
        rows = ProgramOutcomeEvidence.objects.filter(pk__in=set(evidence_ids))
        program_ids = set(rows.values_list("program_id", flat=True))
        deleted, _ = rows.delete()
        evidence_program_scores_refresh(program_ids=program_ids)
    return deleted


# --- Portfolio share links ---------------------------------------------------


@dataclass(frozen=True)
class ShareLinkIssued:
    """A new share link and its token: the one time the token exists in the clear (only its digest is stored)."""

    link: PortfolioShareLink
    token: str


def share_link_create(*, owner: User, expires_on: datetime.date, label: str = "") -> ShareLinkIssued:
    """A new read-only portfolio link with a random token; the database keeps only the token's digest."""
    token = token_new()
    with transaction.atomic():
        link = PortfolioShareLink.objects.create(
            owner=owner, expires_on=expires_on, label=label, token_digest=token_digest(token)
        )
    return ShareLinkIssued(link=link, token=token)


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
