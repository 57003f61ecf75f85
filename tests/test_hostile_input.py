"""User input that reached a call able to raise: return targets, ids, formset sizes (issue 12).

The seeded fuzz over every form is tests/test_form_fuzz.py; each finding it made has its own test here.
"""

from __future__ import annotations

import datetime
import time

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from careers.models import Licence, ShortlistEntry
from cme_portal.ids import MAX_ID, id_from_text
from cme_portal.redirects import allowed_choice, safe_return_path
from outcomes.models import OutcomeProject
from tests.conftest import RoleWorld
from tests.factories import ProgramFactory
from tests.outcomes.helpers import add_months, make_project, project_form_data

# --- Return targets ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/programs/7/", "/programs/7/"),
        ("/programs/?q=sepsis&page=2", "/programs/?q=sepsis&page=2"),
        ("https://evil.example/", "/fallback/"),
        ("//evil.example/", "/fallback/"),
        ("/\\evil.example/", "/fallback/"),
        ("javascript:alert(1)", "/fallback/"),
        # A URL name or any other word: redirect() would hand it to reverse() (NoReverseMatch, a 500).
        ("plan", "/fallback/"),
        ("careers:plan", "/fallback/"),
        ("NaN", "/fallback/"),
        ("0", "/fallback/"),
        ("/careers/\r\nSet-Cookie: x=1", "/fallback/"),
        ("/" + "a" * 3000, "/fallback/"),
        ("", "/fallback/"),
    ],
)
def test_a_return_target_is_a_path_on_this_site_or_the_fallback(target: str, expected: str) -> None:
    request = RequestFactory().post("/", {"next": target})
    assert safe_return_path(request, fallback="/fallback/") == expected


def test_a_return_target_is_read_from_the_query_string_too() -> None:
    assert safe_return_path(RequestFactory().get("/", {"next": "/careers/"}), fallback="/f/") == "/careers/"


def test_a_branch_name_outside_the_allowed_ones_is_the_default() -> None:
    assert allowed_choice("dashboard", allowed=("dashboard",), default="detail") == "dashboard"
    assert allowed_choice("careers:plan", allowed=("dashboard",), default="detail") == "detail"
    assert allowed_choice(None, allowed=("dashboard",), default="detail") == "detail"


@pytest.mark.django_db
@pytest.mark.parametrize("target", ["plan", "0", "NaN", "1e309", "careers:plan", "\ufffd", "https://evil.example/"])
def test_shortlist_toggle_sends_any_other_return_target_to_the_plan(
    client: Client, world: RoleWorld, target: str
) -> None:
    """The finding: 99 server errors in 200 fuzzed posts, a word in `next` reaching reverse()."""
    program = ProgramFactory()
    client.force_login(world.owner)
    response = client.post(reverse("careers:shortlist_toggle", args=[program.pk]), {"next": target})
    assert response.status_code == 302
    assert response["Location"] == reverse("careers:plan")
    assert ShortlistEntry.objects.filter(user=world.owner, program=program).exists()


@pytest.mark.django_db
def test_shortlist_toggle_keeps_a_return_path_on_this_site(client: Client, world: RoleWorld) -> None:
    program = ProgramFactory()
    client.force_login(world.owner)
    response = client.post(reverse("careers:shortlist_toggle", args=[program.pk]), {"next": "/programs/?q=x"})
    assert response["Location"] == "/programs/?q=x"


@pytest.mark.django_db
def test_shortlist_toggle_with_a_body_it_cannot_read_is_a_400_that_writes_nothing(
    client: Client, world: RoleWorld
) -> None:
    """It wrote the entry, then read `next` from the body and failed: a 400 that had changed the shortlist."""
    program = ProgramFactory()
    client.force_login(world.owner)
    body = "&".join(["next=1"] * 3000)  # over DATA_UPLOAD_MAX_NUMBER_FIELDS
    response = client.generic(
        "POST",
        reverse("careers:shortlist_toggle", args=[program.pk]),
        body,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert not ShortlistEntry.objects.exists()


# --- Ids ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("7", 7), (" 12 ", 12), (str(MAX_ID), MAX_ID), ("0", None), ("-3", None), ("\u00b2", None), ("\uff12", None),
     (str(MAX_ID + 1), None), ("9" * 5000, None), ("1e3", None), ("", None), ("abc", None)],
)  # fmt: skip
def test_an_id_from_user_text_is_a_positive_number_a_database_holds(text: str, expected: int | None) -> None:
    assert id_from_text(text) == expected


