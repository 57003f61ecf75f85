"""Outcome projects, the portfolio and its share links; curators' program outcome evidence.

Every project and portfolio view but the share link is for clinicians (others get 403, see
accounts.access) and looks the project up among the signed-in clinician's own projects, so
another clinician gets 404. The only way someone else sees a portfolio is a share link
(public: its secret token is the only key). The program evidence pages are for curators.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import AuthenticatedHttpRequest, clinician_required, curator_required, owned_or_404, public
from accounts.submissions import submitted_once
from cme_portal.client_address import client_address
from cme_portal.confirmation import confirmation_page
from cme_portal.ids import id_from_text
from programs.models import Program
from programs.ranking.fit import format_date
from supervision import selectors as supervision_selectors

from . import presenters, selectors, services
from .forms import (
    MeasurementForm,
    OutcomeProjectForm,
    PresentationForm,
    ProgramOutcomeEvidenceForm,
    ShareLinkForm,
    TeamMemberForm,
)
from .models import (
    Measurement,
    OutcomeProject,
    PortfolioShareLink,
    Presentation,
    ProgramOutcomeEvidence,
    ProjectTeamMember,
)


def _own_project(request: AuthenticatedHttpRequest, project_id: int) -> OutcomeProject:
    try:
        return selectors.project_for_owner(owner=request.user, project_id=project_id)
    except OutcomeProject.DoesNotExist:
        raise Http404("No such project") from None


@require_GET
@clinician_required
def project_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The clinician's own outcome projects."""
    projects = selectors.project_list_for_owner(owner=request.user)
    return render(request, "outcomes/project_list.html", {"projects": projects})


