"""The JSON API, version 1: thin views over the same selectors, services and access rules as the pages.

Every view records its access decision (accounts.access.api_endpoint) for the URL matrix; DRF
enforces it through the permission classes (api.permissions): anonymous 401, wrong role 403,
another person's object 404, all as problem details (api.problems).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Paginator
from django.http import Http404, QueryDict
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers as drf_serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.access import owned_or_404, supervised_team_or_404
from accounts.models import User
from careers import selectors as careers_selectors
from careers import services as careers_services
from careers.forms import CreditClaimForm
from careers.models import CreditClaim, ShortlistEntry
from programs import selectors as program_selectors
from programs.forms import CatalogFilterForm
from programs.models import Program
from programs.ranking import queries
from programs.ranking.forms import RankingForm
from supervision import equity
from supervision import rules as supervision_rules
from supervision import selectors as supervision_selectors
from supervision import services as supervision_services
from supervision.forms import FundingRequestForm
from supervision.ledger import ledger_for
from supervision.selectors import program_on_record, ranking_context_for_user

from . import serializers
from .permissions import Clinician, ClinicianOrSupervisor, SignedIn, Supervisor, TokenScopeAllows
from .problems import problem_response

PROBLEM = OpenApiResponse(serializers.ProblemOut, description="Problem details (RFC 9457)")
PROBLEM_TYPE = "application/problem+json"


def problems(*statuses: int) -> dict[tuple[int, str], OpenApiResponse]:
    """The documented error answers: each status as problem details."""
    return {(status, PROBLEM_TYPE): PROBLEM for status in statuses}


JSON = "application/json"
READ_ERRORS = problems(401, 403, 404, 405, 429)
WRITE_ERRORS = problems(400, 401, 403, 404, 405, 415, 429)

ViewFunction = Callable[..., Response]


def _user(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)  # every view below needs a signed-in caller (its permission classes)
    return user


# --- Index ------------------------------------------------------------------------------------


class IndexOut(drf_serializers.Serializer[Any]):
    version = drf_serializers.CharField()
    schema = drf_serializers.CharField()
    endpoints = drf_serializers.DictField(child=drf_serializers.CharField())


ENDPOINTS = {
    "catalog": "/api/v1/programs/",
    "program": "/api/v1/programs/{id}/",
    "shortlist": "/api/v1/shortlist/",
    "credits": "/api/v1/credits/",
    "licence_progress": "/api/v1/licences/progress/",
    "plan": "/api/v1/plan/",
    "funding_requests": "/api/v1/funding-requests/",
    "funding_request": "/api/v1/funding-requests/{id}/",
}


@extend_schema(responses={(200, JSON): IndexOut, **problems(405, 429)}, auth=[])
@api_view(["GET"])
@permission_classes([AllowAny])
def index(request: Request) -> Response:
    """What the API offers and where its OpenAPI schema is."""
    return Response({"version": "1", "schema": "/api/v1/schema/", "endpoints": ENDPOINTS})


# --- Catalog and ranking ------------------------------------------------------------------------


def _ranking(result: queries.RankedResult) -> dict[str, Any]:
    weights = result.scored.weights.as_dict()
    return {
        "total": result.scored.total,
        "weighted_points": result.scored.weighted_points,
        "fits": result.fits,
        "factors": [
            {
                "factor": str(item.factor),
                "name": item.label,
                "points": item.points,
                "weight": weights[item.factor],
                "reasons": [{"text": reason.text, "points": reason.points} for reason in item.reasons],
                "shortfalls": [{"text": line.text, "points": line.points} for line in item.shortfalls],
            }
            for item in result.scored.factors
        ],
        "fit_checks": [
            {
                "kind": str(check.kind),
                "status": str(check.status),
                "message": check.message,
                "not_checked": check.not_checked,
            }
            for check in result.checks
        ],
    }


CATALOG_PARAMETERS = [
    OpenApiParameter(name, str, description=str(field.label), required=False)
    for name, field in CatalogFilterForm.base_fields.items()
] + [
    OpenApiParameter(
        "page",
        {"type": "integer", "minimum": 1, "maximum": 1_000_000},
        required=False,
        description="Page number, from 1 (20 a page).",
    ),
    # As on the page's sliders: any other value falls back to the goal's weights, never an error.
    *(
        OpenApiParameter(name, str, required=False, description="Ranking weight 0..5 (active goal only).")
        for name in ("w_outcome", "w_independence", "w_interprofessional", "w_career")
    ),
    OpenApiParameter("fits_only", str, required=False, description="Only programs that fit (any non-empty value)."),
]


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= 1_000_000:
        raise ValidationError({"page": ["Give a page number from 1."]})
    return int(raw)


@extend_schema(
    operation_id="catalog",
    parameters=CATALOG_PARAMETERS,
    responses={(200, JSON): serializers.CatalogPageOut, **problems(400), **READ_ERRORS},
)
@api_view(["GET"])
@permission_classes([TokenScopeAllows, SignedIn])
def catalog(request: Request) -> Response:
    """The catalog with every filter of the page; ranked for the caller's active goal, in the page's order.

    The same form, selectors, scoring and SQL as programs.views.catalog; invalid filters are a 400
    naming the fields (the page shows them and leaves them out).
    """
    user = _user(request)
    goal_context = ranking_context_for_user(user=user)
    form = CatalogFilterForm(request.query_params, ranked=goal_context is not None)
    if not form.is_valid():
        raise ValidationError({name: [str(message) for message in messages] for name, messages in form.errors.items()})
    filters = form.cleaned_filters()
    number = _page_number(request)
    ranked_results: dict[int, queries.RankedResult] = {}
    if goal_context is not None:
        choice = RankingForm(request.query_params, goal_weights=goal_context.weights).choice()
        ranked = queries.ranked_catalog_page(
            queries.RankingQuery.for_sort(
                goal=goal_context.goal,
                weights=choice.weights,
                clinician=goal_context.clinician,
                filters=filters,
                page_number=number,
                fits_only=choice.fits_only,
                catalog_version=goal_context.catalog_version,
            )
        )
        page: Any = ranked.page
        programs = [result.program for result in ranked.results]
        ranked_results = {result.program.pk: result for result in ranked.results}
    else:
        page = program_selectors.catalog_page(filters=filters, page_number=number)
        programs = list(page.object_list)
    if page.number != number:
        raise Http404("No such page")
    query = request.query_params.copy()

    def link(to: int) -> str:
        query["page"] = str(to)
        return f"{request.path}?{query.urlencode()}"

    results = [
        {
            "program": serializers.ProgramOut(program).data,
            "ranking": _ranking(ranked_results[program.pk]) if program.pk in ranked_results else None,
        }
        for program in programs
    ]
    return Response(
        {
            "count": page.paginator.count,
            "page": page.number,
            "pages": page.paginator.num_pages,
            "ranked": goal_context is not None,
            "next": link(page.next_page_number()) if page.has_next() else None,
            "previous": link(page.previous_page_number()) if page.has_previous() else None,
            "results": results,
        }
    )


@extend_schema(operation_id="program", responses={(200, JSON): serializers.CatalogItemOut, **READ_ERRORS})
@api_view(["GET"])
@permission_classes([TokenScopeAllows, SignedIn])
def program(request: Request, program_id: int) -> Response:
    """One program, with the caller's ranking when it is in the catalog and they have an active goal.

    A past program is visible to whoever has it on record, as on its page; 404 for anyone else.
    """
    user = _user(request)
    try:
        found = program_selectors.program_for_catalog(program_id=program_id)
        past = False
    except Program.DoesNotExist:
        if not program_on_record(user=user, program_id=program_id):
            raise Http404("No such program") from None
        found = program_selectors.program_for_record(program_id=program_id)
        past = True
    ranking = None
    goal_context = ranking_context_for_user(user=user)
    if goal_context is not None and not past:
        (result,) = queries.ranked_results(
            [found], goal=goal_context.goal, weights=goal_context.weights, clinician=goal_context.clinician
        )
        ranking = _ranking(result)
    return Response({"program": serializers.ProgramOut(found).data, "ranking": ranking})


# --- The clinician's shortlist, credits and licences ----------------------------------------------


@extend_schema(methods=["GET"], responses={(200, JSON): serializers.ShortlistEntryOut(many=True), **READ_ERRORS})
@extend_schema(
    methods=["POST"],
    request=serializers.ShortlistAddIn,
    responses={(201, JSON): serializers.ShortlistEntryOut, **problems(409), **WRITE_ERRORS},
)
@api_view(["GET", "POST"])
@permission_classes([TokenScopeAllows, Clinician])
def shortlist(request: Request) -> Response:
    """GET: the caller's shortlist (the plan page's order). POST: add a published program."""
    user = _user(request)
    if request.method == "POST":
        data = serializers.ShortlistAddIn(data=request.data)
        data.is_valid(raise_exception=True)
        program_id = data.validated_data["program_id"]
        if ShortlistEntry.objects.filter(user=user, program_id=program_id).exists():
            return problem_response(409, "The program is already on your shortlist.")
        try:
            entry = careers_services.shortlist_toggle(user=user, program_id=program_id)
        except careers_services.NotAllowed:
            raise ValidationError({"program_id": ["No published program has this id."]}) from None
        assert entry is not None
        entry = careers_selectors.shortlist_entry_for_user(user=user, entry_id=entry.pk)
        return Response(serializers.ShortlistEntryOut(entry).data, status=201)
    entries = careers_selectors.shortlist_for_user(user=user)
    return Response(serializers.ShortlistEntryOut(entries, many=True).data)


@extend_schema(
    methods=["PATCH"],
    request=serializers.ShortlistChangeIn,
    responses={(200, JSON): serializers.ShortlistEntryOut, **WRITE_ERRORS},
)
@extend_schema(methods=["DELETE"], responses={204: None, **READ_ERRORS})
@api_view(["PATCH", "DELETE"])
@permission_classes([TokenScopeAllows, Clinician])
def shortlist_entry(request: Request, entry_id: int) -> Response:
    """PATCH: change an entry's status and note (careers.services.shortlist_update). DELETE: remove it.

    Another clinician's entry is 404, as on the plan page; removing keeps any credits logged from it.
    """
    user = _user(request)
    entry = owned_or_404(ShortlistEntry.objects.select_related("program"), user=user, pk=entry_id)
    if request.method == "DELETE":
        careers_services.shortlist_toggle(user=user, program_id=entry.program_id)
        return Response(status=204)
    data = serializers.ShortlistChangeIn(data=request.data)
    data.is_valid(raise_exception=True)
    try:
        careers_services.shortlist_update(
            user=user, entry_id=entry.pk, status=data.validated_data["status"], note=data.validated_data["note"]
        )
    except careers_services.NotAllowed as refusal:
        raise ValidationError({"status": [str(refusal)]}) from None
    entry = careers_selectors.shortlist_entry_for_user(user=user, entry_id=entry.pk)
    return Response(serializers.ShortlistEntryOut(entry).data)


@extend_schema(methods=["GET"], responses={(200, JSON): serializers.CreditClaimOut(many=True), **READ_ERRORS})
@extend_schema(
    methods=["POST"],
    request=serializers.CreditClaimIn,
    responses={(201, JSON): serializers.CreditClaimOut, **WRITE_ERRORS},
)
@api_view(["GET", "POST"])
@permission_classes([TokenScopeAllows, Clinician])
def credits(request: Request) -> Response:
    """GET: the caller's credit claims (the credits page's order). POST: log credits of one activity.

    Validated by the credits page's form (careers.forms.CreditClaimForm) and saved by
    careers.services.credit_claim_create; a refusal is a 400 naming the field, nothing written.
    """
    user = _user(request)
    if request.method == "POST":
        data = serializers.CreditClaimIn(data=request.data)
        data.is_valid(raise_exception=True)
        valid = data.validated_data
        credit_types = careers_selectors.loggable_credit_types_for_user(user=user)
        form_data: dict[str, Any] = {
            "title": valid["title"],
            "provider_name": valid["provider_name"],
            "completed_on": valid["completed_on"].isoformat(),
            "topics": valid["topics"],
        }
        unknown = sorted(set(valid["amounts"]) - set(credit_types.codes))
        if unknown:
            raise ValidationError({"amounts": [f"None of your licences accepts {', '.join(unknown)} credit."]})
        form_data.update({f"amount_{code}": str(amount) for code, amount in valid["amounts"].items()})
        query = QueryDict(mutable=True)
        for name, value in form_data.items():
            if isinstance(value, list):
                query.setlist(name, value)
            else:
                query[name] = value
        form = CreditClaimForm(query, today=timezone.localdate(), credit_types=credit_types)
        if not form.is_valid():
            errors = {
                _api_field(name): [str(message) for message in messages] for name, messages in form.errors.items()
            }
            raise ValidationError(errors)
        try:
            claim = careers_services.credit_claim_create(
                user=user,
                title=form.cleaned_data["title"],
                provider_name=form.cleaned_data["provider_name"],
                completed_on=form.cleaned_data["completed_on"],
                topics=form.cleaned_data["topics"],
                amounts=form.cleaned_data["amounts"],
            )
        except careers_services.NotAllowed as refusal:
            raise ValidationError({"__all__": [str(refusal)]}) from None
        claim = CreditClaim.objects.prefetch_related("amounts").get(pk=claim.pk)
        return Response(serializers.CreditClaimOut(claim).data, status=201)
    claims = careers_selectors.credit_claims_for_user(user=user)
    return Response(serializers.CreditClaimOut(claims, many=True).data)


def _api_field(form_field: str) -> str:
    """The form's field name as the API names it ("amount_ancc" is "amounts.ancc")."""
    if form_field.startswith("amount_"):
        return f"amounts.{form_field.removeprefix('amount_')}"
    return form_field


