"""Read functions for accounts."""

from __future__ import annotations

from .models import Team, TeamMembership, User


def team_current_for_user(*, user: User) -> Team | None:
    membership = TeamMembership.objects.current().filter(user=user).select_related("team").first()
    return membership.team if membership else None
