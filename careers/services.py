"""Write functions for careers. Each runs in one transaction and writes nothing when it fails."""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.forms import BaseInlineFormSet, ModelForm
from django.utils import timezone

from accounts.models import User
from accounts.services import user_lock
from cme_portal.storage import discard_file, discard_stored
from cme_portal.tokens import token_digest, token_new
from programs.choices import MandatedTopic
from programs.models import Program

from . import rules, selectors, transcript
from .forms import LicenceForm, validate_certificate
from .models import (
    CareerGoal,
    ClinicianProfile,
    CreditAmount,
    CreditClaim,
    Licence,
    LicenceTopicRequirement,
    ShortlistEntry,
    ShortlistStatus,
    TranscriptImport,
    TranscriptImportStatus,
    TranscriptMapping,
)

CONFIRMATION_FIELDS = (
    "confirmed_profession",
    "profession_confirmed_by",
    "profession_confirmed_at",
    "declined_profession",
    "profession_declined_by",
    "profession_declined_at",
)

STATUS_DATE_FIELDS: dict[str, str] = {
    ShortlistStatus.PLANNED: "planned_on",
    ShortlistStatus.ENROLLED: "enrolled_on",
    ShortlistStatus.COMPLETED: "completed_on",
    ShortlistStatus.DROPPED: "dropped_on",
}


class NotAllowed(Exception):
    """The clinician may not do this (e.g. shortlist an unpublished program)."""


class CreditsAlreadyLogged(Exception):
    """Credits were already logged for this shortlist entry (a double click, or Back and resubmit)."""

    def __init__(self, claim: CreditClaim) -> None:
        super().__init__(f"Credits for “{claim.title}” were already logged; nothing was added.")
        self.claim = claim


def profile_get_or_default(*, user: User) -> ClinicianProfile:
    """The saved profile, or an unsaved one for the form to start from."""
    profile = ClinicianProfile.objects.filter(user=user).first()
    return profile or ClinicianProfile(user=user)


def profile_save(*, user: User, profile: ClinicianProfile) -> ClinicianProfile:
    """Save a validated profile for its owner.

    The profession saved is only the stated one: the confirmed profession (the one policy and
    equity use) is never written here, so a change waits for a supervisor (supervision.services
    `profession_confirm`). Stating a new profession clears an earlier decline, so it waits again.
    """
    profile.user = user
    with transaction.atomic():
        user_lock(user_id=user.pk)  # a simultaneous first save waits, then updates the row this one made
        stored = ClinicianProfile.objects.select_for_update().filter(user=user).first()
        if stored is not None:
            profile.pk = stored.pk  # the same row, also when a simultaneous first save made it
            # What the form cannot edit comes from the row, whatever the instance carried.
            for name in (*CONFIRMATION_FIELDS, "calendar_token_digest"):
                setattr(profile, name, getattr(stored, name))
            if profile.profession != stored.profession:
                profile.declined_profession = ""
                profile.profession_declined_by = None
                profile.profession_declined_at = None
        profile.save()
    return profile


def licence_save(
    *,
    user: User,
    form: LicenceForm,
    topic_formset: BaseInlineFormSet[LicenceTopicRequirement, Licence, ModelForm[LicenceTopicRequirement]],
) -> Licence:
    """Save a validated licence form and its topic requirements together."""
    with transaction.atomic():
        licence = form.save(commit=False)
        licence.user = user
        licence.save()
        topic_formset.instance = licence
        topic_formset.save()
    return licence


def licence_delete(*, user: User, licence_id: int) -> None:
    with transaction.atomic():
        Licence.objects.filter(user=user, pk=licence_id).delete()


def goal_save(*, user: User, goal: CareerGoal, make_active: bool = False) -> CareerGoal:
    """Save a validated goal; the user's first goal, or one asked to be, becomes the active one."""
    with transaction.atomic():
        user_lock(user_id=user.pk)  # one active goal: a simultaneous save waits for this one
        goal.user = user
        first = not CareerGoal.objects.filter(user=user).exclude(pk=goal.pk).exists()
        activate = make_active or first
        if activate:
            CareerGoal.objects.filter(user=user, is_active=True).exclude(pk=goal.pk).update(is_active=False)
            goal.is_active = True
        goal.save()
    return goal


