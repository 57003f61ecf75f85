"""Who may open every URL: one URL x actor x method matrix (in the manner of Zulip's URL coverage).

The rule it checks is written in accounts/access.py (and README, "Access"): not signed in on a
page that needs it -> the sign-in page; the wrong role for the page -> 403; the right role but
another person's object or another team -> 404; public pages (sign-in, password reset, health
checks, secret-token pages) answer everyone.

* ``test_every_url_has_a_row`` walks ``django.urls.get_resolver()`` (namespaces included) and
  fails naming any URL without a row here; ``test_every_row_is_a_url`` catches stale rows.
* ``test_every_view_records_its_access_decision`` fails for a view that carries no decision
  from accounts.access (public, signed in, clinician, ...).
* ``test_access`` requests every URL with GET and with POST as each actor and checks the exact
  outcome (status, and where a 302 goes). Every request also checks the database: a refused
  request (sign-in redirect, 403, 404, 405) and every other request marked as writing nothing
  must leave every table as it was; a request marked ``writes`` must change something, which
  proves the POST body used for the refused actors would really have done something. Every
  response to a signed-in actor, and every download, carries ``Cache-Control: private, no-store``.

One fixture world is built per module (inside a transaction rolled back at the end) and each
test runs in its own savepoint, so the matrix stays fast.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.http import QueryDict
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.access import access_rule_of
from accounts.models import Team, User
from accounts.services import access_token_create
from careers.models import CareerGoal, ClinicianProfile, Licence, ShortlistEntry
from careers.services import calendar_token_regenerate, credit_claim_create, transcript_upload_store
from cme_portal.tokens import token_digest, token_new
from outcomes.models import (
    Measurement,
    OutcomeProject,
    PortfolioShareLink,
    Presentation,
    ProgramOutcomeEvidence,
    ProjectTeamMember,
)
from programs.models import ChangeLogEntry, ImportJob
from programs.ranking.fit import costs_fall_on
from supervision.models import (
    EmployerCmePolicy,
    EnrolmentProposal,
    FundingRequest,
    Invitation,
    Reminder,
    ReminderKind,
    RequestStatus,
)
from supervision.reminders import add_months, follow_up_reminders_send
from tests.factories import (
    TEST_PASSWORD,
    AdminFactory,
    ClinicianFactory,
    ProgramFactory,
    SupervisorFactory,
    TeamFactory,
    TeamMembershipFactory,
    UserFactory,
)
from tests.outcomes.helpers import project_form_data

pytestmark = pytest.mark.django_db

# --- Actors -------------------------------------------------------------------------------

ANON = "anonymous"
OWNER = "owner"  # the clinician (team A) who owns every per-person object below
TEAMMATE = "same_team_clinician"  # another clinician of team A
OUTSIDER = "other_team_clinician"  # a clinician of team B
TEAM_SUPERVISOR = "team_supervisor"  # supervisor of team A
OTHER_SUPERVISOR = "other_team_supervisor"  # supervisor of team B
LONER = "clinician_without_team"
CURATOR = "curator"  # the admin role: imports, exports, review (not the Django admin: operators only)

ACTORS = [ANON, OWNER, TEAMMATE, OUTSIDER, TEAM_SUPERVISOR, OTHER_SUPERVISOR, LONER, CURATOR]
CLINICIANS = [OWNER, TEAMMATE, OUTSIDER, LONER]

# URLs the matrix does not hold, by namespace, with the reason.
EXCLUDED_NAMESPACES = {
    "admin": (
        "the Django admin is for operators (superusers) only, cme_portal/admin_site.py; "
        "tests/accounts/test_admin_operators.py requests every admin page as every role"
    ),
}


# --- Expected outcomes --------------------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    status: int
    # For a 302: where it goes. A path (formatted with the world), a callable of the world, or a regex.
    location: str | Callable[[World], str] | re.Pattern[str] | None = None
    to_login: bool = False
    writes: bool = False

    def describe(self) -> str:
        if self.to_login:
            return "302 to sign-in"
        where = f" to {self.location}" if self.location is not None else ""
        return f"{self.status}{where}{' (writes)' if self.writes else ''}"


OK = Expect(200)
LOGIN = Expect(302, to_login=True)
FORBIDDEN = Expect(403)
NOT_FOUND = Expect(404)
NOT_ALLOWED = Expect(405)


def redirect(to: str | Callable[[World], str] | re.Pattern[str]) -> Expect:
    """A 302 that writes nothing."""
    return Expect(302, location=to)


def saved(to: str | Callable[[World], str] | re.Pattern[str]) -> Expect:
    """A 302 after a successful write."""
    return Expect(302, location=to, writes=True)


Outcomes = dict[str, Expect]


def everyone(expect: Expect) -> Outcomes:
    return dict.fromkeys(ACTORS, expect)


def signed_in(expect: Expect, **overrides: Expect) -> Outcomes:
    """Any signed-in user; anonymous to sign-in."""
    return {**everyone(expect), ANON: LOGIN, **_actor_overrides(overrides)}


def for_clinicians(expect: Expect, **overrides: Expect) -> Outcomes:
    """A clinician's own page: every clinician gets `expect`, other roles 403."""
    outcomes = {ANON: LOGIN, TEAM_SUPERVISOR: FORBIDDEN, OTHER_SUPERVISOR: FORBIDDEN, CURATOR: FORBIDDEN}
    return {**outcomes, **dict.fromkeys(CLINICIANS, expect), **_actor_overrides(overrides)}


def owner_only(expect: Expect) -> Outcomes:
    """The owner's object: other clinicians 404 (never confirm it exists), other roles 403."""
    return for_clinicians(NOT_FOUND, owner=expect)


def for_team_supervisor(expect: Expect) -> Outcomes:
    """Team A's supervisor pages: team B's supervisor 404, clinicians and the curator 403."""
    outcomes = {**everyone(FORBIDDEN), ANON: LOGIN, OTHER_SUPERVISOR: NOT_FOUND}
    return {**outcomes, TEAM_SUPERVISOR: expect}


def for_curator(expect: Expect) -> Outcomes:
    return {**everyone(FORBIDDEN), ANON: LOGIN, CURATOR: expect}


def _actor_overrides(overrides: dict[str, Expect]) -> Outcomes:
    unknown = set(overrides) - set(ACTORS)
    assert not unknown, f"unknown actors {unknown}"
    return overrides


