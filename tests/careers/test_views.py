import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from careers import services
from careers.models import CareerGoal, ClinicianProfile, CreditAmount, CreditClaim, Licence, ShortlistEntry
from cme_portal.tokens import token_digest
from tests.conftest import ROLES, login_as
from tests.factories import ClinicianFactory, ProgramFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%test certificate\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def media(settings):
    """This test's private media root (tests/conftest.py points it into the test's tmp_path)."""
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def owned(world, media):
    """One of everything belonging to the world's owner."""
    owner = world.owner
    profile = ClinicianProfile.objects.create(
        user=owner, profession="physician", next_review_date=datetime.date(2027, 3, 1)
    )
    goal = CareerGoal.objects.create(user=owner, track="education", target_role="Educator", is_active=True)
    licence = Licence.objects.create(
        user=owner,
        jurisdiction="California",
        licence_type="MD",
        renewal_date=datetime.date(2027, 6, 30),
        hours_required=Decimal("50"),
    )
    program = ProgramFactory()
    entry = ShortlistEntry.objects.create(user=owner, program=program)
    claim = services.credit_claim_create(
        user=owner,
        title="Course",
        provider_name="",
        completed_on=datetime.date(2026, 1, 1),
        topics=[],
        amounts={"ama_pra_1": Decimal("5")},
        certificate=SimpleUploadedFile("cert.pdf", PDF, content_type="application/pdf"),
    )
    return {"profile": profile, "goal": goal, "licence": licence, "program": program, "entry": entry, "claim": claim}


def test_certificate_download_is_an_attachment(client, world, owned):
    client.force_login(world.owner)
    response = client.get(reverse("careers:certificate", args=[owned["claim"].pk]))
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content) == PDF


