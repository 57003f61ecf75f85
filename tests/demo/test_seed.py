"""seed_demo as `make run` uses it: everything in one command, nothing added the second time."""

import io

import pytest


@pytest.mark.django_db
def test_seed_demo_is_idempotent():
    from django.core.management import call_command

    from accounts.models import Team, TeamMembership, User
    from programs.models import ChangeLogEntry, CreditOffering, Program, Provider

    def counts():
        return [
            m.objects.count() for m in (User, Team, TeamMembership, Program, Provider, CreditOffering, ChangeLogEntry)
        ]

    call_command("seed_demo", stdout=io.StringIO())
    first = counts()
    call_command("seed_demo", stdout=io.StringIO())
    assert counts() == first
    assert first[3] >= 40
    emails = set(User.objects.values_list("email", flat=True))
    assert {"clinician@demo.test", "nurse@demo.test", "supervisor@demo.test", "admin@demo.test"} <= emails
