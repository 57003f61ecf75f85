"""Demo organization, team and one user per role (idempotent)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from accounts.models import Organization, Team, User
from accounts.roles import Role
from accounts.services import roles_sync, team_member_add, user_role_grant


@dataclass(frozen=True)
class DemoUser:
    email: str
    full_name: str
    role: Role
    in_team: bool = True


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("clinician@demo.test", "Dr. Maya Okafor", Role.CLINICIAN),
    DemoUser("nurse@demo.test", "Sam Rivera, RN", Role.CLINICIAN),
    DemoUser("np@demo.test", "Jordan Lee, NP", Role.CLINICIAN),
    DemoUser("pharmacist@demo.test", "Priya Natarajan, PharmD", Role.CLINICIAN),
    DemoUser("supervisor@demo.test", "Dr. Alex Chen", Role.SUPERVISOR, in_team=False),
    DemoUser("admin@demo.test", "CME Office Curator", Role.ADMIN, in_team=False),
)

DEMO_ORGANIZATION = "Riverside Health"
DEMO_TEAM = "Hospital Medicine"


@dataclass(frozen=True)
class DemoAccounts:
    users: dict[str, User]
    team: Team


def seed_accounts() -> DemoAccounts:
    """Create the demo organization, team and users; a second run adds nothing."""
    roles_sync()
    organization, _ = Organization.objects.get_or_create(name=DEMO_ORGANIZATION)
    team, _ = Team.objects.get_or_create(organization=organization, name=DEMO_TEAM)
    users: dict[str, User] = {}
    for demo in DEMO_USERS:
        user = User.objects.filter(email=demo.email).first()
        if user is None:
            user = User.objects.create_user(email=demo.email, password=settings.DEMO_PASSWORD, full_name=demo.full_name)
        user_role_grant(user=user, role=demo.role)
        if demo.role is Role.SUPERVISOR:
            team.supervisors.add(user)
        if demo.in_team:
            team_member_add(team=team, user=user)
        users[demo.email] = user
    return DemoAccounts(users=users, team=team)