# The JSON API (api/) answers problem JSON, never the sign-in page: anonymous 401, wrong role 403,
# another person's object or team 404, a method the URL lacks 405 (after the sign-in and role checks).
UNAUTHENTICATED = Expect(401)
CREATED = Expect(201, writes=True)
API_BAD_REQUEST = Expect(400)


def api_signed_in(expect: Expect) -> Outcomes:
    return {**everyone(expect), ANON: UNAUTHENTICATED}


def api_for_clinicians(expect: Expect) -> Outcomes:
    return {**for_clinicians(expect), ANON: UNAUTHENTICATED}


def api_for_team_supervisor(expect: Expect, *, other_team: Expect = NOT_FOUND) -> Outcomes:
    return {**for_team_supervisor(expect), ANON: UNAUTHENTICATED, OTHER_SUPERVISOR: other_team}


GET_ONLY = everyone(NOT_ALLOWED)  # require_GET is the outer decorator: refused before the sign-in check
POST_ONLY = everyone(NOT_ALLOWED)


@dataclass(frozen=True)
class Row:
    get: Outcomes
    post: Outcomes
    kwargs: Callable[[World], dict[str, Any]] = lambda w: {}
    query: str = ""
    data: Callable[[World], dict[str, Any]] = lambda w: {}

    def __post_init__(self) -> None:
        for outcomes in (self.get, self.post):
            assert set(outcomes) == set(ACTORS), f"a row needs every actor, missing {set(ACTORS) - set(outcomes)}"


# --- POST bodies that succeed for the allowed actor ------------------------------------------

TODAY = timezone.localdate()


def _goal_data(w: World) -> dict[str, Any]:
    return {
        "track": "education",
        "target_role": "Educator",
        "weight_outcome": 3,
        "weight_independence": 3,
        "weight_interprofessional": 3,
        "weight_career": 3,
    }


def _profile_data(w: World) -> dict[str, Any]:
    return {
        "profession": "physician",
        "yearly_budget_amount": "1000",
        "budget_used_amount": "0",
        "yearly_leave_days": "2",
        "leave_used_days": "0",
    }


def _licence_data(w: World) -> dict[str, Any]:
    return {
        "jurisdiction": "Oregon",
        "licence_type": "MD",
        "renewal_date": (TODAY + datetime.timedelta(days=400)).isoformat(),
        "cycle_months": 24,
        "hours_required": "40",
        "accepted_credit_types": ["ama_pra_1"],
        "topics-TOTAL_FORMS": 1,
        "topics-INITIAL_FORMS": 0,
        "topics-0-topic": "",
        "topics-0-hours": "",
    }


def _claim_data(w: World) -> dict[str, Any]:
    return {
        "title": "Outside course",
        "completed_on": (TODAY - datetime.timedelta(days=10)).isoformat(),
        "amount_ama_pra_1": "4",
    }


TRANSCRIPT_CSV = (
    "Activity title,Provider,Completion date,Credit type,Credits\n"
    "Matrix outside course,Mercy,2026-01-02,AMA PRA Category 1,2\n"
)


def _transcript_upload(w: World) -> dict[str, Any]:
    return {"file": SimpleUploadedFile("transcript.csv", TRANSCRIPT_CSV.encode(), content_type="text/csv")}


def _transcript_confirm(w: World) -> dict[str, Any]:
    columns = {"title": 0, "provider": 1, "completed_on": 2, "credit_type": 3, "amount": 4}
    return {f"confirm-col_{name}": str(index) for name, index in columns.items()}


def _project_data(w: World) -> dict[str, Any]:
    return project_form_data()


def _policy_data(w: World, profession: str) -> dict[str, Any]:
    return {
        "profession": profession,
        "yearly_reimbursement_amount": "1500",
        "paid_leave_days": "2",
        "year_starts_month": "1",
        "confirmed_on": TODAY.isoformat(),
        "over_allowance_rule": "warn",
        "source_url": "https://example.test/policy",
    }


def _import_upload(w: World) -> dict[str, Any]:
    content = (
        "external_id,title,provider_name,format,delivery,start_date,end_date,credits,professions\n"
        "MATRIX-1,Matrix course,Mercy CME,course,live_online,2030-03-01,2030-03-02,ama_pra_1:8,physician\n"
    )
    return {"file": SimpleUploadedFile("feed.csv", content.encode(), content_type="text/csv"), "file_format": "csv"}


def _listing_new(w: World) -> dict[str, Any]:
    return {
        "external_id": "MATRIX-NEW",
        "title": "Matrix new listing",
        "provider_name": "Mercy CME",
        "format": "course",
        "credits": "ama_pra_1:8",
    }


def _listing_edit(w: World) -> dict[str, Any]:
    from programs.curation.forms import ListingForm

    form = ListingForm(program=w.draft)
    return {**{name: form[name].value() or "" for name in form.fields}, "title": "Matrix draft, edited"}


def _evidence_data(w: World) -> dict[str, Any]:
    return {
        "metric": "Matrix measure",
        "moore_level": "5",
        "baseline": "40%",
        "follow_up": "60%",
        "time_window": "12 months",
        "source_url": "https://example.test/matrix-outcomes",
    }


def _evidence(w: World) -> dict[str, Any]:
    return {"evidence_id": w.evidence.pk}


def _team(w: World) -> dict[str, Any]:
    return {"team_id": w.team.pk}


def _project(w: World) -> dict[str, Any]:
    return {"project_id": w.project.pk}


def _at(path: str) -> Callable[[World], str]:
    """A redirect target with world values filled in, e.g. "/team/{team}/"."""
    return lambda w: path.format(**w.placeholders())


NEW_ID = r"\d+"

# --- The matrix ---------------------------------------------------------------------------

