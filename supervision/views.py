"""Supervision pages. Supervisors see only their own teams (404 otherwise); clinicians only their own requests.

Who may open each page is decided by its decorator from accounts.access (wrong role: 403).
The invitation page is public: its secret token is the only key.
"""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.backends.utils import csrf_input
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import (
    AuthenticatedHttpRequest,
    clinician_or_supervisor_required,
    clinician_required,
    curator_required,
    public,
    supervised_team_or_404,
    supervisor_required,
)
from accounts.models import Team, User
from accounts.submissions import submitted_once
from careers.models import ClinicianProfile
from cme_portal.confirmation import confirmation_page
from cme_portal.downloads import stored_file_response
from cme_portal.htmx import live_status, page_or_partial, vary_on_htmx, wants_partial
from cme_portal.redirects import allowed_choice
from cme_portal.storage import FILE_NOT_STORED_MESSAGE, FileNotStored
from programs.models import Program

from . import disclosure, equity, presenters, reminders, rules, selectors, services
from .exports import dashboard_csv_lines
from .forms import (
    DashboardFilterForm,
    DecisionForm,
    EnrolFilterForm,
    FundingRequestForm,
    InvitationSignUpForm,
    InviteForm,
    PolicyForm,
    PracticeFollowUpForm,
    ProfessionDecisionForm,
    ProposalAnswerForm,
    ProposalForm,
    ReminderPreferencesForm,
    RequestProgramForm,
    WithdrawForm,
)
from .ledger import ledger_for, ledgers_by_year
from .models import (
    APPROVED_STATUSES,
    EmployerCmePolicy,
    EnrolmentProposal,
    FundingRequest,
    ReminderKind,
    RequestStatus,
)


def _message_from(error: ValidationError) -> str:
    return " ".join(error.messages)


# --- Supervisor pages -------------------------------------------------------


@require_GET
@supervisor_required
def team_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Send a supervisor to their (first) team's dashboard."""
    teams = list(selectors.teams_supervised_by(supervisor=request.user))
    if len(teams) == 1:
        return redirect("supervision:dashboard", team_id=teams[0].pk)
    return render(request, "supervision/team_home.html", {"teams": teams})


@require_GET
@supervisor_required
def dashboard(request: AuthenticatedHttpRequest, team_id: int) -> HttpResponse:
    """The team's CME access: participation, credits against licences, at-risk, allowances, pending requests."""
    team = supervised_team_or_404(request.user, team_id)
    template = page_or_partial(request, "supervision/dashboard.html", "members")
    context = _dashboard_context(request, team, members_only=wants_partial(request))
    return vary_on_htmx(render(request, template, context))


