"""Curator pages: import with live progress and report, export, the review queue, listing forms and history.

Only curators (user.is_curator) may use them: anonymous users are sent to the
login page, everyone else gets 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import AuthenticatedHttpRequest, curator_required
from accounts.submissions import SubmissionRepeated, submission_once, submission_repeated_answer
from cme_portal.htmx import live_status, page_or_partial, vary_on_htmx
from cme_portal.redirects import allowed_choice
from cme_portal.storage import FILE_NOT_STORED_MESSAGE, FileNotStored

from .. import announcements, tasks
from ..exchange import exports
from ..exchange import jobs as import_services
from ..forms import CatalogFilterForm
from ..models import ImportJob, Program
from ..selectors import catalog_base, catalog_filter
from . import editing
from . import history as history_selectors
from . import review as review_services
from .forms import ExportForm, ImportUploadForm, ListingForm, ReviewDecisionForm

REVIEW_KINDS = ("revision", "draft")  # the two lists of the review queue


@require_GET
@curator_required
def import_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Upload form, export links and the recent import jobs."""
    return _imports_page(request, ImportUploadForm())


def _imports_page(request: HttpRequest, form: ImportUploadForm, status: int = 200) -> HttpResponse:
    jobs = Paginator(ImportJob.objects.select_related("created_by"), 20).get_page(request.GET.get("page"))
    context = {"form": form, "jobs": jobs, "export_form": ExportForm(), "counts": review_services.review_counts()}
    return render(request, "programs/curation/imports.html", context, status=status)