MATRIX: dict[str, Row] = {
    # Site
    "home": Row(
        get=signed_in(
            redirect("/programs/"), team_supervisor=redirect("/team/"), other_team_supervisor=redirect("/team/")
        ),
        post=GET_ONLY,
    ),
    "healthz": Row(get=everyone(OK), post=GET_ONLY),
    "readyz": Row(get=everyone(OK), post=GET_ONLY),
    # Accounts (Django's views)
    "login": Row(
        get={**everyone(redirect("/")), ANON: OK},
        post={**everyone(redirect("/")), ANON: OK},  # a wrong password: the form again
        data=lambda w: {"username": w.users[OWNER].email, "password": "not-the-password"},
    ),
    "logout": Row(get=everyone(NOT_ALLOWED), post=everyone(redirect("/accounts/login/"))),
    "password_change": Row(
        get=signed_in(OK),
        post=signed_in(saved("done/")),
        data=lambda w: {
            "old_password": TEST_PASSWORD,
            "new_password1": "matrix-New-pass-phrase-81",
            "new_password2": "matrix-New-pass-phrase-81",
        },
    ),
    # API tokens (accounts.views): any signed-in user's own. A new token is shown on the response,
    # once (only its digest is stored): a 200 that writes.
    "access_tokens": Row(
        get=signed_in(OK),
        post=signed_in(Expect(200, writes=True)),
        data=lambda w: {"name": "Matrix script", "scope": "read"},
    ),
    "access_token_revoke": Row(
        get=signed_in(NOT_FOUND, owner=OK),
        post=signed_in(NOT_FOUND, owner=saved("/accounts/tokens/")),
        kwargs=lambda w: {"token_id": w.access_token.pk},
    ),
    "password_change_done": Row(get=signed_in(OK), post=signed_in(NOT_ALLOWED)),
    "password_reset": Row(
        get=everyone(OK), post=everyone(redirect("done/")), data=lambda w: {"email": w.users[OWNER].email}
    ),
    "password_reset_done": Row(get=everyone(OK), post=everyone(NOT_ALLOWED)),
    "password_reset_confirm": Row(
        get=everyone(redirect(_at("/accounts/password/reset/{reset_uid}/set-password/"))),
        post=everyone(redirect(_at("/accounts/password/reset/{reset_uid}/set-password/"))),
        kwargs=lambda w: {"uidb64": w.reset_uid, "token": w.reset_token},
    ),
    "password_reset_complete": Row(get=everyone(OK), post=everyone(NOT_ALLOWED)),
    # Catalog
    "programs:catalog": Row(get=signed_in(OK), post=GET_ONLY),
    "programs:detail": Row(get=signed_in(OK), post=GET_ONLY, kwargs=lambda w: {"program_id": w.program.pk}),
    "programs:compare": Row(get=signed_in(OK), post=GET_ONLY, query="?ids={program}&ids={other_program}"),
    # Curation
    "programs:curation:imports": Row(get=for_curator(OK), post=GET_ONLY),
    "programs:curation:import_start": Row(
        get=POST_ONLY,
        post=for_curator(saved(re.compile(rf"/programs/curation/imports/{NEW_ID}/"))),
        data=_import_upload,
    ),
    "programs:curation:import_detail": Row(
        get=for_curator(OK), post=GET_ONLY, kwargs=lambda w: {"job_id": w.import_job.pk}
    ),
    "programs:curation:import_errors": Row(
        get=for_curator(OK), post=GET_ONLY, kwargs=lambda w: {"job_id": w.import_job.pk}
    ),
    "programs:curation:export": Row(get=for_curator(OK), post=GET_ONLY, query="?file_format=csv&scope=all"),
    "programs:curation:review": Row(get=for_curator(OK), post=GET_ONLY),
    "programs:curation:review_decide": Row(
        get=POST_ONLY,
        post=for_curator(saved("/programs/curation/review/")),
        data=lambda w: {"approve_one": f"draft:{w.draft.pk}"},
    ),
    "programs:curation:review_decide_import": Row(
        get=POST_ONLY,
        post=for_curator(saved("/programs/curation/review/")),
        kwargs=lambda w: {"job_id": w.import_job.pk},
        data=lambda w: {"decision": "approve"},
    ),
    "programs:curation:listings": Row(get=for_curator(OK), post=GET_ONLY, query="?q=Matrix"),
    "programs:curation:listing_new": Row(
        get=for_curator(OK),
        post=for_curator(saved(re.compile(rf"/programs/curation/listings/{NEW_ID}/history/"))),
        data=_listing_new,
    ),
    "programs:curation:listing_edit": Row(
        get=for_curator(OK),
        post=for_curator(saved(lambda w: f"/programs/curation/listings/{w.draft.pk}/history/")),
        kwargs=lambda w: {"program_id": w.draft.pk},
        data=_listing_edit,
    ),
    "programs:curation:listing_history": Row(
        get=for_curator(OK), post=GET_ONLY, kwargs=lambda w: {"program_id": w.program.pk}
    ),
    # Careers: every page is the signed-in clinician's own
    "careers:plan": Row(get=for_clinicians(OK), post=GET_ONLY),
    "careers:profile": Row(get=for_clinicians(OK), post=for_clinicians(saved("/careers/profile/")), data=_profile_data),
    "careers:goal_new": Row(get=for_clinicians(OK), post=for_clinicians(saved("/careers/profile/")), data=_goal_data),
    "careers:goal_edit": Row(
        get=owner_only(OK),
        post=owner_only(saved("/careers/profile/")),
        kwargs=lambda w: {"goal_id": w.goal.pk},
        data=_goal_data,
    ),
    "careers:goal_activate": Row(
        get=POST_ONLY, post=owner_only(saved("/careers/profile/")), kwargs=lambda w: {"goal_id": w.inactive_goal.pk}
    ),
    # Destructive URLs answer GET with their confirmation page, to exactly those the POST is for (issue 13).
    "careers:goal_delete": Row(
        get=owner_only(OK), post=owner_only(saved("/careers/profile/")), kwargs=lambda w: {"goal_id": w.goal.pk}
    ),
    "careers:licence_new": Row(
        get=for_clinicians(OK), post=for_clinicians(saved("/careers/credits/")), data=_licence_data
    ),
    "careers:licence_edit": Row(
        get=owner_only(OK),
        post=owner_only(saved("/careers/credits/")),
        kwargs=lambda w: {"licence_id": w.licence.pk},
        data=_licence_data,
    ),
    "careers:licence_delete": Row(
        get=owner_only(OK), post=owner_only(saved("/careers/credits/")), kwargs=lambda w: {"licence_id": w.licence.pk}
    ),
    # Any clinician toggles the program on their own shortlist.
    "careers:shortlist_toggle": Row(
        get=POST_ONLY, post=for_clinicians(saved("/careers/")), kwargs=lambda w: {"program_id": w.program.pk}
    ),
    "careers:shortlist_update": Row(
        get=POST_ONLY,
        post=owner_only(saved("/careers/")),
        kwargs=lambda w: {"entry_id": w.entry.pk},
        data=lambda w: {"status": "enrolled", "note": "matrix"},
    ),
    "careers:entry_complete": Row(
        get=owner_only(OK),
        post=owner_only(saved("/careers/credits/")),
        kwargs=lambda w: {"entry_id": w.finished_entry.pk},  # only a program whose last day has come
        data=_claim_data,
    ),
    "careers:credits": Row(get=for_clinicians(OK), post=GET_ONLY),
    "careers:credit_new": Row(
        get=for_clinicians(OK), post=for_clinicians(saved("/careers/credits/")), data=_claim_data
    ),
    # A transcript: uploading stores the file and sends to its preview (nothing logged yet); the
    # preview and its confirmation are the uploader's own.
    "careers:transcript_upload": Row(
        get=for_clinicians(OK),
        post=for_clinicians(saved(re.compile(rf"/careers/credits/import/{NEW_ID}/"))),
        data=_transcript_upload,
    ),
    "careers:transcript_preview": Row(
        get=owner_only(OK), post=GET_ONLY, kwargs=lambda w: {"import_id": w.transcript_import.pk}
    ),
    "careers:transcript_confirm": Row(
        get=POST_ONLY,
        post=owner_only(saved("/careers/credits/")),
        kwargs=lambda w: {"import_id": w.transcript_import.pk},
        data=_transcript_confirm,
    ),
    "careers:credit_delete": Row(
        get=owner_only(OK), post=owner_only(saved("/careers/credits/")), kwargs=lambda w: {"claim_id": w.claim.pk}
    ),
    "careers:certificate": Row(get=owner_only(OK), post=GET_ONLY, kwargs=lambda w: {"claim_id": w.claim.pk}),
    "careers:calendar": Row(get=for_clinicians(OK), post=GET_ONLY),
    # The calendar address belongs to the profile: without one, the clinician is sent to make it.
    # The new address is shown on the response, once (only its digest is stored): a 200 that writes.
    "careers:calendar_regenerate": Row(
        get=POST_ONLY,
        post=for_clinicians(Expect(200, writes=True), clinician_without_team=redirect("/careers/profile/")),
    ),
    "careers:calendar_feed": Row(get=everyone(OK), post=GET_ONLY, kwargs=lambda w: {"token": w.calendar_token}),
    # Outcomes: projects and the portfolio are the clinician's own; the share link is public
    "outcomes:project_list": Row(get=for_clinicians(OK), post=GET_ONLY),
    "outcomes:project_create": Row(
        get=for_clinicians(OK),
        post=for_clinicians(saved(re.compile(rf"/outcomes/{NEW_ID}/"))),
        data=_project_data,
    ),
    "outcomes:project_detail": Row(get=owner_only(OK), post=GET_ONLY, kwargs=_project),
    "outcomes:project_edit": Row(
        get=owner_only(OK), post=owner_only(saved(_at("/outcomes/{project}/"))), kwargs=_project, data=_project_data
    ),
    "outcomes:project_delete": Row(get=owner_only(OK), post=owner_only(saved("/outcomes/")), kwargs=_project),
    "outcomes:measurement_add": Row(
        get=POST_ONLY,
        post=owner_only(saved(_at("/outcomes/{project}/#result"))),
        kwargs=_project,
        data=lambda w: {
            "period_start": "2026-01-01",
            "period_end": "2026-01-31",
            "numerator": "40",
            "denominator": "90",
        },
    ),
    "outcomes:measurement_delete": Row(
        get=owner_only(OK),
        post=owner_only(saved(_at("/outcomes/{project}/"))),
        kwargs=lambda w: {"project_id": w.project.pk, "measurement_id": w.measurement.pk},
    ),
    "outcomes:presentation_add": Row(
        get=POST_ONLY,
        post=owner_only(saved(_at("/outcomes/{project}/#presentations"))),
        kwargs=_project,
        data=lambda w: {"venue_kind": "department", "title": "Grand rounds", "presented_on": "2026-02-05"},
    ),
    "outcomes:presentation_delete": Row(
        get=owner_only(OK),
        post=owner_only(saved(_at("/outcomes/{project}/"))),
        kwargs=lambda w: {"project_id": w.project.pk, "presentation_id": w.presentation.pk},
    ),
    "outcomes:team_member_add": Row(
        get=POST_ONLY,
        post=owner_only(saved(_at("/outcomes/{project}/#team"))),
        kwargs=_project,
        data=lambda w: {"name": "Sam Nurse", "profession": "nurse"},
    ),
    "outcomes:team_member_delete": Row(
        get=owner_only(OK),
        post=owner_only(saved(_at("/outcomes/{project}/"))),
        kwargs=lambda w: {"project_id": w.project.pk, "member_id": w.team_member.pk},
    ),
    "outcomes:portfolio": Row(get=for_clinicians(OK), post=GET_ONLY),
    "outcomes:portfolio_export": Row(get=for_clinicians(OK), post=GET_ONLY),
    # The new link is shown on the response, once (only its digest is stored): a 200 that writes.
    "outcomes:share_links": Row(
        get=for_clinicians(OK),
        post=for_clinicians(Expect(200, writes=True)),
        data=lambda w: {"label": "Review", "expires_on": (TODAY + datetime.timedelta(days=30)).isoformat()},
    ),
    "outcomes:share_link_revoke": Row(
        get=owner_only(OK),
        post=owner_only(saved("/outcomes/portfolio/share/")),
        kwargs=lambda w: {"link_id": w.link.pk},
    ),
    # Each opening of a share link is logged: a GET that writes.
    "outcomes:shared_portfolio": Row(
        get=everyone(Expect(200, writes=True)), post=GET_ONLY, kwargs=lambda w: {"token": w.link_token}
    ),
    # Program outcome evidence: curators only (the Django admin is for operators)
    "outcomes:evidence_list": Row(get=for_curator(OK), post=GET_ONLY, kwargs=lambda w: {"program_id": w.program.pk}),
    "outcomes:evidence_new": Row(
        get=for_curator(OK),
        post=for_curator(saved(_at("/outcomes/evidence/programs/{program}/"))),
        kwargs=lambda w: {"program_id": w.program.pk},
        data=_evidence_data,
    ),
    "outcomes:evidence_edit": Row(
        get=for_curator(OK),
        post=for_curator(saved(_at("/outcomes/evidence/programs/{program}/"))),
        kwargs=_evidence,
        data=_evidence_data,
    ),
    "outcomes:evidence_delete": Row(
        get=for_curator(OK), post=for_curator(saved(_at("/outcomes/evidence/programs/{program}/"))), kwargs=_evidence
    ),
    "outcomes:evidence_verify": Row(
        get=POST_ONLY,
        post=for_curator(saved(_at("/outcomes/evidence/programs/{program}/"))),
        kwargs=_evidence,
        data=lambda w: {"verified": "on"},
    ),
    # Supervision: team pages are the team's supervisor's
    "supervision:team_home": Row(
        get={
            **for_team_supervisor(redirect(_at("/team/{team}/"))),
            OTHER_SUPERVISOR: redirect(_at("/team/{other_team}/")),
        },
        post=GET_ONLY,
    ),
    "supervision:dashboard": Row(get=for_team_supervisor(OK), post=GET_ONLY, kwargs=_team),
    "supervision:dashboard_csv": Row(get=for_team_supervisor(OK), post=GET_ONLY, kwargs=_team),
    "supervision:equity": Row(get=for_team_supervisor(OK), post=GET_ONLY, kwargs=_team),
    "supervision:invite": Row(
        get=for_team_supervisor(OK),
        post=for_team_supervisor(saved(_at("/team/{team}/"))),
        kwargs=_team,
        data=lambda w: {"email": "new.nurse@example.test"},
    ),
    # Team enrolment: the team's supervisor proposes (team B's supervisor: 404); the member answers.
    "supervision:enrol": Row(
        get=for_team_supervisor(OK),
        post=for_team_supervisor(saved(_at("/team/{team}/enrol/"))),
        kwargs=_team,
        query="?program={ipe_program}",  # the member step: its form is what the sweeps should see
        data=lambda w: {"program": w.ipe_program.pk, "members": [w.users[TEAMMATE].pk]},
    ),
    "supervision:proposal_detail": Row(
        get=owner_only(OK),
        post=owner_only(saved("/careers/")),
        kwargs=lambda w: {"proposal_id": w.proposal.pk},
        data=lambda w: {"decision": "accept"},
    ),
    "supervision:member_remove": Row(
        get=for_team_supervisor(OK),
        post=for_team_supervisor(saved(_at("/team/{team}/"))),
        kwargs=lambda w: {"team_id": w.team.pk, "user_id": w.users[OWNER].pk},
    ),
    "supervision:professions": Row(get=for_team_supervisor(OK), post=GET_ONLY, kwargs=_team),
    # Team B's supervisor is refused the teammate of team A (404); the curator has their own page.
    "supervision:profession_decide": Row(
        get=POST_ONLY,
        post=for_team_supervisor(saved(_at("/team/{team}/professions/"))),
        kwargs=lambda w: {"team_id": w.team.pk, "user_id": w.users[TEAMMATE].pk},
        data=lambda w: {"decision": "confirm", "profession": "physician_assistant"},
    ),
    "supervision:professions_all": Row(get=for_curator(OK), post=GET_ONLY),
    "supervision:profession_decide_any": Row(
        get=POST_ONLY,
        post=for_curator(saved("/team/professions/")),
        kwargs=lambda w: {"user_id": w.users[OUTSIDER].pk},
        data=lambda w: {"decision": "confirm", "profession": "nurse"},
    ),
    "supervision:policies": Row(get=for_team_supervisor(OK), post=GET_ONLY, kwargs=_team),
    "supervision:policy_new": Row(
        get=for_team_supervisor(OK),
        post=for_team_supervisor(saved(_at("/team/{team}/policies/"))),
        kwargs=_team,
        data=lambda w: _policy_data(w, "nurse"),
    ),
    "supervision:policy_edit": Row(
        get=for_team_supervisor(OK),
        post=for_team_supervisor(saved(_at("/team/{team}/policies/"))),
        kwargs=lambda w: {"team_id": w.team.pk, "policy_id": w.policy.pk},
        data=lambda w: _policy_data(w, "physician"),
    ),
    # The document of a policy: its team's supervisor and the clinicians it applies to (the owner is
    # team A's physician; the teammate is a nurse, whom the physician policy does not concern).
    "supervision:policy_document": Row(
        get={**for_clinicians(NOT_FOUND, owner=OK), TEAM_SUPERVISOR: OK, OTHER_SUPERVISOR: NOT_FOUND},
        post=GET_ONLY,
        kwargs=lambda w: {"policy_id": w.policy.pk},
    ),
    # Requests: the requester and the supervisor of their team
    "supervision:my_requests": Row(get=for_clinicians(OK), post=GET_ONLY),
    # Any clinician may ask for any program in the catalog (it joins their own shortlist); a
    # clinician without a team gets the form back ("no supervisor to ask"). Junk or unknown
    # ?program= ids are 404 (tests/supervision/test_request_from_program.py).
    "supervision:request_new": Row(
        get=for_clinicians(OK),
        post=for_clinicians(saved(re.compile(rf"/team/requests/{NEW_ID}/")), clinician_without_team=OK),
        query="?program={program}",
        data=lambda w: {
            "registration": "300",
            "leave_days": "1",
            "justification": "Closes a QI gap.",
        },
    ),
    "supervision:request_detail": Row(
        get={**for_clinicians(NOT_FOUND, owner=OK), TEAM_SUPERVISOR: OK, OTHER_SUPERVISOR: NOT_FOUND},
        post=GET_ONLY,
        kwargs=lambda w: {"request_id": w.funding_request.pk},
    ),
    "supervision:request_decide": Row(
        get=POST_ONLY,
        post=for_team_supervisor(saved(_at("/team/requests/{funding_request}/"))),
        kwargs=lambda w: {"request_id": w.funding_request.pk},
        data=lambda w: {"outcome": "declined", "reason": "Staffing"},
    ),
    "supervision:request_withdraw": Row(
        get=POST_ONLY,
        post=owner_only(saved(_at("/team/requests/{funding_request}/"))),
        kwargs=lambda w: {"request_id": w.funding_request.pk},
        data=lambda w: {"reason": "Plans changed"},
    ),
    "supervision:my_policy": Row(get=for_clinicians(OK), post=GET_ONLY),
    "supervision:reminders": Row(
        get={**for_clinicians(OK), TEAM_SUPERVISOR: OK, OTHER_SUPERVISOR: OK},
        post={
            **for_clinicians(saved("/team/reminders/")),
            TEAM_SUPERVISOR: saved("/team/reminders/"),
            OTHER_SUPERVISOR: saved("/team/reminders/"),
        },
        # Ticked boxes: an empty POST would be read as an unbound form.
        data=lambda w: {"renewal_90": "on", "supervisor_digest": "on"},
    ),
    # The JSON API (api/): the index and schema are public; the rest by the pages' rules, as JSON.
    "api:root": Row(get=everyone(OK), post=GET_ONLY),
    "api:index": Row(get=everyone(OK), post=GET_ONLY),
    "api:schema": Row(get=everyone(OK), post=GET_ONLY),
    "api:catalog": Row(get=api_signed_in(OK), post=api_signed_in(NOT_ALLOWED)),
    "api:program": Row(
        get=api_signed_in(OK), post=api_signed_in(NOT_ALLOWED), kwargs=lambda w: {"program_id": w.program.pk}
    ),
    "api:shortlist": Row(
        get=api_for_clinicians(OK), post=api_for_clinicians(CREATED), data=lambda w: {"program_id": w.program.pk}
    ),
    # PATCH and DELETE (another clinician's entry 404) are in tests/api/test_api.py; GET and POST are not its methods.
    "api:shortlist_entry": Row(
        get=api_for_clinicians(NOT_ALLOWED),
        post=api_for_clinicians(NOT_ALLOWED),
        kwargs=lambda w: {"entry_id": w.entry.pk},
    ),
    "api:credits": Row(
        get=api_for_clinicians(OK),
        post=api_for_clinicians(CREATED),
        data=lambda w: {
            "title": "Outside course",
            "completed_on": (TODAY - datetime.timedelta(days=10)).isoformat(),
            "amounts.ama_pra_1": "4",
        },
    ),
    # As the request page: any clinician asks for a catalog program (it joins their shortlist); the
    # clinician without a team gets a 400 naming why ("no supervisor to ask"), writing nothing.
    "api:funding_requests": Row(
        get=api_for_clinicians(OK),
        post={**api_for_clinicians(CREATED), LONER: API_BAD_REQUEST},
        data=lambda w: {
            "program_id": w.program.pk,
            "costs.registration": "300",
            "leave_days": "1",
            "justification": "Closes a QI gap.",
        },
    ),
    # As the request's page: its requester and their team's supervisor; curators are not either role.
    "api:funding_request": Row(
        get={
            **for_clinicians(NOT_FOUND, owner=OK),
            ANON: UNAUTHENTICATED,
            TEAM_SUPERVISOR: OK,
            OTHER_SUPERVISOR: NOT_FOUND,
            CURATOR: FORBIDDEN,
        },
        post={
            **for_clinicians(NOT_ALLOWED),
            ANON: UNAUTHENTICATED,
            TEAM_SUPERVISOR: NOT_ALLOWED,
            OTHER_SUPERVISOR: NOT_ALLOWED,
            CURATOR: FORBIDDEN,
        },
        kwargs=lambda w: {"request_id": w.funding_request.pk},
    ),
    "api:licence_progress": Row(get=api_for_clinicians(OK), post=api_for_clinicians(NOT_ALLOWED)),
    "api:plan": Row(get=api_for_clinicians(OK), post=api_for_clinicians(NOT_ALLOWED)),
    "api:team_figures": Row(
        get=api_for_team_supervisor(OK),
        post=api_for_team_supervisor(NOT_ALLOWED, other_team=NOT_ALLOWED),
        kwargs=lambda w: {"team_id": w.team.pk},
    ),
    "supervision:notification_read": Row(
        get=POST_ONLY,
        post={**owner_only(saved("/team/reminders/")), TEAM_SUPERVISOR: NOT_FOUND, OTHER_SUPERVISOR: NOT_FOUND},
        kwargs=lambda w: {"reminder_id": w.notification.pk},
    ),
    "supervision:notifications_read_all": Row(
        get=POST_ONLY,
        post={
            **for_clinicians(redirect("/team/reminders/"), owner=saved("/team/reminders/")),
            TEAM_SUPERVISOR: redirect("/team/reminders/"),
            OTHER_SUPERVISOR: redirect("/team/reminders/"),
        },
    ),
    # Only the clinician who completed the program and was asked; anyone else's entry is a 404.
    "supervision:follow_up": Row(
        get=owner_only(OK),
        post=owner_only(saved(lambda w: f"/team/follow-ups/{w.completed_entry.pk}/3/")),
        kwargs=lambda w: {"entry_id": w.completed_entry.pk, "months": 3},
        data=lambda w: {"changed": "I now order a urine culture before the first antibiotic dose."},
    ),
    # The invitation link is public: anyone may open it; only its addressee may use it. A visitor
    # without an account signs up, typing the invited address; a signed-in person with another
    # address is sent back to the page.
    "supervision:invitation": Row(
        get=everyone(OK),
        post={**everyone(redirect(_at("/team/invitations/{invitation}/"))), ANON: saved("/")},
        kwargs=lambda w: {"token": w.invitation_token},
        data=lambda w: {
            "invited_email": "invitee@matrix.test",
            "full_name": "New Nurse",
            "profession": "nurse",
            "password1": "a-long-pass-phrase-9",
            "password2": "a-long-pass-phrase-9",
        },
    ),
}