def _dashboard_context(
    request: AuthenticatedHttpRequest,
    team: Team,
    *,
    quick_decision: tuple[int, DecisionForm] | None = None,
    members_only: bool = False,
) -> dict[str, Any]:
    """The dashboard's context; `quick_decision`: a pending request's quick approval sent back with its errors;
    `members_only`: for the members partial alone (htmx), without what only the rest of the page shows."""
    form = DashboardFilterForm(request.GET)
    filters = form.filters()
    # The whole page lists the pending requests, and counts them per member from that list; the partial only counts.
    pending = None if members_only else selectors.pending_requests_for_dashboard(team=team)
    member_rows = selectors.team_member_rows(team=team, pending=pending)
    view = selectors.dashboard_view(member_rows, **filters)
    params = request.GET.copy()
    params.pop("sort", None)
    params.pop("order", None)
    dashboard_url = reverse("supervision:dashboard", args=[team.pk])
    professions_url = reverse("supervision:professions", args=[team.pk])
    context = {
        "team": team,
        "form": form,
        "filters": filters,
        "rows": view.rows,
        "member_rows": presenters.member_rows_html(
            presenters.member_lines(view.rows, remove_url=presenters.url_for_ids("supervision:member_remove", team.pk)),
            professions_url=professions_url,
            dashboard_here=f"{dashboard_url}?{request.GET.urlencode()}" if request.GET else dashboard_url,
            refused=view.refused,
        ),
        "dashboard_url": dashboard_url,
        "professions_url": professions_url,
        "refused": view.refused,
        "member_count": len(view.all_rows),
        "sorts": selectors.DASHBOARD_SORTS,
        "query_without_sort": params.urlencode(),
        "live_status": live_status(
            request,
            presenters.members_status(
                shown=len(view.rows),
                total=len(view.all_rows),
                sort_label=selectors.DASHBOARD_SORTS[filters["sort"]],
                descending=filters["descending"],
                refused=view.refused,
            ),
        ),
    }
    if pending is None:  # members_only
        return context
    pending_lines = presenters.pending_lines(pending, viewer_id=request.user.pk)
    return context | {
        "filter_fields_key": presenters.filter_fields_cache_key(form),
        "at_risk_count": sum(1 for row in view.all_rows if row.at_risk),
        "professions_waiting": sum(1 for row in view.all_rows if row.profession_waiting),
        "pending": pending_lines,
        # Called by the template as it renders (a callable): a row sent back with errors renders _field_errors.html.
        "pending_rows": functools.partial(
            presenters.pending_rows_html,
            pending_lines,
            csrf_input=csrf_input(request),  # once for all rows' forms, not a {% csrf_token %} per row
            quick_decision_for=quick_decision[0] if quick_decision else None,
            quick_decision_form=quick_decision[1] if quick_decision else None,
        ),
        "invitations": list(selectors.open_invitations_for_team(team=team)),
        "enrolment": presenters.enrolment_rows(selectors.team_enrolment_counts(team=team, rows=member_rows)),
        "groups_not_shown_text": disclosure.GROUPS_NOT_SHOWN_TEXT,
        "quick_decision_form": quick_decision[1] if quick_decision else None,
    }


@require_GET
@supervisor_required
def dashboard_csv(request: AuthenticatedHttpRequest, team_id: int) -> HttpResponse:
    """The dashboard figures as CSV; cells that a spreadsheet would run as formulas are neutralized.

    Disclosed as the dashboard is; a refused profession filter is a 400 with the reason, and no file.
    """
    team = supervised_team_or_404(request.user, team_id)
    form = DashboardFilterForm(request.GET)
    view = selectors.dashboard_view(selectors.team_member_rows(team=team), **form.filters())
    if view.refused:
        return HttpResponse(view.refused, status=400, content_type="text/plain; charset=utf-8")
    rows = view.rows
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="team-{team.pk}-cme-{stamp}.csv"'
    for line in dashboard_csv_lines(rows):
        response.write(line)
    return response


@require_GET
@supervisor_required
def equity_view(request: AuthenticatedHttpRequest, team_id: int) -> HttpResponse:
    """Access to CME by profession, with the four-fifths flag and small groups suppressed."""
    team = supervised_team_or_404(request.user, team_id)
    rows = selectors.team_member_access(team=team)
    report = equity.equity_report(selectors.team_member_figures(team=team, rows=rows))
    page = presenters.equity_page(report)
    context = {
        "team": team,
        "report": report,
        "charts": page.charts,
        "table": page.table,
        "metrics": equity.COMPARED_METRICS,
        "min_group": equity.MIN_GROUP_SIZE,
        "groups_not_shown_text": disclosure.GROUPS_NOT_SHOWN_TEXT,
        "bar_height": presenters.BAR_HEIGHT,
        "enrolment": presenters.enrolment_rows(selectors.team_enrolment_counts(team=team, rows=rows)),
    }
    return render(request, "supervision/equity.html", context)