@pytest.mark.django_db
@pytest.mark.parametrize("compare", ["\u00b2", "99999999999999999999999", "9" * 5000])
def test_a_project_compared_to_a_junk_measurement_id_shows_the_latest(
    client: Client, world: RoleWorld, compare: str
) -> None:
    """`"²".isdigit()` is true and `int("²")` raises: the page was a 500."""
    project = make_project(world.owner)
    add_months(project, [(40, 90), (50, 95)])
    client.force_login(world.owner)
    response = client.get(reverse("outcomes:project_detail", args=[project.pk]), {"compare": compare})
    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("ids", [["99999999999999999999", "1"], ["\u00b2", "1"]])
def test_comparing_programs_by_junk_ids_says_so(client: Client, world: RoleWorld, ids: list[str]) -> None:
    """An id larger than any column made SQLite raise OverflowError in the query."""
    program = ProgramFactory()
    client.force_login(world.owner)
    response = client.get(reverse("programs:compare"), {"ids": [*ids, str(program.pk)]})
    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("single", ["draft:\u00b2", "revision:99999999999999999999", "draft:" + "9" * 5000])
def test_a_review_decision_on_a_junk_id_decides_nothing(client: Client, world: RoleWorld, single: str) -> None:
    draft = ProgramFactory(status="draft")
    client.force_login(world.admin)
    response = client.post(reverse("programs:curation:review_decide"), {"approve_one": single})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == "draft"


@pytest.mark.django_db
def test_a_review_decision_with_junk_checkbox_ids_decides_nothing(client: Client, world: RoleWorld) -> None:
    draft = ProgramFactory(status="draft")
    client.force_login(world.admin)
    response = client.post(
        reverse("programs:curation:review_decide"),
        {"draft": ["\u00b2", "99999999999999999999"], "decision": "approve", "kind": "draft"},
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == "draft"


@pytest.mark.django_db
@pytest.mark.parametrize("claim_id", ["-99999999999999999999", "99999999999999999999", "\u00b2"])
def test_a_project_linked_to_an_out_of_range_claim_id_is_a_form_error(
    client: Client, world: RoleWorld, claim_id: str
) -> None:
    """Django's ModelMultipleChoiceField passed the id to SQLite, which raised OverflowError."""
    client.force_login(world.owner)
    body = {**project_form_data(), "linked_claims": [claim_id], "linked_programs": [claim_id]}
    response = client.post(reverse("outcomes:project_create"), body)
    assert response.status_code in (200, 400)
    assert "is not a valid value" in response.content.decode()
    assert not OutcomeProject.objects.exists()


# --- The licence form with a claimed formset size ---------------------------------------------------


@pytest.mark.django_db
def test_a_licence_post_claiming_thousands_of_topic_rows_is_refused_at_once(client: Client, world: RoleWorld) -> None:
    """The finding: a post with huge and repeated fields took 7.4 s.

    Profiled: the topics formset believed `topics-TOTAL_FORMS=99999` up to Django's default cap
    of 2,000 forms, then validated and rendered them all (6.2 s and 1.9 MB here; 13.6 s with a
    1 MB jurisdiction). It now holds at most one row per mandated topic.
    """
    client.force_login(world.owner)
    body = {
        "jurisdiction": "A" * 1_000_000,
        "licence_type": "MD",
        "renewal_date": (timezone.localdate() + datetime.timedelta(days=400)).isoformat(),
        "cycle_months": "24",
        "hours_required": "9" * 100_000,
        "accepted_credit_types": ["ama_pra_1"] * 400,  # under DATA_UPLOAD_MAX_NUMBER_FIELDS
        "topics-TOTAL_FORMS": "99999",
        "topics-INITIAL_FORMS": "0",
    }
    started = time.perf_counter()
    response = client.post(reverse("careers:licence_new"), body)
    elapsed = time.perf_counter() - started
    assert response.status_code == 400
    assert len(response.context["topics"].forms) <= 5
    assert "Please submit at most 5 forms." in response.content.decode()
    assert elapsed < 2.0
    assert not Licence.objects.exists()


@pytest.mark.django_db
def test_a_post_with_more_fields_than_any_form_has_is_refused_before_the_view(client: Client, world: RoleWorld) -> None:
    client.force_login(world.owner)
    body = {"jurisdiction": "Oregon", "accepted_credit_types": ["ama_pra_1"] * 501}
    response = client.post(reverse("careers:licence_new"), body)
    assert response.status_code == 400
    assert not Licence.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("provider", ["\u00b2", "99999999999999999999", "-1", "0"])
def test_a_catalog_provider_filter_that_is_no_id_is_a_form_message(
    client: Client, world: RoleWorld, provider: str
) -> None:
    """`str.isdigit` let "²" through to `int()` (ValueError, a 500), found by the search form's hypothesis fuzz."""
    client.force_login(world.owner)
    response = client.get(reverse("programs:catalog"), {"provider": provider})
    assert response.status_code == 200
    assert "Choose a provider from the list." in response.content.decode()