# --- The world ----------------------------------------------------------------------------


@dataclass
class World:
    users: dict[str, User]
    team: Team
    other_team: Team
    media_root: Path
    objects: dict[str, Any] = field(default_factory=dict)
    session_keys: dict[str, str] = field(default_factory=dict)  # one signed-in session per actor

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["objects"][name]
        except KeyError:
            raise AttributeError(name) from None

    def placeholders(self) -> dict[str, Any]:
        return {
            "team": self.team.pk,
            "other_team": self.other_team.pk,
            "project": self.objects["project"].pk,
            "funding_request": self.objects["funding_request"].pk,
            "invitation": self.objects["invitation_token"],
            "program": self.objects["program"].pk,
            "other_program": self.objects["other_program"].pk,
            "ipe_program": self.objects["ipe_program"].pk,
            "reset_uid": self.objects["reset_uid"],
        }


PDF = b"%PDF-1.4\n%matrix\n"


def _build_world(media_root: Path) -> World:
    team_supervisor = SupervisorFactory(email="team-supervisor@matrix.test")
    other_supervisor = SupervisorFactory(email="other-supervisor@matrix.test")
    team = TeamFactory(name="Matrix team A", supervisors=[team_supervisor])
    other_team = TeamFactory(name="Matrix team B", supervisors=[other_supervisor])
    users = {
        OWNER: ClinicianFactory(email="owner@matrix.test"),
        TEAMMATE: ClinicianFactory(email="teammate@matrix.test"),
        OUTSIDER: ClinicianFactory(email="outsider@matrix.test"),
        TEAM_SUPERVISOR: team_supervisor,
        OTHER_SUPERVISOR: other_supervisor,
        LONER: ClinicianFactory(email="loner@matrix.test"),
        CURATOR: AdminFactory(email="curator@matrix.test"),
    }
    owner = users[OWNER]
    for actor, member_of in [(OWNER, team), (TEAMMATE, team), (OUTSIDER, other_team)]:
        TeamMembershipFactory(team=member_of, user=users[actor])
    profile = ClinicianProfile.objects.create(
        user=owner,
        profession="physician",
        confirmed_profession="physician",
        next_review_date=TODAY + datetime.timedelta(days=120),
    )
    # The teammate and the outsider each stated a profession their supervisor has not confirmed yet.
    ClinicianProfile.objects.create(
        user=users[TEAMMATE], profession="physician_assistant", confirmed_profession="nurse"
    )
    ClinicianProfile.objects.create(user=users[OUTSIDER], profession="nurse", confirmed_profession="physician")

    program = ProgramFactory(title="Matrix program")
    other_program = ProgramFactory(title="Matrix second program")
    draft = ProgramFactory(title="Matrix draft", status="draft")
    goal = CareerGoal.objects.create(user=owner, track="education", target_role="Educator", is_active=True)
    inactive_goal = CareerGoal.objects.create(user=owner, track="clinical_expert", target_role="Expert")
    licence = Licence.objects.create(
        user=owner,
        jurisdiction="California",
        licence_type="MD",
        renewal_date=TODAY + datetime.timedelta(days=300),
        hours_required=Decimal("50"),
    )
    entry = ShortlistEntry.objects.create(user=owner, program=ProgramFactory(title="Matrix shortlisted"))
    finished_entry = ShortlistEntry.objects.create(
        user=owner,
        program=ProgramFactory(title="Matrix finished", start_date=TODAY - datetime.timedelta(days=2)),
        status="enrolled",
    )
    claim = credit_claim_create(
        user=owner,
        title="Course",
        provider_name="",
        completed_on=TODAY - datetime.timedelta(days=30),
        topics=[],
        amounts={"ama_pra_1": Decimal("5")},
        certificate=SimpleUploadedFile("cert.pdf", PDF, content_type="application/pdf"),
    )

    transcript_import = transcript_upload_store(user=owner, file_name="transcript.csv", data=TRANSCRIPT_CSV.encode())

    project = OutcomeProject.objects.create(
        owner=owner,
        title="Owner project",
        gap_statement="Fewer than half get the first-line antibiotic.",
        measure_name="First-line antibiotic use",
        measure_kind="proportion",
        higher_is_better=True,
        moore_level="5",
        baseline_start=datetime.date(2024, 1, 1),
        baseline_end=datetime.date(2024, 12, 31),
        baseline_numerator=219,
        baseline_denominator=505,
        status="measuring",
    )
    measurement = Measurement.objects.create(
        project=project,
        period_start=datetime.date(2025, 1, 1),
        period_end=datetime.date(2025, 1, 31),
        numerator=44,
        denominator=95,
    )
    presentation = Presentation.objects.create(
        project=project, venue_kind="department", title="Department results", presented_on=datetime.date(2026, 1, 5)
    )
    team_member = ProjectTeamMember.objects.create(project=project, name="Pat Pharmacist", profession="pharmacist")
    link_token = token_new()
    link = PortfolioShareLink.objects.create(
        owner=owner, expires_on=TODAY + datetime.timedelta(days=7), token_digest=token_digest(link_token)
    )

    policy = EmployerCmePolicy.objects.create(
        team=team,
        profession="physician",
        yearly_reimbursement_amount=Decimal("2000"),
        paid_leave_days=Decimal("3"),
        over_allowance_rule="warn",
        source_url="https://example.test/policy",
        confirmed_on=TODAY,
    )
    policy.source_document.save("policy.pdf", ContentFile(PDF), save=True)
    requested = ShortlistEntry.objects.create(
        user=owner, program=ProgramFactory(title="Matrix requested"), status="planned"
    )
    funding_request = FundingRequest.objects.create(
        requester=owner,
        team=team,
        program=requested.program,
        shortlist_entry=requested,
        amount_requested=Decimal("500"),
        leave_days_requested=Decimal("1"),
        costs_on=costs_fall_on(start_date=requested.program.start_date, today=timezone.localdate()),
        justification="Needed for the unit's sepsis work.",
        status=RequestStatus.PENDING,
    )
    ipe_program = ProgramFactory(title="Matrix interprofessional", professions=["physician", "nurse"])
    proposal = EnrolmentProposal.objects.create(
        team=team, program=ipe_program, member=owner, proposed_by=team_supervisor
    )
    invitation_token = token_new()
    invitation = Invitation.objects.create(
        team=team,
        token_digest=token_digest(invitation_token),
        email="invitee@matrix.test",
        invited_by=team_supervisor,
        expires_at=timezone.now() + datetime.timedelta(days=7),
    )
    evidence = ProgramOutcomeEvidence.objects.create(
        program=program,
        metric="Matrix stated outcome",
        baseline="30%",
        follow_up="50%",
        time_window="6 months",
        moore_level="5",
        source_url="https://example.test/stated",
    )
    import_job = ImportJob.objects.create(
        created_by=users[CURATOR],
        file_name="feed.csv",
        file_format="csv",
        status="succeeded",
        finished_at=timezone.now(),
    )
    # The draft came from that import, so approving the whole import has something to publish.
    ChangeLogEntry.objects.create(
        program=draft, object_repr=str(draft), action="created", source="import", import_job_id=import_job.pk
    )
    # A person outside the matrix whose password-reset link stays valid (nobody signs in as them).
    reset_user = UserFactory(email="reset@matrix.test")

    # A completed program asked about three months on, and an unread notification (supervision).
    completed_entry = ShortlistEntry.objects.create(
        user=owner,
        program=ProgramFactory(title="Matrix completed"),
        status="completed",
        completed_on=add_months(TODAY, -3),
    )
    follow_up_reminders_send(today=TODAY)
    notification = Reminder.objects.get(user=owner, kind=ReminderKind.FOLLOWUP_3M)
    objects = {
        "completed_entry": completed_entry,
        "notification": notification,
        "profile": profile,
        "program": program,
        "other_program": other_program,
        "draft": draft,
        "goal": goal,
        "inactive_goal": inactive_goal,
        "licence": licence,
        "entry": entry,
        "finished_entry": finished_entry,
        "claim": claim,
        "transcript_import": transcript_import,
        "project": project,
        "measurement": measurement,
        "presentation": presentation,
        "team_member": team_member,
        "link": link,
        "link_token": link_token,
        "calendar_token": calendar_token_regenerate(user=owner),
        "policy": policy,
        "funding_request": funding_request,
        "invitation": invitation,
        "invitation_token": invitation_token,
        "ipe_program": ipe_program,
        "proposal": proposal,
        "import_job": import_job,
        "evidence": evidence,
        "reset_uid": urlsafe_base64_encode(force_bytes(reset_user.pk)),
        "reset_token": default_token_generator.make_token(reset_user),
        "access_token": access_token_create(user=owner, name="Matrix token", scope="read")[0],
    }
    # Sign each actor in once: every test restores the session by its cookie (signing in per test
    # would cost more than the request it makes).
    session_keys = {}
    for actor, user in users.items():
        browser = Client()
        browser.force_login(user)
        session_keys[actor] = browser.cookies[settings.SESSION_COOKIE_NAME].value
    return World(
        users=users,
        team=team,
        other_team=other_team,
        media_root=media_root,
        objects=objects,
        session_keys=session_keys,
    )