@require_http_methods(["GET", "POST"])
@supervisor_required
@submitted_once()
def invite(request: AuthenticatedHttpRequest, team_id: int) -> HttpResponse:
    """Invite a clinician by email: a single-use link valid for 7 days."""
    team = supervised_team_or_404(request.user, team_id)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.invitation_create(
                team=team,
                email=form.cleaned_data["email"],
                invited_by=request.user,
                accept_url_base=settings.SITE_URL,
            )
        except ValidationError as error:
            form.add_error("email", _message_from(error))
        else:
            messages.success(
                request, f"Invitation sent to {form.cleaned_data['email']}. The link works once, for 7 days."
            )
            return redirect("supervision:dashboard", team_id=team.pk)
    return render(request, "supervision/invite.html", {"team": team, "form": form})


@require_http_methods(["GET", "POST"])
@supervisor_required
def member_remove(request: AuthenticatedHttpRequest, team_id: int, user_id: int) -> HttpResponse:
    """GET asks first, saying what changes; POST ends the membership (kept as history)."""
    team = supervised_team_or_404(request.user, team_id)
    member = selectors.team_member_for_supervisor(team=team, user_id=user_id)
    if member is None:
        raise Http404
    if request.method == "GET":
        pending = selectors.pending_request_count_of_member(team=team, user=member)
        confirmation = presenters.member_removal(
            team=team,
            member=member,
            pending_requests=pending,
            open_proposals=selectors.open_proposal_count_of_member(team=team, user=member),
        )
        return confirmation_page(request, confirmation, cancel_to=reverse("supervision:dashboard", args=[team.pk]))
    services.member_remove(team=team, user=member, removed_by=request.user)
    messages.success(request, f"{member} is no longer a member of {team.name}. Their history is kept.")
    return redirect("supervision:dashboard", team_id=team.pk)


@require_GET
@supervisor_required
def professions(request: AuthenticatedHttpRequest, team_id: int) -> HttpResponse:
    """Professions the team's members stated that wait for confirmation (policy and equity follow the confirmed)."""
    team = supervised_team_or_404(request.user, team_id)
    waiting = list(selectors.profession_changes_waiting(team=team))
    return render(request, "supervision/professions.html", {"team": team, "waiting": waiting})


@require_POST
@supervisor_required
def profession_decide(request: AuthenticatedHttpRequest, team_id: int, user_id: int) -> HttpResponse:
    """Confirm or decline one member's stated profession."""
    team = supervised_team_or_404(request.user, team_id)
    _profession_decide(request, team=team, user_id=user_id)
    return redirect("supervision:professions", team_id=team.pk)


