"""The demo users (one list, read by the seed, the login page and the README check), organization and team."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from accounts.models import Organization, Team, User
from accounts.roles import Role
from accounts.services import roles_sync, team_member_add, user_role_grant


@dataclass(frozen=True)
class DemoUser:
    """A demo login. `description` is what the login page and README say about it."""

    email: str
    full_name: str
    role: Role
    description: str
    profession: str = ""  # the clinician's profession code; blank for other roles
    in_team: bool = True


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser(
        "clinician@demo.test",
        "Dr. Maya Okafor",
        Role.CLINICIAN,
        "physician on a Chief Medical Officer track",
        profession="physician",
    ),
    DemoUser("nurse@demo.test", "Sam Rivera, RN", Role.CLINICIAN, "nurse", profession="nurse"),
    DemoUser("np@demo.test", "Jordan Lee, NP", Role.CLINICIAN, "nurse practitioner", profession="nurse_practitioner"),
    DemoUser("pharmacist@demo.test", "Priya Natarajan, PharmD", Role.CLINICIAN, "pharmacist", profession="pharmacist"),
    DemoUser("supervisor@demo.test", "Dr. Alex Chen", Role.SUPERVISOR, "supervisor of the demo team", in_team=False),
    DemoUser(
        "admin@demo.test",
        "CME Office Curator",
        Role.ADMIN,
        "CME office curator (admin): imports, review queue, curation pages",
        in_team=False,
    ),
)


def demo_user(email: str) -> DemoUser:
    """The demo user with this email (KeyError for any other)."""
    return {demo.email: demo for demo in DEMO_USERS}[email]


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
