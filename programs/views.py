from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from cme_portal.htmx import page_or_partial, vary_on_htmx

from . import selectors
from .forms import CatalogFilterForm
from .models import Program


@require_GET
@login_required
def catalog(request: HttpRequest) -> HttpResponse:
    """The published catalog: search, filters, sorting, pages. htmx gets the results partial."""
    form = CatalogFilterForm(request.GET)
    filters = form.cleaned_filters()
    page = selectors.catalog_page(filters=filters, page_number=request.GET.get("page"))
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        "query_without_page": _query_without_page(request),
        "topic_options": selectors.catalog_tag_options("topics"),
        "specialty_options": selectors.catalog_tag_options("specialties"),
    }
    template = page_or_partial(request, "programs/catalog.html", "results")
    return vary_on_htmx(render(request, template, context))


@require_GET
@login_required
def program_detail(request: HttpRequest, program_id: int) -> HttpResponse:
    """Everything a clinician needs to judge one published listing."""
    try:
        program = selectors.program_for_catalog(program_id=program_id)
    except Program.DoesNotExist:
        raise Http404("No such program") from None
    context = {"program": program, "factors": selectors.program_static_factors(program)}
    return render(request, "programs/program_detail.html", context)


def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