@pytest.fixture(scope="module")
def matrix_world(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """The world, built once for the module inside a transaction that is rolled back afterwards."""
    media_root = tmp_path_factory.mktemp("matrix-media")
    fast = override_settings(MEDIA_ROOT=media_root, PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), fast:
        outer = transaction.atomic()
        outer.__enter__()
        try:
            world = _build_world(media_root)
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield world
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _world_media(settings: Any, matrix_world: World) -> None:
    """Certificates and policy documents of the world live in the module's media root."""
    settings.MEDIA_ROOT = matrix_world.media_root


# --- Walking the URL resolver -------------------------------------------------------------


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            yield from _walk(pattern.url_patterns, namespace)
        else:
            name = f"{prefix}{pattern.name}" if pattern.name else f"{prefix}<unnamed: {pattern.pattern}>"
            yield name, pattern


def url_patterns() -> dict[str, URLPattern]:
    """Every named URL of the site by its full name ("programs:curation:review"), minus the exclusions."""
    return {
        name: pattern
        for name, pattern in _walk(get_resolver().url_patterns)
        if ":" not in name or name.split(":", 1)[0] not in EXCLUDED_NAMESPACES
    }


def test_every_url_has_a_row() -> None:
    missing = sorted(set(url_patterns()) - set(MATRIX))
    assert not missing, f"URLs without an access row in tests/test_access_matrix.py: {missing}"


def test_every_row_is_a_url() -> None:
    stale = sorted(set(MATRIX) - set(url_patterns()))
    assert not stale, f"Rows for URLs that no longer exist: {stale}"


def test_every_view_records_its_access_decision() -> None:
    undecided = sorted(name for name, pattern in url_patterns().items() if access_rule_of(pattern.callback) is None)
    assert not undecided, (
        f"Views without a decorator from accounts.access (public, clinician_required, ...): {undecided}"
    )


# --- The matrix itself --------------------------------------------------------------------

EXCLUDED_FROM_SNAPSHOT = {"sessions", "axes"}  # they record the visit itself, not the site's data
VISIT_RECORDS = {"accounts.PasswordResetRequest"}  # counted for the reset limits (accounts.limits), not site data


def database_snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (but sessions, sign-in attempts and reset requests), to compare before and after.

    Plain SQL, one query a table: the ORM would spend more time compiling than the tables take to read.
    """
    tables = sorted(
        {
            model._meta.db_table
            for model in apps.get_models(include_auto_created=True)
            if model._meta.app_label not in EXCLUDED_FROM_SNAPSHOT and model._meta.label not in VISIT_RECORDS
        }
    )
    snapshot = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)} ORDER BY 1")  # noqa: S608 - model tables
            snapshot[table] = cursor.fetchall()
    return snapshot


def _login_url(path: str) -> str:
    query = QueryDict(mutable=True)
    query["next"] = path
    return f"{reverse('login')}?{query.urlencode(safe='/')}"


def _location_matches(expect: Expect, location: str, world: World, path: str) -> bool:
    if expect.to_login:
        return location == _login_url(path)
    wanted = expect.location
    if wanted is None:
        return True
    if isinstance(wanted, re.Pattern):
        return wanted.fullmatch(location) is not None
    if callable(wanted):
        return location == wanted(world)
    return location == wanted


CASES = [(name, method, actor) for name in MATRIX for method in ("GET", "POST") for actor in ACTORS]


@pytest.mark.parametrize(("name", "method", "actor"), CASES, ids=[f"{n}-{m}-{a}" for n, m, a in CASES])
def test_access(client: Any, matrix_world: World, name: str, method: str, actor: str) -> None:
    row = MATRIX[name]
    expect = (row.get if method == "GET" else row.post)[actor]
    world = matrix_world
    if actor != ANON:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.session_keys[actor]
    path = reverse(name, kwargs=row.kwargs(world)) + row.query.format(**world.placeholders())
    before = database_snapshot()
    response = client.get(path) if method == "GET" else client.post(path, row.data(world))
    location = response.get("Location", "")
    wrong = f"{method} {path} as {actor}: expected {expect.describe()}, got {response.status_code} {location}"
    assert response.status_code == expect.status, wrong
    if actor != ANON or response.has_header("Content-Disposition"):
        # cme_portal.middleware.PrivateCacheControlMiddleware: nothing private is kept by a cache.
        assert response.get("Cache-Control") == "private, no-store", f"{method} {path} as {actor}: Cache-Control"
    if expect.status == 302:
        assert _location_matches(expect, location, world, path), wrong
    if path.startswith("/api/") and expect.status >= 400:
        assert response["Content-Type"] == "application/problem+json", f"{method} {path} as {actor}: not problem JSON"
    after = database_snapshot()
    changed = sorted(label for label in after if after[label] != before[label])
    if expect.writes:
        assert changed, f"{method} {path} as {actor} should have written something and wrote nothing"
    else:
        assert not changed, f"{method} {path} as {actor} must not change the database; changed: {changed}"
