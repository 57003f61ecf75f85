from __future__ import annotations

import hashlib
from functools import partial
from pathlib import Path
from typing import cast

from django.conf import settings
from django.core.paginator import Page
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.backends.utils import csrf_input
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_GET

from accounts.access import AuthenticatedHttpRequest, signed_in_required
from careers.selectors import shortlisted_program_ids
from cme_portal.htmx import live_status, page_or_partial, vary_on_htmx
from supervision.ledger import ledger_for
from supervision.selectors import program_on_record, ranking_context_for_request

from . import announcements, presenters, selectors
from . import forms as forms_module
from .forms import CatalogFilterForm, FilterVocabulary
from .models import Program
from .ranking import forms as ranking_forms_module
from .ranking import queries
from .ranking.compare import MAX_COMPARE, MIN_COMPARE, program_comparison
from .ranking.forms import RankingForm
from .ranking.scoring import Weights


@require_GET
@signed_in_required
def catalog(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The published catalog: search, filters, sorting, pages. htmx gets the results partial.

    With an active career goal the results are ranked for it (weights from the
    goal unless the sliders override them) and carry scores, reasons and fit badges.
    """
    goal_context = ranking_context_for_request(request)
    vocabulary = FilterVocabulary()
    form = CatalogFilterForm(request.GET, ranked=goal_context is not None, vocabulary=vocabulary)
    filters = form.cleaned_filters()
    ranking_form = ranked = ranking_choice = situation_key = evidence_keys = None
    page: Page[int] | Page[Program]
    if goal_context is not None:
        ranking_form = RankingForm(request.GET, goal_weights=goal_context.weights)
        ranking_choice = ranking_form.choice()
        ranked = queries.ranked_catalog_listings(
            queries.RankingQuery.for_sort(
                goal=goal_context.goal,
                weights=ranking_choice.weights,
                clinician=goal_context.clinician,
                filters=filters,
                page_number=request.GET.get("page"),
                fits_only=ranking_choice.fits_only,
                catalog_version=goal_context.catalog_version,
            )
        )
        page = ranked.page
        situation_key = presenters.ranking_situation_key(
            catalog_version=goal_context.catalog_version,
            goal=goal_context.goal,
            weights=ranking_choice.weights,
            clinician=goal_context.clinician,
        )
        evidence_keys = presenters.card_evidence_keys(
            catalog_version=goal_context.catalog_version, goal=goal_context.goal
        )
    else:
        page = selectors.catalog_page(filters=filters, page_number=request.GET.get("page"))
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        "cards": _cards(request, ranked=ranked, page=page, situation_key=situation_key, evidence_keys=evidence_keys),
        "next_url": request.get_full_path(),  # where each card's shortlist button returns to
        # Each card's shortlist form's token field ({% csrf_token %}'s markup), masked once for the page, when shown.
        "csrf_input": SimpleLazyObject(partial(csrf_input, request)),
        "ranked": ranked,
        "ranking_form": ranking_form,
        "ranking_choice": ranking_choice,
        "invite_goal": goal_context is None and request.user.is_clinician,
        "compare_limits": (MIN_COMPARE, MAX_COMPARE),
        "ranking_rule": queries.ranking_rule(filters.sort),
        "query_without_page": _query_without_page(request),
        "filter_vocabulary": vocabulary,  # read only by the full page's filter form (the partial has none)
        "filter_form_key": partial(
            _filter_form_key, request, vocabulary=vocabulary, weights=goal_context.weights if goal_context else None
        ),
        "live_status": live_status(
            request,
            announcements.catalog_status(
                page=page,
                sort_label=form.sort_label(announcements.catalog_sort_key(filters, ranked=ranked is not None)),
                filters_refused=bool(form.errors),
            ),
        ),
    }
    template = page_or_partial(request, "programs/catalog.html", "results")
    return vary_on_htmx(render(request, template, context))


@require_GET
@signed_in_required
def program_detail(request: AuthenticatedHttpRequest, program_id: int) -> HttpResponse:
    """Everything a clinician needs to judge one published listing.

    A past or unpublished program stays viewable, marked as past and without a fit, to whoever has it
    in their plan, a credit claim or a funding request; anyone else gets 404 for it.
    """
    try:
        program = selectors.program_for_catalog(program_id=program_id)
        past = False
    except Program.DoesNotExist:
        if not program_on_record(user=request.user, program_id=program_id):
            raise Http404("No such program") from None
        program = selectors.program_for_record(program_id=program_id)
        past = True
    context = {
        "program": program,
        "factors": selectors.program_static_factors(program),
        "past": past,
        "ended": program.end_date is not None and program.end_date < timezone.localdate(),
    }
    goal_context = ranking_context_for_request(request)
    if goal_context is not None and not past:
        (context["fit"],) = queries.ranked_results(
            [program], goal=goal_context.goal, weights=goal_context.weights, clinician=goal_context.clinician
        )
    context["invite_goal"] = goal_context is None and request.user.is_clinician
    if request.user.is_clinician and not past:
        context["ledger"] = ledger_for(user=request.user, program=program)
    return render(request, "programs/program_detail.html", context)


@require_GET
@signed_in_required
def compare(request: AuthenticatedHttpRequest) -> HttpResponse:
    """2 to 4 published programs side by side (?ids=1&ids=2), ranked for the viewer's goal if any.

    With a goal, "why is B above A?" for the two programs in ?pair= (default the top two).
    """
    goal_context = ranking_context_for_request(request)
    comparison = program_comparison(
        raw_ids=request.GET.getlist("ids"), ranking=goal_context, raw_pair=request.GET.getlist("pair")
    )
    context = {
        "comparison": comparison,
        "invite_goal": goal_context is None and request.user.is_clinician,
        "compare_limits": (MIN_COMPARE, MAX_COMPARE),
    }
    return render(request, "programs/compare.html", context)


def _cards(
    request: AuthenticatedHttpRequest,
    *,
    ranked: queries.RankedListingsPage | None,
    page: Page[int] | Page[Program],
    situation_key: str | None = None,
    evidence_keys: presenters.CardEvidenceKeys | None = None,
) -> list[presenters.ProgramCard]:
    """The page's result cards, with the viewer's shortlist for the page's programs read in one query."""
    programs = [] if ranked is not None else list(cast("Page[Program]", page).object_list)
    if ranked is not None:
        program_ids = [result.listing.pk for result in ranked.results]
    else:
        program_ids = [program.pk for program in programs]
    actions = request.user.is_clinician
    shortlisted: set[int] = set()
    if program_ids and actions:
        shortlisted = shortlisted_program_ids(user=request.user, program_ids=program_ids)
    if ranked is not None:
        return presenters.ranked_cards(
            ranked.results,
            shortlisted=shortlisted,
            actions=actions,
            situation_key=situation_key,
            evidence_keys=evidence_keys,
        )
    return presenters.program_cards(programs, shortlisted=shortlisted, actions=actions)


# The code that writes the catalog's filter form, so a deploy never serves a form cached before it.
_FILTER_FORM_MARKUP = presenters.source_fingerprint(
    *(
        settings.BASE_DIR / "templates" / name
        for name in ("programs/catalog.html", "_field.html", "_field_help.html", "_field_errors.html")
    ),
    Path(forms_module.__file__ or ""),
    Path(ranking_forms_module.__file__ or ""),
)


def _filter_form_key(request: HttpRequest, *, vocabulary: FilterVocabulary, weights: Weights | None) -> str:
    """The cache key of the unfiltered catalog's rendered filter form, or "" when the request holds a query.

    The form of the page clinicians open most (no filter; any page number, which the form does not show)
    depends only on the goal's weights (the sliders' starting values; None unranked), the values the filters
    offer and the markup, digested here; the page caches it under that ({% cache %} in catalog.html). A query
    is rendered afresh: keyed on what a visitor types, the cache would hold a form per made-up query string.
    """
    if any(name != "page" for name in request.GET):
        return ""
    inputs = (repr(weights), vocabulary.fingerprint(), _FILTER_FORM_MARKUP)
    return hashlib.sha256(repr(inputs).encode()).hexdigest()


def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
