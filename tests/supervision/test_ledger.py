"""The ledger of money and leave: the policy year a program's costs fall in, pending reservations, the plan,
and two approvals at once against a "refuse" policy."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from careers.models import ShortlistEntry
from programs.ranking.fit import costs_fall_on
from supervision import services
from supervision.allowance import policy_year
from supervision.ledger import ledger_for, ledgers_for_days
from supervision.models import FundingRequest, RequestStatus
from supervision.presenters import ledger_lines
from supervision.rules import RequestCosts
from tests.factories import ProgramFactory

from .helpers import funding_request, policy, profile, shortlisted

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


def _years(today: datetime.date) -> tuple[tuple[datetime.date, datetime.date], tuple[datetime.date, datetime.date]]:
    this = policy_year(start_month=1, today=today)
    return this, policy_year(start_month=1, today=this[1])


def _setup(world, *, amount="3000", days="3", rule="warn", budget="0", leave="0"):
    clinician_profile = profile(world.owner, "physician")
    clinician_profile.yearly_budget_amount = Decimal(budget)
    clinician_profile.yearly_leave_days = Decimal(leave)
    clinician_profile.save()
    found = policy(team=world.team, profession="physician", amount=amount, days=days, rule=rule)
    found.year_starts_month = 1
    found.save()
    return found


def test_costs_fall_on_the_start_or_today_when_on_demand_or_running():
    today = datetime.date(2026, 12, 1)
    assert costs_fall_on(start_date=datetime.date(2027, 3, 1), today=today) == datetime.date(2027, 3, 1)
    assert costs_fall_on(start_date=today, today=today) == today
    assert costs_fall_on(start_date=datetime.date(2026, 6, 1), today=today) == today
    assert costs_fall_on(start_date=None, today=today) == today


def test_a_program_next_policy_year_reads_next_years_allowance(world):
    _setup(world, amount="3000")
    today = timezone.localdate()
    _, (next_start, _) = _years(today)
    funding_request(world.owner, world.team, amount="2000", status=RequestStatus.APPROVED, amount_approved="2000")
    next_year_program = ProgramFactory(start_date=next_start + 60 * DAY, end_date=next_start + 62 * DAY)
    assert ledger_for(user=world.owner).employer_money_left == Decimal("1000")
    ledger = ledger_for(user=world.owner, program=next_year_program)
    assert (ledger.year_start, ledger.year_end) == (next_start, next_start.replace(year=next_start.year + 1))
    assert ledger.employer_money_left == Decimal("3000")
    assert ledger.costs_on == next_year_program.start_date


def test_pending_requests_reserve_and_a_decline_or_withdrawal_releases(world):
    _setup(world, amount="3000", days="3", budget="500", leave="1")
    first = funding_request(world.owner, world.team, amount="1200", leave="1")
    second = funding_request(world.owner, world.team, amount="800", leave="0")
    ledger = ledger_for(user=world.owner)
    assert ledger.allowance is not None
    assert (ledger.allowance.amount_pending, ledger.allowance.leave_pending) == (Decimal("2000"), Decimal("1"))
    assert ledger.employer_money_left == Decimal("1000")
    assert ledger.money_left == Decimal("1500")  # 500 own + 1,000 employer
    assert ledger.leave_left == Decimal("3")  # 1 own + 2 employer
    services.funding_request_decide(
        request_id=first.pk, supervisor=world.team_supervisor, outcome="declined", reason="r"
    )
    services.funding_request_withdraw(request_id=second.pk, requester=world.owner)
    assert ledger_for(user=world.owner).money_left == Decimal("3500")


def test_approving_in_full_leaves_the_same_figures_the_pending_request_showed(world):
    _setup(world, amount="3000")
    request = funding_request(world.owner, world.team, amount="1200")
    pending = ledger_for(user=world.owner)
    services.funding_request_decide(
        request_id=request.pk, supervisor=world.team_supervisor, outcome="approved", reason="r"
    )
    approved = ledger_for(user=world.owner)
    assert pending.money_left == approved.money_left == Decimal("1800")
    assert approved.allowance is not None and approved.allowance.amount_used == Decimal("1200")


def test_a_partial_approval_releases_the_rest(world):
    _setup(world, amount="3000")
    request = funding_request(world.owner, world.team, amount="1200", leave="0")
    services.funding_request_decide(
        request_id=request.pk,
        supervisor=world.team_supervisor,
        outcome="partially_approved",
        reason="r",
        amount=Decimal("700"),
    )
    assert ledger_for(user=world.owner).employer_money_left == Decimal("2300")


def test_the_supervisor_sees_the_ledger_without_the_request_being_decided(world):
    _setup(world, amount="3000")
    request = funding_request(world.owner, world.team, amount="1200")
    without = ledger_for(user=world.owner, excluding_request_id=request.pk)
    assert without.employer_money_left == Decimal("3000")
    assert without.after(amount=Decimal("1200"), leave_days=Decimal("1")) == (Decimal("1800"), Decimal("2"))


def test_a_new_request_is_checked_against_pending_reservations(world):
    _setup(world, amount="1000", rule="refuse")
    funding_request(world.owner, world.team, amount="800")
    entry = shortlisted(world.owner)
    with pytest.raises(ValidationError, match=r"\$300 is more than the \$200 left in the policy year"):
        services.funding_request_create(
            requester=world.owner,
            program=entry.program,
            costs=RequestCosts(registration=Decimal("300")),
            leave_days=Decimal("0"),
            justification="Needed.",
        )
    assert FundingRequest.objects.filter(requester=world.owner).count() == 1


def test_a_request_records_the_day_its_costs_fall_on(world):
    _setup(world)
    entry = shortlisted(world.owner)
    request, _ = services.funding_request_create(
        requester=world.owner,
        program=entry.program,
        costs=RequestCosts(registration=Decimal("100")),
        leave_days=Decimal("0"),
        justification="Needed.",
    )
    assert request.costs_on == costs_fall_on(start_date=entry.program.start_date, today=timezone.localdate())


def test_the_plan_reserves_planned_programs_not_yet_requested_other_than_this_one(world):
    _setup(world, amount="3000", budget="1000")
    today = timezone.localdate()
    planned = shortlisted(world.owner, fee_amount=Decimal("400"), leave_days=Decimal("1"), start_date=today + DAY)
    ShortlistEntry.objects.filter(pk=planned.pk).update(status="enrolled")
    shortlisted(world.owner, fee_amount=None, leave_days=None, start_date=None, title="No fee stated")
    requested = funding_request(world.owner, world.team, amount="600")  # planned too, but its request reserves
    considering = ShortlistEntry.objects.create(user=world.owner, program=ProgramFactory(), status="considering")
    this_one = shortlisted(world.owner, fee_amount=Decimal("250"), start_date=today + DAY)
    ledger = ledger_for(user=world.owner, program=this_one.program)
    if ledger.year_end <= today + DAY:  # the last day of a policy year: tomorrow is the next one
        pytest.skip("runs on the last day of the policy year")
    assert set(ledger.planned_titles) == {planned.program.title, "No fee stated"}
    assert ledger.planned_money == Decimal("400") and ledger.planned_leave == Decimal("1")
    assert ledger.planned_unknown_fee_titles == ("No fee stated",)
    assert ledger.money_left == Decimal("3400")  # 1,000 own + 3,000 - 600 pending
    assert ledger.money_left_after_plan == Decimal("3000")
    assert requested.program.title not in ledger.planned_titles
    assert considering.program.title not in ledger.planned_titles


def test_no_policy_and_no_budget_is_said_not_guessed(db):
    from tests.factories import ClinicianFactory

    clinician = ClinicianFactory()
    ledger = ledger_for(user=clinician)
    assert ledger.money_left is None and ledger.allowance is None
    texts = {line.key: line.text for line in ledger_lines(ledger)}
    assert texts["money_left"].startswith("not known")
    assert texts["employer"] == "no written employer policy applies"


def test_ledgers_for_many_days_take_a_fixed_number_of_queries(world, django_assert_num_queries):
    _setup(world)
    today = timezone.localdate()
    few = {today}
    many = {today + n * 40 * DAY for n in range(30)}
    with django_assert_num_queries(5):
        ledgers_for_days(user=world.owner, days=few)
    for n in range(5):
        funding_request(world.owner, world.team, amount="10", costs_on=today + n * 100 * DAY)
    with django_assert_num_queries(5):
        found = ledgers_for_days(user=world.owner, days=many)
    assert len(found) == 30


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_approvals_at_once_cannot_overspend_a_refuse_policy(world, monkeypatch):  # pragma: no cover - PostgreSQL
    """Two supervisors approve two different $2,000 requests against a $3,000 "refuse" allowance at once.

    Reading the allowance is slowed down so both threads are inside the check together:
    without the lock on the requester both approvals land (tried: they did).
    """
    import time

    from tests.factories import SupervisorFactory

    read = services.employer_allowance_for_user

    def slow_read(**kwargs):
        found = read(**kwargs)
        time.sleep(0.3)
        return found

    monkeypatch.setattr(services, "employer_allowance_for_user", slow_read)

    refusing = _setup(world, amount="3000", rule="warn")
    first = funding_request(world.owner, world.team, amount="2000", leave="0")
    second = funding_request(world.owner, world.team, amount="2000", leave="0")  # accepted with a warning
    refusing.over_allowance_rule = "refuse"
    refusing.save()
    other = SupervisorFactory()
    world.team.supervisors.add(other)
    barrier = threading.Barrier(2)
    results: list[str] = []

    def approve(supervisor, request_id):
        from django.db import connections

        barrier.wait()
        try:
            services.funding_request_decide(
                request_id=request_id, supervisor=supervisor, outcome="approved", reason="r"
            )
            results.append("approved")
        except ValidationError:
            results.append("refused")
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=approve, args=(world.team_supervisor, first.pk)),
        threading.Thread(target=approve, args=(other, second.pk)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["approved", "refused"]
    approved = FundingRequest.objects.filter(requester=world.owner, status=RequestStatus.APPROVED)
    assert sum(r.amount_approved for r in approved) == Decimal("2000")
