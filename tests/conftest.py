from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from accounts.models import Team, User
from tests.api.schemathesis_report import pytest_terminal_summary_schemathesis  # noqa: F401 - schemathesis's summary line
from tests.browser.axe_report import pytest_terminal_summary_axe  # noqa: F401 - the axe sweep's summary hook
from tests.factories import (
    AdminFactory,
    ClinicianFactory,
    SupervisorFactory,
    TeamFactory,
    TeamMembershipFactory,
)

# No per-example deadline: a busy two-core CI machine must not turn slowness into failures.
# In CI the examples are derandomized, so a run is reproducible; locally they vary and explore.
hypothesis_settings.register_profile(
    "ci", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
hypothesis_settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    # Uploaded and imported files go to this test's own folder, never the checkout's var/private/.
    # FileFields store through default_storage, which reads MEDIA_ROOT when first used after
    # a settings change (the STORAGES change below also rebuilds it), so nothing caches the old root.
    settings.MEDIA_ROOT = tmp_path / "private"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CELERY_TASK_ALWAYS_EAGER = True
    # The quickstart's request-time reminder runner writes on a signed-in request; tests that want it
    # (tests/supervision/test_due_reminders.py, the browser test) switch it on themselves.
    settings.REMINDERS_RUN_ON_REQUEST_MINUTES = 0
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    cache.clear()
    yield
    cache.clear()


@dataclass
class RoleWorld:
    """Everyone a permission test needs: an owner and every kind of other person."""

    owner: User
    other_clinician: User
    team_supervisor: User
    other_supervisor: User
    admin: User
    team: Team
    other_team: Team

    def by_role(self) -> dict[str, User | None]:
        return {
            "anonymous": None,
            "owner": self.owner,
            "other_clinician": self.other_clinician,
            "team_supervisor": self.team_supervisor,
            "other_supervisor": self.other_supervisor,
            "admin": self.admin,
        }


@pytest.fixture
def world(db) -> RoleWorld:
    team_supervisor = SupervisorFactory(email="supervisor-a@example.test")
    other_supervisor = SupervisorFactory(email="supervisor-b@example.test")
    team = TeamFactory(name="Team A", supervisors=[team_supervisor])
    other_team = TeamFactory(name="Team B", supervisors=[other_supervisor])
    owner = ClinicianFactory(email="owner@example.test")
    other_clinician = ClinicianFactory(email="other@example.test")
    TeamMembershipFactory(team=team, user=owner)
    TeamMembershipFactory(team=other_team, user=other_clinician)
    admin = AdminFactory(email="curator@example.test")
    return RoleWorld(owner, other_clinician, team_supervisor, other_supervisor, admin, team, other_team)


ROLES = ["anonymous", "owner", "other_clinician", "team_supervisor", "other_supervisor", "admin"]


def login_as(client, world: RoleWorld, role: str):
    user = world.by_role()[role]
    if user is not None:
        client.force_login(user)
    return user


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """One line for the CI log: how much the form fuzz test sent and its slowest request.

    The figures travel on each test report's user_properties, so they add up under xdist too.
    """
    runs = [
        value
        for outcome in ("passed", "failed")
        for report in terminalreporter.stats.get(outcome, [])
        if getattr(report, "when", "") == "call"
        for key, value in getattr(report, "user_properties", [])
        if key == "fuzz"
    ]
    if not runs:
        return
    posts = [run for run in runs if run["method"] == "POST"]
    gets = [run for run in runs if run["method"] == "GET"]
    seconds, where = max(tuple(run["slowest"]) for run in runs)
    terminalreporter.write_line(
        f"fuzz: {sum(run['requests'] for run in posts):,} POST requests over {len(posts)} forms"
        f" and {sum(run['requests'] for run in gets):,} GET over {len(gets)} pages,"
        f" slowest {seconds:.2f} s ({where})"
    )
