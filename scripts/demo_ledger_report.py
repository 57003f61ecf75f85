"""The demo physician's money and leave as every page shows it, before a request, pending, and after approval.

Usage (seeds the demo into the database it is given, like `make run` does; use a scratch one):
    DATABASE_URL=sqlite:////tmp/ledger-report.sqlite3 .venv/bin/python scripts/demo_ledger_report.py

Picks the physician's best-ranked takeable program with a fee, renders each page
through the full middleware stack (django.test.Client) and prints the ledger
figures found on it (the same extraction tests/test_ledger_pages.py uses). Then
asks for funding for the program's fee and leave, prints again, approves it as the
demo supervisor and prints again. Prints figures; asserts nothing.
"""

from __future__ import annotations

import io
import re

from _bench import django_setup


def main() -> None:
    django_setup()
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    from accounts.models import User
    from programs.ranking import queries
    from supervision import rules, services
    from supervision.ledger import ledger_for
    from supervision.models import FundingRequest, RequestStatus
    from supervision.selectors import ranking_context_for_user
    from tests.test_ledger_pages import _ledger_figures, _left_in_budget_badge

    call_command("seed_demo", stdout=io.StringIO())
    physician = User.objects.get(email="clinician@demo.test")
    supervisor = User.objects.get(email="supervisor@demo.test")
    context = ranking_context_for_user(user=physician)
    assert context is not None
    page = queries.ranked_catalog_page(
        queries.RankingQuery(goal=context.goal, weights=context.weights, clinician=context.clinician)
    )
    requested = set(FundingRequest.objects.filter(requester=physician).values_list("program_id", flat=True))
    results = [r for r in page.results if r.program.fee_amount and r.program.pk not in requested]
    chosen, second = results[0].program, results[1].program
    team_id = physician.team_memberships.first().team_id
    print(
        f"Program: {chosen.title} (fee ${chosen.fee_amount:,.0f}, {chosen.leave_days} leave days, "
        f"starts {chosen.start_date}); compared with {second.title}"
    )
    client = Client()

    def show(stage: str, request: FundingRequest | None = None) -> None:
        print(f"\n== {stage}")
        ledger = ledger_for(user=physician, program=chosen)
        print(
            f"   ledger_for: money left ${ledger.money_left:,.0f}, leave left {ledger.leave_left} days, "
            f"employer left ${ledger.employer_money_left or 0:,.0f}, year {ledger.year_start} to {ledger.year_last_day}"
        )
        client.force_login(physician)
        pages = {
            "catalog card": (reverse("programs:catalog"), {}),
            "program page": (reverse("programs:detail", args=[chosen.pk]), {}),
            "compare": (reverse("programs:compare"), {"ids": [chosen.pk, second.pk]}),
            "plan": (reverse("careers:plan"), {}),
            "request form": (reverse("supervision:request_new"), {"program": second.pk}),
            "my requests": (reverse("supervision:my_requests"), {}),
            "my policy": (reverse("supervision:my_policy"), {}),
        }
        for name, (url, params) in pages.items():
            html = client.get(url, params).content.decode()
            if name == "catalog card":
                card = next(c for c in html.split('class="program-card ranked-card"')[1:] if chosen.title in c)
                html = card
            blocks = [(b.get("money_left"), b.get("leave_left")) for b in _ledger_figures(html)]
            badges = sorted(_left_in_budget_badge(html))
            print(f"   {name:14} ledger blocks {blocks}  fit badges 'of the … you have left' {badges}")
        client.force_login(supervisor)
        html = client.get(reverse("supervision:dashboard", args=[team_id])).content.decode()
        row = next(r for r in html.split("<tr")[1:] if physician.full_name in r and "employer_money_left" in r)
        print(f"   {'dashboard':14} employer left {re.findall(r'data-ledger=.employer_money_left.>([^<]*)<', row)}")
        if request is not None:
            html = client.get(reverse("supervision:request_detail", args=[request.pk])).content.decode()
            found = re.search(r"would leave:</strong> ([^<]*)<", html)
            blocks = [(b.get("money_left"), b.get("leave_left")) for b in _ledger_figures(html)]
            print(f"   {'request page':14} ledger {blocks}  approving leaves: {found.group(1) if found else '-'}")

    show("before asking")
    leave = chosen.leave_days or 0
    request, warning = services.funding_request_create(
        requester=physician,
        program=chosen,
        costs=rules.RequestCosts(registration=chosen.fee_amount),
        leave_days=leave,
        justification="Builds the finance skills my CMO goal needs.",
    )
    print(f"\nAsked ${request.amount_requested:,.0f} and {request.leave_days_requested} days {warning}")
    show("pending", request)
    services.funding_request_decide(
        request_id=request.pk, supervisor=supervisor, outcome=RequestStatus.APPROVED, reason="Fits the plan."
    )
    show("approved in full", request)


if __name__ == "__main__":
    main()
