"""The JSON API: authentication, scopes, problem details, the same data and order as the pages, writes."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import timezone

from accounts.models import PersonalAccessToken
from accounts.services import access_token_create, access_token_revoke
from careers.models import CreditClaim, ShortlistEntry
from cme_portal.tokens import token_digest
from tests.factories import ClinicianFactory, ProgramFactory, SupervisorFactory, TeamFactory, TeamMembershipFactory
from tests.programs.ranking_helpers import goal_for

from .conftest import bearer

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def _problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    return body


# --- Index, schema, Django-level 404 -------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/", "/api/v1/"])
def test_index_answers_json(client, path):
    response = client.get(path, HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response.json()["schema"] == "/api/v1/schema/"


def test_schema_is_openapi_3(client):
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/programs/" in schema["paths"]


def test_unknown_api_path_is_problem_json_not_html(client):
    _problem(client.get("/api/v1/nothing-here/", HTTP_ACCEPT="application/json"), 404)


# --- Authentication and scopes ------------------------------------------------------------


def test_anonymous_gets_401_problem(api):
    response = api.get("/api/v1/programs/")
    _problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_unknown_and_revoked_tokens_are_401(api):
    user = ClinicianFactory()
    _problem(api.get("/api/v1/programs/", HTTP_AUTHORIZATION="Bearer not-a-token"), 401)
    token, raw = access_token_create(user=user, name="laptop", scope="read")
    assert api.get("/api/v1/programs/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    access_token_revoke(user=user, token_id=token.pk)
    _problem(api.get("/api/v1/programs/", HTTP_AUTHORIZATION=f"Bearer {raw}"), 401)


def test_token_is_stored_hashed_and_last_use_recorded_once_a_minute(api):
    user = ClinicianFactory()
    token, raw = access_token_create(user=user, name="laptop", scope="read")
    assert token.digest == token_digest(raw) and raw not in token.digest and token.prefix == raw[:8]
    assert not PersonalAccessToken.objects.filter(digest=raw).exists()
    api.get("/api/v1/programs/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    first = PersonalAccessToken.objects.get(pk=token.pk).last_used_at
    assert first is not None
    api.get("/api/v1/programs/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert PersonalAccessToken.objects.get(pk=token.pk).last_used_at == first


def test_read_scope_token_cannot_write(api):
    user = ClinicianFactory()
    program = ProgramFactory(status="published")
    body = _problem(
        api.post("/api/v1/shortlist/", {"program_id": program.pk}, format="json", **bearer(user, "read")), 403
    )
    assert "read scope" in body["detail"]
    assert not ShortlistEntry.objects.exists()


def test_session_writes_need_csrf():
    from rest_framework.test import APIClient

    user = ClinicianFactory()
    program = ProgramFactory(status="published")
    strict = APIClient(enforce_csrf_checks=True)
    strict.force_login(user)
    _problem(strict.post("/api/v1/shortlist/", {"program_id": program.pk}, format="json"), 403)
    assert not ShortlistEntry.objects.exists()
    assert strict.get("/api/v1/shortlist/").status_code == 200


def test_clinician_calling_supervisor_endpoint_is_403_and_other_team_404(api):
    team = TeamFactory()
    other = TeamFactory()
    supervisor = SupervisorFactory()
    team.supervisors.add(supervisor)
    _problem(api.get(f"/api/v1/teams/{team.pk}/figures/", **bearer(ClinicianFactory())), 403)
    _problem(api.get(f"/api/v1/teams/{other.pk}/figures/", **bearer(supervisor)), 404)
    assert api.get(f"/api/v1/teams/{team.pk}/figures/", **bearer(supervisor)).status_code == 200


@override_settings(
    REST_FRAMEWORK={
        **__import__("django.conf").conf.settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "3/minute", "user": "5/minute"},
    }
)
def test_throttled_per_token(api):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    # The class attribute outlives override_settings (DRF reloads api_settings, not this): put the
    # original back, or every later test in the process is throttled at 3 a minute.
    original_rates = SimpleRateThrottle.THROTTLE_RATES
    api_settings.reload()
    SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    try:
        user = ClinicianFactory()
        first, second = bearer(user, "read"), bearer(user, "read")
        for _ in range(3):
            assert api.get("/api/v1/licences/progress/", **first).status_code == 200
        response = api.get("/api/v1/licences/progress/", **first)
        _problem(response, 429)
        assert int(response["Retry-After"]) > 0
        assert api.get("/api/v1/licences/progress/", **second).status_code == 200  # another token, its own count
    finally:
        SimpleRateThrottle.THROTTLE_RATES = original_rates


# --- Reads: the same data and order as the pages ---------------------------------------------


def test_ranking_order_and_scores_match_the_catalog_page(client, api):
    user = ClinicianFactory()
    goal_for(user)
    ProgramFactory.create_batch(25, status="published")
    client.force_login(user)
    page = client.get("/programs/?page=2")
    page_results = page.context["ranked"].results
    response = api.get("/api/v1/programs/?page=2", **bearer(user))
    body = response.json()
    assert body["ranked"] is True and body["page"] == 2
    assert [item["program"]["id"] for item in body["results"]] == [r.listing.pk for r in page_results]
    assert [item["ranking"]["total"] for item in body["results"]] == [r.scored.total for r in page_results]
    first = body["results"][0]["ranking"]
    assert {factor["factor"] for factor in first["factors"]} == {str(f.factor) for f in page_results[0].scored.factors}
    assert first["fit_checks"]


def test_unranked_catalog_matches_the_page_with_filters(client, api):
    user = ClinicianFactory()
    ProgramFactory.create_batch(5, status="published", format="course")
    ProgramFactory.create_batch(3, status="published", format="enduring")
    client.force_login(user)
    page = client.get("/programs/?format=course&sort=title")
    body = api.get("/api/v1/programs/?format=course&sort=title", **bearer(user)).json()
    assert body["ranked"] is False
    assert [item["program"]["id"] for item in body["results"]] == [p.pk for p in page.context["page"].object_list]
    assert body["count"] == 5


def test_invalid_filter_is_400_naming_the_field(api):
    body = _problem(api.get("/api/v1/programs/?min_cost=abc&sort=nonsense", **bearer(ClinicianFactory())), 400)
    assert set(body["errors"]) == {"min_cost", "sort"}


def test_program_of_the_catalog_and_a_missing_one(api):
    user = ClinicianFactory()
    program = ProgramFactory(status="published")
    assert api.get(f"/api/v1/programs/{program.pk}/", **bearer(user)).json()["program"]["id"] == program.pk
    _problem(api.get(f"/api/v1/programs/{program.pk + 1000}/", **bearer(user)), 404)


def test_team_figures_suppress_a_small_group_as_the_equity_page(api, client):
    from careers.models import ClinicianProfile
    from supervision.disclosure import MIN_GROUP_SIZE

    team = TeamFactory()
    supervisor = SupervisorFactory()
    team.supervisors.add(supervisor)
    for index in range(MIN_GROUP_SIZE + 1):
        member = ClinicianFactory()
        TeamMembershipFactory(team=team, user=member)
        profession = "nurse" if index else "pharmacist"
        ClinicianProfile.objects.create(user=member, profession=profession, confirmed_profession=profession)
    body = api.get(f"/api/v1/teams/{team.pk}/figures/", **bearer(supervisor)).json()
    groups = {group["profession"]: group for group in body["professions"]}
    client.force_login(supervisor)
    report = client.get(f"/team/{team.pk}/equity/").context["report"]
    assert [(g.profession, g.suppressed, g.size) for g in report.professions] == [
        (g["profession"], g["suppressed"], g["size"]) for g in body["professions"]
    ]
    assert groups["pharmacist"]["suppressed"] is True and groups["pharmacist"]["size"] is None
    assert groups["pharmacist"]["participation_rate"] is None


# --- Writes -----------------------------------------------------------------------------------


def test_shortlist_add_change_remove(api):
    user = ClinicianFactory()
    program = ProgramFactory(status="published")
    headers = bearer(user)
    created = api.post("/api/v1/shortlist/", {"program_id": program.pk}, format="json", **headers)
    assert created.status_code == 201
    entry_id = created.json()["id"]
    _problem(api.post("/api/v1/shortlist/", {"program_id": program.pk}, format="json", **headers), 409)
    changed = api.patch(f"/api/v1/shortlist/{entry_id}/", {"status": "planned", "note": "Q3"}, format="json", **headers)
    assert changed.status_code == 200 and changed.json()["status"] == "planned"
    assert [item["id"] for item in api.get("/api/v1/shortlist/", **headers).json()] == [entry_id]
    assert api.delete(f"/api/v1/shortlist/{entry_id}/", **headers).status_code == 204
    assert not ShortlistEntry.objects.exists()


def test_shortlist_bad_input_writes_nothing(api):
    headers = bearer(ClinicianFactory())
    body = _problem(api.post("/api/v1/shortlist/", {"program_id": "x"}, format="json", **headers), 400)
    assert "program_id" in body["errors"]
    _problem(api.post("/api/v1/shortlist/", {"program_id": 99999}, format="json", **headers), 400)
    assert not ShortlistEntry.objects.exists()


def test_another_clinicians_entry_is_404(api):
    owner = ClinicianFactory()
    entry = ShortlistEntry.objects.create(user=owner, program=ProgramFactory(status="published"))
    headers = bearer(ClinicianFactory())
    _problem(api.patch(f"/api/v1/shortlist/{entry.pk}/", {"status": "planned"}, format="json", **headers), 404)
    _problem(api.delete(f"/api/v1/shortlist/{entry.pk}/", **headers), 404)
    assert ShortlistEntry.objects.get(pk=entry.pk).status == "considering"


def test_log_a_credit_and_refusals_name_fields(api):
    user = ClinicianFactory()
    goal_for(user)  # a licence accepting ama_pra_1
    headers = bearer(user)
    today = timezone.localdate()
    good = {"title": "Sepsis update", "completed_on": today.isoformat(), "amounts": {"ama_pra_1": "2.5"}}
    created = api.post("/api/v1/credits/", good, format="json", **headers)
    assert created.status_code == 201, created.content
    assert created.json()["amounts"] == [{"credit_type": "ama_pra_1", "amount": "2.50"}]
    future = {**good, "completed_on": (today + datetime.timedelta(days=3)).isoformat()}
    assert "completed_on" in _problem(api.post("/api/v1/credits/", future, format="json", **headers), 400)["errors"]
    refused = {**good, "amounts": {"ancc": "1"}}
    assert "amounts" in _problem(api.post("/api/v1/credits/", refused, format="json", **headers), 400)["errors"]
    tiny = {**good, "amounts": {"ama_pra_1": "0.1"}}
    assert "amounts.ama_pra_1" in _problem(api.post("/api/v1/credits/", tiny, format="json", **headers), 400)["errors"]
    assert CreditClaim.objects.count() == 1
    listed = api.get("/api/v1/credits/", **headers).json()
    assert [item["title"] for item in listed] == ["Sepsis update"]
    progress = api.get("/api/v1/licences/progress/", **headers).json()
    assert Decimal(progress[0]["hours_earned"]) == Decimal("2.5")


def test_plan_is_the_plan_pages_plan(api, client):
    from careers.models import Licence, ShortlistStatus
    from careers.selectors import plan_for_user, shortlist_for_user

    user = ClinicianFactory()
    today = timezone.localdate()
    days = datetime.timedelta
    soon = ProgramFactory(status="published", start_date=today + days(days=40), fee_amount=Decimal("300"))
    on_demand = ProgramFactory(status="published", start_date=None, end_date=None, fee_amount=None)
    later = ProgramFactory(
        status="published", start_date=today + datetime.timedelta(days=800), fee_amount=Decimal("900")
    )
    done = ProgramFactory(status="published")
    for program, status in ((soon, "planned"), (on_demand, "enrolled"), (later, "planned"), (done, "completed")):
        ShortlistEntry.objects.create(user=user, program=program, status=status)
    ShortlistEntry.objects.create(user=ClinicianFactory(), program=soon, status=ShortlistStatus.PLANNED)
    Licence.objects.create(
        user=user,
        jurisdiction="CA",
        licence_type="physician",
        renewal_date=today + datetime.timedelta(days=100),
        hours_required=50,
        cycle_months=24,
    )

    body = api.get("/api/v1/plan/", **bearer(user, "read")).json()

    plan = plan_for_user(user=user, entries=shortlist_for_user(user=user))
    assert [item["entry_id"] for item in body["items"]] == [item.entry.pk for item in plan.items]
    assert {item["program_id"] for item in body["items"]} == {soon.pk, on_demand.pk, later.pk}  # not the completed one
    counted = {item["program_id"]: item["counted"] for item in body["items"]}
    assert counted == {soon.pk: True, on_demand.pk: True, later.pk: False}
    assert Decimal(body["fee_total"]) == Decimal("300") == plan.fee_total
    assert body["unknown_fee_titles"] == [on_demand.title]
    assert [(date["kind"], date["day"]) for date in body["dates"]] == [
        (date.kind, date.day.isoformat()) for date in plan.dates
    ]
    assert any(date["kind"] == "renewal" for date in body["dates"])
    client.force_login(user)
    page = client.get("/careers/").content.decode()
    for item in body["items"]:
        assert item["title"] in page  # the page lists the same programs


def test_plan_is_for_clinicians_only(api):
    _problem(api.get("/api/v1/plan/"), 401)
    _problem(api.get("/api/v1/plan/", **bearer(SupervisorFactory(), "read")), 403)
