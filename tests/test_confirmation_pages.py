"""Destructive actions ask first, on a page of their own (issue 13, item 7).

GET on each delete, revoke or removal URL shows templates/confirm_delete.html: the question, what
is lost in concrete terms (the object's own figures and dates), a danger button that POSTs back
with CSRF, and a Cancel link to the safe ``next`` or the object's page. The GET writes nothing;
the POST deletes as before and its flash message names what went. Who may open the page is the
access matrix's business (tests/test_access_matrix.py: the same outcomes as the POST).

The matrix's world is reused: each test runs in a savepoint of it.
"""

from __future__ import annotations

import datetime
import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from careers.models import CareerGoal, CreditClaim, Licence
from outcomes.models import (
    Measurement,
    OutcomeProject,
    PortfolioShareLink,
    Presentation,
    ProgramOutcomeEvidence,
    ProjectTeamMember,
)
from programs.ranking.fit import format_date
from tests.test_access_matrix import (  # the fixtures are used by name
    CURATOR,
    OWNER,
    TEAM_SUPERVISOR,
    World,
    _world_media,  # noqa: F401
    database_snapshot,
    matrix_world,  # noqa: F401
)

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Destructive:
    actor: str
    kwargs: Callable[[World], dict[str, Any]]
    heading: Callable[[World], str]
    says: Callable[[World], list[str]]  # sentences (or parts) the page must hold
    gone: Callable[[World], bool]  # true once the POST did its work
    flash: Callable[[World], str]
    cancel_to: Callable[[World], str]  # where Cancel goes without a (safe) next
    button_on: Callable[[World], str]  # the page whose button opens the confirmation


def _project(w: World) -> str:
    return f"/outcomes/{w.project.pk}/"