@pytest.mark.parametrize("role", ROLES)
def test_calendar_feed_answers_only_to_the_right_token(client, world, owned, role):
    login_as(client, world, role)
    token = services.calendar_token_regenerate(user=world.owner)
    response = client.get(reverse("careers:calendar_feed", args=[token]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert b"Performance review" in response.content
    assert b"Licence renewal: California MD" in response.content
    assert client.get(reverse("careers:calendar_feed", args=["not-the-token"])).status_code == 404


def test_regenerated_token_retires_the_old_feed_url(client, world, owned):
    client.force_login(world.owner)
    old = services.calendar_token_regenerate(user=world.owner)
    response = client.post(reverse("careers:calendar_regenerate"))
    # The new address is shown on this response, once: only its digest is stored.
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    new = re.search(r'id="feed-url" value="[^"]*/careers/calendar/([^/"]+)\.ics"', response.content.decode()).group(1)
    assert new != old
    stored = ClinicianProfile.objects.get(user=world.owner).calendar_token_digest
    assert stored == token_digest(new) and new not in stored
    assert new not in client.get(reverse("careers:calendar")).content.decode()
    # A leaked database value used as the token opens nothing.
    assert client.get(reverse("careers:calendar_feed", args=[stored])).status_code == 404
    assert client.get(reverse("careers:calendar_feed", args=[old])).status_code == 404
    feed = client.get(reverse("careers:calendar_feed", args=[new]))
    assert feed["Content-Type"].startswith("text/calendar")
    assert b"Licence renewal: California MD" in feed.content


def test_shortlist_toggle_with_htmx_returns_the_button_and_without_js_redirects_back(client, world):
    program = ProgramFactory()
    client.force_login(world.owner)
    url = reverse("careers:shortlist_toggle", args=[program.pk])
    response = client.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert b"On your shortlist" in response.content
    assert ShortlistEntry.objects.filter(user=world.owner, program=program).exists()
    response = client.post(url, {"next": f"/programs/{program.pk}/"})
    assert response.status_code == 302 and response["Location"] == f"/programs/{program.pk}/"
    assert not ShortlistEntry.objects.exists()
    response = client.post(url, {"next": "https://evil.example/"})
    assert response["Location"] == reverse("careers:plan")


def test_status_changes_record_the_date_of_each_status(client, world):
    client.force_login(world.owner)
    entry = ShortlistEntry.objects.create(user=world.owner, program=ProgramFactory())
    client.post(reverse("careers:shortlist_update", args=[entry.pk]), {"status": "planned", "note": "ask HR"})
    client.post(reverse("careers:shortlist_update", args=[entry.pk]), {"status": "enrolled", "note": "ask HR"})
    entry.refresh_from_db()
    assert entry.status == "enrolled" and entry.planned_on and entry.enrolled_on and entry.note == "ask HR"
    response = client.post(
        reverse("careers:shortlist_update", args=[entry.pk]), {"status": "bogus", "note": ""}, follow=True
    )
    assert response.redirect_chain == [(reverse("careers:plan"), 302)]
    assert "Choose one of the listed statuses; the note was not saved." in response.content.decode()
    entry.refresh_from_db()
    assert entry.status == "enrolled" and entry.note == "ask HR"


def test_goal_weights_all_zero_are_refused_with_a_clear_message(client, world):
    client.force_login(world.owner)
    data = {
        "track": "education",
        "target_role": "Educator",
        "weight_outcome": 0,
        "weight_independence": 0,
        "weight_interprofessional": 0,
        "weight_career": 0,
    }
    response = client.post(reverse("careers:goal_new"), data)
    assert response.status_code == 400
    assert "At least one factor needs a weight above 0." in response.content.decode()
    assert not CareerGoal.objects.exists()
    response = client.post(reverse("careers:goal_new"), {**data, "weight_career": 6})
    assert response.status_code == 400
    response = client.post(
        reverse("careers:goal_new"), {**data, "weight_career": 2, "essential_competencies": ["teaching"]}
    )
    assert "must also be ticked" in response.content.decode()


def test_one_active_goal_at_a_time_others_kept(client, world):
    client.force_login(world.owner)
    base = {"track": "education", "weight_outcome": 3, "weight_independence": 3, "weight_interprofessional": 3}
    client.post(reverse("careers:goal_new"), {**base, "target_role": "First", "weight_career": 3})
    client.post(reverse("careers:goal_new"), {**base, "target_role": "Second", "weight_career": 3})
    first, second = CareerGoal.objects.get(target_role="First"), CareerGoal.objects.get(target_role="Second")
    assert first.is_active and not second.is_active
    client.post(reverse("careers:goal_activate", args=[second.pk]))
    assert list(CareerGoal.objects.filter(is_active=True).values_list("target_role", flat=True)) == ["Second"]
    assert CareerGoal.objects.count() == 2


def test_licence_with_topic_requirements_saves_and_duplicates_are_refused(client, world):
    client.force_login(world.owner)
    data = {
        "jurisdiction": "California",
        "licence_type": "MD",
        "renewal_date": "2027-06-30",
        "cycle_months": 24,
        "hours_required": "50",
        "accepted_credit_types": ["ama_pra_1"],
        "topics-TOTAL_FORMS": 2,
        "topics-INITIAL_FORMS": 0,
        "topics-0-topic": "opioids",
        "topics-0-hours": "3",
        "topics-1-topic": "",
        "topics-1-hours": "",
    }
    assert client.post(reverse("careers:licence_new"), data).status_code == 302
    licence = Licence.objects.get()
    assert licence.accepted_credit_types == ["ama_pra_1"]
    assert [(t.topic, t.hours) for t in licence.topic_requirements.all()] == [("opioids", Decimal("3.00"))]
    response = client.post(reverse("careers:licence_new"), {**data, "topics-1-topic": "opioids", "topics-1-hours": "2"})
    assert response.status_code == 400
    assert Licence.objects.count() == 1
    response = client.post(reverse("careers:licence_new"), {**data, "hours_required": "-1"})
    assert response.status_code == 400


def test_profile_refuses_more_used_than_budget(client, world):
    client.force_login(world.owner)
    data = {
        "profession": "physician",
        "yearly_budget_amount": "100",
        "budget_used_amount": "200",
        "yearly_leave_days": "1",
        "leave_used_days": "0",
    }
    response = client.post(reverse("careers:profile"), data)
    assert response.status_code == 400
    assert "cannot be more than the yearly budget" in response.content.decode()
    assert not ClinicianProfile.objects.exists()


def _claim_data(**extra):
    return {"title": "Outside course", "completed_on": "2026-01-10", "amount_ama_pra_1": "4", **extra}


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("cert.exe", b"MZ\x90\x00"), "PDF, PNG or JPEG"),
        (SimpleUploadedFile("cert.pdf", b"<html>not a pdf</html>"), "not a PDF, PNG or JPEG"),
        (SimpleUploadedFile("cert.png", PDF), "not a PDF, PNG or JPEG"),
        (SimpleUploadedFile("cert.pdf", PDF + b"0" * (5 * 1024 * 1024)), "larger than 5 MB"),
    ],
)
def test_certificate_upload_rejects_wrong_type_or_size_and_writes_nothing(client, world, media, upload, message):
    client.force_login(world.owner)
    response = client.post(reverse("careers:credit_new"), _claim_data(certificate=upload))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not CreditClaim.objects.exists()
    assert not any(media.rglob("*.*"))


def test_certificate_upload_accepts_png_and_stores_it_under_a_random_name(client, world, media):
    client.force_login(world.owner)
    response = client.post(
        reverse("careers:credit_new"), _claim_data(certificate=SimpleUploadedFile("my name.png", PNG))
    )
    assert response.status_code == 302
    claim = CreditClaim.objects.get()
    assert claim.certificate.name.startswith("certificates/") and "my name" not in claim.certificate.name
    assert (media / claim.certificate.name).read_bytes() == PNG


