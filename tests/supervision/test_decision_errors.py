"""A decision the form or the policy refuses comes back as typed, with its errors (issue 13, item 3).

Deciding on the request's page and approving from the dashboard once redirected with the errors as
flash text, losing the typed reason and amount; now the page it was made on comes back (400), the
error summary at the top of the form's section (the form posts to that section's anchor).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from supervision.models import RequestDecision, RequestStatus
from tests.test_form_errors import error_state_problems

from .helpers import funding_request, policy, profile

pytestmark = pytest.mark.django_db


def _decide(client: Any, world: Any, req: Any, data: dict[str, str]) -> Any:
    client.force_login(world.team_supervisor)
    return client.post(reverse("supervision:request_decide", args=[req.pk]), data)


def test_a_partial_approval_over_the_request_comes_back_with_the_typed_amount_and_reason(client, world):
    profile(world.owner)
    req = funding_request(world.owner, world.team, amount="500")
    response = _decide(
        client, world, req, {"outcome": "partially_approved", "amount": "900", "reason": "Half the hotel"}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert response.templates[0].name == "supervision/request_detail.html"
    assert 'value="900"' in html
    assert "Half the hotel</textarea>" in html
    assert "A partial approval cannot exceed what was requested." in html
    assert 'action="' + reverse("supervision:request_decide", args=[req.pk]) + '#decide"' in html
    assert error_state_problems(html) == []
    req.refresh_from_db()
    assert req.status == RequestStatus.PENDING
    assert not RequestDecision.objects.filter(request=req).exists()


def test_a_decision_without_a_reason_links_the_reason_and_keeps_the_amount(client, world):
    profile(world.owner)
    req = funding_request(world.owner, world.team, amount="500")
    response = _decide(client, world, req, {"outcome": "partially_approved", "amount": "120"})
    html = response.content.decode()
    assert response.status_code == 400
    assert 'value="120"' in html
    assert '<a href="#id_reason">Reason (the requester sees it): This field is required.</a>' in html
    assert "<title>Error: Request for" in html
    assert error_state_problems(html) == []


def test_a_decision_without_an_outcome_links_the_first_radio(client, world):
    profile(world.owner)
    req = funding_request(world.owner, world.team)
    html = _decide(client, world, req, {"reason": "Fine"}).content.decode()
    assert '<a href="#id_outcome_0">Decision: This field is required.</a>' in html
    assert error_state_problems(html) == []


def test_a_quick_approval_without_a_reason_comes_back_on_the_dashboard_in_its_row(client, world):
    profile(world.owner)
    req = funding_request(world.owner, world.team)
    response = _decide(client, world, req, {"outcome": "approved", "return_to": "dashboard", "reason": " "})
    html = response.content.decode()
    assert response.status_code == 400
    assert response.templates[0].name == "supervision/dashboard.html"
    assert f'<a href="#decide-{req.pk}-reason">' in html
    assert f'id="decide-{req.pk}-reason_error"' in html
    assert 'action="' + reverse("supervision:request_decide", args=[req.pk]) + '#pending"' in html
    assert "<title>Error: Team A: team dashboard" in html
    assert error_state_problems(html) == []
    # The sort links still lead to the dashboard, not to the decision's address the page came back on.
    assert 'href="' + reverse("supervision:dashboard", args=[world.team.pk]) + "?sort=" in html


def test_a_quick_approval_the_policy_refuses_keeps_the_typed_reason(client, world):
    profile(world.owner)
    policy(team=world.team, amount="100", rule="refuse")
    req = funding_request(world.owner, world.team, amount="500")
    response = _decide(client, world, req, {"outcome": "approved", "return_to": "dashboard", "reason": "Core training"})
    html = response.content.decode()
    assert response.status_code == 400
    assert 'value="Core training"' in html
    assert error_state_problems(html) == []
    req.refresh_from_db()
    assert req.status == RequestStatus.PENDING


def test_a_quick_approval_still_redirects_to_the_dashboard_when_it_succeeds(client, world):
    profile(world.owner)
    req = funding_request(world.owner, world.team)
    response = _decide(client, world, req, {"outcome": "approved", "return_to": "dashboard", "reason": "Core"})
    assert response.status_code == 302
    assert response["Location"] == reverse("supervision:dashboard", args=[world.team.pk])
    req.refresh_from_db()
    assert req.amount_approved == Decimal("500")


def test_every_dashboard_action_names_the_member_and_program(client, world):
    profile(world.owner)
    req = funding_request(world.owner, world.team)
    client.force_login(world.team_supervisor)
    html = client.get(reverse("supervision:dashboard", args=[world.team.pk])).content.decode()
    who = f"{world.owner}’s request for {req.program.title}"
    assert f"Reason for approving {who}</label>" in html
    assert f'Approve in full<span class="visually-hidden"> {who}</span>' in html
    assert f"request {req.pk}<" not in html