@require_POST
@curator_required
def import_start(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Store the upload as a job, queue it, and go to its progress page."""
    form = ImportUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _imports_page(request, form, status=400)
    upload = form.cleaned_data["file"]
    try:
        # The job and the form's submission receipt in one transaction; queued only once committed.
        with submission_once(request) as submission:
            job = import_services.import_job_create(
                upload=upload,
                file_name=upload.name,
                actor=request.user,
                publish=form.cleaned_data["publish"],
                file_format=form.cleaned_data["file_format"],
            )
            submission.saved(location=reverse("programs:curation:import_detail", args=[job.pk]))
    except SubmissionRepeated as repeated:
        return submission_repeated_answer(request, repeated)
    except import_services.ImportAlreadyRunning as running:
        messages.error(request, str(running))
        return redirect("programs:curation:import_detail", job_id=running.job.pk)
    except FileNotStored:
        form.add_error("file", FILE_NOT_STORED_MESSAGE)
        return _imports_page(request, form, status=503)
    if job.is_finished:
        messages.error(request, job.message)
    elif not tasks.import_job_enqueue(job=job):
        messages.warning(
            request,
            "The file is saved, but the job queue is not reachable right now. "
            "The import will start automatically when the queue is back; this page shows its progress.",
        )
    return redirect("programs:curation:import_detail", job_id=job.pk)


@require_GET
@curator_required
def import_detail(request: AuthenticatedHttpRequest, job_id: int) -> HttpResponse:
    """Live progress (htmx polls the `progress` partial every second until done), then the report."""
    job = get_object_or_404(ImportJob.objects.select_related("created_by"), pk=job_id)
    # A job the broker never received (it was down) is queued again once it answers; rate-limited.
    tasks.import_job_enqueue_if_never_queued(job=job)
    errors = Paginator(job.row_errors.all(), 100).get_page(request.GET.get("page")) if job.is_finished else None
    in_queue = review_services.imports_in_queue(job_ids=[job.pk]) if job.is_finished else []
    step = announcements.import_progress_step(job)
    # Polled every second: the status region changes only when the step does, so it is not read each time.
    changed = request.GET.get("announced") != step
    context = {
        "job": job,
        "errors": errors,
        "in_queue": in_queue,
        "progress_step": step,
        "live_status": live_status(request, announcements.import_progress_status(job) if changed else ""),
    }
    template = page_or_partial(request, "programs/curation/import_detail.html", "progress")
    return vary_on_htmx(render(request, template, context))


@require_GET
@curator_required
def import_errors_csv(request: AuthenticatedHttpRequest, job_id: int) -> StreamingHttpResponse:
    """The job's error rows as CSV (row, field, value, message), formula cells neutralized."""
    job = get_object_or_404(ImportJob, pk=job_id)
    response = StreamingHttpResponse(
        exports.error_rows_csv(job.row_errors.all().iterator(chunk_size=2000)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    return response


@require_GET
@curator_required
def export(request: AuthenticatedHttpRequest) -> HttpResponse | StreamingHttpResponse:
    """Download listings in the exchange format: all of them, or the catalog under its filters."""
    form = ExportForm(request.GET)
    if not form.is_valid():
        messages.error(request, "Choose CSV or JSON and which listings to export.")
        return redirect("programs:curation:imports")
    file_format = form.cleaned_data["file_format"]
    if form.cleaned_data["scope"] == "catalog":
        queryset = catalog_filter(catalog_base(), CatalogFilterForm(request.GET).cleaned_filters())
    else:
        queryset = Program.objects.all()
    content_type = "application/json" if file_format == "json" else "text/csv; charset=utf-8"
    response = StreamingHttpResponse(exports.export_lines(queryset, file_format=file_format), content_type=content_type)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="programs-{stamp}.{file_format}"'
    return response


@require_GET
@curator_required
def review(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The review queue: held changes to published listings, then drafts; diffs and quality hints."""
    kind = allowed_choice(request.GET.get("kind"), allowed=REVIEW_KINDS, default="revision")
    page, items = review_services.review_queue_page(kind=kind, page_number=request.GET.get("page"))
    context = {
        "kind": kind,
        "page": page,
        "items": items,
        "counts": review_services.review_counts(),
        "form": ReviewDecisionForm(),
        "imports": review_services.imports_in_queue(),
    }
    return render(request, "programs/curation/review.html", context)


@require_POST
@curator_required
def review_decide(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Approve or reject the ticked items (or the one whose button was pressed); back to the queue."""
    form = ReviewDecisionForm(request.POST)
    kind = allowed_choice(request.POST.get("kind"), allowed=REVIEW_KINDS, default="revision")
    back = reverse("programs:curation:review") + ("?kind=draft" if kind == "draft" else "")
    if not form.is_valid():
        messages.error(request, "The decision could not be read; try again.")
        return redirect(back)
    revision_ids, draft_ids, decision = form.selection(request.POST)
    if decision not in {"approve", "reject"}:
        messages.error(request, "Choose Approve or Reject.")
        return redirect(back)
    if not revision_ids and not draft_ids:
        messages.error(request, "Tick at least one listing first.")
        return redirect(back)
    try:
        outcome = review_services.review_decide(
            revision_ids=revision_ids,
            draft_ids=draft_ids,
            approve=decision == "approve",
            actor=request.user,
            note=form.cleaned_data.get("note") or "",
        )
    except review_services.NoteRequired as error:
        messages.error(request, str(error))
        return redirect(back)
    _report(request, outcome)
    return redirect(back)


@require_POST
@curator_required
def review_decide_import(request: AuthenticatedHttpRequest, job_id: int) -> HttpResponse:
    """Approve or reject everything one import left in the review queue, at once."""
    job = get_object_or_404(ImportJob, pk=job_id)
    decision = request.POST.get("decision")
    back = reverse("programs:curation:review")
    if decision not in {"approve", "reject"}:
        messages.error(request, "Choose Approve or Reject.")
        return redirect(back)
    try:
        outcome = review_services.review_decide_import(
            job_id=job.pk, approve=decision == "approve", actor=request.user, note=request.POST.get("note", "")
        )
    except review_services.NoteRequired as error:
        messages.error(request, str(error))
        return redirect(back)
    if not (outcome.approved or outcome.rejected):
        messages.info(request, f"Nothing from import #{job.pk} is waiting for review.")
    _report(request, outcome)
    return redirect(back)


def _report(request: HttpRequest, outcome: review_services.ReviewOutcome) -> None:
    if outcome.approved:
        messages.success(request, f"Approved and published {outcome.approved:,} listing(s).")
    if outcome.rejected:
        messages.success(request, f"Rejected {outcome.rejected:,} listing(s); the note is kept in their history.")
    if outcome.skipped:
        messages.warning(request, f"{outcome.skipped} item(s) were already decided by someone else and were skipped.")


@require_GET
@curator_required
def listing_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every listing (drafts, published, archived), searchable, with links to edit it and read its history."""
    query = request.GET.get("q", "").strip()[:200]
    page = Paginator(history_selectors.listings_for_curators(query=query), 50).get_page(request.GET.get("page"))
    return render(request, "programs/curation/listings.html", {"page": page, "query": query})


@require_http_methods(["GET", "POST"])
@curator_required
def listing_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Create a listing with every exchange-format field; it arrives as a draft in the review queue."""
    form = ListingForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and form.record is not None:
        try:
            saved = editing.listing_create(record=form.record, actor=request.user)
        except editing.ListingExists as error:
            form.add_error("external_id", str(error))
        else:
            messages.success(request, f"Created “{saved.program.title}” as a draft; approve it in the review queue.")
            return redirect("programs:curation:listing_history", program_id=saved.program.pk)
    status = 400 if form.is_bound else 200
    return render(request, "programs/curation/listing_form.html", {"form": form, "program": None}, status=status)


@require_http_methods(["GET", "POST"])
@curator_required
def listing_edit(request: AuthenticatedHttpRequest, program_id: int) -> HttpResponse:
    """Edit a listing; a change to a published one waits in the review queue, the catalog unchanged."""
    program = get_object_or_404(
        Program.objects.select_related("provider").prefetch_related("credit_offerings"), pk=program_id
    )
    form = ListingForm(request.POST or None, program=program)
    if request.method == "POST" and form.is_valid() and form.record is not None:
        saved = editing.listing_edit(program_id=program.pk, record=form.record, actor=request.user)
        if saved.outcome == "held":
            messages.success(
                request, "Your change waits in the review queue; the published listing stays as it is until approved."
            )
            anchor = f"#revision-{saved.revision.pk}" if saved.revision else ""
            return redirect(reverse("programs:curation:review") + anchor)
        if saved.outcome == "unchanged":
            messages.info(request, "Nothing changed.")
        else:
            messages.success(request, "Saved.")
        return redirect("programs:curation:listing_history", program_id=program.pk)
    status = 400 if form.is_bound else 200
    return render(request, "programs/curation/listing_form.html", {"form": form, "program": program}, status=status)


@require_GET
@curator_required
def listing_history(request: AuthenticatedHttpRequest, program_id: int) -> HttpResponse:
    """Who changed what and when, via import or edit, and who approved or rejected each proposed change."""
    program = get_object_or_404(Program.objects.select_related("provider"), pk=program_id)
    events = history_selectors.listing_history(program=program)
    return render(request, "programs/curation/listing_history.html", {"program": program, "events": events})