@extend_schema(responses={(200, JSON): serializers.LicenceProgressOut(many=True), **READ_ERRORS})
@api_view(["GET"])
@permission_classes([TokenScopeAllows, Clinician])
def licence_progress(request: Request) -> Response:
    """Hours toward each of the caller's licences in its current cycle (careers.selectors, as the plan page)."""
    progress = careers_selectors.licence_progress_for_user(user_id=_user(request).pk)
    return Response(serializers.LicenceProgressOut(progress, many=True).data)


@extend_schema(responses={(200, JSON): serializers.PlanOut, **READ_ERRORS})
@api_view(["GET"])
@permission_classes([TokenScopeAllows, Clinician])
def plan(request: Request) -> Response:
    """The caller's 12-month plan: planned and enrolled programs against review and renewals (as the plan page)."""
    user = _user(request)
    plan = careers_selectors.plan_for_user(user=user, entries=careers_selectors.shortlist_for_user(user=user))
    proposed = supervision_selectors.accepted_proposal_program_ids(user=user)
    items = [
        {
            "entry_id": item.entry.pk,
            "program_id": item.entry.program_id,
            "title": item.entry.program.title,
            "status": item.entry.status,
            "start_date": item.start,
            "end_date": item.end,
            "in_window": item.in_window,
            "counted": item.counted,
            "fee_amount": item.entry.program.fee_amount,
            "leave_days": item.entry.program.leave_days,
            "proposed_by_supervisor": item.entry.program_id in proposed,
        }
        for item in plan.items
    ]
    dates = [{"kind": date.kind, "day": date.day, "licence_name": date.licence_name} for date in plan.dates]
    return Response(
        serializers.PlanOut(
            {
                "window_start": plan.window_start,
                "window_end": plan.window_end,
                "items": items,
                "dates": dates,
                "fee_total": plan.fee_total,
                "unknown_fee_titles": plan.unknown_fee_titles,
                "leave_total": plan.leave_total,
            }
        ).data
    )