@require_http_methods(["GET", "POST"])
@clinician_required
@submitted_once()
def project_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    initial = {}
    follow_up_id = id_from_text(request.GET.get("follow_up"))
    if request.method == "GET" and follow_up_id is not None:
        # Started from a practice follow-up (supervision): prefilled from the answer, linked to its program.
        follow_up = supervision_selectors.practice_follow_up_for_user(user=request.user, follow_up_id=follow_up_id)
        if follow_up is not None:
            initial = supervision_selectors.outcome_project_initial_from_follow_up(follow_up=follow_up)
    form = OutcomeProjectForm(request.POST or None, owner=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        project = services.project_create(owner=request.user, data=form.cleaned_data)
        messages.success(request, "Project saved. Add measurements as the data come in.")
        return redirect("outcomes:project_detail", project_id=project.pk)
    return render(request, "outcomes/project_form.html", {"form": form, "project": None})


@require_http_methods(["GET", "POST"])
@clinician_required
def project_edit(request: AuthenticatedHttpRequest, project_id: int) -> HttpResponse:
    project = _own_project(request, project_id)
    form = OutcomeProjectForm(request.POST or None, instance=project, owner=request.user)
    if request.method == "POST" and form.is_valid():
        services.project_update(project=project, data=form.cleaned_data)
        messages.success(request, "Project updated.")
        return redirect("outcomes:project_detail", project_id=project.pk)
    if request.method == "POST":
        project.refresh_from_db()
    return render(request, "outcomes/project_form.html", {"form": form, "project": project})


@require_http_methods(["GET", "POST"])
@clinician_required
def project_delete(request: AuthenticatedHttpRequest, project_id: int) -> HttpResponse:
    """GET asks first, counting what is lost; POST deletes the project with its measurements."""
    project = _own_project(request, project_id)
    if request.method == "GET":
        cancel_to = reverse("outcomes:project_detail", args=[project.pk])
        return confirmation_page(request, presenters.project_deletion(project), cancel_to=cancel_to)
    services.project_delete(project=project)
    messages.success(request, f"Project “{project}” deleted with its measurements, presentations and team.")
    return redirect("outcomes:project_list")


def _detail(
    request: AuthenticatedHttpRequest,
    project: OutcomeProject,
    *,
    measurement_form: MeasurementForm | None = None,
    presentation_form: PresentationForm | None = None,
    team_form: TeamMemberForm | None = None,
) -> HttpResponse:
    compare_to = request.GET.get("compare", "")
    result = selectors.project_result(project, compare_to=id_from_text(compare_to))
    report = presenters.project_report(result)
    context = {
        "project": project,
        "report": report,
        "measurement_form": measurement_form or MeasurementForm(project=project),
        "presentation_form": presentation_form or PresentationForm(),
        "team_form": team_form or TeamMemberForm(),
    }
    return render(request, "outcomes/project_detail.html", context)


@require_GET
@clinician_required
def project_detail(request: AuthenticatedHttpRequest, project_id: int) -> HttpResponse:
    """The project with its result, run chart, data table, team and presentations."""
    return _detail(request, _own_project(request, project_id))


@require_POST
@clinician_required
def measurement_add(request: AuthenticatedHttpRequest, project_id: int) -> HttpResponse:
    project = _own_project(request, project_id)
    form = MeasurementForm(request.POST, project=project)
    if form.is_valid():
        services.measurement_add(project=project, data=form.cleaned_data)
        messages.success(request, "Measurement added.")
        return redirect(reverse("outcomes:project_detail", args=[project.pk]) + "#result")
    return _detail(request, project, measurement_form=form)


@require_http_methods(["GET", "POST"])
@clinician_required
def measurement_delete(request: AuthenticatedHttpRequest, project_id: int, measurement_id: int) -> HttpResponse:
    """GET asks first, saying what is lost; POST deletes the measurement."""
    project = _own_project(request, project_id)
    measurement = get_object_or_404(Measurement, pk=measurement_id, project=project)
    if request.method == "GET":
        cancel_to = reverse("outcomes:project_detail", args=[project.pk]) + "#measurements"
        return confirmation_page(request, presenters.measurement_deletion(project, measurement), cancel_to=cancel_to)
    services.measurement_delete(measurement=measurement)
    messages.success(
        request,
        f"Measurement for {format_date(measurement.period_start)} to {format_date(measurement.period_end)} deleted.",
    )
    return redirect("outcomes:project_detail", project_id=project.pk)


@require_POST
@clinician_required
@submitted_once()
def presentation_add(request: AuthenticatedHttpRequest, project_id: int) -> HttpResponse:
    project = _own_project(request, project_id)
    form = PresentationForm(request.POST)
    if form.is_valid():
        services.presentation_add(project=project, data=form.cleaned_data)
        messages.success(request, "Presentation added.")
        return redirect(reverse("outcomes:project_detail", args=[project.pk]) + "#presentations")
    return _detail(request, project, presentation_form=form)


@require_http_methods(["GET", "POST"])
@clinician_required
def presentation_delete(request: AuthenticatedHttpRequest, project_id: int, presentation_id: int) -> HttpResponse:
    """GET asks first, saying what is lost; POST deletes the presentation."""
    project = _own_project(request, project_id)
    presentation = get_object_or_404(Presentation, pk=presentation_id, project=project)
    if request.method == "GET":
        confirmation = presenters.presentation_deletion(project, presentation)
        cancel_to = reverse("outcomes:project_detail", args=[project.pk]) + "#presentations"
        return confirmation_page(request, confirmation, cancel_to=cancel_to)
    services.presentation_delete(presentation=presentation)
    messages.success(request, f"Presentation “{presentation}” deleted.")
    return redirect("outcomes:project_detail", project_id=project.pk)


@require_POST
@clinician_required
@submitted_once()
def team_member_add(request: AuthenticatedHttpRequest, project_id: int) -> HttpResponse:
    project = _own_project(request, project_id)
    form = TeamMemberForm(request.POST)
    if form.is_valid():
        services.team_member_add(project=project, **form.cleaned_data)
        messages.success(request, "Team member added.")
        return redirect(reverse("outcomes:project_detail", args=[project.pk]) + "#team")
    return _detail(request, project, team_form=form)


@require_http_methods(["GET", "POST"])
@clinician_required
def team_member_delete(request: AuthenticatedHttpRequest, project_id: int, member_id: int) -> HttpResponse:
    """GET asks first; POST removes the colleague from the project team."""
    project = _own_project(request, project_id)
    member = get_object_or_404(ProjectTeamMember, pk=member_id, project=project)
    if request.method == "GET":
        cancel_to = reverse("outcomes:project_detail", args=[project.pk]) + "#team"
        return confirmation_page(request, presenters.team_member_removal(project, member), cancel_to=cancel_to)
    services.team_member_delete(member=member)
    messages.success(request, f"{member.name} removed from the project team.")
    return redirect("outcomes:project_detail", project_id=project.pk)


# --- Portfolio ---------------------------------------------------------------------


@require_GET
@clinician_required
def portfolio(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The clinician's own printable portfolio."""
    data = selectors.portfolio_for(owner=request.user)
    context = {"portfolio": data, "reports": presenters.portfolio_reports(data), "shared": False}
    return render(request, "outcomes/portfolio.html", context)


@require_GET
@clinician_required
def portfolio_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    """All of the clinician's own data as a JSON download."""
    data = selectors.portfolio_export(owner=request.user)
    response = HttpResponse(json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="cme-portfolio-{timezone.localdate():%Y-%m-%d}.json"'
    return response  # Cache-Control: private, no-store (cme_portal.middleware, as on every download)


# A repeated "create link" writes nothing; the first link's address was on the first answer only.
SHARE_LINK_REPEATED = (
    "This link was already created; nothing was added. Its address is shown only once: "
    "if you did not copy it, revoke it below and create another."
)


def _share_link_shown(response: HttpResponseBase) -> bool:
    """A new link is shown in place (200), never redirected to: its token is on that page only."""
    return response.status_code == 200


@require_http_methods(["GET", "POST"])
@clinician_required
@submitted_once(saved=_share_link_shown, message=SHARE_LINK_REPEATED)
def share_links(request: AuthenticatedHttpRequest) -> HttpResponse:
    """List, create and revoke read-only links to the portfolio; an invalid form is a 400."""
    form = ShareLinkForm(request.POST or None)
    new_link_url = None
    if request.method == "POST" and form.is_valid():
        # Only the token's digest is stored: the new link is shown on this response and never again.
        issued = services.share_link_create(owner=request.user, **form.cleaned_data)
        new_link_url = request.build_absolute_uri(reverse("outcomes:shared_portfolio", args=[issued.token]))
        messages.success(request, f"Share link created; it works until {issued.link.expires_on:%b %d, %Y}.")
        form = ShareLinkForm()
    links = selectors.share_links_for_owner(owner=request.user)
    context = {"form": form, "links": links, "today": timezone.localdate(), "new_link_url": new_link_url}
    # A new link is shown once; like every signed-in page it is never stored (cme_portal.middleware).
    return render(request, "outcomes/share_links.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@clinician_required
def share_link_revoke(request: AuthenticatedHttpRequest, link_id: int) -> HttpResponse:
    """GET asks first, saying what changes; POST revokes the link."""
    link = owned_or_404(PortfolioShareLink, user=request.user, owner_field="owner", pk=link_id)
    if request.method == "GET":
        openings = selectors.share_link_opening_count(link=link)
        confirmation = presenters.share_link_revocation(link, openings=openings, today=timezone.localdate())
        return confirmation_page(request, confirmation, cancel_to=reverse("outcomes:share_links"))
    services.share_link_revoke(link=link)
    name = f"Share link “{link.label}”" if link.label else "Share link"
    messages.success(request, f"{name} revoked: it no longer opens the portfolio.")
    return redirect("outcomes:share_links")


@require_GET
@public
def shared_portfolio(request: HttpRequest, token: str) -> HttpResponse:
    """The read-only portfolio behind a share link; 404 once expired or revoked. Each opening is logged."""
    link = selectors.share_link_for_token(token=token)
    if link is None:
        raise Http404("This link does not exist, has expired or was revoked.")
    services.share_link_access_record(
        link=link, ip=client_address(request), user_agent=request.META.get("HTTP_USER_AGENT", "")
    )
    data = selectors.portfolio_for(owner=link.owner)
    context = {"portfolio": data, "reports": presenters.portfolio_reports(data), "shared": True, "link": link}
    response = render(request, "outcomes/portfolio.html", context)
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


# --- Program outcome evidence (curators) -----------------------------------------------------

INVALID_EVIDENCE = "The evidence was not saved: correct the fields marked below."


def _evidence_form_page(
    request: AuthenticatedHttpRequest, form: ProgramOutcomeEvidenceForm, program: Program
) -> HttpResponse:
    if form.is_bound:
        messages.error(request, INVALID_EVIDENCE)
    status = 400 if form.is_bound else 200
    context = {"form": form, "program": program, "evidence": form.instance if form.instance.pk else None}
    return render(request, "outcomes/evidence_form.html", context, status=status)


@require_GET
@curator_required
def evidence_list(request: AuthenticatedHttpRequest, program_id: int) -> HttpResponse:
    """A program's outcome evidence, verified first, with who verified each row and when."""
    program = get_object_or_404(Program.objects.select_related("provider"), pk=program_id)
    evidence = selectors.program_outcome_evidence_for_curators(program=program)
    return render(request, "outcomes/evidence_list.html", {"program": program, "evidence": evidence})


@require_http_methods(["GET", "POST"])
@curator_required
@submitted_once()
def evidence_new(request: AuthenticatedHttpRequest, program_id: int) -> HttpResponse:
    """Add outcome evidence to a program; ticking verified records the curator and today."""
    program = get_object_or_404(Program.objects.select_related("provider"), pk=program_id)
    form = ProgramOutcomeEvidenceForm(request.POST or None, instance=ProgramOutcomeEvidence(program=program))
    if request.method == "POST" and form.is_valid():
        services.evidence_save(evidence=form.save(commit=False), actor=request.user)
        messages.success(request, "Evidence added.")
        return redirect("outcomes:evidence_list", program_id=program.pk)
    return _evidence_form_page(request, form, program)


@require_http_methods(["GET", "POST"])
@curator_required
def evidence_edit(request: AuthenticatedHttpRequest, evidence_id: int) -> HttpResponse:
    """Correct outcome evidence; unticking verified clears who verified it and when."""
    evidence = get_object_or_404(ProgramOutcomeEvidence.objects.select_related("program__provider"), pk=evidence_id)
    form = ProgramOutcomeEvidenceForm(request.POST or None, instance=evidence)
    if request.method == "POST" and form.is_valid():
        services.evidence_save(evidence=form.save(commit=False), actor=request.user)
        messages.success(request, "Evidence saved.")
        return redirect("outcomes:evidence_list", program_id=evidence.program_id)
    return _evidence_form_page(request, form, evidence.program)


@require_http_methods(["GET", "POST"])
@curator_required
def evidence_delete(request: AuthenticatedHttpRequest, evidence_id: int) -> HttpResponse:
    """GET asks first, saying what the scores lose; POST deletes the evidence (the flag and scores follow)."""
    evidence = get_object_or_404(ProgramOutcomeEvidence.objects.select_related("program"), pk=evidence_id)
    if request.method == "GET":
        confirmation = presenters.evidence_deletion(
            evidence, other_verified=selectors.other_verified_evidence_count(evidence=evidence)
        )
        cancel_to = reverse("outcomes:evidence_list", args=[evidence.program_id])
        return confirmation_page(request, confirmation, cancel_to=cancel_to)
    services.evidence_delete(evidence_ids=[evidence.pk])
    messages.success(request, f"Evidence “{evidence.metric}” deleted.")
    return redirect("outcomes:evidence_list", program_id=evidence.program_id)


@require_POST
@curator_required
def evidence_verify(request: AuthenticatedHttpRequest, evidence_id: int) -> HttpResponse:
    """Mark evidence verified (`verified=on`: records the curator and today) or not verified (`verified=off`)."""
    evidence = get_object_or_404(ProgramOutcomeEvidence, pk=evidence_id)
    choice = request.POST.get("verified")
    if choice not in {"on", "off"}:
        messages.error(request, "Choose whether the evidence is verified or not; nothing was changed.")
        return redirect("outcomes:evidence_list", program_id=evidence.program_id)
    services.evidence_set_verified(evidence=evidence, verified=choice == "on", actor=request.user)
    if choice == "on":
        messages.success(request, "Marked verified: it is shown as fact and counts for the outcome score.")
    else:
        messages.success(request, "Marked not verified: it reads as the provider's claim.")
    return redirect("outcomes:evidence_list", program_id=evidence.program_id)
