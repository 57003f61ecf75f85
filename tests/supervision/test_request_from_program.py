"""Ask for funding from the program (issue 10, item 5): the four entry points, the prefilled form, every
refusal (with its message, writing nothing), one pending request per program, the supervisor's page."""

import datetime
import html
import re
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from careers.models import ShortlistEntry
from outcomes.models import ProgramOutcomeEvidence
from supervision import rules, selectors, services
from supervision.models import FundingRequest, RequestCostItem, RequestStatus
from supervision.rules import ProgramTerms, RequestCosts, funding_request_problems
from tests.factories import OperatorFactory, ProgramFactory

from .helpers import funding_request, policy, profile, shortlisted

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)
NEW = reverse("supervision:request_new")


def _url(program_id) -> str:
    return f"{NEW}?program={program_id}"


def _program(**fields):
    values = {
        "title": "Sepsis leadership course",
        "fee_amount": Decimal("1200"),
        "leave_days": Decimal("2"),
        "start_date": TODAY + 40 * DAY,
        "end_date": TODAY + 41 * DAY,
        "delivery": "in_person",
        "location_city": "Seattle",
        "location_state": "WA",
    }
    values.update(fields)
    return ProgramFactory(**values)


def _post(client, program, **fields):
    data = {"justification": "Closes our sepsis bundle gap.", **fields}
    return client.post(_url(program.pk), data)


def _text(response) -> str:
    return html.unescape(response.content.decode())


# --- The four entry points --------------------------------------------------------------------


def _assert_prefilled(client, program):
    page = client.get(_url(program.pk))
    assert page.status_code == 200
    body = _text(page)
    assert 'name="registration" value="1200"' in body or 'name="registration" value="1200.00"' in body
    assert re.search(r'name="leave_days" value="2(\.0)?"', body)
    assert "USD 1,200.00" in body  # the fee beside the form
    assert "2 days away from practice" in body
    assert f"{program.start_date:%b} {program.start_date.day}, {program.start_date.year} to" in body
    assert "Seattle, WA" in body


@pytest.mark.parametrize("entry_point", ["catalog card", "program page", "shortlist", "compare"])
def test_every_entry_point_links_to_the_form_prefilled_from_the_program(world, client, entry_point):
    program = _program()
    other = _program(title="Another course")
    if entry_point == "shortlist":
        ShortlistEntry.objects.create(user=world.owner, program=program, status="considering")
    client.force_login(world.owner)
    pages = {
        "catalog card": reverse("programs:catalog"),
        "program page": reverse("programs:detail", args=[program.pk]),
        "shortlist": reverse("careers:plan"),
        "compare": f"{reverse('programs:compare')}?ids={program.pk}&ids={other.pk}",
    }
    body = client.get(pages[entry_point]).content.decode()
    link = f'href="{NEW}?program={program.pk}"'
    assert link in body, f"no Ask for funding link on the {entry_point}"
    assert "Ask for funding" in body
    _assert_prefilled(client, program)


def test_supervisors_see_no_ask_for_funding_button(world, client):
    program = _program()
    client.force_login(world.team_supervisor)
    body = client.get(reverse("programs:detail", args=[program.pk])).content.decode()
    assert f"{NEW}?program=" not in body


def test_without_a_program_the_page_offers_the_shortlist_as_a_plain_get_form(world, client):
    entry = shortlisted(world.owner, title="Chosen one")
    shortlisted(world.owner, title="Over already", start_date=TODAY - 10 * DAY, end_date=TODAY - 9 * DAY)
    client.force_login(world.owner)
    body = _text(client.get(NEW))
    assert '<form method="get"' in body
    assert f'<option value="{entry.program_id}">Chosen one</option>' in body
    assert "Over already" not in body  # a past program cannot be asked for


# --- Query string: junk, unknown, not requestable ------------------------------------------------


@pytest.mark.parametrize("raw", ["abc", "-1", "0", "1.5", "", "99999999999999999999", "1e3", "%00", "1;drop"])
def test_junk_program_ids_are_404_never_500(world, client, raw):
    client.force_login(world.owner)
    assert client.get(f"{NEW}?program={raw}").status_code == 404
    assert client.post(f"{NEW}?program={raw}", {"registration": "1"}).status_code == 404
    assert not FundingRequest.objects.exists()


