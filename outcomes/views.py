"""Outcome projects, the portfolio and its share links.

Every project view looks the project up among the signed-in user's own projects, so
anyone else (another clinician, a supervisor, an admin) gets 404. The only way
someone else sees a portfolio is a share link.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import presenters, selectors, services
from .forms import MeasurementForm, OutcomeProjectForm, PresentationForm, ShareLinkForm, TeamMemberForm
from .models import Measurement, OutcomeProject, PortfolioShareLink, Presentation, ProjectTeamMember


def clinician_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Projects and portfolios belong to clinicians; other roles get 403 on these pages."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_clinician:  # type: ignore[union-attr]
            raise PermissionDenied("Outcome projects and portfolios are for clinicians.")
        return view(request, *args, **kwargs)

    return wrapper


def _own_project(request: HttpRequest, project_id: int) -> OutcomeProject:
    try:
        return selectors.project_for_owner(owner=request.user, project_id=project_id)  # type: ignore[arg-type]
    except OutcomeProject.DoesNotExist:
        raise Http404("No such project") from None


@require_GET
@login_required
@clinician_required
def project_list(request: HttpRequest) -> HttpResponse:
    """The clinician's own outcome projects."""
    projects = selectors.project_list_for_owner(owner=request.user)  # type: ignore[arg-type]
    return render(request, "outcomes/project_list.html", {"projects": projects})


@require_http_methods(["GET", "POST"])
@login_required
@clinician_required
def project_create(request: HttpRequest) -> HttpResponse:
    form = OutcomeProjectForm(request.POST or None, owner=request.user)
    if request.method == "POST" and form.is_valid():
        project = services.project_create(owner=request.user, data=form.cleaned_data)  # type: ignore[arg-type]
        messages.success(request, "Project saved. Add measurements as the data come in.")
        return redirect("outcomes:project_detail", project_id=project.pk)
    return render(request, "outcomes/project_form.html", {"form": form, "project": None})


