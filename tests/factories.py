"""factory_boy factories shared by all tests."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from accounts.models import Organization, Team, TeamMembership, User
from accounts.roles import Role
from accounts.services import user_role_grant
from programs.choices import ActivityFormat, ProgramStatus
from programs.models import CreditOffering, Program, Provider
from programs.services import program_scores_apply

TEST_PASSWORD = "correct-horse-battery-staple-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def saved(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            self.save()


def _role_hook(role: Role) -> Any:
    @factory.post_generation
    def grant_role(self: User, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            user_role_grant(user=self, role=role)

    return grant_role


class ClinicianFactory(UserFactory):
    grant_role = _role_hook(Role.CLINICIAN)


class SupervisorFactory(UserFactory):
    grant_role = _role_hook(Role.SUPERVISOR)


class AdminFactory(UserFactory):
    grant_role = _role_hook(Role.ADMIN)


class OperatorFactory(UserFactory):
    """A superuser: the only kind of user the Django admin lets in (cme_portal.admin_site)."""

    email = factory.Sequence(lambda n: f"operator{n}@example.test")
    is_staff = True
    is_superuser = True


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Health System {n}")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        skip_postgeneration_save = True

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Team {n}")

    @factory.post_generation
    def supervisors(self, create: bool, extracted: list[User] | None, **kwargs: Any) -> None:
        if create and extracted:
            self.supervisors.add(*extracted)


class TeamMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeamMembership

    team = factory.SubFactory(TeamFactory)
    user = factory.SubFactory(ClinicianFactory)


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider

    name = factory.Sequence(lambda n: f"Provider {n}")
    accreditor = "accme"
    accreditation_status = "accredited"
    jointly_accredited = False


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program
        skip_postgeneration_save = True

    provider = factory.SubFactory(ProviderFactory)
    external_id = factory.Sequence(lambda n: f"EXT-{n:05d}")
    title = factory.Sequence(lambda n: f"Program {n:05d}")
    description = "A course on clinical topics."
    format = ActivityFormat.COURSE
    delivery = "live_online"
    start_date = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=30))
    end_date = factory.LazyAttribute(lambda o: o.start_date + datetime.timedelta(days=1) if o.start_date else None)
    fee_amount = Decimal("500")
    leave_days = Decimal("1")
    time_commitment_hours = Decimal("8")
    professions = factory.LazyFunction(lambda: ["physician"])
    status = ProgramStatus.PUBLISHED

    @factory.post_generation
    def credits(self, create: bool, extracted: dict[str, str] | None, **kwargs: Any) -> None:
        if not create:
            return
        offerings = extracted if extracted is not None else {"ama_pra_1": "8"}
        CreditOffering.objects.bulk_create(
            [CreditOffering(program=self, credit_type=t, amount=Decimal(a)) for t, a in offerings.items()]
        )
        program_scores_apply(self)
        self.save()
