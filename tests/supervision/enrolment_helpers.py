"""A team with members of three professions and an interprofessional program, for the enrolment tests."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from accounts.models import Team, User
from programs.models import Program
from tests.factories import ClinicianFactory, ProgramFactory, SupervisorFactory, TeamFactory, TeamMembershipFactory

from .helpers import policy, profile

IPE_PROFESSIONS = ["physician", "nurse", "pharmacist"]


def this_year_start() -> datetime.date:
    """A start day whose costs fall in this calendar (policy) year, whatever today's date."""
    today = timezone.localdate()
    return min(today + datetime.timedelta(days=30), datetime.date(today.year, 12, 31))


def ipe_program(**kwargs: object) -> Program:
    kwargs.setdefault("professions", IPE_PROFESSIONS)
    kwargs.setdefault("start_date", this_year_start())
    kwargs.setdefault("fee_amount", Decimal("600"))
    kwargs.setdefault("leave_days", Decimal("2"))
    return ProgramFactory(**kwargs)


def member(team: Team, profession: str, **kwargs: object) -> User:
    user = ClinicianFactory(**kwargs)
    TeamMembershipFactory(team=team, user=user)
    profile(user, profession)
    return user


@dataclass
class EnrolWorld:
    team: Team
    other_team: Team
    supervisor: User
    other_supervisor: User
    physician: User
    nurse: User
    pharmacist: User
    outsider: User  # a clinician of the other team
    program: Program

    @property
    def members(self) -> list[User]:
        return [self.physician, self.nurse, self.pharmacist]


def enrol_world(*, rule: str = "warn", amount: str = "1000", days: str = "3") -> EnrolWorld:
    supervisor = SupervisorFactory(full_name="Sam Supervisor")
    other_supervisor = SupervisorFactory(full_name="Olga Othersupervisor")
    team = TeamFactory(name="Ward 5", supervisors=[supervisor])
    other_team = TeamFactory(name="Ward 9", supervisors=[other_supervisor])
    world = EnrolWorld(
        team=team,
        other_team=other_team,
        supervisor=supervisor,
        other_supervisor=other_supervisor,
        physician=member(team, "physician", full_name="Dr. Pat Physician"),
        nurse=member(team, "nurse", full_name="Nora Nurse"),
        pharmacist=member(team, "pharmacist", full_name="Phil Pharmacist"),
        outsider=member(other_team, "nurse", full_name="Otto Outsider"),
        program=ipe_program(title="Team sepsis simulation"),
    )
    for profession in IPE_PROFESSIONS:
        found = policy(team=team, profession=profession, amount=amount, days=days, rule=rule)
        found.year_starts_month = 1
        found.save()
    return world
