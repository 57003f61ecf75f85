from __future__ import annotations

from typing import ClassVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property

from .roles import ROLE_GROUP_NAMES, Role


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: object) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person who signs in with their email address."""

    # People sign in with their email address: no username field (Django's custom-user pattern).
    username = None  # type: ignore[assignment]  # django-stubs declares AbstractUser.username a CharField
    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=200, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    # Replaces Django's UserManager, whose create_user(username, ...) has no use without usernames.
    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]  # stubs expect auth's UserManager

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return (self.full_name or self.email).split(" ")[0]

    @cached_property
    def roles(self) -> frozenset[Role]:
        names = {group.name for group in self.groups.all()}
        found = {role for role, name in ROLE_GROUP_NAMES.items() if name in names}
        if self.is_superuser:
            found.add(Role.ADMIN)
        return frozenset(found)

    @property
    def is_clinician(self) -> bool:
        return Role.CLINICIAN in self.roles

    @property
    def is_supervisor(self) -> bool:
        return Role.SUPERVISOR in self.roles

    @property
    def is_curator(self) -> bool:
        return Role.ADMIN in self.roles


class Organization(models.Model):
    name = models.CharField(max_length=200, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    """A unit or department: clinicians as members, one or more supervisors."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="teams")
    name = models.CharField(max_length=200)
    supervisors = models.ManyToManyField(User, related_name="supervised_teams", blank=True)

    class Meta:
        ordering = ["organization__name", "name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="team_unique_name_per_org")]

    def __str__(self) -> str:
        return f"{self.name} ({self.organization})"


class TeamMembershipQuerySet(models.QuerySet["TeamMembership"]):
    def current(self) -> TeamMembershipQuerySet:
        return self.filter(ended_at__isnull=True)


class TeamMembership(models.Model):
    """A clinician's membership of a team. Ended memberships are kept as history."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="team_memberships")
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    objects = TeamMembershipQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            # A clinician belongs to at most one team at a time.
            models.UniqueConstraint(
                fields=["user"], condition=Q(ended_at__isnull=True), name="membership_one_current_team"
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="membership_end_after_start",
            ),
        ]
        indexes = [models.Index(fields=["team", "ended_at"], name="membership_team_current")]

    def __str__(self) -> str:
        return f"{self.user} in {self.team}"


class PasswordResetRequest(models.Model):
    """A password-reset request that was let through, kept for the per-account and per-address limits.

    In the database, not the cache, so the limits hold when Redis is down (accounts.limits).
    """

    email = models.CharField(max_length=254, help_text="As requested, lower-cased.")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    requested_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["email", "requested_at"], name="pwreset_email_time"),
            models.Index(fields=["ip_address", "requested_at"], name="pwreset_address_time"),
        ]

    def __str__(self) -> str:
        return f"{self.email} from {self.ip_address} at {self.requested_at:%Y-%m-%d %H:%M}"


class SubmissionReceipt(models.Model):
    """A form submission that was saved, by the token its form carried (accounts.submissions).

    The unique (user, token) pair is what makes a double click or Back-and-resubmit write once:
    the second submission's insert meets the first's row (on PostgreSQL it waits for the first
    transaction, then sees it). Kept a day (`submission_receipts_prune`).
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=64)
    location = models.TextField(blank=True, help_text="Where the first submission's answer sent the browser.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "token"], name="submission_receipt_once_per_user")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.token} at {self.created_at:%Y-%m-%d %H:%M}"


class TokenScope(models.TextChoices):
    READ = "read", "Read only"
    WRITE = "write", "Read and write"


class PersonalAccessToken(models.Model):
    """A key a user makes to call the JSON API as themselves (api/, README "API").

    Only the SHA-256 digest of the token is kept (cme_portal.tokens); `prefix` is its first
    characters, shown so the user can tell their tokens apart, and is no key on its own.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="access_tokens")
    name = models.CharField(max_length=100)
    scope = models.CharField(max_length=5, choices=TokenScope.choices, default=TokenScope.READ)
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def can_write(self) -> bool:
        return self.scope == TokenScope.WRITE