@require_http_methods(["GET", "POST"])
@login_required
def project_edit(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _own_project(request, project_id)
    form = OutcomeProjectForm(request.POST or None, instance=project, owner=request.user)
    if request.method == "POST" and form.is_valid():
        services.project_update(project=project, data=form.cleaned_data)
        messages.success(request, "Project updated.")
        return redirect("outcomes:project_detail", project_id=project.pk)
    if request.method == "POST":
        project.refresh_from_db()
    return render(request, "outcomes/project_form.html", {"form": form, "project": project})


@require_POST
@login_required
def project_delete(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _own_project(request, project_id)
    services.project_delete(project=project)
    messages.success(request, "Project deleted.")
    return redirect("outcomes:project_list")


def _detail(
    request: HttpRequest,
    project: OutcomeProject,
    *,
    measurement_form: MeasurementForm | None = None,
    presentation_form: PresentationForm | None = None,
    team_form: TeamMemberForm | None = None,
) -> HttpResponse:
    compare_to = request.GET.get("compare")
    result = selectors.project_result(project, compare_to=int(compare_to) if (compare_to or "").isdigit() else None)
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
@login_required
def project_detail(request: HttpRequest, project_id: int) -> HttpResponse:
    """The project with its result, run chart, data table, team and presentations."""
    return _detail(request, _own_project(request, project_id))


@require_POST
@login_required
def measurement_add(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _own_project(request, project_id)
    form = MeasurementForm(request.POST, project=project)
    if form.is_valid():
        services.measurement_add(project=project, data=form.cleaned_data)
        messages.success(request, "Measurement added.")
        return redirect(reverse("outcomes:project_detail", args=[project.pk]) + "#result")
    return _detail(request, project, measurement_form=form)


@require_POST
@login_required
def measurement_delete(request: HttpRequest, project_id: int, measurement_id: int) -> HttpResponse:
    project = _own_project(request, project_id)
    measurement = get_object_or_404(Measurement, pk=measurement_id, project=project)
    services.measurement_delete(measurement=measurement)
    messages.success(request, "Measurement deleted.")
    return redirect("outcomes:project_detail", project_id=project.pk)


@require_POST
@login_required
def presentation_add(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _own_project(request, project_id)
    form = PresentationForm(request.POST)
    if form.is_valid():
        services.presentation_add(project=project, data=form.cleaned_data)
        messages.success(request, "Presentation added.")
        return redirect(reverse("outcomes:project_detail", args=[project.pk]) + "#presentations")
    return _detail(request, project, presentation_form=form)


@require_POST
@login_required
def presentation_delete(request: HttpRequest, project_id: int, presentation_id: int) -> HttpResponse:
    project = _own_project(request, project_id)
    presentation = get_object_or_404(Presentation, pk=presentation_id, project=project)
    services.presentation_delete(presentation=presentation)
    messages.success(request, "Presentation deleted.")
    return redirect("outcomes:project_detail", project_id=project.pk)


@require_POST
@login_required
def team_member_add(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _own_project(request, project_id)
    form = TeamMemberForm(request.POST)
    if form.is_valid():
        services.team_member_add(project=project, **form.cleaned_data)
        messages.success(request, "Team member added.")
        return redirect(reverse("outcomes:project_detail", args=[project.pk]) + "#team")
    return _detail(request, project, team_form=form)


@require_POST
@login_required
def team_member_delete(request: HttpRequest, project_id: int, member_id: int) -> HttpResponse:
    project = _own_project(request, project_id)
    member = get_object_or_404(ProjectTeamMember, pk=member_id, project=project)
    services.team_member_delete(member=member)
    messages.success(request, "Team member removed.")
    return redirect("outcomes:project_detail", project_id=project.pk)


# --- Portfolio ---------------------------------------------------------------------


@require_GET
@login_required
@clinician_required
def portfolio(request: HttpRequest) -> HttpResponse:
    """The clinician's own printable portfolio."""
    data = selectors.portfolio_for(owner=request.user)  # type: ignore[arg-type]
    context = {"portfolio": data, "reports": presenters.portfolio_reports(data), "shared": False}
    return render(request, "outcomes/portfolio.html", context)


@require_GET
@login_required
@clinician_required
def portfolio_export(request: HttpRequest) -> HttpResponse:
    """All of the clinician's own data as a JSON download."""
    data = selectors.portfolio_export(owner=request.user)  # type: ignore[arg-type]
    response = HttpResponse(json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="cme-portfolio-{timezone.localdate():%Y-%m-%d}.json"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
@login_required
@clinician_required
def share_links(request: HttpRequest) -> HttpResponse:
    """List, create and revoke read-only links to the portfolio."""
    form = ShareLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        link = services.share_link_create(owner=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        messages.success(request, f"Share link created; it works until {link.expires_on:%b %d, %Y}.")
        return redirect("outcomes:share_links")
    links = selectors.share_links_for_owner(owner=request.user)  # type: ignore[arg-type]
    return render(request, "outcomes/share_links.html", {"form": form, "links": links, "today": timezone.localdate()})


@require_POST
@login_required
@clinician_required
def share_link_revoke(request: HttpRequest, link_id: int) -> HttpResponse:
    link = get_object_or_404(PortfolioShareLink, pk=link_id, owner=request.user)
    services.share_link_revoke(link=link)
    messages.success(request, "Share link revoked: it no longer opens the portfolio.")
    return redirect("outcomes:share_links")


@require_GET
def shared_portfolio(request: HttpRequest, token: str) -> HttpResponse:
    """The read-only portfolio behind a share link; 404 once expired or revoked. Each opening is logged."""
    link = selectors.share_link_for_token(token=token)
    if link is None:
        raise Http404("This link does not exist, has expired or was revoked.")
    services.share_link_access_record(
        link=link, ip=request.META.get("REMOTE_ADDR", ""), user_agent=request.META.get("HTTP_USER_AGENT", "")
    )
    data = selectors.portfolio_for(owner=link.owner)
    context = {"portfolio": data, "reports": presenters.portfolio_reports(data), "shared": True, "link": link}
    response = render(request, "outcomes/portfolio.html", context)
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response
