"""Records that stay true: completion only once a program is over, credit types a licence accepts,
past programs still viewable to whoever has them on record, and implausible dates refused."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from careers import rules, services
from careers.forms import CreditClaimForm, GoalForm
from careers.models import CareerGoal, CreditClaim, Licence, ShortlistEntry
from supervision.models import FundingRequest
from tests.factories import ClinicianFactory, ProgramFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def _today() -> datetime.date:
    return timezone.localdate()


def _licence(user, accepted):
    return Licence.objects.create(
        user=user,
        jurisdiction="California",
        licence_type="MD",
        renewal_date=_today() + 300 * DAY,
        hours_required=Decimal("50"),
        accepted_credit_types=accepted,
    )


# --- "Ended" means the last day has come: end_date <= today --------------------------


@pytest.mark.parametrize(
    ("end_offset", "allowed"),
    [(1, False), (0, True), (-1, True)],
    ids=["ends-tomorrow", "ends-today", "ended-yesterday"],
)
def test_completion_rule_edge_is_the_last_day(end_offset, allowed):
    today = datetime.date(2026, 6, 15)
    problem = rules.program_completion_problem(
        start_date=today - 5 * DAY, end_date=today + end_offset * DAY, today=today
    )
    assert (problem is None) is allowed
    if not allowed:
        assert "runs until Jun 16, 2026" in problem


def test_completion_rule_uses_the_start_date_without_an_end_date_and_allows_on_demand():
    today = datetime.date(2026, 6, 15)
    assert rules.program_completion_problem(start_date=today + DAY, end_date=None, today=today)
    assert rules.program_completion_problem(start_date=None, end_date=None, today=today) is None


def test_service_refuses_to_mark_a_future_program_completed_and_writes_nothing():
    user = ClinicianFactory()
    entry = ShortlistEntry.objects.create(user=user, program=ProgramFactory(), status="enrolled", note="old")
    with pytest.raises(services.NotAllowed, match="can be marked completed from its last day on"):
        services.shortlist_update(user=user, entry_id=entry.pk, status="completed", note="new")
    entry.refresh_from_db()
    assert (entry.status, entry.note, entry.completed_on) == ("enrolled", "old", None)
    with pytest.raises(services.NotAllowed):
        services.credit_claim_create(
            user=user,
            title="Too soon",
            provider_name="",
            completed_on=_today(),
            topics=[],
            amounts={"ama_pra_1": Decimal("2")},
            entry_id=entry.pk,
        )
    assert not CreditClaim.objects.exists()


def test_service_marks_a_program_ending_today_completed():
    user = ClinicianFactory()
    program = ProgramFactory(start_date=_today() - DAY, end_date=_today())
    entry = ShortlistEntry.objects.create(user=user, program=program, status="enrolled")
    entry = services.shortlist_update(user=user, entry_id=entry.pk, status="completed", note="")
    assert entry.status == "completed" and entry.completed_on == _today()


def test_plan_shows_the_refusal_for_a_future_program(client):
    user = ClinicianFactory()
    client.force_login(user)
    entry = ShortlistEntry.objects.create(user=user, program=ProgramFactory(title="Next month"), status="planned")
    response = client.post(
        reverse("careers:shortlist_update", args=[entry.pk]), {"status": "completed", "note": "x"}, follow=True
    )
    page = response.content.decode()
    assert "“Next month” was not changed." in page and "from its last day on" in page
    entry.refresh_from_db()
    assert (entry.status, entry.note) == ("planned", "")
    response = client.get(reverse("careers:entry_complete", args=[entry.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("careers:plan")
    assert "cannot be marked completed yet" in response.content.decode()
    response = client.post(
        reverse("careers:entry_complete", args=[entry.pk]),
        {"title": "Next month", "completed_on": _today().isoformat(), "amount_ama_pra_1": "2"},
    )
    assert response.status_code == 302 and response["Location"] == reverse("careers:plan")
    assert not CreditClaim.objects.exists()


# --- Credit types the licences accept -----------------------------------------------


def test_loggable_credit_types_union_of_licences_any_when_one_ticks_none_all_without_licence():
    assert rules.loggable_credit_types([["ama_pra_1"], ["moc", "ama_pra_1"]]).codes == ("ama_pra_1", "moc")
    assert rules.loggable_credit_types([["ama_pra_1"], []]).limited is False
    none = rules.loggable_credit_types([])
    assert not none.has_licence and not none.limited


def test_physician_prefill_and_form_offer_only_accepted_types(client):
    user = ClinicianFactory()
    _licence(user, ["ama_pra_1", "moc"])
    client.force_login(user)
    program = ProgramFactory(
        credits={"ama_pra_1": "6", "ancc": "6", "acpe": "6"}, start_date=_today() - 3 * DAY, end_date=_today()
    )
    entry = ShortlistEntry.objects.create(user=user, program=program, status="enrolled")
    page = client.get(reverse("careers:entry_complete", args=[entry.pk])).content.decode()
    assert 'name="amount_ama_pra_1"' in page and 'name="amount_moc"' in page
    assert 'name="amount_ancc"' not in page and 'name="amount_acpe"' not in page
    assert "Only the credit types your licences accept are offered." in page
    initial = services.credit_prefill(
        entry=entry, today=_today(), credit_types=rules.loggable_credit_types([["ama_pra_1", "moc"]])
    )
    assert {key for key in initial if key.startswith("amount_")} == {"amount_ama_pra_1"}
    with pytest.raises(services.NotAllowed, match="None of your licences accepts ancc"):
        services.credit_claim_create(
            user=user,
            title="Nursing",
            provider_name="",
            completed_on=_today(),
            topics=[],
            amounts={"ancc": Decimal("6")},
        )
    assert not CreditClaim.objects.exists()


def test_without_a_licence_every_type_is_offered_with_a_note(client):
    user = ClinicianFactory()
    client.force_login(user)
    page = client.get(reverse("careers:credit_new")).content.decode()
    assert "You have not entered a licence, so every credit type is offered." in page
    assert 'name="amount_ancc"' in page and 'name="amount_ama_pra_1"' in page


# --- Past programs stay viewable to those who have them on record ---------------------


def _past_program(**extra):
    return ProgramFactory(
        title="Last year's course", start_date=_today() - 40 * DAY, end_date=_today() - 39 * DAY, **extra
    )


@pytest.mark.parametrize("holder", ["shortlist", "claim", "request"])
def test_past_program_page_is_shown_marked_past_to_whoever_holds_it(client, world, holder):
    program = _past_program()
    owner = world.owner
    if holder == "shortlist":
        ShortlistEntry.objects.create(user=owner, program=program, status="completed")
    elif holder == "claim":
        CreditClaim.objects.create(user=owner, title=program.title, completed_on=_today() - 39 * DAY, program=program)
    else:
        FundingRequest.objects.create(
            requester=owner,
            team=world.team,
            program=program,
            amount_requested=Decimal("100"),
            leave_days_requested=Decimal("0"),
            costs_on=_today(),
            justification="x",
        )
    url = reverse("programs:detail", args=[program.pk])
    client.force_login(owner)
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Past listing." in page and "This program ended on" in page
    client.force_login(world.other_clinician)
    assert client.get(url).status_code == 404


def test_archived_program_on_record_is_shown_as_no_longer_published_and_others_get_404(client, world):
    program = ProgramFactory(status="archived")
    ShortlistEntry.objects.create(user=world.owner, program=program)
    client.force_login(world.owner)
    page = client.get(reverse("programs:detail", args=[program.pk])).content.decode()
    assert "This listing is no longer published in the catalog." in page
    for other in (world.other_clinician, world.team_supervisor, world.admin):
        client.force_login(other)
        assert client.get(reverse("programs:detail", args=[program.pk])).status_code == 404


def test_current_program_page_is_not_marked_past(client, world):
    program = ProgramFactory()
    client.force_login(world.owner)
    assert "Past listing." not in client.get(reverse("programs:detail", args=[program.pk])).content.decode()


# --- Implausible dates ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("completed_on", "message"),
    [
        (datetime.date(1949, 12, 31), "cannot be before 1950"),
        (datetime.date(2026, 6, 16), "cannot be in the future"),
        (datetime.date(1950, 1, 1), None),
        (datetime.date(2026, 6, 15), None),
    ],
)
def test_credit_date_rule(completed_on, message):
    problem = rules.credit_date_problem(completed_on, today=datetime.date(2026, 6, 15))
    assert problem is None if message is None else message in problem


def test_credit_dated_1900_refused_by_form_and_service():
    form = CreditClaimForm({"title": "Old", "completed_on": "1900-05-01", "amount_ama_pra_1": "2"})
    assert not form.is_valid() and "cannot be before 1950" in str(form.errors["completed_on"])
    with pytest.raises(services.NotAllowed, match="before 1950"):
        services.credit_claim_create(
            user=ClinicianFactory(),
            title="Old",
            provider_name="",
            completed_on=datetime.date(1900, 5, 1),
            topics=[],
            amounts={"ama_pra_1": Decimal("2")},
        )
    assert not CreditClaim.objects.exists()


def test_goal_horizon_already_past_is_refused(client, world):
    assert rules.goal_horizon_problem(datetime.date(2020, 1, 1), today=datetime.date(2026, 6, 15))
    assert rules.goal_horizon_problem(datetime.date(2026, 6, 15), today=datetime.date(2026, 6, 15)) is None
    data = {
        "track": "education",
        "target_role": "Educator",
        "horizon_date": "2020-01-01",
        "weight_outcome": 1,
        "weight_independence": 1,
        "weight_interprofessional": 1,
        "weight_career": 1,
    }
    client.force_login(world.owner)
    response = client.post(reverse("careers:goal_new"), data)
    assert response.status_code == 400
    assert "The horizon is already past" in response.content.decode()
    assert not CareerGoal.objects.exists()
    future = (_today() + 365 * DAY).isoformat()
    assert client.post(reverse("careers:goal_new"), {**data, "horizon_date": future}).status_code == 302


def test_goal_whose_saved_horizon_has_since_passed_can_still_be_edited():
    goal = CareerGoal.objects.create(
        user=ClinicianFactory(), track="education", target_role="Educator", horizon_date=datetime.date(2020, 1, 1)
    )
    data = {
        "track": "education",
        "target_role": "Educator, renamed",
        "horizon_date": "2020-01-01",
        "weight_outcome": 1,
        "weight_independence": 1,
        "weight_interprofessional": 1,
        "weight_career": 1,
    }
    assert GoalForm(data, instance=goal).is_valid()
    assert not GoalForm({**data, "horizon_date": "2021-01-01"}, instance=goal).is_valid()