def goal_activate(*, user: User, goal_id: int) -> CareerGoal:
    """Make one goal the active one; the others stay, inactive. Raises DoesNotExist for others' goals."""
    with transaction.atomic():
        user_lock(user_id=user.pk)  # one active goal: a simultaneous activation waits for this one
        goal = CareerGoal.objects.select_for_update().get(user=user, pk=goal_id)
        CareerGoal.objects.filter(user=user, is_active=True).exclude(pk=goal.pk).update(is_active=False)
        if not goal.is_active:
            goal.is_active = True
            goal.save(update_fields=["is_active", "updated_at"])
    return goal


def goal_delete(*, user: User, goal_id: int) -> None:
    with transaction.atomic():
        CareerGoal.objects.get(user=user, pk=goal_id).delete()


def shortlist_toggle(*, user: User, program_id: int) -> ShortlistEntry | None:
    """Add a published program to the shortlist, or remove it if it is there. Returns the entry or None.

    Removing keeps any credits logged from it (the claim loses only its link).
    """
    with transaction.atomic():
        entry = ShortlistEntry.objects.filter(user=user, program_id=program_id).first()
        if entry is not None:
            entry.delete()
            return None
        if not Program.objects.published().filter(pk=program_id).exists():
            raise NotAllowed("Only published programs can be shortlisted.")
        entry, _ = ShortlistEntry.objects.get_or_create(user=user, program_id=program_id)
        return entry


def shortlist_plan(*, user: User, program: Program, today: datetime.date | None = None) -> ShortlistEntry:
    """Have the program on the user's shortlist as planned; used when funding is asked for it.

    A program not yet on the shortlist is added as planned, and one dropped is planned
    again (its planned date recorded the first time); any other status is the clinician's
    choice and stays. Runs in the caller's transaction when there is one.
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        entry, created = ShortlistEntry.objects.select_for_update().get_or_create(
            user=user, program=program, defaults={"status": ShortlistStatus.PLANNED, "planned_on": today}
        )
        if not created and entry.status == ShortlistStatus.DROPPED:
            entry.status = ShortlistStatus.PLANNED
            entry.planned_on = entry.planned_on or today
            entry.save(update_fields=["status", "planned_on", "updated_at"])
    return entry


def shortlist_update(
    *, user: User, entry_id: int, status: str, note: str, today: datetime.date | None = None
) -> ShortlistEntry:
    """Change status and note; the date of each status is recorded the first time it is reached.

    Raises NotAllowed (writing nothing) when marking completed a program whose last day has not come.
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        entry = ShortlistEntry.objects.select_for_update().select_related("program").get(user=user, pk=entry_id)
        if status == ShortlistStatus.COMPLETED and entry.status != ShortlistStatus.COMPLETED:
            _refuse_unfinished(entry.program, today=today)
        entry.status = status
        entry.note = note
        date_field = STATUS_DATE_FIELDS.get(status)
        if date_field and getattr(entry, date_field) is None:
            setattr(entry, date_field, today)
        entry.save()
    return entry


def _refuse_unfinished(program: Program, *, today: datetime.date) -> None:
    problem = rules.program_completion_problem(start_date=program.start_date, end_date=program.end_date, today=today)
    if problem:
        raise NotAllowed(problem)


def credit_prefill(
    *, entry: ShortlistEntry, today: datetime.date, credit_types: rules.LoggableCreditTypes
) -> dict[str, Any]:
    """Initial values of the credit form for a shortlisted program: its offerings, dates and topics.

    Prefills only the offerings of a credit type in `credit_types` (what the clinician's licences accept).
    """
    program = entry.program
    initial: dict[str, Any] = {
        "title": program.title,
        "provider_name": program.provider.name,
        "completed_on": min(today, program.end_date) if program.end_date else today,
        "topics": [topic for topic in program.topics if topic in MandatedTopic.values],
    }
    for offering in program.credit_offerings.all():
        if offering.credit_type in credit_types.codes:
            initial[f"amount_{offering.credit_type}"] = offering.amount
    return initial


