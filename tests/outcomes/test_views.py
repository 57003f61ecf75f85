"""Project pages, share links, portfolio query counts and the JSON export (roles: tests/test_access_matrix.py)."""

import datetime
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from careers.models import CreditAmount, CreditClaim
from cme_portal.tokens import token_digest
from outcomes.forms import MESSAGES
from outcomes.models import Measurement, OutcomeProject, PortfolioShareAccess, PortfolioShareLink
from outcomes.services import share_link_create
from tests.conftest import ROLES, login_as
from tests.outcomes.helpers import add_months, add_presentation, make_project

pytestmark = pytest.mark.django_db

UTI = [(39, 89), (44, 95), (41, 91), (40, 84), (48, 97), (44, 90), (58, 93)]


def _project_urls(project):
    m = project.measurements.first()
    p = project.presentations.first()
    t = project.team_members.first()
    return [
        ("get", reverse("outcomes:project_detail", args=[project.pk])),
        ("get", reverse("outcomes:project_edit", args=[project.pk])),
        ("post", reverse("outcomes:project_edit", args=[project.pk])),
        ("post", reverse("outcomes:project_delete", args=[project.pk])),
        ("post", reverse("outcomes:measurement_add", args=[project.pk])),
        ("post", reverse("outcomes:measurement_delete", args=[project.pk, m.pk])),
        ("post", reverse("outcomes:presentation_add", args=[project.pk])),
        ("post", reverse("outcomes:presentation_delete", args=[project.pk, p.pk])),
        ("post", reverse("outcomes:team_member_add", args=[project.pk])),
        ("post", reverse("outcomes:team_member_delete", args=[project.pk, t.pk])),
    ]


def _share_link(**fields):
    """A share link made the way the page makes it, with its one-time token kept on the object."""
    issued = share_link_create(**fields)
    issued.link.token = issued.token
    return issued.link


@pytest.fixture
def owned_project(world):
    project = make_project(world.owner, title="Owner private project")
    add_months(project, UTI)
    add_presentation(project)
    project.team_members.create(name="Pat Pharmacist", profession="pharmacist")
    return project


@pytest.mark.parametrize("role", ROLES)
def test_list_portfolio_and_export_show_only_the_users_own_projects(client, world, owned_project, role):
    user = login_as(client, world, role)
    for name in ("project_list", "portfolio", "portfolio_export", "share_links", "project_create"):
        response = client.get(reverse(f"outcomes:{name}"))
        if user is None:
            assert response.status_code == 302
        elif user.is_clinician:
            assert response.status_code == 200
            shows = "Owner private project" in response.content.decode()
            assert shows == (role == "owner" and name in {"project_list", "portfolio", "portfolio_export"}), (
                name,
                role,
            )
        else:
            assert response.status_code == 403, (name, role)


def _project_form_data(project, **changes):
    """The edit form as the owner's browser posts it back unchanged, with `changes` applied."""
    data = {
        "title": project.title,
        "gap_statement": project.gap_statement,
        "setting": project.setting,
        "measure_name": project.measure_name,
        "measure_kind": project.measure_kind,
        "measure_unit": project.measure_unit,
        "higher_is_better": "on" if project.higher_is_better else "",
        "moore_level": project.moore_level,
        "baseline_start": project.baseline_start.isoformat(),
        "baseline_end": project.baseline_end.isoformat(),
        "baseline_numerator": project.baseline_numerator,
        "baseline_denominator": project.baseline_denominator,
        "target_value": project.target_value,
        "co_interventions": "\n".join(project.co_interventions),
        "status": project.status,
    }
    data.update(changes)
    return data


def _project_row(project):
    return OutcomeProject.objects.filter(pk=project.pk).values().get()


def test_owner_sees_the_project_page_and_the_edit_form_filled_in(client, world, owned_project):
    client.force_login(world.owner)
    detail = client.get(reverse("outcomes:project_detail", args=[owned_project.pk])).content.decode()
    assert "<h1>Owner private project</h1>" in detail
    assert "Pat Pharmacist" in detail and "Department results" in detail
    edit = client.get(reverse("outcomes:project_edit", args=[owned_project.pk])).content.decode()
    assert 'name="title" value="Owner private project"' in edit
    assert 'name="baseline_denominator" value="505"' in edit


