"""Signed-in people for fault tests: users and database sessions made in the app's own database."""

from __future__ import annotations

import json
from dataclasses import dataclass

from tests.faults.servers import manage

_SEED = """
import json, uuid
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from tests.factories import (
    ClinicianFactory, ProgramFactory, ProviderFactory, SupervisorFactory, TeamFactory, TeamMembershipFactory
)

tag = uuid.uuid4().hex[:10]

def session_for(user):
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key

clinician = ClinicianFactory(email=f"clinician-{tag}@faults.test")
supervisor = SupervisorFactory(email=f"supervisor-{tag}@faults.test")
team = TeamFactory(name=f"Team {tag}", organization__name=f"Org {tag}", supervisors=[supervisor])
TeamMembershipFactory(team=team, user=clinician)
provider = ProviderFactory(name=f"Provider {tag}")
for n in range(3):
    ProgramFactory(provider=provider, external_id=f"F-{tag}-{n}", title=f"Program {tag} {n}",
                   topics=["sepsis", "leadership"], specialties=["emergency_medicine"], location_state="NY")
print(json.dumps({"clinician": session_for(clinician), "supervisor": session_for(supervisor), "team_id": team.pk}))
"""


@dataclass(frozen=True)
class People:
    """Session cookies of a clinician and of the supervisor of their team."""

    clinician_cookie: dict[str, str]
    supervisor_cookie: dict[str, str]
    team_id: int


def seed_people(env: dict[str, str]) -> People:
    """A clinician in a team, its supervisor, three published programs; sessions for both people."""
    output = manage(env, "shell", "-c", _SEED).stdout
    data = json.loads(output.strip().splitlines()[-1])
    return People(
        clinician_cookie={"Cookie": f"sessionid={data['clinician']}"},
        supervisor_cookie={"Cookie": f"sessionid={data['supervisor']}"},
        team_id=int(data["team_id"]),
    )