DESTRUCTIVE: dict[str, Destructive] = {
    "careers:goal_delete": Destructive(
        actor=OWNER,
        kwargs=lambda w: {"goal_id": w.goal.pk},
        heading=lambda w: "Delete the goal “Educator”?",
        says=lambda w: [
            "The goal “Educator” (Education) is deleted with its weights: outcome tracking 3, "
            "commercial independence 3, interprofessional design 3, career alignment 3.",
            "It is your active goal: the catalog is not ranked for you until you make your other goal active.",
        ],
        gone=lambda w: not CareerGoal.objects.filter(pk=w.goal.pk).exists(),
        flash=lambda w: "Goal “Educator” deleted.",
        cancel_to=lambda w: "/careers/profile/",
        button_on=lambda w: "/careers/profile/",
    ),
    "careers:licence_delete": Destructive(
        actor=OWNER,
        kwargs=lambda w: {"licence_id": w.licence.pk},
        heading=lambda w: "Delete the licence “California MD”?",
        says=lambda w: [
            f"The licence “California MD”, renewing {format_date(w.licence.renewal_date)} with 50 hours required "
            "every 24 months, is deleted.",
            "Your credits stay: they no longer count towards this licence",
        ],
        gone=lambda w: not Licence.objects.filter(pk=w.licence.pk).exists(),
        flash=lambda w: "Licence “California MD” deleted.",
        cancel_to=lambda w: f"/careers/licences/{w.licence.pk}/",
        button_on=lambda w: f"/careers/licences/{w.licence.pk}/",
    ),
    "careers:credit_delete": Destructive(
        actor=OWNER,
        kwargs=lambda w: {"claim_id": w.claim.pk},
        heading=lambda w: "Delete the credit entry “Course”?",
        says=lambda w: [
            f"This credit of 5 AMA PRA Category 1 Credit for “Course” on {format_date(w.claim.completed_on)} "
            "is removed from your licence progress and from your portfolio.",
            "Its certificate file is deleted.",
        ],
        gone=lambda w: not CreditClaim.objects.filter(pk=w.claim.pk).exists(),
        flash=lambda w: "Credit entry “Course” deleted.",
        cancel_to=lambda w: "/careers/credits/",
        button_on=lambda w: "/careers/credits/",
    ),
    "outcomes:project_delete": Destructive(
        actor=OWNER,
        kwargs=lambda w: {"project_id": w.project.pk},
        heading=lambda w: "Delete the project “Owner project”?",
        says=lambda w: [
            "This project has its baseline, 1 measurement, 1 presentation and 1 team member; they are deleted with it.",
            "It leaves your portfolio, and share links of your portfolio no longer show it.",
        ],
        gone=lambda w: (
            not OutcomeProject.objects.filter(pk=w.project.pk).exists()
            and not Measurement.objects.filter(pk=w.measurement.pk).exists()
        ),
        flash=lambda w: "Project “Owner project” deleted with its measurements, presentations and team.",
        cancel_to=_project,
        button_on=_project,
    ),
    "outcomes:measurement_delete": Destructive(
        actor=OWNER,
        kwargs=lambda w: {"project_id": w.project.pk, "measurement_id": w.measurement.pk},
        heading=lambda w: "Delete the measurement for Jan 1, 2025 to Jan 31, 2025?",
        says=lambda w: [
            "The measurement for Jan 1, 2025 to Jan 31, 2025 (44 of 95) is deleted.",
            "It is the project's only measurement: the project then shows no result, only its baseline.",
        ],
        gone=lambda w: not Measurement.objects.filter(pk=w.measurement.pk).exists(),
        flash=lambda w: "Measurement for Jan 1, 2025 to Jan 31, 2025 deleted.",
        cancel_to=lambda w: _project(w) + "#measurements",
        button_on=_project,
    ),
    "outcomes:presentation_delete": Destructive(
        actor=OWNER,
        kwargs=lambda w: {"project_id": w.project.pk, "presentation_id": w.presentation.pk},
        heading=lambda w: "Delete the presentation “Department results”?",
        says=lambda w: [
            "The presentation “Department results” (department meeting, Jan 5, 2026) is removed from "
            "“Owner project” and from your portfolio."
        ],
        gone=lambda w: not Presentation.objects.filter(pk=w.presentation.pk).exists(),
        flash=lambda w: "Presentation “Department results” deleted.",
        cancel_to=lambda w: _project(w) + "#presentations",
        button_on=_project,
    ),
    "outcomes:team_member_delete": Destructive(
        actor=OWNER,
        kwargs=lambda w: {"project_id": w.project.pk, "member_id": w.team_member.pk},
        heading=lambda w: "Remove Pat Pharmacist from the project team?",
        says=lambda w: [
            "Pat Pharmacist (pharmacist) is removed from the team of “Owner project” "
            "and from the project in your portfolio."
        ],
        gone=lambda w: not ProjectTeamMember.objects.filter(pk=w.team_member.pk).exists(),
        flash=lambda w: "Pat Pharmacist removed from the project team.",
        cancel_to=lambda w: _project(w) + "#team",
        button_on=_project,
    ),
    "outcomes:share_link_revoke": Destructive(
        actor=OWNER,
        kwargs=lambda w: {"link_id": w.link.pk},
        heading=lambda w: f"Revoke the share link made {format_date(timezone.localdate(w.link.created_at))}?",
        says=lambda w: [
            "Anyone who has this link can no longer open your portfolio; "
            f"it would have worked until {format_date(w.link.expires_on)}.",
            "It has not been opened yet.",
            "A revoked link cannot be turned back on: to share again, create a new link.",
        ],
        gone=lambda w: PortfolioShareLink.objects.get(pk=w.link.pk).revoked_at is not None,
        flash=lambda w: "Share link revoked: it no longer opens the portfolio.",
        cancel_to=lambda w: "/outcomes/portfolio/share/",
        button_on=lambda w: "/outcomes/portfolio/share/",
    ),
    "outcomes:evidence_delete": Destructive(
        actor=CURATOR,
        kwargs=lambda w: {"evidence_id": w.evidence.pk},
        heading=lambda w: "Delete the evidence “Matrix stated outcome”?",
        says=lambda w: [
            "The evidence “Matrix stated outcome” (30% to 50%, 6 months) is removed from the page of “Matrix program”.",
            "It is not verified, so the program's scores do not change.",
        ],
        gone=lambda w: not ProgramOutcomeEvidence.objects.filter(pk=w.evidence.pk).exists(),
        flash=lambda w: "Evidence “Matrix stated outcome” deleted.",
        cancel_to=lambda w: f"/outcomes/evidence/programs/{w.program.pk}/",
        button_on=lambda w: f"/outcomes/evidence/programs/{w.program.pk}/",
    ),
    "supervision:member_remove": Destructive(
        actor=TEAM_SUPERVISOR,
        kwargs=lambda w: {"team_id": w.team.pk, "user_id": w.users[OWNER].pk},
        heading=lambda w: f"Remove {w.users[OWNER]} from Matrix team A?",
        says=lambda w: [
            "Their membership of Matrix team A ends now; their history (requests, decisions, figures) is kept.",
            "Their 1 pending funding request leaves your queue undecided: "
            "no supervisor of Matrix team A can decide it any more.",
        ],
        gone=lambda w: not w.team.memberships.filter(user=w.users[OWNER], ended_at__isnull=True).exists(),
        flash=lambda w: f"{w.users[OWNER]} is no longer a member of Matrix team A. Their history is kept.",
        cancel_to=lambda w: f"/team/{w.team.pk}/",
        button_on=lambda w: f"/team/{w.team.pk}/",
    ),
}
NAMES = sorted(DESTRUCTIVE)


@pytest.fixture
def world(matrix_world: World) -> World:  # noqa: F811 - the fixture imported above
    return matrix_world