def test_owner_edits_the_project_and_is_sent_back_to_it(client, world, owned_project):
    client.force_login(world.owner)
    url = reverse("outcomes:project_edit", args=[owned_project.pk])
    data = _project_form_data(owned_project, title="UTI antibiotics, 27 clinics", setting="27 clinics")
    response = client.post(url, {**data, "status": "reported"})
    assert response.status_code == 302
    assert response["Location"] == reverse("outcomes:project_detail", args=[owned_project.pk])
    owned_project.refresh_from_db()
    assert (owned_project.title, owned_project.setting, owned_project.status) == (
        "UTI antibiotics, 27 clinics",
        "27 clinics",
        "reported",
    )
    assert owned_project.co_interventions == ["Guideline", "EHR order set"]
    assert owned_project.measurements.count() == len(UTI)


def test_owner_posting_an_empty_edit_form_sees_the_errors_and_nothing_changes(client, world, owned_project):
    client.force_login(world.owner)
    before = _project_row(owned_project)
    blank = dict.fromkeys(_project_form_data(owned_project), "")  # every field sent, as a browser sends them
    response = client.post(reverse("outcomes:project_edit", args=[owned_project.pk]), blank)
    body = response.content.decode()
    assert response.status_code == 200
    for field in ("title", "gap_statement", "measure_name", "measure_kind", "baseline_start", "status"):
        assert f'id="id_{field}_error"><p class="error">This field is required.</p>' in body, field
    assert _project_row(owned_project) == before


def test_owner_posting_an_invalid_edit_sees_why_and_nothing_changes(client, world, owned_project):
    client.force_login(world.owner)
    before = _project_row(owned_project)
    data = _project_form_data(owned_project, title="Renamed", baseline_numerator="600")
    response = client.post(reverse("outcomes:project_edit", args=[owned_project.pk]), data)
    assert response.status_code == 200
    assert MESSAGES["numerator_too_large"] in response.content.decode()
    assert _project_row(owned_project) == before


