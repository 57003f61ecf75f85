"""Query count and server time of the team dashboard for a team of 50 with 2 years of history (issue 6).

Usage (SQLite by default; point DATABASE_URL at a scratch PostgreSQL database to measure there):
    .venv/bin/python scripts/bench_dashboard.py --members 50 --requests 50

Creates the tables if needed and, once, a bench team ("Bench team" in "Bench Health")
of N clinicians, each with a licence, 2 years of credit claims (one a month) and
funding requests (about one a quarter, decided and pending), plus a policy per
profession. Then times R requests of the dashboard (and the equity view and the
CSV export) through the full middleware stack with django.test.Client and prints
the query count and p50 / p95 / max server time, and each page's throughput as a ratio
of a trivial signed-in page's measured in the same run. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime
import time
from decimal import Decimal

from _bench import django_setup, measure

PROFESSIONS = ["physician", "nurse", "nurse", "physician", "pharmacist", "nurse_practitioner"]


def seed(members: int) -> object:
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import Organization, Team, User
    from accounts.roles import Role
    from accounts.services import team_member_add, user_role_grant
    from careers.models import ClinicianProfile, CreditAmount, CreditClaim, Licence, ShortlistEntry
    from demo.synthetic import synthetic_programs_create
    from programs.models import Program
    from supervision.models import EmployerCmePolicy, FundingRequest, RequestStatus

    organization, _ = Organization.objects.get_or_create(name="Bench Health")
    team, _ = Team.objects.get_or_create(organization=organization, name="Bench team")
    supervisor, created = User.objects.get_or_create(email="bench-supervisor@bench.test")
    if created:
        user_role_grant(user=supervisor, role=Role.SUPERVISOR)
    team.supervisors.add(supervisor)
    have = team.memberships.filter(ended_at__isnull=True).count()
    if have >= members:
        return team, supervisor
    if Program.objects.published().count() < 20:
        synthetic_programs_create(count=20)
    programs = list(Program.objects.published().order_by("id")[:20])
    today = timezone.localdate()
    now = timezone.now()
    with transaction.atomic():
        for profession in set(PROFESSIONS):
            EmployerCmePolicy.objects.get_or_create(
                organization=organization,
                team=None,
                profession=profession,
                defaults={
                    "yearly_reimbursement_amount": Decimal("2500"),
                    "paid_leave_days": Decimal("3"),
                    "source_url": "https://example.test/policy",
                    "confirmed_on": today,
                },
            )
        for index in range(have, members):
            user = User.objects.create_user(email=f"bench-member-{index}@bench.test", full_name=f"Member {index:03d}")
            user_role_grant(user=user, role=Role.CLINICIAN)
            team_member_add(team=team, user=user)
            ClinicianProfile.objects.create(user=user, profession=PROFESSIONS[index % len(PROFESSIONS)])
            Licence.objects.create(
                user=user,
                jurisdiction="California",
                licence_type="Licence",
                renewal_date=today + datetime.timedelta(days=20 + 13 * index),
                hours_required=Decimal("50"),
            )
            for month in range(24):
                claim = CreditClaim.objects.create(
                    user=user, title=f"Activity {month}", completed_on=today - datetime.timedelta(days=30 * month + 3)
                )
                CreditAmount.objects.create(claim=claim, credit_type="ama_pra_1", amount=Decimal("2"))
            for quarter in range(8):
                program = programs[(index + quarter) % len(programs)]
                entry, _ = ShortlistEntry.objects.get_or_create(user=user, program=program)
                status = [RequestStatus.APPROVED, RequestStatus.DECLINED, RequestStatus.PARTIALLY_APPROVED][quarter % 3]
                if quarter == 0:
                    status = RequestStatus.PENDING
                asked = now - datetime.timedelta(days=91 * quarter + 5)
                request = FundingRequest.objects.create(
                    requester=user,
                    team=team,
                    program=program,
                    shortlist_entry=entry,
                    amount_requested=Decimal("800"),
                    leave_days_requested=Decimal("1"),
                    costs_on=asked.date(),
                    justification="bench",
                    status=status,
                    amount_approved=Decimal("800") if status == RequestStatus.APPROVED else Decimal("0"),
                    decided_by=None if status == RequestStatus.PENDING else supervisor,
                    decided_at=None if status == RequestStatus.PENDING else asked + datetime.timedelta(days=3),
                )
                FundingRequest.objects.filter(pk=request.pk).update(created_at=asked)
    return team, supervisor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()

    django_setup()
    from django.db import connection
    from django.test import Client

    started = time.perf_counter()
    team, supervisor = seed(args.members)
    print(f"bench data ready in {time.perf_counter() - started:.1f} s")
    client = Client()
    client.force_login(supervisor)
    members = team.memberships.filter(ended_at__isnull=True).count()
    print(f"database: {connection.vendor}, team members: {members}")
    scenarios = {
        "trivial: signed-in page": ("/accounts/password/change/done/", {}, {}),
        "dashboard": (f"/team/{team.pk}/", {}, {}),
        "dashboard sorted by renewal (htmx partial)": (
            f"/team/{team.pk}/",
            {"sort": "renewal", "at_risk": "on"},
            {"HTTP_HX_REQUEST": "true"},
        ),
        "equity view": (f"/team/{team.pk}/equity/", {}, {}),
        "CSV export": (f"/team/{team.pk}/export.csv", {}, {}),
    }
    results = {}
    for name, (url, params, headers) in scenarios.items():
        results[name] = measure(client, name, url, params, headers, args.requests)
    base = "trivial: signed-in page"
    for name, timing in results.items():
        if name != base:
            print(f"throughput {name:<44} {timing.per_second / results[base].per_second:6.3f} of {base}")


if __name__ == "__main__":
    main()
