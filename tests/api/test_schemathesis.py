"""schemathesis against the OpenAPI schema, in-process (WSGI, no server), as a clinician and as a supervisor.

Stateless: every operation, with generated parameters and bodies. Stateful: schemathesis's state
machine over the operations' links. Checks: no 5xx, every status code and body documented.
"""

from __future__ import annotations

from functools import cache

import pytest
import schemathesis
from django.core.cache import cache as django_cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.schema import LINKS
from careers.models import ShortlistEntry, ShortlistStatus
from cme_portal.wsgi import application
from tests.factories import ClinicianFactory, ProgramFactory, SupervisorFactory, TeamFactory, TeamMembershipFactory
from tests.programs.ranking_helpers import goal_for
from tests.supervision.helpers import funding_request

from .conftest import bearer
from .schemathesis_report import KEY, STATEFUL_KEY

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
    """A clinician with a goal, a licence, two planned programs and a pending request; their team's supervisor."""
    clinician = ClinicianFactory()
    goal_for(clinician)
    programs = ProgramFactory.create_batch(3, status="published")
    team = TeamFactory()
    TeamMembershipFactory(team=team, user=clinician)
    supervisor = SupervisorFactory()
    team.supervisors.add(supervisor)
    # Lists that answer 200 with rows from the first call, so the stateful run has ids to follow.
    for program in programs[:2]:
        ShortlistEntry.objects.create(user=clinician, program=program, status=ShortlistStatus.PLANNED)
    funding_request(clinician, team)
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


# The stateful run: scenarios of up to STEPS_PER_SCENARIO calls, each call after the first following
# one of the schema's links (api/schema.py LINKS) from an earlier answer where one applies.
STATEFUL_SCENARIOS = 20
STEPS_PER_SCENARIO = 6


def _valid_body(label: str, body: object) -> object:
    """A body the domain accepts for a write, keeping the program a link chose; other bodies as generated.

    Generated figures almost never pass the domain's rules (a fee cap, a licence's credit types),
    so without this a created id would rarely exist for the links that start from a 201.
    """
    today = timezone.localdate().isoformat()
    if label == "POST /api/v1/funding-requests/" and isinstance(body, dict) and "program_id" in body:
        return {"program_id": body["program_id"], "costs": {"registration": "10"}, "justification": "Stateful run"}
    if label == "POST /api/v1/credits/":
        return {"title": "Stateful run", "completed_on": today, "amounts": {"ama_pra_1": "1"}}
    return body


@pytest.mark.parametrize("role", ["clinician", "supervisor"])
def test_stateful(role, callers, record_property):
    """Scenarios over the links (a program from the catalog shortlisted then changed or removed, a
    funding request asked then read, credits logged then listed), as each role, with every check."""
    headers = _headers(callers[role])
    stats = {"scenarios": 0, "steps": 0, "links": set(), "inferred": set()}

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]  # schemathesis builds the class at run time
        def setup(self):
            stats["scenarios"] += 1
            # Each scenario starts from the same data and an empty cache: what a step answers (and so which
            # links hypothesis may follow next) depends only on the scenario's own choices, never on an
            # earlier scenario's writes; otherwise replaying a choice prefix can take another path (Flaky).
            self.scenario_savepoint = transaction.savepoint()
            self.scenario_steps = 0

        def teardown(self):
            transaction.savepoint_rollback(self.scenario_savepoint)
            django_cache.clear()
            super().teardown()

        def step(self, input):
            stats["steps"] += 1
            self.scenario_steps += 1
            # Every linked write, and every other write that starts a scenario, with a body the domain takes.
            if input.transition is not None or self.scenario_steps % 2:
                body = _valid_body(input.case.operation.label, input.case.body)
                if body is not input.case.body:
                    input.case.body, input.case.media_type = body, "application/json"
            # Declared links (api/schema.py) and those schemathesis infers itself, told apart.
            if input.transition is not None and input.is_applied:
                stats["inferred" if input.transition.is_inferred else "links"].add(input.transition.id)
            return super().step(input)

        def get_call_kwargs(self, case):
            return {"headers": headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(
                response,
                additional_checks=additional_checks,
                excluded_checks=EXCLUDED_CHECKS,
                headers=headers,  # as call_and_validate: the real credentials, not generated ones
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    try:
        Workflow.run(
            settings=settings(
                max_examples=STATEFUL_SCENARIOS,
                stateful_step_count=STEPS_PER_SCENARIO,
                phases=[Phase.generate],
                deadline=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
        )
    finally:
        record_property(
            STATEFUL_KEY,
            {
                "role": role,
                "scenarios": stats["scenarios"],
                "steps": stats["steps"],
                "links_followed": sorted(stats["links"]),
                "inferred_links_followed": sorted(stats["inferred"]),
                "links_in_schema": len(LINKS),
            },
        )
    assert stats["steps"] > stats["scenarios"], "no scenario went past its first call"
