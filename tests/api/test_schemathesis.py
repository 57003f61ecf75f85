"""schemathesis against the OpenAPI schema, in-process (WSGI, no server), as a clinician and as a supervisor.

Stateless: every operation, with generated parameters and bodies. Stateful: schemathesis's state
machine over the operations' links. Checks: no 5xx, every status code and body documented.
"""

from __future__ import annotations

from functools import cache

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from cme_portal.wsgi import application
from tests.factories import ClinicianFactory, ProgramFactory, SupervisorFactory, TeamFactory, TeamMembershipFactory
from tests.programs.ranking_helpers import goal_for

from .conftest import bearer
from .schemathesis_report import KEY

pytestmark = pytest.mark.django_db

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)

EXAMPLES_PER_OPERATION = 5
# Left out: "schema-valid data is accepted". Domain rules a JSON schema cannot state (a credit date
# from 1950 to today, a credit type one of the caller's licences accepts, a published program id)
# answer 400 problem details naming the field, by design. Every other default check runs: no 5xx,
# status codes, content types, headers and bodies as documented, and negative data rejected.
EXCLUDED_CHECKS = [positive_data_acceptance]


@cache
def _operations_in_schema() -> int:
    """How many operations the schema documents (method x path), whichever of them this worker runs."""
    return sum(1 for _ in schema.get_all_operations())


@pytest.fixture(autouse=True)
def _test_connection_kept_open():
    """Calls go to the WSGI application itself, not Django's test client, so do what the test client does:
    no closing of "old" connections at each request's end, which would close the test's transaction
    (PostgreSQL answered every call after the first with "the connection is closed")."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def callers():
    """A clinician with a goal, a shortlisted program and a licence; a supervisor of their team."""
    clinician = ClinicianFactory()
    goal_for(clinician)
    ProgramFactory.create_batch(3, status="published")
    team = TeamFactory()
    TeamMembershipFactory(team=team, user=clinician)
    supervisor = SupervisorFactory()
    team.supervisors.add(supervisor)
    return {"clinician": bearer(clinician), "supervisor": bearer(supervisor)}


def _headers(environ: dict[str, str]) -> dict[str, str]:
    return {"Authorization": environ["HTTP_AUTHORIZATION"]}


@pytest.mark.parametrize("role", ["clinician", "supervisor"])
@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
    derandomize=True,
)
def test_stateless(case, role, callers, record_property):
    # One record per example, summed over every worker by tests/api/schemathesis_report.py.
    record_property(KEY, {"operation": case.operation.label, "operations_in_schema": _operations_in_schema()})
    case.call_and_validate(headers=_headers(callers[role]), excluded_checks=EXCLUDED_CHECKS)
