"""Clinician pages: profile and goals, licences, shortlist and plan, credits, calendar feed.

Every page is the signed-in clinician's own; another user's object gives 404.
Supervisors and curators without the clinician role get 403 (these pages are personal).
The calendar feed is public: its secret token is the only key. See accounts.access.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import AuthenticatedHttpRequest, clinician_required, owned_or_404, public
from accounts.selectors import team_current_for_user
from accounts.submissions import submitted_once
from cme_portal.confirmation import confirmation_page
from cme_portal.downloads import stored_file_response
from cme_portal.htmx import vary_on_htmx, wants_partial
from cme_portal.redirects import safe_return_path
from cme_portal.storage import FILE_NOT_STORED_MESSAGE, FileNotStored
from programs.models import Program
from supervision.ledger import ledgers_for_plan
from supervision.selectors import accepted_proposal_program_ids, open_proposals_for_member

from . import presenters, rules, selectors, services
from .forms import (
    CreditClaimForm,
    GoalForm,
    LicenceForm,
    ProfileForm,
    ShortlistStatusForm,
    TopicRequirementFormSet,
    TranscriptConfirmForm,
    TranscriptMappingForm,
    TranscriptUploadForm,
)
from .models import (
    CareerGoal,
    ClinicianProfile,
    CreditClaim,
    Licence,
    ShortlistEntry,
    ShortlistStatus,
    TranscriptImport,
    TranscriptImportStatus,
)
from .rules import LoggableCreditTypes
from .transcript import FIELD_LABELS as TRANSCRIPT_FIELD_LABELS
from .transcript import REQUIRED as TRANSCRIPT_REQUIRED
from .transcript import TranscriptRejected, TranscriptTable

# --- Profile and goals ----------------------------------------------------------


@require_http_methods(["GET", "POST"])
@clinician_required
def profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Profile and budget form, with the list of goals."""
    instance = services.profile_get_or_default(user=request.user)
    form = ProfileForm(request.POST or None, instance=instance)
    if request.method == "POST":
        if form.is_valid():
            services.profile_save(user=request.user, profile=form.save(commit=False))
            messages.success(request, "Profile saved.")
            return redirect("careers:profile")
        messages.error(request, "Please correct the fields marked below.")
    context = {
        "form": form,
        "profile": instance,
        "team": team_current_for_user(user=request.user),
        "goals": selectors.goals_for_user(user=request.user),
    }
    return render(request, "careers/profile.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@clinician_required
@submitted_once()
def goal_edit(request: AuthenticatedHttpRequest, goal_id: int | None = None) -> HttpResponse:
    """Create or edit a career goal; weights 0-5 per factor, not all zero."""
    goal = owned_or_404(CareerGoal, user=request.user, pk=goal_id) if goal_id else CareerGoal(user=request.user)
    form = GoalForm(request.POST or None, instance=goal)
    if request.method == "POST":
        if form.is_valid():
            saved = services.goal_save(
                user=request.user, goal=form.save(commit=False), make_active=bool(request.POST.get("make_active"))
            )
            messages.success(request, f"Goal “{saved.target_role}” saved{' and active' if saved.is_active else ''}.")
            return redirect("careers:profile")
        messages.error(request, "Please correct the fields marked below.")
    return render(request, "careers/goal_form.html", {"form": form, "goal": goal}, status=400 if form.errors else 200)


@require_POST
@clinician_required
def goal_activate(request: AuthenticatedHttpRequest, goal_id: int) -> HttpResponse:
    try:
        goal = services.goal_activate(user=request.user, goal_id=goal_id)
    except CareerGoal.DoesNotExist:
        raise Http404("No such goal") from None
    messages.success(request, f"“{goal.target_role}” is now your active goal; your other goals are kept.")
    return redirect("careers:profile")


@require_http_methods(["GET", "POST"])
@clinician_required
def goal_delete(request: AuthenticatedHttpRequest, goal_id: int) -> HttpResponse:
    """GET asks first, saying what is lost; POST deletes the goal."""
    goal = owned_or_404(CareerGoal, user=request.user, pk=goal_id)
    if request.method == "GET":
        other_goals = len(selectors.goals_for_user(user=request.user)) - 1
        confirmation = presenters.goal_deletion(goal, other_goals=other_goals)
        return confirmation_page(request, confirmation, cancel_to=reverse("careers:profile"))
    try:
        services.goal_delete(user=request.user, goal_id=goal_id)
    except CareerGoal.DoesNotExist:
        raise Http404("No such goal") from None
    messages.success(request, f"Goal “{goal}” deleted.")
    return redirect("careers:profile")


# --- Licences -------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@clinician_required
@submitted_once()
def licence_edit(request: AuthenticatedHttpRequest, licence_id: int | None = None) -> HttpResponse:
    """Add or edit a licence with its mandated topic hours (inline formset)."""
    licence = owned_or_404(Licence, user=request.user, pk=licence_id) if licence_id else Licence(user=request.user)
    form = LicenceForm(request.POST or None, instance=licence)
    topics = TopicRequirementFormSet(request.POST or None, instance=licence, prefix="topics")
    if request.method == "POST":
        if form.is_valid() and topics.is_valid():
            try:
                saved = services.licence_save(user=request.user, form=form, topic_formset=topics)
            except IntegrityError:
                messages.error(request, "Each mandated topic can appear only once per licence.")
            else:
                messages.success(request, f"Licence “{saved}” saved.")
                return redirect("careers:credits")
        else:
            messages.error(request, "Please correct the fields marked below.")
    context = {"form": form, "topics": topics, "licence": licence}
    return render(request, "careers/licence_form.html", context, status=400 if request.method == "POST" else 200)


@require_http_methods(["GET", "POST"])
@clinician_required
def licence_delete(request: AuthenticatedHttpRequest, licence_id: int) -> HttpResponse:
    """GET asks first, saying what is lost; POST deletes the licence with its mandated topics."""
    licence = owned_or_404(selectors.licences_with_topics(), user=request.user, pk=licence_id)
    if request.method == "GET":
        cancel_to = reverse("careers:licence_edit", args=[licence.pk])
        return confirmation_page(request, presenters.licence_deletion(licence), cancel_to=cancel_to)
    services.licence_delete(user=request.user, licence_id=licence_id)
    messages.success(request, f"Licence “{selectors.licence_name(licence)}” deleted.")
    return redirect("careers:credits")


# --- Shortlist and plan -----------------------------------------------------------


@require_POST
@clinician_required
def shortlist_toggle(request: AuthenticatedHttpRequest, program_id: int) -> HttpResponse:
    """Add or remove a program with one click; htmx gets the button back, others are redirected."""
    # Read the body before writing: a malformed one is a 400 with nothing changed.
    next_url = safe_return_path(request, fallback=reverse("careers:plan"))
    try:
        entry = services.shortlist_toggle(user=request.user, program_id=program_id)
    except services.NotAllowed:
        raise Http404("No such program") from None
    if wants_partial(request):
        program = Program.objects.get(pk=program_id)
        context = {
            "program": program,
            "shortlisted_override": entry is not None,
            "shortlist_status": f"“{program.title}” {'added to' if entry else 'removed from'} your shortlist.",
            "next_url": next_url,
        }
        return vary_on_htmx(render(request, "careers/_shortlist_button.html", context))
    program_title = entry.program.title if entry else "The program"
    messages.success(
        request, f"“{program_title}” added to your shortlist." if entry else "Removed from your shortlist."
    )
    return HttpResponseRedirect(next_url)


@require_GET
@clinician_required
def plan(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The shortlist with statuses and notes, and the 12-month plan against review and renewals."""
    entries = selectors.shortlist_for_user(user=request.user)
    plan = selectors.plan_for_user(user=request.user, entries=entries)
    context = {
        "entries": entries,
        "plan": plan,
        "ledgers": ledgers_for_plan(user=request.user, plan=plan),
        "timeline": presenters.plan_timeline(plan),
        "statuses": ShortlistStatus.choices,
        "proposals": list(open_proposals_for_member(user=request.user)),
        "proposed_program_ids": accepted_proposal_program_ids(user=request.user),
    }
    return render(request, "careers/plan.html", context)


@require_POST
@clinician_required
def shortlist_update(request: AuthenticatedHttpRequest, entry_id: int) -> HttpResponse:
    """Change status and private note; choosing "completed" goes on to logging the credits."""
    entry = owned_or_404(ShortlistEntry.objects.select_related("program"), user=request.user, pk=entry_id)
    form = ShortlistStatusForm(request.POST, instance=entry)
    if not form.is_valid():
        messages.error(request, "Choose one of the listed statuses; the note was not saved.")
        return redirect("careers:plan")
    try:
        entry = services.shortlist_update(
            user=request.user, entry_id=entry.pk, status=form.cleaned_data["status"], note=form.cleaned_data["note"]
        )
    except services.NotAllowed as refusal:
        messages.error(request, f"“{entry.program.title}” was not changed. {refusal}")
        return redirect("careers:plan")
    if entry.status == ShortlistStatus.COMPLETED and not CreditClaim.objects.filter(shortlist_entry=entry).exists():
        messages.success(request, "Marked completed. Log the credits you earned below.")
        return redirect("careers:entry_complete", entry_id=entry.pk)
    messages.success(request, f"“{entry.program.title}” is now {entry.get_status_display().lower()}.")
    return redirect("careers:plan")


@require_http_methods(["GET", "POST"])
@clinician_required
def entry_complete(request: AuthenticatedHttpRequest, entry_id: int) -> HttpResponse:
    """Credit form prefilled from the program's credit offerings; saving marks the entry completed."""
    try:
        entry = selectors.shortlist_entry_for_user(user=request.user, entry_id=entry_id)
    except ShortlistEntry.DoesNotExist:
        raise Http404("No such shortlist entry") from None
    problem = rules.program_completion_problem(
        start_date=entry.program.start_date, end_date=entry.program.end_date, today=timezone.localdate()
    )
    if problem and entry.status != ShortlistStatus.COMPLETED:
        messages.error(request, f"“{entry.program.title}” cannot be marked completed yet. {problem}")
        return redirect("careers:plan")
    return _credit_form(
        request,
        entry=entry,
        initial=lambda today, types: services.credit_prefill(entry=entry, today=today, credit_types=types),
    )


# --- Credits and licences ---------------------------------------------------------


@require_GET
@clinician_required
def credits(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Per licence progress against the hours entered as required, and the list of logged credits."""
    context = {
        "progress": selectors.licence_progress_for_user(user_id=request.user.pk),
        "claims": selectors.credit_claims_for_user(user=request.user),
    }
    return render(request, "careers/credits.html", context)


@require_http_methods(["GET", "POST"])
@clinician_required
@submitted_once()
def credit_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Log credits of an activity outside the catalog."""
    return _credit_form(request, entry=None, initial=lambda today, types: {"completed_on": today})


def _credit_form(
    request: AuthenticatedHttpRequest,
    *,
    entry: ShortlistEntry | None,
    initial: Callable[[datetime.date, LoggableCreditTypes], dict[str, Any]],
) -> HttpResponse:
    """The credit form, its first values from `initial(today, credit_types)`; a valid post is logged.

    Offers only the credit types the user's licences accept; saving with `entry` completes it.
    """
    today = timezone.localdate()
    credit_types = selectors.loggable_credit_types_for_user(user=request.user)
    status = 200
    if request.method == "POST":
        form = CreditClaimForm(request.POST, request.FILES, today=today, credit_types=credit_types)
        status = 400
        if form.is_valid():
            try:
                return _claim_create(request, form, entry_id=entry.pk if entry is not None else None)
            except services.CreditsAlreadyLogged as repeated:
                messages.info(request, str(repeated))
                return redirect("careers:credits")
            except services.NotAllowed as refusal:
                form.add_error(None, str(refusal))
            except FileNotStored:
                form.add_error("certificate", FILE_NOT_STORED_MESSAGE)
                status = 503
        messages.error(request, "Please correct the fields marked below; nothing was saved.")
    else:
        form = CreditClaimForm(initial=initial(today, credit_types), today=today, credit_types=credit_types)
    return render(request, "careers/credit_form.html", {"form": form, "entry": entry}, status=status)


def _claim_create(request: AuthenticatedHttpRequest, form: CreditClaimForm, *, entry_id: int | None) -> HttpResponse:
    data = form.cleaned_data
    claim = services.credit_claim_create(
        user=request.user,
        title=data["title"],
        provider_name=data["provider_name"],
        completed_on=data["completed_on"],
        topics=data["topics"],
        amounts=data["amounts"],
        certificate=data.get("certificate"),
        entry_id=entry_id,
    )
    messages.success(request, f"Credits for “{claim.title}” logged.")
    return redirect("careers:credits")


@require_http_methods(["GET", "POST"])
@clinician_required
def credit_delete(request: AuthenticatedHttpRequest, claim_id: int) -> HttpResponse:
    """GET asks first, saying what is lost; POST deletes the claim and its certificate file."""
    claim = owned_or_404(selectors.credit_claims_with_details(), user=request.user, pk=claim_id)
    if request.method == "GET":
        return confirmation_page(request, presenters.credit_deletion(claim), cancel_to=reverse("careers:credits"))
    try:
        services.credit_claim_delete(user=request.user, claim_id=claim_id)
    except CreditClaim.DoesNotExist:
        raise Http404("No such credit claim") from None
    messages.success(request, f"Credit entry “{claim}” deleted.")
    return redirect("careers:credits")


@require_GET
@clinician_required
def certificate_download(request: AuthenticatedHttpRequest, claim_id: int) -> HttpResponseBase:
    """The certificate file, to its owner only, always as an attachment."""
    claim = owned_or_404(CreditClaim, user=request.user, pk=claim_id)
    if not claim.certificate:
        raise Http404("No certificate")
    extension = os.path.splitext(claim.certificate.name)[1].lower()
    return stored_file_response(
        request,
        claim.certificate,
        filename=f"certificate-{claim.pk}{extension}",
        missing="The certificate's file is missing from storage. Delete this entry and log it again with the file.",
    )


# --- Calendar -------------------------------------------------------------------


@require_GET
@clinician_required
def calendar_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Explains the private feed and lets the owner make a new address (its token is stored hashed)."""
    profile = services.profile_get_or_default(user=request.user)
    return render(request, "careers/calendar.html", {"profile": profile, "feed_url": None})


@require_POST
@clinician_required
def calendar_regenerate(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Make a new feed address and show it this once: only its digest is kept, so no page can show it again."""
    try:
        token = services.calendar_token_regenerate(user=request.user)
    except ClinicianProfile.DoesNotExist:
        messages.error(request, "Save your profile first; the calendar address belongs to it.")
        return redirect("careers:profile")
    feed_url = request.build_absolute_uri(reverse("careers:calendar_feed", args=[token]))
    profile = services.profile_get_or_default(user=request.user)
    # The address is shown once; like every signed-in page it is never stored (cme_portal.middleware).
    return render(request, "careers/calendar.html", {"profile": profile, "feed_url": feed_url})


@require_GET
@public
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The iCalendar feed; the token is the only key, a wrong one gives 404."""
    body = selectors.calendar_feed_for_token(token=token, base_url=request.build_absolute_uri("/"))
    if body is None:
        raise Http404("No such calendar")
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="cme-plan.ics"'  # a download: private, no-store (middleware)
    response["X-Robots-Tag"] = "noindex"
    return response


# --- Transcript import ------------------------------------------------------------------------

CONFIRM_PREFIX = "confirm"


@require_http_methods(["GET", "POST"])
@clinician_required
@submitted_once()
def transcript_upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Upload a transcript file; it is stored and read on a preview, nothing is logged yet."""
    form = TranscriptUploadForm(
        request.POST if request.method == "POST" else None, request.FILES if request.method == "POST" else None
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            upload.seek(0)
            try:
                imported = services.transcript_upload_store(
                    user=request.user, file_name=upload.name or "transcript.csv", data=upload.read()
                )
                return redirect("careers:transcript_preview", import_id=imported.pk)
            except TranscriptRejected as rejected:
                form.add_error("file", f"{rejected} Nothing was saved.")
            except FileNotStored:
                form.add_error("file", FILE_NOT_STORED_MESSAGE)
                status = 503
        messages.error(request, "Please correct the fields marked below; nothing was saved.")
    return render(request, "careers/transcript_upload.html", {"form": form}, status=status)


def _transcript_page(
    request: AuthenticatedHttpRequest,
    imported: TranscriptImport,
    table: TranscriptTable,
    *,
    mapping_form: TranscriptMappingForm,
    mapping: dict[str, int | None] | None,
    date_order: str,
    saved_mapping: bool,
    status: int = 200,
) -> HttpResponse:
    """The preview: the mapping form, and with a complete mapping every row as read and the confirm form."""
    missing = [TRANSCRIPT_FIELD_LABELS[name] for name in TRANSCRIPT_REQUIRED if not mapping or mapping[name] is None]
    reading = None
    confirm_form = None
    if mapping is not None and not missing:
        reading = selectors.transcript_reading(user=request.user, table=table, mapping=mapping, date_order=date_order)
        confirm_form = TranscriptConfirmForm(
            initial={**TranscriptMappingForm.initial_for(mapping, date_order), "remember": True},
            header=table.header,
            prefix=CONFIRM_PREFIX,
        )
    context = {
        "imported": imported,
        "header": table.header,
        "form": mapping_form,
        "missing": missing,
        "reading": reading,
        "rows": presenters.transcript_rows(reading) if reading else [],
        "confirm_form": confirm_form,
        "saved_mapping": saved_mapping,
    }
    return render(request, "careers/transcript_preview.html", context, status=status)


def _transcript_table_or_page(
    request: AuthenticatedHttpRequest, imported: TranscriptImport
) -> TranscriptTable | HttpResponse:
    if imported.status == TranscriptImportStatus.CONFIRMED:
        return render(request, "careers/transcript_done.html", {"imported": imported})
    try:
        return services.transcript_table_of(imported)
    except (OSError, TranscriptRejected):
        return render(request, "careers/transcript_done.html", {"imported": imported, "lost": True}, status=404)


@require_GET
@clinician_required
def transcript_preview(request: AuthenticatedHttpRequest, import_id: int) -> HttpResponse:
    """How each row of an uploaded transcript is read with the chosen columns; nothing is written here."""
    imported = owned_or_404(TranscriptImport, user=request.user, pk=import_id)
    table = _transcript_table_or_page(request, imported)
    if isinstance(table, HttpResponse):
        return table
    choice = selectors.transcript_mapping_for(user=request.user, table=table)
    if any(key.startswith("col_") for key in request.GET):
        form = TranscriptMappingForm(request.GET, header=table.header)
        if not form.is_valid():
            return _transcript_page(
                request,
                imported,
                table,
                mapping_form=form,
                mapping=None,
                date_order="",
                saved_mapping=False,
                status=400,
            )
        return _transcript_page(
            request,
            imported,
            table,
            mapping_form=form,
            mapping=form.mapping(),
            date_order=form.cleaned_data["date_order"],
            saved_mapping=False,
        )
    form = TranscriptMappingForm(
        initial=TranscriptMappingForm.initial_for(choice.mapping, choice.date_order), header=table.header
    )
    return _transcript_page(
        request,
        imported,
        table,
        mapping_form=form,
        mapping=choice.mapping,
        date_order=choice.date_order,
        saved_mapping=choice.saved,
    )


@require_POST
@clinician_required
@submitted_once()
def transcript_confirm(request: AuthenticatedHttpRequest, import_id: int) -> HttpResponse:
    """Log every good, non-duplicate row of the transcript in one transaction (all or nothing)."""
    imported = owned_or_404(TranscriptImport, user=request.user, pk=import_id)
    if imported.status == TranscriptImportStatus.CONFIRMED:
        messages.info(request, "This transcript was already imported; nothing was added.")
        return redirect("careers:credits")
    table = _transcript_table_or_page(request, imported)
    if isinstance(table, HttpResponse):
        return table
    form = TranscriptConfirmForm(request.POST, header=table.header, prefix=CONFIRM_PREFIX)
    # Errors are shown on the visible column choices (the confirm form carries them hidden).
    prefix = f"{CONFIRM_PREFIX}-"
    posted = {key.removeprefix(prefix): value for key, value in request.POST.items() if key.startswith(prefix)}
    mapping_form = TranscriptMappingForm(posted, header=table.header)
    mapping_form.is_valid()
    mapping: dict[str, int | None] | None = None
    if form.is_valid():
        mapping = form.mapping()
        try:
            result = services.transcript_import_confirm(
                user=request.user,
                import_id=imported.pk,
                mapping=mapping,
                date_order=form.cleaned_data["date_order"],
                remember=form.cleaned_data["remember"],
            )
        except services.TranscriptAlreadyConfirmed:
            messages.info(request, "This transcript was already imported; nothing was added.")
            return redirect("careers:credits")
        except services.NotAllowed as refusal:
            mapping_form.add_error("date_order", str(refusal))
        else:
            messages.success(
                request,
                f"{result.written} credit{'s' if result.written != 1 else ''} imported from “{imported.file_name}”; "
                f"not written: {result.duplicates} duplicate and {result.bad} bad row{'s' if result.bad != 1 else ''}.",
            )
            return redirect("careers:credits")
    messages.error(request, "Please correct the fields marked below; nothing was saved.")
    return _transcript_page(
        request,
        imported,
        table,
        mapping_form=mapping_form,
        mapping=mapping,
        date_order=form.cleaned_data.get("date_order", "") if mapping else "",
        saved_mapping=False,
        status=400,
    )