# --- A supervisor's team ---------------------------------------------------------------------


@extend_schema(responses={(200, JSON): serializers.TeamFiguresOut, **READ_ERRORS})
@api_view(["GET"])
@permission_classes([TokenScopeAllows, Supervisor])
def team_figures(request: Request, team_id: int) -> Response:
    """A supervised team's figures by profession, small groups suppressed exactly as on the equity page.

    A team the caller does not supervise is 404 (accounts.access.supervised_team_or_404).
    """
    team = supervised_team_or_404(_user(request), team_id)
    report = equity.equity_report(supervision_selectors.team_member_figures(team=team))
    return Response(
        serializers.TeamFiguresOut(
            {
                "team_id": team.pk,
                "team": team.name,
                "min_group_size": equity.MIN_GROUP_SIZE,
                "professions": report.professions,
            }
        ).data
    )


# --- The clinician's funding and leave requests -------------------------------------------------

FUNDING_REQUESTS_PER_PAGE = 20
COST_FIELDS = ("registration", "travel", "lodging", "other", "other_description")


def _request_form_data(valid: dict[str, Any]) -> QueryDict:
    """The API body as the request page would post it, so FundingRequestForm reads exactly what it reads there."""
    query = QueryDict(mutable=True)
    for name, value in {**valid.get("costs", {}), **valid}.items():
        if name in (*COST_FIELDS, "amount", "leave_days", "travel_days", "justification") and value is not None:
            query[name] = str(value)
    return query