@require_GET
@curator_required
def professions_all(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every stated profession waiting for confirmation, for the CME office (curators)."""
    waiting = list(selectors.profession_changes_waiting())
    return render(request, "supervision/professions.html", {"team": None, "waiting": waiting})


@require_POST
@curator_required
def profession_decide_any(request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
    """A curator confirms or declines anyone's stated profession."""
    _profession_decide(request, team=None, user_id=user_id)
    return redirect("supervision:professions_all")


def _profession_decide(request: AuthenticatedHttpRequest, *, team: Team | None, user_id: int) -> None:
    """Read the decision form and record it; 404 when the clinician is not the reviewer's to decide."""
    form = ProfessionDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose Confirm or Decline for a profession shown on this page.")
        return
    confirm = form.cleaned_data["decision"] == "confirm"
    profession = form.cleaned_data["profession"]
    try:
        if confirm:
            profile = services.profession_confirm(
                team=team, clinician_id=user_id, profession=profession, confirmed_by=request.user
            )
        else:
            profile = services.profession_decline(
                team=team, clinician_id=user_id, profession=profession, declined_by=request.user
            )
    except ClinicianProfile.DoesNotExist:
        raise Http404 from None
    except (PermissionDenied, services.ProfessionNotPending) as error:
        messages.error(request, str(error))
        return
    done = "confirmed" if confirm else "declined"
    messages.success(request, f"{profile.get_profession_display()} {done} for {profile.user}.")


@require_GET
@supervisor_required
def policies(request: AuthenticatedHttpRequest, team_id: int) -> HttpResponse:
    """The written employer policies that apply in this team (team policies override the organization's)."""
    team = supervised_team_or_404(request.user, team_id)
    return render(
        request, "supervision/policies.html", {"team": team, "policies": selectors.policies_for_team(team=team)}
    )


@require_http_methods(["GET", "POST"])
@supervisor_required
def policy_edit(request: AuthenticatedHttpRequest, team_id: int, policy_id: int | None = None) -> HttpResponse:
    """Record (or correct) the team's written policy for one profession."""
    team = supervised_team_or_404(request.user, team_id)
    instance = None
    if policy_id is not None:
        instance = EmployerCmePolicy.objects.filter(pk=policy_id, team=team).first()
        if instance is None:
            raise Http404
    form = PolicyForm(request.POST or None, request.FILES or None, instance=instance)
    status = 200
    if request.method == "POST" and form.is_valid():
        policy = form.save(commit=False)
        policy.team = team
        policy.organization = None
        try:
            services.policy_save(policy=policy, confirmed_by=request.user)
        except ValidationError as error:
            form.add_error(None, _message_from(error))
        except FileNotStored:
            form.add_error("source_document", FILE_NOT_STORED_MESSAGE)
            status = 503
        else:
            messages.success(request, f"{policy.get_profession_display()} policy saved.")
            return redirect("supervision:policies", team_id=team.pk)
    context = {"team": team, "form": form, "policy": instance}
    return render(request, "supervision/policy_form.html", context, status=status)


@require_GET
@clinician_or_supervisor_required
def policy_document(request: AuthenticatedHttpRequest, policy_id: int) -> HttpResponseBase:
    """The uploaded policy document, from private storage, to people the policy concerns."""
    policy = selectors.policy_document_for_viewer(viewer=request.user, policy_id=policy_id)
    if policy is None or not policy.source_document:
        raise Http404
    return stored_file_response(
        request,
        policy.source_document,
        filename=policy.source_document.name.split("/")[-1],
        missing="The policy document's file is missing from storage. Ask your supervisor to upload it again.",
    )


# --- Requests ---------------------------------------------------------------


def _request_for_viewer_or_404(request: AuthenticatedHttpRequest, request_id: int) -> FundingRequest:
    """The request when the signed-in user made it or supervises the requester's team; 404 otherwise."""
    funding_request = selectors.funding_request_for_viewer(viewer=request.user, request_id=request_id)
    if funding_request is None:
        raise Http404
    return funding_request


@require_GET
@clinician_or_supervisor_required
def request_detail(request: AuthenticatedHttpRequest, request_id: int) -> HttpResponse:
    """A request with what the clinician saw, its decisions, and (for the supervisor) the decision form."""
    return _request_detail_page(request, _request_for_viewer_or_404(request, request_id))


def _request_detail_page(
    request: AuthenticatedHttpRequest,
    funding_request: FundingRequest,
    *,
    decision_form: DecisionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    is_requester = funding_request.requester_id == request.user.pk
    may_decide = funding_request.is_pending and not is_requester
    # While pending: the ledger without this request, and what approving it in full would leave.
    ledger = ledger_for(
        user=funding_request.requester,
        program=funding_request.program,
        excluding_request_id=funding_request.pk if funding_request.is_pending else None,
    )
    context = {
        "req": funding_request,
        "snapshot": funding_request.snapshot,
        "snapshot_evidence": presenters.snapshot_outcome_evidence(funding_request.snapshot.get("outcome_evidence", [])),
        "decisions": list(funding_request.decisions.select_related("decided_by")),
        "is_requester": is_requester,
        "may_decide": may_decide,
        "decision_form": (decision_form or DecisionForm()) if may_decide else None,
        "withdraw_form": WithdrawForm() if is_requester and funding_request.is_pending else None,
        "ledger": ledger,
        "approving_leaves": (
            presenters.ledger_after_text(
                ledger, amount=funding_request.amount_requested, leave_days=funding_request.leave_days_requested
            )
            if funding_request.is_pending
            else ""
        ),
        "facts": presenters.program_fact_lines(
            funding_request.snapshot.get("program", {}), selectors.program_facts(funding_request.program)
        ),
        "cost_items": list(funding_request.cost_items.all()),
    }
    return render(request, "supervision/request_detail.html", context, status=status)


@require_POST
@supervisor_required
def request_decide(request: AuthenticatedHttpRequest, request_id: int) -> HttpResponse:
    """Approve in full, in part, or decline, always with a reason.

    A decision the form or the policy refuses comes back on the page it was made on (the request,
    or the dashboard's quick approval), as typed, with its errors (400).
    """
    funding_request = _request_for_viewer_or_404(request, request_id)
    from_dashboard = _decided_on_dashboard(request)
    auto_id = presenters.quick_decision_auto_id(funding_request.pk) if from_dashboard else "id_%s"
    form = DecisionForm(request.POST, auto_id=auto_id)
    if form.is_valid():
        try:
            decided, warning = services.funding_request_decide(
                request_id=funding_request.pk,
                supervisor=request.user,
                outcome=form.cleaned_data["outcome"],
                reason=form.cleaned_data["reason"],
                amount=form.cleaned_data.get("amount"),
                leave_days=form.cleaned_data.get("leave_days"),
            )
        except services.RequestAlreadyDecided as error:
            messages.error(request, str(error))
        except PermissionDenied as error:
            messages.error(request, str(error) or "You cannot decide this request.")
        except ValidationError as error:
            form.add_error(None, _message_from(error))
        except FundingRequest.DoesNotExist:
            raise Http404 from None
        else:
            if warning:
                messages.warning(request, warning)
            messages.success(
                request, f"Request {decided.get_status_display().lower()}. {decided.requester} can see the decision."
            )
        if not form.errors:
            return redirect(_decision_return_url(funding_request, dashboard=from_dashboard))
    if from_dashboard:
        team = supervised_team_or_404(request.user, funding_request.team_id)
        context = _dashboard_context(request, team, quick_decision=(funding_request.pk, form))
        return render(request, "supervision/dashboard.html", context, status=400)
    return _request_detail_page(request, funding_request, decision_form=form, status=400)


def _decided_on_dashboard(request: HttpRequest) -> bool:
    where = allowed_choice(request.POST.get("return_to"), allowed=("dashboard", "detail"), default="detail")
    return where == "dashboard"


def _decision_return_url(funding_request: FundingRequest, *, dashboard: bool) -> str:
    if dashboard:
        return reverse("supervision:dashboard", kwargs={"team_id": funding_request.team_id})
    return reverse("supervision:request_detail", kwargs={"request_id": funding_request.pk})


@require_POST
@clinician_required
def request_withdraw(request: AuthenticatedHttpRequest, request_id: int) -> HttpResponse:
    """The requester withdraws a pending request."""
    form = WithdrawForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.funding_request_withdraw(request_id=request_id, requester=request.user, reason=reason)
    except FundingRequest.DoesNotExist:
        raise Http404 from None
    except services.RequestAlreadyDecided as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Request withdrawn.")
    return redirect("supervision:request_detail", request_id=request_id)


@require_GET
@clinician_required
def my_requests(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The clinician's own funding and leave requests, with their allowance."""
    requests = list(selectors.funding_requests_for_requester(user=request.user))
    open_days = {r.costs_on for r in requests if r.status in (RequestStatus.PENDING, *APPROVED_STATUSES)}
    context = {"requests": requests, "ledgers": ledgers_by_year(user=request.user, days=open_days)}
    return render(request, "supervision/my_requests.html", context)


@require_http_methods(["GET", "POST"])
@clinician_required
def request_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Ask for funding and/or paid leave for one program (?program=), prefilled from its listing.

    Opened from the program's card, page, the shortlist or compare. Without ?program= the
    page lets the clinician choose one of their shortlisted programs first (a GET form, so
    it works without JavaScript). An id that is not a number, or a program the clinician
    may not see, is 404; a past or unpublished program on their record gets the reason.
    """
    template = "supervision/request_form.html"
    if "program" not in request.GET:
        shortlist = list(selectors.shortlist_for_request(user=request.user))
        return render(request, template, {"choose_from": shortlist})
    choice = RequestProgramForm(request.GET)
    if not choice.is_valid():
        raise Http404("No such program")
    try:
        program = selectors.program_for_request(user=request.user, program_id=choice.cleaned_data["program"])
    except Program.DoesNotExist:
        raise Http404("No such program") from None
    except selectors.ProgramNotRequestable as error:
        return render(request, template, {"program": error.program, "not_requestable": str(error)})
    pending = selectors.pending_request_for_program(user=request.user, program_id=program.pk)
    form = FundingRequestForm(
        request.POST or None, terms=selectors.program_terms(program), initial=selectors.request_prefill(program)
    )
    if request.method == "POST" and pending is None and form.is_valid():
        try:
            created, warning = services.funding_request_create(
                requester=request.user, program=program, **form.request_fields()
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if warning:
                messages.warning(request, warning)
            messages.success(request, "Request sent to your supervisor.")
            return redirect("supervision:request_detail", request_id=created.pk)
    context = {
        "program": program,
        "facts": presenters.program_fact_lines(selectors.program_facts(program)),
        "terms": selectors.program_terms(program),
        "max_travel_days": rules.MAX_TRAVEL_DAYS,
        "form": form,
        "pending": pending,
        "pending_message": (
            rules.pending_duplicate_problem(request_id=pending.pk, asked_on=pending.asked_on) if pending else ""
        ),
        "ledger": ledger_for(user=request.user, program=program),
    }
    return render(request, template, context)


@require_GET
@clinician_required
def my_policy(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The employer policy that applies to the clinician and what is left of it this policy year."""
    ledger = ledger_for(user=request.user)
    return render(request, "supervision/my_policy.html", {"ledger": ledger, "allowance": ledger.allowance})


# --- Reminders --------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@clinician_or_supervisor_required
def reminder_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The user's reminders, and which kinds they want."""
    current = selectors.reminder_preferences_for_user(user=request.user)
    kinds = _reminder_kinds_for(request.user)
    form = ReminderPreferencesForm(request.POST or None, kinds=kinds, initial_values=current)
    if request.method == "POST" and form.is_valid():
        for kind in kinds:
            reminders.reminder_preference_set(user=request.user, kind=kind, enabled=form.cleaned_data[kind])
        messages.success(request, "Reminder choices saved.")
        return redirect("supervision:reminders")
    notifications = list(selectors.reminders_for_user(user=request.user)[:100])
    context = {
        "reminders": notifications,
        "unread": sum(1 for reminder in notifications if reminder.read_at is None),
        "form": form,
    }
    return render(request, "supervision/reminders.html", context)


@require_POST
@clinician_or_supervisor_required
def notification_read(request: AuthenticatedHttpRequest, reminder_id: int) -> HttpResponse:
    """Mark one of the user's notifications read; another person's is a 404."""
    if not reminders.notification_mark_read(user=request.user, reminder_id=reminder_id):
        raise Http404
    messages.success(request, "Marked as read.")
    return redirect("supervision:reminders")


@require_POST
@clinician_or_supervisor_required
def notifications_read_all(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Mark all of the user's notifications read."""
    count = reminders.notifications_mark_all_read(user=request.user)
    messages.success(request, f"{count} notification(s) marked as read." if count else "Nothing was unread.")
    return redirect("supervision:reminders")


@require_http_methods(["GET", "POST"])
@clinician_required
@submitted_once()
def follow_up(request: AuthenticatedHttpRequest, entry_id: int, months: int) -> HttpResponse:
    """Answer "what changed in your practice" for one completed program, once; then start a project."""
    found = selectors.follow_up_for_user(user=request.user, entry_id=entry_id, months=months)
    if found is None:
        raise Http404
    entry, reminder = found
    answer = getattr(reminder, "practice_follow_up", None)
    form = PracticeFollowUpForm(request.POST or None) if answer is None else None
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            reminders.practice_follow_up_answer(
                reminder=reminder, entry=entry, months=months, changed=form.cleaned_data["changed"]
            )
        except reminders.FollowUpAlreadyAnswered:
            messages.info(request, "This follow-up was already answered.")
        else:
            messages.success(request, "Thank you: your answer is saved. It can start an outcome project.")
        return redirect("supervision:follow_up", entry_id=entry.pk, months=months)
    if request.method == "POST" and answer is not None:
        messages.info(request, "This follow-up was already answered.")
        return redirect("supervision:follow_up", entry_id=entry.pk, months=months)
    context = {"entry": entry, "months": months, "reminder": reminder, "answer": answer, "form": form}
    return render(request, "supervision/follow_up.html", context)


def _reminder_kinds_for(user: User) -> list[str]:
    kinds = []
    if user.is_clinician:
        kinds += [ReminderKind.RENEWAL_90, ReminderKind.RENEWAL_30, ReminderKind.REVIEW_60]
    if user.is_supervisor:
        kinds.append(ReminderKind.SUPERVISOR_DIGEST)
    return [str(kind) for kind in kinds]


# --- Invitations ------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@public
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Accept an invitation: join as the signed-in clinician, or create an account with a password."""
    invitation = services.invitation_for_token(token=token)
    if invitation is None:
        raise Http404
    if not services.invitation_usable(invitation):
        return render(request, "supervision/invitation.html", {"invitation": invitation, "unusable": True}, status=410)
    existing = User.objects.filter(email__iexact=invitation.email).exists()
    signup_form = None
    if request.user.is_authenticated:
        if request.method == "POST":
            try:
                services.invitation_accept(token=token, user=request.user)
            except services.InvitationUnusable as error:
                messages.error(request, str(error))
            except PermissionDenied as error:
                messages.error(request, str(error))
            else:
                messages.success(request, f"You joined {invitation.team.name}.")
                return redirect("home")
            return redirect("supervision:invitation", token=token)
    elif not existing:
        signup_form = InvitationSignUpForm(request.POST or None, email=invitation.email)
        if request.method == "POST" and signup_form.is_valid():
            try:
                user = services.invitation_accept(
                    token=token,
                    new_account=services.NewAccount(
                        full_name=signup_form.cleaned_data["full_name"],
                        password=signup_form.cleaned_data["password1"],
                        profession=signup_form.cleaned_data["profession"],
                        email=signup_form.cleaned_data["invited_email"],
                    ),
                ).user
            except services.InvitationEmailMismatch as error:
                if not error.attempts_left:
                    messages.error(request, str(error))
                    return redirect("supervision:invitation", token=token)
                signup_form.add_error("invited_email", str(error))
            except (services.InvitationUnusable, ValidationError) as error:
                messages.error(
                    request, str(error) if isinstance(error, services.InvitationUnusable) else _message_from(error)
                )
                return redirect("supervision:invitation", token=token)
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, f"Welcome. You joined {invitation.team.name}.")
                return redirect("home")
    context = {
        "invitation": invitation,
        "unusable": False,
        "existing": existing,
        "signup_form": signup_form,
        "email_matches": request.user.is_authenticated and request.user.email.lower() == invitation.email.lower(),
        "login_url": f"{reverse('login')}?next={reverse('supervision:invitation', kwargs={'token': token})}",
    }
    return render(request, "supervision/invitation.html", context)


# --- Team enrolment in an interprofessional activity -------------------------


def _errors_onto(form: forms.Form, error: ValidationError) -> None:
    """A service's refusal onto the form: by field where the form has it, else for the form as a whole."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)


@require_http_methods(["GET", "POST"])
@supervisor_required
@submitted_once()
def enrol(request: AuthenticatedHttpRequest, team_id: int) -> HttpResponse:
    """Propose an interprofessional program to members of the team, with funding and leave pre-approved.

    Step one (no ?program=): find a program designed for several professions (a GET search).
    Step two: tick members, filterable by confirmed profession (the dashboard's disclosure and
    filter rule), and say what is pre-approved. An unknown program id is 404; a program not
    designed for several professions gets the reason and no form.
    """
    team = supervised_team_or_404(request.user, team_id)
    source = request.POST if request.method == "POST" else request.GET
    choice = EnrolFilterForm(source)
    values = choice.values()
    if source.get("program") and values["program"] is None:
        raise Http404("No such program")
    context: dict[str, Any] = {
        "team": team,
        "choice": choice,
        "sent": list(selectors.proposals_sent_by_team(team=team)),
    }
    if values["program"] is None:
        context["programs"] = selectors.interprofessional_programs(query=values["q"])
        return render(request, "supervision/enrol.html", context)
    program = selectors.proposable_program(program_id=values["program"])
    if program is None:
        raise Http404("No such program")
    context["program"] = program
    if not program.is_interprofessional_design:
        context["not_interprofessional"] = rules.not_interprofessional_problem(
            title=program.title, professions=len(program.professions)
        )
        return render(request, "supervision/enrol.html", context)
    view = selectors.dashboard_view(selectors.team_member_rows(team=team), profession=values["profession"])
    rows = [row for row in view.rows if row.user_id != request.user.pk]
    form = ProposalForm(
        request.POST or None,
        member_choices=[
            (
                row.user_id,
                presenters.member_choice_label(
                    name=row.name, profession_label=row.profession_label, allowance=row.allowance
                ),
            )
            for row in rows
        ],
    )
    if request.method == "POST" and form.is_valid():
        try:
            proposals, warnings = services.proposals_create(
                team=team,
                program=program,
                member_ids=form.cleaned_data["members"],
                proposed_by=request.user,
                amount=form.cleaned_data["amount"] or Decimal("0"),
                leave_days=form.cleaned_data["leave_days"] or Decimal("0"),
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            _errors_onto(form, error)
        else:
            for warning in warnings:
                messages.warning(request, warning)
            messages.success(request, presenters.proposals_sent_text(program_title=program.title, count=len(proposals)))
            return redirect("supervision:enrol", team_id=team.pk)
    context.update(
        {
            "form": form,
            "refused": view.refused,
            "filter_profession": values["profession"],
        }
    )
    return render(request, "supervision/enrol.html", context)


@require_http_methods(["GET", "POST"])
@clinician_required
def proposal_detail(request: AuthenticatedHttpRequest, proposal_id: int) -> HttpResponse:
    """A member's proposal from their supervisor: accept it (it joins the plan) or decline it with a reason."""
    proposal = selectors.proposal_for_member(user=request.user, proposal_id=proposal_id)
    if proposal is None:
        raise Http404("No such proposal")
    form = ProposalAnswerForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            if form.cleaned_data["decision"] == "accept":
                services.proposal_accept(proposal_id=proposal.pk, member=request.user)
                messages.success(request, f"“{proposal.program.title}” is now planned on your shortlist.")
            else:
                services.proposal_decline(
                    proposal_id=proposal.pk, member=request.user, reason=form.cleaned_data["reason"]
                )
                messages.success(request, f"You declined “{proposal.program.title}”; your supervisor sees why.")
        except services.ProposalAlreadyDecided as error:
            form.add_error(None, str(error))
            status = 409
        except ValidationError as error:
            _errors_onto(form, error)
        except EnrolmentProposal.DoesNotExist:
            raise Http404("No such proposal") from None
        else:
            return redirect("careers:plan")
    context = {
        "proposal": proposal,
        "form": form,
        "declining": form.is_bound and form.data.get("decision") == "decline",
    }
    return render(request, "supervision/proposal_detail.html", context, status=status)