def test_owner_adds_a_presentation_and_is_sent_to_the_presentations(client, world, owned_project):
    client.force_login(world.owner)
    response = client.post(
        reverse("outcomes:presentation_add", args=[owned_project.pk]),
        {"venue_kind": "conference", "title": "Regional QI meeting", "presented_on": "2026-03-02", "audience": "QI"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("outcomes:project_detail", args=[owned_project.pk]) + "#presentations"
    added = owned_project.presentations.get(title="Regional QI meeting")
    assert (added.venue_kind, added.presented_on, added.audience) == ("conference", datetime.date(2026, 3, 2), "QI")
    assert owned_project.presentations.count() == 2


def test_owner_posting_an_empty_presentation_sees_the_errors_and_nothing_is_added(client, world, owned_project):
    client.force_login(world.owner)
    response = client.post(reverse("outcomes:presentation_add", args=[owned_project.pk]), {})
    body = response.content.decode()
    assert response.status_code == 200
    for field in ("venue_kind", "title", "presented_on"):
        assert f'id="id_{field}_error"><p class="error">This field is required.</p>' in body, field
    assert list(owned_project.presentations.values_list("title", flat=True)) == ["Department results"]


def test_owner_adds_a_team_member_and_is_sent_to_the_team(client, world, owned_project):
    client.force_login(world.owner)
    response = client.post(
        reverse("outcomes:team_member_add", args=[owned_project.pk]), {"name": "Noor Nurse", "profession": "nurse"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("outcomes:project_detail", args=[owned_project.pk]) + "#team"
    assert list(owned_project.team_members.values_list("name", "profession")) == [
        ("Noor Nurse", "nurse"),
        ("Pat Pharmacist", "pharmacist"),
    ]


def test_owner_posting_an_empty_team_member_sees_the_errors_and_nothing_is_added(client, world, owned_project):
    client.force_login(world.owner)
    response = client.post(reverse("outcomes:team_member_add", args=[owned_project.pk]), {"profession": "healer"})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_name_error"><p class="error">This field is required.</p>' in body
    assert "Select a valid choice. healer is not one of the available choices." in body
    assert list(owned_project.team_members.values_list("name", flat=True)) == ["Pat Pharmacist"]


def test_owner_posting_an_empty_measurement_sees_the_errors_and_nothing_is_added(client, world, owned_project):
    client.force_login(world.owner)
    response = client.post(reverse("outcomes:measurement_add", args=[owned_project.pk]), {})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_period_start_error"><p class="error">This field is required.</p>' in body
    assert MESSAGES["numerator_required"] in body and MESSAGES["denominator_required"] in body
    assert owned_project.measurements.count() == len(UTI)


def test_owner_deletes_a_measurement_a_presentation_a_team_member_and_then_the_project(client, world, owned_project):
    client.force_login(world.owner)
    detail = reverse("outcomes:project_detail", args=[owned_project.pk])
    measurement = owned_project.measurements.order_by("period_start").first()
    presentation = owned_project.presentations.get()
    member = owned_project.team_members.get()
    for url_name, row, remaining in (
        ("outcomes:measurement_delete", measurement, owned_project.measurements),
        ("outcomes:presentation_delete", presentation, owned_project.presentations),
        ("outcomes:team_member_delete", member, owned_project.team_members),
    ):
        response = client.post(reverse(url_name, args=[owned_project.pk, row.pk]))
        assert response["Location"] == detail, url_name
        assert not remaining.filter(pk=row.pk).exists(), url_name
    assert owned_project.measurements.count() == len(UTI) - 1
    response = client.post(reverse("outcomes:project_delete", args=[owned_project.pk]))
    assert response["Location"] == reverse("outcomes:project_list")
    assert not OutcomeProject.objects.filter(pk=owned_project.pk).exists()
    assert not Measurement.objects.filter(project_id=owned_project.pk).exists()


def test_detail_shows_result_interval_chart_table_and_caveat(client, world, owned_project):
    client.force_login(world.owner)
    body = client.get(reverse("outcomes:project_detail", args=[owned_project.pk])).content.decode()
    assert "43.4%" in body and "62.4%" in body
    assert "n = 505" in body and "n = 93" in body
    assert "+19.0 percentage points" in body
    # Newcombe interval for 58/93 vs 219/505 (see test_statistics): +8.0 to +29.1 points.
    assert "+8.0 to +29.1 percentage points" in body
    assert "Newcombe hybrid score interval" in body
    assert "two-sided two-proportion z-test" in body
    assert 'role="img"' in body and "<table" in body
    assert (
        "Before/after comparison with co-interventions (Guideline, EHR order set): this does not show that the CME "
        "alone caused the change." in body
    )


def test_caption_description_and_signal_column_report_the_counts_the_run_chart_rules_count(client, world):
    # Baseline 50%; then 52 54 54 56 58 50 60: six points above the median with one on it (a shift of 6),
    # and 50 52 54 (54) 56 58 rising with one repeated value (a trend of 5).
    project = make_project(world.owner, baseline_numerator=50, baseline_denominator=100, target_value=None)
    add_months(project, [(52, 100), (54, 100), (54, 100), (56, 100), (58, 100), (50, 100), (60, 100)])
    client.force_login(world.owner)
    body = client.get(reverse("outcomes:project_detail", args=[project.pk])).content.decode()
    shift = "6 points above the baseline median (1 on the median not counted)"
    trend = "5 points going up (1 repeated value not counted)"
    assert f"Signals: Shift: {shift}; Trend: {trend}." in body  # the caption
    assert f"Signals: shift, {shift}; trend, {trend}." in body  # the chart's description
    # The repeated 54 counts towards the shift (it is above the median) but not towards the trend.
    assert "<td>shift above, point 3 of 6; trend up: same value as before, not counted</td>" in body
    assert "<td>shift above: on the median, not counted</td>" in body
    assert "<td>shift above, point 6 of 6</td>" in body
    assert "7 points" not in body


def test_chosen_measurement_is_compared(client, world, owned_project):
    client.force_login(world.owner)
    first = owned_project.measurements.order_by("period_start").first()
    body = client.get(
        reverse("outcomes:project_detail", args=[owned_project.pk]), {"compare": first.pk}
    ).content.decode()
    assert "43.8%" in body  # 39/89


def test_creating_a_project_and_adding_a_measurement(client, world):
    client.force_login(world.owner)
    response = client.post(
        reverse("outcomes:project_create"),
        {
            "title": "Duration",
            "gap_statement": "Too long",
            "measure_name": "Mean duration",
            "measure_kind": "mean",
            "measure_unit": "days",
            "moore_level": "5",
            "baseline_start": "2024-01-01",
            "baseline_end": "2024-06-30",
            "baseline_value": "7.3",
            "baseline_n": "50",
            "baseline_sd": "2.0",
            "status": "measuring",
        },
    )
    project = OutcomeProject.objects.get(title="Duration")
    assert response.status_code == 302
    assert project.owner == world.owner and project.higher_is_better is False
    response = client.post(
        reverse("outcomes:measurement_add", args=[project.pk]),
        {"period_start": "2024-07-01", "period_end": "2024-12-31", "value": "6.0", "n": "60", "sd": "1.8"},
    )
    assert response.status_code == 302
    body = client.get(reverse("outcomes:project_detail", args=[project.pk])).content.decode()
    # Welch interval from test_statistics: -2.03 to -0.57 days.
    assert "−2.0 to −0.6 days" in body
    assert "in the better direction (lower is better)" in body
    assert "Welch" in body


def test_supervisor_sees_the_portfolio_only_through_a_share_link(client, world, owned_project):
    link = _share_link(owner=world.owner, expires_on=timezone.localdate())
    client.force_login(world.team_supervisor)
    assert client.get(reverse("outcomes:project_detail", args=[owned_project.pk])).status_code == 403
    response = client.get(reverse("outcomes:shared_portfolio", args=[link.token]))
    assert response.status_code == 200
    assert "Owner private project" in response.content.decode()


def test_share_link_shows_only_the_read_only_portfolio_and_logs_each_access(client, world, owned_project):
    link = _share_link(owner=world.owner, expires_on=timezone.localdate() + datetime.timedelta(days=7))
    url = reverse("outcomes:shared_portfolio", args=[link.token])
    response = client.get(url, HTTP_USER_AGENT="Reviewer browser", REMOTE_ADDR="203.0.113.9")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Owner private project" in body
    assert "Read-only copy" in body
    assert reverse("outcomes:project_detail", args=[owned_project.pk]) not in body
    assert reverse("outcomes:portfolio_export") not in body
    assert "csrfmiddlewaretoken" not in body
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    access = PortfolioShareAccess.objects.get(link=link)
    assert access.user_agent == "Reviewer browser"
    assert access.ip_hash and "203.0.113.9" not in access.ip_hash
    client.get(url)
    assert PortfolioShareAccess.objects.filter(link=link).count() == 2
    # The token opens nothing else.
    assert client.get(reverse("outcomes:project_detail", args=[owned_project.pk])).status_code == 302


def test_share_link_stops_after_expiry_and_after_revocation(client, world, owned_project):
    today = timezone.localdate()
    expired = _share_link(owner=world.owner, expires_on=today - datetime.timedelta(days=1))
    assert client.get(reverse("outcomes:shared_portfolio", args=[expired.token])).status_code == 404
    link = _share_link(owner=world.owner, expires_on=today + datetime.timedelta(days=3))
    assert client.get(reverse("outcomes:shared_portfolio", args=[link.token])).status_code == 200
    client.force_login(world.owner)
    response = client.post(reverse("outcomes:share_link_revoke", args=[link.pk]))
    assert response["Location"] == reverse("outcomes:share_links")
    link.refresh_from_db()
    assert link.revoked_at is not None
    client.logout()
    assert client.get(reverse("outcomes:shared_portfolio", args=[link.token])).status_code == 404
    assert client.get(reverse("outcomes:shared_portfolio", args=["not-a-token"])).status_code == 404
    assert PortfolioShareAccess.objects.filter(link=expired).count() == 0


def test_share_links_are_created_with_a_random_token_and_only_the_owner_can_revoke(client, world):
    client.force_login(world.owner)
    expires = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    response = client.post(reverse("outcomes:share_links"), {"label": "Review", "expires_on": expires})
    # Shown once, on the response to the POST: only the token's digest is stored.
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    token = re.search(r'id="new-link" value="[^"]*/outcomes/shared/([^/"]+)/"', response.content.decode()).group(1)
    link = PortfolioShareLink.objects.get(owner=world.owner)
    assert (link.label, link.expires_on.isoformat(), link.revoked_at) == ("Review", expires, None)
    assert len(token) >= 43
    assert link.token_digest == token_digest(token) and token not in str(PortfolioShareLink.objects.values().get())
    assert token not in client.get(reverse("outcomes:share_links")).content.decode()
    assert client.get(reverse("outcomes:shared_portfolio", args=[token])).status_code == 200
    # A leaked database value used as the token opens nothing.
    assert client.get(reverse("outcomes:shared_portfolio", args=[link.token_digest])).status_code == 404
    client.force_login(world.other_clinician)
    assert client.post(reverse("outcomes:share_link_revoke", args=[link.pk])).status_code == 404
    link.refresh_from_db()
    assert link.revoked_at is None


def test_json_export_contains_only_the_owners_data(client, world, owned_project):
    other = make_project(world.other_clinician, title="Someone else project")
    add_months(other, [(1, 2)])
    claim = CreditClaim.objects.create(user=world.owner, title="Owner's course", completed_on=datetime.date(2025, 3, 1))
    CreditAmount.objects.create(claim=claim, credit_type="ama_pra_1", amount=5)
    CreditClaim.objects.create(
        user=world.other_clinician, title="Other's course", completed_on=datetime.date(2025, 3, 1)
    )
    client.force_login(world.owner)
    response = client.get(reverse("outcomes:portfolio_export"))
    assert response["Content-Type"] == "application/json"
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert set(data) >= {"profile", "licences", "goals", "shortlist", "credit_claims", "outcome_projects"}
    assert [p["title"] for p in data["outcome_projects"]] == ["Owner private project"]
    assert len(data["outcome_projects"][0]["measurements"]) == len(UTI)
    assert data["outcome_projects"][0]["presentations"][0]["title"] == "Department results"
    assert [c["title"] for c in data["credit_claims"]] == ["Owner's course"]
    text = response.content.decode()
    assert "Someone else" not in text and "Other's course" not in text and world.other_clinician.email not in text


def _portfolio_queries(client):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("outcomes:portfolio"))
    assert response.status_code == 200
    return len(captured)


def _add_projects(owner, count, start):
    for index in range(start, start + count):
        project = make_project(owner, title=f"Project {index}")
        add_months(project, [(40, 90), (45, 90), (50, 90)])
        add_presentation(project, title=f"Talk {index}")
        project.team_members.create(name=f"Member {index}", profession="nurse")
        claim = CreditClaim.objects.create(user=owner, title=f"Course {index}", completed_on=datetime.date(2025, 1, 1))
        CreditAmount.objects.create(claim=claim, credit_type="ama_pra_1", amount=2)
        project.linked_claims.add(claim)


def test_portfolio_query_count_is_the_same_for_1_and_100_projects(client, world):
    client.force_login(world.owner)
    _add_projects(world.owner, 1, 0)
    small = _portfolio_queries(client)
    _add_projects(world.owner, 99, 1)
    large = _portfolio_queries(client)
    assert small == large
    assert "Project 99" in client.get(reverse("outcomes:portfolio")).content.decode()


def test_project_list_query_count_does_not_grow(client, world):
    client.force_login(world.owner)
    _add_projects(world.owner, 1, 0)
    with CaptureQueriesContext(connection) as small:
        body = client.get(reverse("outcomes:project_list")).content.decode()
    assert "Project 0" in body
    _add_projects(world.owner, 30, 1)
    with CaptureQueriesContext(connection) as large:
        body = client.get(reverse("outcomes:project_list")).content.decode()
    assert len(small) == len(large)
    assert all(f"Project {index}<" in body for index in range(31))


def test_a_share_link_opening_behind_the_proxy_logs_the_clients_address(client, world, settings):
    from outcomes.services import ip_hash

    settings.TRUSTED_PROXIES = ["172.30.0.0/24"]
    link = _share_link(owner=world.owner, expires_on=timezone.localdate() + datetime.timedelta(days=7))
    url = reverse("outcomes:shared_portfolio", args=[link.token])
    assert client.get(url, REMOTE_ADDR="172.30.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 200
    assert PortfolioShareAccess.objects.get(link=link).ip_hash == ip_hash("203.0.113.9")