def credit_claim_create(
    *,
    user: User,
    title: str,
    provider_name: str,
    completed_on: datetime.date,
    topics: list[str],
    amounts: dict[str, Decimal],
    certificate: UploadedFile | None = None,
    entry_id: int | None = None,
) -> CreditClaim:
    """Log credits of one activity; with a shortlist entry, marks it completed on that date.

    The certificate is checked again (type by extension and magic bytes, size)
    and stored under a random name; nothing is written when any check fails.
    Raises NotAllowed, writing nothing, for a date before 1950 or in the future, a credit type
    no licence of the user accepts, or a shortlisted program whose last day has not come; and
    CreditsAlreadyLogged, writing nothing, when the entry already has its claim (a repeated or
    simultaneous submission: exactly one claim is stored).
    """
    today = timezone.localdate()
    problem = rules.credit_date_problem(completed_on, today=today)
    if problem:
        raise NotAllowed(problem)
    loggable = selectors.loggable_credit_types_for_user(user=user)
    refused = sorted(set(amounts) - set(loggable.codes))
    if refused:
        raise NotAllowed(f"None of your licences accepts {', '.join(refused)} credit.")
    extension = validate_certificate(certificate) if certificate else None
    with transaction.atomic():
        entry = None
        if entry_id is not None:
            entry = ShortlistEntry.objects.select_for_update().select_related("program").get(user=user, pk=entry_id)
            # Under the entry's lock a second submission sees the first one's claim once it commits.
            _refuse_second_claim(entry)
            if entry.status != ShortlistStatus.COMPLETED:
                _refuse_unfinished(entry.program, today=today)
        claim = CreditClaim(
            user=user,
            program=entry.program if entry else None,
            shortlist_entry=entry,
            title=title,
            provider_name=provider_name,
            completed_on=completed_on,
            topics=sorted(set(topics)),
        )
        if certificate is not None:
            certificate.name = f"{secrets.token_hex(16)}{extension}"
            claim.certificate = certificate
        try:
            with transaction.atomic():
                claim.save()
                CreditAmount.objects.bulk_create(
                    [
                        CreditAmount(claim=claim, credit_type=kind, amount=amount)
                        for kind, amount in sorted(amounts.items())
                    ]
                )
        except Exception as error:
            discard_stored(claim.certificate)  # never raises: the first error is the one to report
            if isinstance(error, IntegrityError) and entry is not None:
                # SQLite takes no row lock: a simultaneous submission got there first.
                _refuse_second_claim(entry)
            raise
        if entry is not None:
            entry.status = ShortlistStatus.COMPLETED
            entry.completed_on = completed_on
            entry.save()
    return claim


def _refuse_second_claim(entry: ShortlistEntry) -> None:
    existing = CreditClaim.objects.filter(shortlist_entry=entry).first()
    if existing is not None:
        raise CreditsAlreadyLogged(existing)


def credit_claim_delete(*, user: User, claim_id: int) -> None:
    """Delete a claim and its stored certificate file (after the transaction commits)."""
    with transaction.atomic():
        claim = CreditClaim.objects.get(user=user, pk=claim_id)
        certificate = claim.certificate
        claim.delete()
        if certificate:
            name, storage = certificate.name, certificate.storage
            transaction.on_commit(lambda: storage.delete(name))


def calendar_token_regenerate(*, user: User) -> str:
    """Give the calendar feed a new private address and return its token; the old one stops working at once.

    Only the token's digest is stored: the returned token is the one time it exists in the
    clear, so the caller shows it now. Raises ClinicianProfile.DoesNotExist without a profile.
    """
    token = token_new()
    with transaction.atomic():
        profile = ClinicianProfile.objects.select_for_update().filter(user=user).first()
        if profile is None:
            raise ClinicianProfile.DoesNotExist
        profile.calendar_token_digest = token_digest(token)
        profile.save(update_fields=["calendar_token_digest", "updated_at"])
    return token


