"""One ledger on every page (issue 10, item 1).

For the same clinician and program, the catalog card, the program page, compare,
the 12-month plan, the funding request form, the clinician's requests and policy
pages, the supervisor's dashboard and the supervisor's request page show the same
money and leave left as `supervision.ledger.ledger_for`, the one function that
computes them: with a request pending, after its approval, and after a partial one.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from careers.models import ShortlistEntry
from programs.ranking.fit import format_money
from supervision import rules, services
from supervision.allowance import policy_year
from supervision.ledger import ledger_for
from supervision.presenters import ledger_lines
from tests.factories import ProgramFactory
from tests.programs.ranking_helpers import goal_for
from tests.supervision.helpers import policy

pytestmark = pytest.mark.django_db
LEDGER_FIGURE = re.compile(r'data-ledger="(?P<key>[a-z_]+)">(?:<strong>)?(?P<text>[^<]*)')
LEFT_FOR_PROGRAM = re.compile(r"of the (\$[\d,.]+) you have left|more than the (\$[\d,.]+) you have left")


def _ledger_figures(html: str) -> list[dict[str, str]]:
    """Each ledger block on the page as {key: text}, in page order."""
    blocks = html.split("data-ledger-for=")[1:]
    return [{m["key"]: m["text"].strip() for m in LEDGER_FIGURE.finditer(block.split("</dl>")[0])} for block in blocks]


def _left_in_budget_badge(html: str) -> set[str]:
    return {a or b for a, b in LEFT_FOR_PROGRAM.findall(html)}


def _card(html: str, title: str) -> str:
    cards = [chunk for chunk in html.split('class="program-card ranked-card"')[1:] if title in chunk]
    assert len(cards) == 1, title
    return cards[0]


@pytest.fixture
def setting(world):
    """The owner: $1,000 and 2 days of their own, a $3,000 / 3 days employer policy, a program asked for."""
    goal_for(world.owner, budget="1000", leave="2")
    found = policy(team=world.team, profession="physician", amount="3000", days="3", rule="warn")
    found.year_starts_month = 1
    found.save()
    today = timezone.localdate()
    _, next_year_start = policy_year(start_month=1, today=today)
    on_demand = {"start_date": None, "end_date": None}
    asked = ProgramFactory(title="Asked program", fee_amount=Decimal("1200"), leave_days=Decimal("1"), **on_demand)
    other = ProgramFactory(title="Other program", fee_amount=Decimal("500"), leave_days=Decimal("1"), **on_demand)
    later = ProgramFactory(
        title="Next year program",
        fee_amount=Decimal("900"),
        leave_days=Decimal("1"),
        start_date=next_year_start + datetime.timedelta(days=60),
        end_date=next_year_start + datetime.timedelta(days=61),
    )
    ShortlistEntry.objects.create(user=world.owner, program=other, status="planned")
    request, _ = services.funding_request_create(
        requester=world.owner,
        program=asked,
        costs=rules.RequestCosts(registration=Decimal("1200")),
        leave_days=Decimal("1"),
        justification="Closes a quality gap on our unit.",
    )
    return world, request, asked, other, later


def _clinician_pages(client, world, asked, other, later) -> dict[str, str]:
    client.force_login(world.owner)
    get = lambda url, **params: client.get(url, params).content.decode()  # noqa: E731
    return {
        "catalog": get(reverse("programs:catalog")),
        "program page": get(reverse("programs:detail", args=[other.pk])),
        "asked program page": get(reverse("programs:detail", args=[asked.pk])),
        "compare": get(reverse("programs:compare"), ids=[other.pk, later.pk]),
        "plan": get(reverse("careers:plan")),
        "request form": get(reverse("supervision:request_new"), program=other.pk),
        "my requests": get(reverse("supervision:my_requests")),
        "my policy": get(reverse("supervision:my_policy")),
    }


def _assert_every_page_shows(client, world, request, asked, other, later) -> None:
    this_year = ledger_for(user=world.owner, program=other)
    next_year = ledger_for(user=world.owner, program=later)
    money, leave = format_money(this_year.money_left), f"{this_year.leave_left.normalize():f} days"
    expected = {line.key: line.text for line in ledger_lines(this_year)}
    pages = _clinician_pages(client, world, asked, other, later)

    # The ledger blocks: the same figures as the function on every page that shows one.
    for name in ["program page", "asked program page", "plan", "request form", "my requests", "my policy"]:
        blocks = _ledger_figures(pages[name])
        assert blocks, name
        block = blocks[0]
        assert (block["money_left"], block["leave_left"]) == (money, leave), name
        for key in ["own", "employer", "employer_used", "employer_pending"]:
            assert block[key] == expected[key], (name, key)

    # The fit badges: the fee against the same figure, in the year the program's costs fall in.
    assert _left_in_budget_badge(_card(pages["catalog"], "Other program")) == {money}
    assert _left_in_budget_badge(_card(pages["catalog"], "Next year program")) == {format_money(next_year.money_left)}
    assert _left_in_budget_badge(pages["program page"]) == {money}
    assert _left_in_budget_badge(pages["compare"]) == {money, format_money(next_year.money_left)}
    assert "asked for in your funding request" in pages["asked program page"]

    # The supervisor: the team dashboard and the request page.
    client.force_login(world.team_supervisor)
    dashboard = client.get(reverse("supervision:dashboard", args=[world.team.pk])).content.decode()
    assert re.findall(r'data-ledger="employer_money_left">([^<]*)<', dashboard) == [
        format_money(this_year.employer_money_left)
    ]
    detail = client.get(reverse("supervision:request_detail", args=[request.pk])).content.decode()
    request.refresh_from_db()
    if request.is_pending:
        assert f"{money} in all ({format_money(this_year.employer_money_left)} of the employer allowance)" in detail
        without = _ledger_figures(detail)[0]
        assert without["money_left"] == format_money(this_year.money_left + request.amount_requested)
    else:
        assert _ledger_figures(detail)[0]["money_left"] == money


def test_every_page_shows_the_ledgers_figures_pending_and_after_approval(client, setting):
    world, request, asked, other, later = setting
    pending = ledger_for(user=world.owner, program=other)
    assert (pending.money_left, pending.leave_left) == (Decimal("2800"), Decimal("4"))  # 1,000 + 3,000 - 1,200
    _assert_every_page_shows(client, world, request, asked, other, later)

    services.funding_request_decide(
        request_id=request.pk, supervisor=world.team_supervisor, outcome="approved", reason="Fits our goals."
    )
    approved = ledger_for(user=world.owner, program=other)
    assert (approved.money_left, approved.leave_left) == (Decimal("2800"), Decimal("4"))  # the reservation, spent
    _assert_every_page_shows(client, world, request, asked, other, later)


def test_a_partial_approval_releases_the_rest_on_every_page(client, setting):
    world, request, asked, other, later = setting
    services.funding_request_decide(
        request_id=request.pk,
        supervisor=world.team_supervisor,
        outcome="partially_approved",
        reason="Registration only.",
        amount=Decimal("700"),
        leave_days=Decimal("1"),
    )
    ledger = ledger_for(user=world.owner, program=other)
    assert (ledger.money_left, ledger.leave_left) == (Decimal("3300"), Decimal("4"))
    _assert_every_page_shows(client, world, request, asked, other, later)


def _query_counts(client, world, asked, other, later) -> dict[str, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = {}
    client.force_login(world.owner)
    client.get(reverse("programs:catalog"))  # warm the option caches
    urls = {
        "catalog": (reverse("programs:catalog"), {}),
        "program page": (reverse("programs:detail", args=[other.pk]), {}),
        "compare": (reverse("programs:compare"), {"ids": [other.pk, later.pk]}),
        "plan": (reverse("careers:plan"), {}),
        "request form": (reverse("supervision:request_new"), {"program": other.pk}),
        "my requests": (reverse("supervision:my_requests"), {}),
        "my policy": (reverse("supervision:my_policy"), {}),
    }
    for name, (url, params) in urls.items():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, params).status_code == 200, name
        counts[name] = len(captured)
    client.force_login(world.team_supervisor)
    for name, url in {"dashboard": reverse("supervision:dashboard", args=[world.team.pk])}.items():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200, name
        counts[name] = len(captured)
    return counts


def test_ledger_pages_keep_their_query_counts_as_requests_and_plans_grow(client, setting):
    world, _, asked, other, later = setting
    small = _query_counts(client, world, asked, other, later)
    for index in range(12):
        program = ProgramFactory(title=f"More {index}", fee_amount=Decimal("10"), leave_days=Decimal("0"))
        services.funding_request_create(
            requester=world.owner,
            program=program,
            costs=rules.RequestCosts(registration=Decimal("10")),
            leave_days=Decimal("0"),
            justification="More.",
        )
        ShortlistEntry.objects.create(
            user=world.owner, program=ProgramFactory(title=f"Planned {index}"), status="planned"
        )
    assert _query_counts(client, world, asked, other, later) == small