def test_unknown_draft_and_past_programs_not_on_record_are_404(world, client):
    draft = _program(status="draft")
    past = _program(start_date=TODAY - 9 * DAY, end_date=TODAY - 8 * DAY)
    client.force_login(world.owner)
    for program_id in (draft.pk, past.pk, past.pk + 1000):
        assert client.get(_url(program_id)).status_code == 404
        assert _post(client, draft, registration="10").status_code == 404
    assert not FundingRequest.objects.exists()


def test_a_past_program_on_the_clinicians_record_gets_the_reason_and_writes_nothing(world, client):
    entry = shortlisted(world.owner, title="Old course", start_date=TODAY - 9 * DAY, end_date=TODAY - 8 * DAY)
    client.force_login(world.owner)
    page = client.get(_url(entry.program_id))
    assert page.status_code == 200
    ended = TODAY - 8 * DAY
    assert f"“Old course” ended on {ended:%b} {ended.day}, {ended.year}" in _text(page)
    response = _post(client, entry.program, registration="100")
    assert response.status_code == 200 and "funding can be asked only" in _text(response)
    assert not FundingRequest.objects.exists()


# --- Submitting -----------------------------------------------------------------------------------


def test_submitting_for_a_program_not_on_the_shortlist_plans_it_and_stores_the_items(world, client):
    program = _program()
    client.force_login(world.owner)
    response = _post(
        client,
        program,
        registration="1200",
        travel="350.50",
        lodging="400",
        other="30",
        other_description="Parking",
        amount="",
        leave_days="3",
        travel_days="1",
    )
    assert response.status_code == 302
    request = FundingRequest.objects.get()
    assert request.amount_requested == Decimal("1980.50")  # the sum of the items
    assert request.leave_days_requested == Decimal("3") and request.travel_days == Decimal("1")
    items = [(i.kind, i.amount, i.description) for i in request.cost_items.all()]
    assert items == [
        ("registration", Decimal("1200"), ""),
        ("travel", Decimal("350.50"), ""),
        ("lodging", Decimal("400"), ""),
        ("other", Decimal("30"), "Parking"),
    ]
    entry = ShortlistEntry.objects.get(user=world.owner, program=program)
    assert entry.status == "planned" and entry.planned_on == TODAY
    assert request.shortlist_entry == entry


def test_the_amount_may_be_less_than_the_items_and_a_dropped_entry_is_planned_again(world, client):
    program = _program()
    ShortlistEntry.objects.create(user=world.owner, program=program, status="dropped", dropped_on=TODAY)
    client.force_login(world.owner)
    assert _post(client, program, registration="1200", amount="800", leave_days="0").status_code == 302
    assert FundingRequest.objects.get().amount_requested == Decimal("800")
    assert ShortlistEntry.objects.get(user=world.owner, program=program).status == "planned"


def test_an_enrolled_entry_keeps_its_status(world, client):
    program = _program()
    ShortlistEntry.objects.create(user=world.owner, program=program, status="enrolled")
    client.force_login(world.owner)
    assert _post(client, program, registration="100").status_code == 302
    assert ShortlistEntry.objects.get(user=world.owner, program=program).status == "enrolled"


def test_leave_only_request_needs_no_costs(world, client):
    program = _program()
    client.force_login(world.owner)
    assert _post(client, program, leave_days="2").status_code == 302
    request = FundingRequest.objects.get()
    assert request.amount_requested == 0 and not request.cost_items.exists()


# --- Refusals: each with its message, nothing written ----------------------------------------------

REFUSALS = [
    ("nothing asked", {}, "Ask for an amount, paid leave days, or both."),
    ("nothing asked, zeros", {"registration": "0", "amount": "0", "leave_days": "0"}, "Ask for an amount"),
    ("amount above items", {"registration": "500", "amount": "600"}, "is more than the itemised costs ($500.00)"),
    ("amount without items", {"amount": "300"}, "is more than the itemised costs ($0.00)"),
    ("registration above fee", {"registration": "1500"}, "is more than the program's stated fee ($1,200.00)"),
    ("leave beyond days", {"leave_days": "4"}, "4 days of leave is more than the program's 2 days"),
    (
        "leave beyond days and travel",
        {"leave_days": "4", "travel_days": "1"},
        "plus 1 day of travel",
    ),
    ("travel over cap", {"leave_days": "7", "travel_days": "5"}, "At most 4 days of travel in one request."),
    ("leave 400 days", {"leave_days": "400"}, "At most 30 days of leave in one request."),
    ("amount $99,999,999", {"travel": "99999999"}, "At most $50,000 in one request."),
    ("sum over cap", {"travel": "30000", "lodging": "30000"}, "one request covers at most $50,000"),
    ("negative", {"travel": "-5"}, "Cannot be negative."),
    ("other without description", {"other": "40"}, "Say what the other cost is."),
    ("junk number", {"travel": "lots"}, "Enter a number."),
    ("too precise", {"travel": "10.001"}, "Ensure that there are no more than 2 decimal places."),
    ("huge exponent", {"travel": "1e999999999", "lodging": "1e999999999"}, "At most $50,000 in one request."),
    ("no reason", {"registration": "100", "justification": " "}, "This field is required."),
]