def _request_api_field(form_field: str) -> str:
    """The form's field name as the API names it ("registration" is "costs.registration")."""
    return f"costs.{form_field}" if form_field in COST_FIELDS else form_field


def _request_form_errors(by_field: Mapping[str, Iterable[Any]]) -> dict[str, list[str]]:
    """A form's or a service's messages by field, with the API's field names ("__all__" for the whole request)."""
    return {_request_api_field(name): [str(message) for message in messages] for name, messages in by_field.items()}


@extend_schema(
    methods=["GET"],
    operation_id="funding_requests_list",
    parameters=[
        OpenApiParameter(
            "page",
            {"type": "integer", "minimum": 1, "maximum": 1_000_000},
            required=False,
            description=f"Page number, from 1 ({FUNDING_REQUESTS_PER_PAGE} a page).",
        )
    ],
    responses={(200, JSON): serializers.FundingRequestPageOut, **problems(400), **READ_ERRORS},
)
@extend_schema(
    methods=["POST"],
    operation_id="funding_requests_create",
    request=serializers.FundingRequestIn,
    responses={(201, JSON): serializers.FundingRequestCreatedOut, **problems(409), **WRITE_ERRORS},
)
@api_view(["GET", "POST"])
@permission_classes([TokenScopeAllows, Clinician])
def funding_requests(request: Request) -> Response:
    """GET: the caller's funding and leave requests, newest first (the "My requests" page's order), paged.

    POST: ask the supervisor for money and/or paid leave for one program, as the request page does:
    the page's FundingRequestForm checks the figures (supervision.rules) and
    supervision.services.funding_request_create writes the request in one transaction. A refusal
    (bad figures, no reason, no team, over an allowance the policy refuses) is a 400 naming the
    field and writes nothing; a second pending request for the same program is a 409.
    """
    user = _user(request)
    if request.method == "POST":
        return _funding_request_create(request, user)
    number = _page_number(request)
    paginator = Paginator(
        supervision_selectors.funding_requests_for_requester(user=user).prefetch_related("cost_items"),
        FUNDING_REQUESTS_PER_PAGE,
    )
    if number > max(paginator.num_pages, 1):
        raise Http404("No such page")
    page = paginator.page(number)
    query = request.query_params.copy()

    def link(to: int) -> str:
        query["page"] = str(to)
        return f"{request.path}?{query.urlencode()}"

    return Response(
        {
            "count": paginator.count,
            "page": page.number,
            "pages": paginator.num_pages,
            "next": link(page.next_page_number()) if page.has_next() else None,
            "previous": link(page.previous_page_number()) if page.has_previous() else None,
            "results": serializers.FundingRequestOut(list(page.object_list), many=True).data,
        }
    )