# --- Transcript import ----------------------------------------------------------------------


class TranscriptAlreadyConfirmed(Exception):
    """The import was confirmed before; this confirmation wrote nothing."""


def transcript_upload_store(*, user: User, file_name: str, data: bytes) -> TranscriptImport:
    """Keep an uploaded transcript in default storage (under a random name) until it is confirmed.

    Reads the file first: raises TranscriptRejected, storing nothing, for a file that cannot be read.
    Raises FileNotStored, leaving no record, when the storage refuses the file.
    """
    transcript.transcript_table(data)
    stored = default_storage.save(f"transcripts/{secrets.token_hex(16)}.csv", ContentFile(data))
    try:
        return TranscriptImport.objects.create(user=user, file_name=file_name[:255], stored_name=stored)
    except Exception:
        discard_file(default_storage, stored)
        raise


def transcript_table_of(imported: TranscriptImport) -> transcript.TranscriptTable:
    """The stored file of a pending import, read again (FileNotFoundError when storage lost it)."""
    with default_storage.open(imported.stored_name, "rb") as stored:
        data = stored.read(transcript.TRANSCRIPT_MAX_BYTES + 1)
    return transcript.transcript_table(data)


@dataclass(frozen=True)
class TranscriptConfirmed:
    written: int
    duplicates: int
    bad: int


def transcript_import_confirm(
    *,
    user: User,
    import_id: int,
    mapping: dict[str, int | None],
    date_order: str,
    remember: bool,
) -> TranscriptConfirmed:
    """Write every good, non-duplicate row of a pending import as a credit, in one transaction.

    The file is read again with the confirmed mapping, under a lock on the import row, so the rows
    written are those the preview showed with that mapping. All or nothing: any failure writes no
    row. A second confirmation (another tab, a replay) raises TranscriptAlreadyConfirmed and writes
    nothing. Raises NotAllowed, writing nothing, while dates that could be read two ways have no
    chosen order. With `remember`, the mapping is saved for the next file with the same headers.
    The stored file is deleted once the transaction commits.
    """
    with transaction.atomic():
        imported = TranscriptImport.objects.select_for_update().get(user=user, pk=import_id)
        if imported.status == TranscriptImportStatus.CONFIRMED:
            raise TranscriptAlreadyConfirmed(imported.file_name)
        table = transcript_table_of(imported)
        reading = selectors.transcript_reading(user=user, table=table, mapping=mapping, date_order=date_order)
        if reading.ambiguous_dates:
            raise NotAllowed("Choose whether the file writes dates month/day or day/month; nothing was saved.")
        rows = reading.to_write
        claims = CreditClaim.objects.bulk_create(
            [
                CreditClaim(
                    user=user,
                    title=row.title,
                    provider_name=row.provider,
                    completed_on=row.credit()[0],
                    topics=[],
                    certificate_reference=" ".join(filter(None, [row.certificate_id, row.certificate_url])),
                    notes=row.notes,
                    transcript_import=imported,
                )
                for row in rows
            ]
        )
        CreditAmount.objects.bulk_create(
            [
                CreditAmount(claim=claim, credit_type=row.credit()[1], amount=row.credit()[2])
                for claim, row in zip(claims, rows, strict=True)
            ]
        )
        if remember:
            TranscriptMapping.objects.update_or_create(
                user=user,
                header_key=selectors.transcript_header_digest(table),
                defaults={"columns": transcript.mapping_to_saved(table.header, mapping), "date_order": date_order},
            )
        stored_name = imported.stored_name
        imported.status = TranscriptImportStatus.CONFIRMED
        imported.rows_written = len(rows)
        imported.confirmed_at = timezone.now()
        imported.stored_name = ""
        imported.save()
        transaction.on_commit(lambda: discard_file(default_storage, stored_name))
    return TranscriptConfirmed(written=len(rows), duplicates=reading.duplicates, bad=reading.bad)