@pytest.mark.parametrize(("case", "fields", "message"), REFUSALS, ids=[case for case, _, _ in REFUSALS])
def test_refused_with_a_clear_message_and_nothing_written(world, client, case, fields, message):
    program = _program()
    client.force_login(world.owner)
    response = _post(client, program, **fields)
    assert response.status_code == 200
    assert message in _text(response), _text(response)[-3000:]
    assert not FundingRequest.objects.exists()
    assert not ShortlistEntry.objects.filter(user=world.owner, program=program).exists()


def test_a_free_program_takes_no_registration_and_a_fee_in_another_currency_is_not_checked(world, client):
    free = _program(fee_amount=Decimal("0"))
    euros = _program(fee_amount=Decimal("100"), fee_currency="EUR")
    client.force_login(world.owner)
    assert "the program's stated fee (free)" in _text(_post(client, free, registration="10"))
    page = _text(client.get(_url(euros.pk)))
    assert "The fee is stated in EUR, so registration (in USD) is not checked against it." in page
    assert _post(client, euros, registration="150").status_code == 302


def test_without_stated_leave_days_the_programs_dates_bound_the_leave(world, client):
    three_days = _program(leave_days=None, start_date=TODAY + 5 * DAY, end_date=TODAY + 7 * DAY)
    on_demand = _program(leave_days=None, start_date=None, end_date=None)
    client.force_login(world.owner)
    body = _text(_post(client, three_days, leave_days="4"))
    assert "4 days of leave is more than the program's 3 days (first to last day)" in body
    assert _post(client, three_days, leave_days="4", travel_days="1").status_code == 302
    page = _text(client.get(_url(on_demand.pk)))
    assert "checked only against the limit for one request" in page
    assert "At most 30 days of leave" in _text(_post(client, on_demand, leave_days="31"))
    assert _post(client, on_demand, leave_days="30").status_code == 302


def test_the_service_refuses_what_the_form_refuses(world):
    program = _program()
    with pytest.raises(ValidationError) as refused:
        services.funding_request_create(
            requester=world.owner,
            program=program,
            costs=RequestCosts(registration=Decimal("1500")),
            leave_days=Decimal("9"),
            justification="x",
        )
    assert "stated fee" in str(refused.value) and "more than the program's 2 days" in str(refused.value)
    draft = _program(status="draft")
    with pytest.raises(ValidationError, match="published program"):
        services.funding_request_create(
            requester=world.owner,
            program=draft,
            costs=RequestCosts(registration=Decimal("10")),
            leave_days=Decimal("0"),
            justification="x",
        )
    assert not FundingRequest.objects.exists()


# --- One pending request per program ---------------------------------------------------------------


def _ask(user, program, amount="100"):
    return services.funding_request_create(
        requester=user,
        program=program,
        costs=RequestCosts(registration=Decimal(amount)),
        leave_days=Decimal("0"),
        justification="Needed.",
    )


def test_a_second_pending_request_for_the_same_program_is_refused(world, client):
    program = _program()
    first, _ = _ask(world.owner, program)
    with pytest.raises(
        ValidationError, match=rf"You already have a pending request for this program \(request #{first.pk}"
    ):
        _ask(world.owner, program)
    client.force_login(world.owner)
    page = _text(client.get(_url(program.pk)))
    assert f"request #{first.pk}" in page and "Send request" not in page
    assert "withdraw that request to ask again" in _text(_post(client, program, registration="100"))
    assert FundingRequest.objects.count() == 1
    services.funding_request_withdraw(request_id=first.pk, requester=world.owner)
    _ask(world.owner, program)  # once withdrawn, asking again is fine
    assert FundingRequest.objects.filter(status=RequestStatus.PENDING).count() == 1