def _signed_in(client: Any, world: World, actor: str) -> Any:
    client.cookies[settings.SESSION_COOKIE_NAME] = world.session_keys[actor]
    return client


def _path(world: World, name: str) -> str:
    return reverse(name, kwargs=DESTRUCTIVE[name].kwargs(world))


def _cancel_href(body: str) -> str:
    match = re.search(r'<a href="([^"]*)">Cancel</a>', body)
    assert match, "no Cancel link"
    return html.unescape(match.group(1))


def _text(body: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", body))


@pytest.mark.parametrize("name", NAMES)
def test_get_shows_what_is_lost_and_writes_nothing(client: Any, world: World, name: str) -> None:
    case = DESTRUCTIVE[name]
    path = _path(world, name)
    before = database_snapshot()
    response = _signed_in(client, world, case.actor).get(path)
    assert response.status_code == 200
    assert database_snapshot() == before, "the confirmation page wrote something"
    assert not case.gone(world)
    body = _text(response.content.decode())
    assert f"<h1>{case.heading(world)}</h1>" in body
    assert f"<title>{case.heading(world)} · CME Portal</title>" in body
    for sentence in case.says(world):
        assert sentence in body, sentence
    # A plain form, no script: it posts back here with the CSRF token, the danger button submits it.
    form = re.search(r'<form method="post" action="([^"]*)" class="actions">(.*?)</form>', body, re.S)
    assert form and form.group(1) == path
    assert 'name="csrfmiddlewaretoken"' in form.group(2)
    assert '<button type="submit" class="button button-danger">' in form.group(2)
    assert "hx-" not in form.group(0)
    assert _cancel_href(body) == case.cancel_to(world)


@pytest.mark.parametrize("name", NAMES)
def test_post_does_it_and_the_message_names_what_went(client: Any, world: World, name: str) -> None:
    case = DESTRUCTIVE[name]
    response = _signed_in(client, world, case.actor).post(_path(world, name))
    assert response.status_code == 302
    assert case.gone(world)
    assert [str(message) for message in get_messages(response.wsgi_request)] == [case.flash(world)]


@pytest.mark.parametrize("name", NAMES)
def test_cancel_goes_back_where_the_user_came_from_but_never_off_site(client: Any, world: World, name: str) -> None:
    case = DESTRUCTIVE[name]
    client = _signed_in(client, world, case.actor)
    came_from = case.button_on(world) + "?sort=name&order=asc"
    response = client.get(_path(world, name), {"next": came_from})
    assert _cancel_href(response.content.decode()) == came_from
    for hostile in ("//evil.example", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"):
        response = client.get(_path(world, name), {"next": hostile})
        assert _cancel_href(response.content.decode()) == case.cancel_to(world), hostile


@pytest.mark.parametrize("name", NAMES)
def test_the_button_on_the_page_opens_the_confirmation_with_a_get_form(client: Any, world: World, name: str) -> None:
    case = DESTRUCTIVE[name]
    body = _signed_in(client, world, case.actor).get(case.button_on(world)).content.decode()
    form = re.search(rf'<form method="(\w+)" action="{re.escape(_path(world, name))}"[^>]*>(.*?)</form>', body, re.S)
    assert form, f"no form opening {name} on {case.button_on(world)}"
    assert form.group(1) == "get"
    assert "csrfmiddlewaretoken" not in form.group(2)  # a GET form would put the token in the address
    assert re.search(r'<input type="hidden" name="next" value="/[^"]*">', form.group(2))
    assert '<button type="submit"' in form.group(2)


def test_a_project_counts_every_record_it_takes_with_it(client: Any, world: World) -> None:
    project = world.project
    for month in (2, 3, 4, 5, 6):
        Measurement.objects.create(
            project=project,
            period_start=project.baseline_end.replace(year=2025, month=month, day=1),
            period_end=project.baseline_end.replace(year=2025, month=month, day=28),
            numerator=50,
            denominator=95,
        )
    Presentation.objects.create(
        project=project, venue_kind="system", title="Grand rounds", presented_on=datetime.date(2026, 2, 1)
    )
    project.team_members.all().delete()
    body = _text(_signed_in(client, world, OWNER).get(_path(world, "outcomes:project_delete")).content.decode())
    assert "This project has its baseline, 6 measurements, 2 presentations and 0 team members" in body
    body = _text(client.get(_path(world, "outcomes:measurement_delete")).content.decode())
    assert "worked out from the baseline and the 5 other measurements." in body


def test_deleting_the_only_verified_evidence_says_the_score_falls(client: Any, world: World) -> None:
    ProgramOutcomeEvidence.objects.filter(pk=world.evidence.pk).update(verified=True)
    body = _text(_signed_in(client, world, CURATOR).get(_path(world, "outcomes:evidence_delete")).content.decode())
    assert "It is the program's only verified evidence" in body
    assert "its outcome-tracking score falls in every clinician's ranking." in body