def _funding_request_create(request: Request, user: User) -> Response:
    data = serializers.FundingRequestIn(data=request.data)
    data.is_valid(raise_exception=True)
    valid = data.validated_data
    try:
        program = supervision_selectors.program_for_request(user=user, program_id=valid["program_id"])
    except Program.DoesNotExist:
        raise ValidationError({"program_id": ["No program in the catalog has this id."]}) from None
    except supervision_selectors.ProgramNotRequestable as refusal:
        raise ValidationError({"program_id": [str(refusal)]}) from None
    pending = supervision_selectors.pending_request_for_program(user=user, program_id=program.pk)
    if pending is not None:  # as the page: the form is not taken while one is pending
        return problem_response(
            409, supervision_rules.pending_duplicate_problem(request_id=pending.pk, asked_on=pending.asked_on)
        )
    form = FundingRequestForm(_request_form_data(valid), terms=supervision_selectors.program_terms(program))
    if not form.is_valid():
        raise ValidationError(_request_form_errors(form.errors))
    try:
        created, warning = supervision_services.funding_request_create(
            requester=user, program=program, **form.request_fields()
        )
    except DjangoValidationError as refusal:
        pending = supervision_selectors.pending_request_for_program(user=user, program_id=program.pk)
        if pending is not None:  # a submit at the same moment landed first (the service's lock and constraint)
            return problem_response(
                409, supervision_rules.pending_duplicate_problem(request_id=pending.pk, asked_on=pending.asked_on)
            )
        by_field = refusal.message_dict if hasattr(refusal, "error_dict") else {"__all__": refusal.messages}
        raise ValidationError(_request_form_errors(by_field)) from None
    created = (
        supervision_selectors.funding_requests_for_requester(user=user)
        .prefetch_related("cost_items")
        .get(pk=created.pk)
    )
    ledger = ledger_for(user=user, program=program)
    return Response(
        serializers.FundingRequestCreatedOut(
            {
                "request": created,
                "warning": warning,
                "ledger": {
                    "year_start": ledger.year_start,
                    "year_last_day": ledger.year_last_day,
                    "money_left": ledger.money_left,
                    "leave_left": ledger.leave_left,
                    "employer_money_left": ledger.employer_money_left,
                    "employer_leave_left": ledger.employer_leave_left,
                },
            }
        ).data,
        status=201,
    )


@extend_schema(operation_id="funding_request", responses={(200, JSON): serializers.FundingRequestOut, **READ_ERRORS})
@api_view(["GET"])
@permission_classes([TokenScopeAllows, ClinicianOrSupervisor])
def funding_request(request: Request, request_id: int) -> Response:
    """One funding request, for its requester and the supervisors of their team (as its page); 404 for anyone else."""
    found = supervision_selectors.funding_request_for_viewer(viewer=_user(request), request_id=request_id)
    if found is None:
        raise Http404("No such request")
    return Response(serializers.FundingRequestOut(found).data)