def test_the_database_refuses_a_second_pending_request_and_the_service_says_why(world, monkeypatch):
    """The race: both submits pass the check before either inserts. The partial unique constraint stops the second."""
    program = _program()
    first, _ = _ask(world.owner, program)
    looked_up = []

    def none_the_first_time(*, user, program_id):
        looked_up.append(program_id)
        if len(looked_up) == 1:
            return None  # as if the other submit had not committed yet
        return FundingRequest.objects.filter(requester=user, program_id=program_id, status="pending").first()

    monkeypatch.setattr(selectors, "pending_request_for_program", none_the_first_time)
    with pytest.raises(ValidationError, match=rf"request #{first.pk}"):
        _ask(world.owner, program)
    assert FundingRequest.objects.count() == 1
    assert RequestCostItem.objects.count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent transactions need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_submits_at_once_only_one_lands(world):  # pragma: no cover - PostgreSQL only
    program = _program()
    barrier = threading.Barrier(2)
    results: list[str] = []

    def submit():
        from django.db import connections

        barrier.wait()
        try:
            _ask(world.owner, program)
            results.append("landed")
        except ValidationError as error:
            results.append(" ".join(error.messages))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count("landed") == 1
    assert any("already have a pending request" in result for result in results)
    assert FundingRequest.objects.filter(requester=world.owner, program=program).count() == 1


# --- Properties -------------------------------------------------------------------------------------

JUNK = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-(10**9), max_value=10**9).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(["", " ", "1e400", "-0", "0.001", "NaN", "Infinity", "1,000", "$5", "١٢", "1_000", "\x00"]),
    st.text(max_size=12),
)
FIELDS = ["registration", "travel", "lodging", "other", "amount", "leave_days", "travel_days"]