def test_credit_form_needs_an_amount_and_no_future_date(client, world):
    client.force_login(world.owner)
    response = client.post(reverse("careers:credit_new"), {"title": "X", "completed_on": "2026-01-10"})
    assert "at least one credit type" in response.content.decode()
    response = client.post(reverse("careers:credit_new"), _claim_data(completed_on="2999-01-01"))
    assert "cannot be in the future" in response.content.decode()
    assert not CreditClaim.objects.exists()


def test_completing_a_program_prefills_its_offerings_and_moves_licence_progress(client, world):
    client.force_login(world.owner)
    today = datetime.date.today()
    Licence.objects.create(
        user=world.owner,
        jurisdiction="California",
        licence_type="MD",
        renewal_date=today + datetime.timedelta(days=300),
        hours_required=Decimal("50"),
        accepted_credit_types=["ama_pra_1"],
    )
    program = ProgramFactory(credits={"ama_pra_1": "12", "ancc": "12"}, start_date=today - datetime.timedelta(days=10))
    entry = ShortlistEntry.objects.create(user=world.owner, program=program, status="enrolled")
    response = client.post(reverse("careers:shortlist_update", args=[entry.pk]), {"status": "completed", "note": ""})
    assert response["Location"] == reverse("careers:entry_complete", args=[entry.pk])
    form_page = client.get(response["Location"]).content.decode()
    assert 'name="amount_ama_pra_1"' in form_page and 'value="12.00"' in form_page
    # The licence accepts AMA PRA Category 1 only: the program's ANCC hours are neither offered nor prefilled.
    assert 'name="amount_ancc"' not in form_page
    client.post(
        reverse("careers:entry_complete", args=[entry.pk]),
        {"title": program.title, "completed_on": today.isoformat(), "amount_ama_pra_1": "10", "amount_ancc": "12"},
    )
    entry.refresh_from_db()
    assert entry.status == "completed"
    assert dict(entry.credit_claim.amounts.values_list("credit_type", "amount")) == {"ama_pra_1": Decimal("10")}
    page = client.get(reverse("careers:credits")).content.decode()
    assert "10 of 50 hours entered as required" in page
    assert "compliant" not in page.lower()


def _populate(user, n):
    today = datetime.date.today()
    for i in range(n):
        program = ProgramFactory(credits={"ama_pra_1": "4", "ancc": "4"})
        entry = ShortlistEntry.objects.create(user=user, program=program, status="planned" if i % 2 else "enrolled")
        claim = CreditClaim.objects.create(
            user=user, title=f"C{i}", completed_on=today, topics=["opioids"], program=program, shortlist_entry=entry
        )
        CreditAmount.objects.create(claim=claim, credit_type="ama_pra_1", amount=Decimal("1"))
        licence = Licence.objects.create(
            user=user,
            jurisdiction=f"S{i}",
            licence_type="MD",
            renewal_date=today + datetime.timedelta(days=30 + i),
            hours_required=Decimal("10"),
        )
        licence.topic_requirements.create(topic="opioids", hours=Decimal("1"))


@pytest.mark.parametrize("name", ["careers:plan", "careers:credits"])
def test_list_pages_query_count_does_not_grow(client, name):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = ClinicianFactory()
    ClinicianProfile.objects.create(user=user, profession="physician")
    client.force_login(user)

    # What each page lists once per populated row: shortlist entries on the plan, licences on the credits page.
    def listed(body: str) -> int:
        if name == "careers:plan":
            return int(re.search(r"Shortlist \((\d+)\)", body)[1])
        return len(re.findall(r'<progress id="licence-\d+-total"', body))

    _populate(user, 2)
    with CaptureQueriesContext(connection) as small:
        body = client.get(reverse(name)).content.decode()
    assert listed(body) == 2
    _populate(user, 25)
    with CaptureQueriesContext(connection) as large:
        body = client.get(reverse(name)).content.decode()
    assert len(small) == len(large), [q["sql"] for q in large.captured_queries]
    assert listed(body) == 27


def test_catalog_shortlist_buttons_cost_one_query(client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(world.owner)
    ProgramFactory.create_batch(2)
    client.get(reverse("programs:catalog"))  # warm the catalog's cached tag options
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("programs:catalog"))
    ProgramFactory.create_batch(15)
    cache.clear()
    client.get(reverse("programs:catalog"))
    with CaptureQueriesContext(connection) as large:
        content = client.get(reverse("programs:catalog")).content.decode()
    assert len(small) == len(large)
    assert content.count("Add to shortlist") >= 17
