"""Read functions for accounts."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import PersonalAccessToken, Team, TeamMembership, User


def team_current_for_user(*, user: User) -> Team | None:
    membership = TeamMembership.objects.current().filter(user=user).select_related("team").first()
    return membership.team if membership else None


def access_tokens_for_user(*, user: User) -> QuerySet[PersonalAccessToken]:
    """The user's personal access tokens, revoked ones included, newest first (one query)."""
    return PersonalAccessToken.objects.filter(user=user).order_by("-created_at", "-id")