@settings(max_examples=120, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(values=st.fixed_dictionaries(dict.fromkeys(FIELDS, JUNK)), description=st.text(max_size=30))
def test_the_form_never_fails_and_never_writes_on_refusal(world, client, values, description):
    # One program for every example (the database is shared by the examples of one test).
    program = _FUZZ_PROGRAM.get("program") or _FUZZ_PROGRAM.setdefault("program", _program())
    client.force_login(world.owner)
    before = FundingRequest.objects.count()
    response = _post(client, program, other_description=description, **values)
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert FundingRequest.objects.count() == before
    else:
        created = FundingRequest.objects.get()
        assert created.amount_requested <= sum((i.amount for i in created.cost_items.all()), Decimal("0"))
        assert created.amount_requested <= rules.MAX_REQUEST_AMOUNT
        assert created.leave_days_requested <= program.leave_days + created.travel_days
        created.delete()  # the next example may ask again


_FUZZ_PROGRAM: dict[str, object] = {}


@pytest.fixture(autouse=True)
def _fresh_fuzz_program():
    _FUZZ_PROGRAM.clear()
    yield
    _FUZZ_PROGRAM.clear()


money = st.decimals(min_value=-100, max_value=60000, places=2, allow_nan=False, allow_infinity=False)
days = st.decimals(min_value=-2, max_value=40, places=1, allow_nan=False, allow_infinity=False)


@given(
    registration=money,
    travel=money,
    lodging=money,
    amount=money,
    leave=days,
    travel_days=days,
    fee=st.none() | money.filter(lambda v: v >= 0),
    stated_leave=st.none() | days.filter(lambda v: v >= 0),
)
def test_accepted_figures_keep_every_rule(registration, travel, lodging, amount, leave, travel_days, fee, stated_leave):
    costs = RequestCosts(registration=registration, travel=travel, lodging=lodging)
    terms = ProgramTerms(fee, "USD", stated_leave, TODAY, TODAY + DAY)
    problems = funding_request_problems(
        costs=costs, amount=amount, leave_days=leave, travel_days=travel_days, terms=terms
    )
    if not problems:
        assert min(registration, travel, lodging, amount, leave, travel_days) >= 0
        assert amount > 0 or leave > 0
        assert amount <= costs.total <= rules.MAX_REQUEST_AMOUNT
        assert fee is None or registration <= fee
        own = stated_leave if stated_leave is not None else Decimal("2")
        assert leave <= min(own + travel_days, rules.MAX_REQUEST_LEAVE_DAYS)
        assert travel_days <= rules.MAX_TRAVEL_DAYS
    for problem in problems:
        assert problem.message  # every refusal says why


# --- The supervisor's request page -----------------------------------------------------------------


def _requested(world, **program_fields):
    profile(world.owner)
    policy(team=world.team, amount="3000", days="5")
    program = _program(**program_fields)
    ProgramOutcomeEvidence.objects.create(
        program=program,
        metric="Sepsis bundle compliance",
        baseline="41.7%",
        follow_up="77.3%",
        time_window="12 months",
        moore_level="5",
        source_url="https://provider.example/claims",
        verified=False,
    )
    request, _ = services.funding_request_create(
        requester=world.owner,
        program=program,
        costs=RequestCosts(
            registration=Decimal("1200"), travel=Decimal("300"), other=Decimal("25"), other_description="Parking"
        ),
        amount=Decimal("1400"),
        leave_days=Decimal("3"),
        travel_days=Decimal("1"),
        justification="Closes our sepsis bundle gap.",
    )
    return request


def test_supervisor_page_shows_the_program_the_costs_and_the_ledger_beside_them(world, client):
    request = _requested(world)
    client.force_login(world.team_supervisor)
    body = _text(client.get(reverse("supervision:request_detail", args=[request.pk])))
    start = TODAY + 40 * DAY
    for expected in [
        "USD 1,200.00",  # the fee
        f"{start:%b} {start.day}, {start.year} to",  # the dates
        "Course (live), In person, Seattle, WA",  # format, delivery, place
        "2 days away from practice",  # the stated leave
        "Registration: $1,200.00",
        "Travel: $300.00",
        "Other (Parking): $25.00",
        "$1,400.00",
        "3 days, of which 1 for travel",
        "without this request",
        'data-ledger="money_left"',
        "Approving it in full would leave:",
        "$1,600 in all ($1,600 of the employer allowance) and 2 days",  # 3,000 - 1,400 and 5 - 3
        "Outcome evidence",
        "/ 100",  # the score breakdown from the snapshot
    ]:
        assert expected in body, expected
    # The provider's unverified figures are not shown, as on the program page.
    assert "41.7%" not in body and "77.3%" not in body
    program_page = _text(client.get(reverse("programs:detail", args=[request.program_id])))
    assert "41.7%" not in program_page


def test_a_snapshot_from_before_issue_10_marks_facts_read_from_the_listing_now(world, client):
    request = funding_request(world.owner, world.team)
    request.snapshot = {"program": {"title": "x", "provider": "y", "fee_amount": "500", "leave_days": "1"}}
    request.save(update_fields=["snapshot"])
    client.force_login(world.team_supervisor)
    body = _text(client.get(reverse("supervision:request_detail", args=[request.pk])))
    assert "USD 500.00" in body and "(from the listing now: not recorded when asked)" in body
    assert "Not itemised" in body


def test_admin_shows_the_itemised_costs(world, client):
    request = _requested(world)
    client.force_login(OperatorFactory())
    body = _text(client.get(reverse("admin:supervision_fundingrequest_change", args=[request.pk])))
    assert "Parking" in body and "1200.00" in body


# --- Query counts -----------------------------------------------------------------------------------


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_request_form_queries_do_not_grow_with_the_shortlist_or_requests(world, client):
    profile(world.owner)
    policy(team=world.team)
    program = _program()
    client.force_login(world.owner)
    for _ in range(2):
        funding_request(world.owner, world.team)
    small = (_count(client, _url(program.pk)), _count(client, NEW))
    for _ in range(15):
        funding_request(world.owner, world.team)
        shortlisted(world.owner)
    assert (_count(client, _url(program.pk)), _count(client, NEW)) == small


def test_supervisor_request_page_queries_do_not_grow(world, client):
    request = _requested(world)
    client.force_login(world.team_supervisor)
    url = reverse("supervision:request_detail", args=[request.pk])
    small = _count(client, url)
    for _ in range(15):
        funding_request(world.owner, world.team)
    ProgramOutcomeEvidence.objects.bulk_create(
        ProgramOutcomeEvidence(program=request.program, metric=f"m{i}", source_url="https://e.example/")
        for i in range(10)
    )
    assert _count(client, url) == small
