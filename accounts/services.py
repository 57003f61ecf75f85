"""Write functions for accounts: roles and team membership."""

from __future__ import annotations

import datetime

from django.apps import apps as global_apps
from django.db import transaction
from django.utils import timezone

from cme_portal.tokens import token_digest, token_new

from .models import PersonalAccessToken, Team, TeamMembership, TokenScope, User
from .roles import ROLE_GROUP_NAMES, ROLE_PERMISSIONS, Role


def roles_sync() -> None:
    """Create the role groups and give each exactly its listed permissions.

    Idempotent; runs after every migrate (accounts.apps) and from seed_demo.
    """
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission

    for app_config in global_apps.get_app_configs():
        if app_config.models_module is not None:
            create_permissions(app_config, verbosity=0)
    for role, group_name in ROLE_GROUP_NAMES.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        wanted = [
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
            for app_label, codename in ROLE_PERMISSIONS[role]
        ]
        group.permissions.set(wanted)


def user_role_grant(*, user: User, role: Role) -> None:
    """Put the user in the role's group. No role opens the Django admin: that is for operators
    (superusers, made with `manage.py createsuperuser`), see cme_portal.admin_site."""
    from django.contrib.auth.models import Group

    group = Group.objects.get(name=ROLE_GROUP_NAMES[role])
    user.groups.add(group)
    user.__dict__.pop("roles", None)


def team_member_add(*, team: Team, user: User) -> TeamMembership:
    """Make the user a current member of the team, ending any other current membership.

    Runs in one transaction; the ended membership stays as history.
    """
    with transaction.atomic():
        current = TeamMembership.objects.select_for_update().current().filter(user=user).first()
        if current is not None and current.team_id == team.pk:
            return current
        if current is not None:
            current.ended_at = timezone.now()
            current.save(update_fields=["ended_at"])
        return TeamMembership.objects.create(team=team, user=user)


def team_member_remove(*, team: Team, user: User) -> None:
    """End the user's current membership of the team (kept as history)."""
    TeamMembership.objects.current().filter(team=team, user=user).update(ended_at=timezone.now())


def user_lock(*, user_id: int) -> None:
    """Serialise one person's writes until the caller's transaction ends (PostgreSQL row lock).

    For rules that read before they write and that a unique constraint backs (one profile,
    one active goal, one pending request per program): a simultaneous second submission waits,
    then reads what the first wrote. SQLite takes no row locks but runs one writer at a time.
    Call it inside transaction.atomic().
    """
    User.objects.select_for_update().filter(pk=user_id).values_list("pk", flat=True).first()


# How often a token's `last_used_at` is written: at most once a minute, so a busy client costs no write a call.
TOKEN_LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


def access_token_create(*, user: User, name: str, scope: str) -> tuple[PersonalAccessToken, str]:
    """Make a personal access token; returns it and the raw token, which is shown once and never stored.

    Stores only the digest and an 8-character prefix. Raises ValueError, writing nothing, for an
    empty name or an unknown scope.
    """
    name = name.strip()
    if not name or scope not in TokenScope.values:
        raise ValueError("A token needs a name and a scope (read or write).")
    raw = token_new()
    with transaction.atomic():
        token = PersonalAccessToken.objects.create(
            user=user, name=name[:100], scope=scope, digest=token_digest(raw), prefix=raw[:8]
        )
    return token, raw


def access_token_revoke(*, user: User, token_id: int) -> PersonalAccessToken:
    """Revoke one of the user's tokens (kept, marked revoked); raises DoesNotExist for anyone else's.

    Idempotent: revoking a revoked token keeps its first revocation time.
    """
    with transaction.atomic():
        token = PersonalAccessToken.objects.select_for_update().get(user=user, pk=token_id)
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
    return token


def access_token_touch(*, token: PersonalAccessToken) -> None:
    """Record that the token was used now, unless that was recorded less than a minute ago."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= TOKEN_LAST_USED_RESOLUTION:
        PersonalAccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
