"""What a caller may do: roles as on the pages (accounts.access), and a read-scope token reads only."""

from __future__ import annotations

from typing import Any

from rest_framework import permissions
from rest_framework.request import Request

from accounts.models import PersonalAccessToken


class TokenScopeAllows(permissions.BasePermission):
    """Every API view: a read-scope token may use GET, HEAD and OPTIONS only (403 otherwise)."""

    message = "This token has the read scope; make a token with the write scope to change anything."

    def has_permission(self, request: Request, view: Any) -> bool:
        token = request.auth
        if isinstance(token, PersonalAccessToken) and not token.can_write:
            return request.method in permissions.SAFE_METHODS
        return True


class SignedIn(permissions.IsAuthenticated):
    message = "Sign in or send a personal access token."


class Clinician(permissions.BasePermission):
    """The clinician role, as `clinician_required`: anonymous 401, other roles 403."""

    message = "This endpoint is for clinicians."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_clinician)


class Supervisor(permissions.BasePermission):
    """The supervisor role, as `supervisor_required`; which team is `supervised_team_or_404`'s job."""

    message = "This endpoint is for supervisors."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_supervisor)


class ClinicianOrSupervisor(permissions.BasePermission):
    """Either role, as `clinician_or_supervisor_required` (a request's requester or their team's supervisor)."""

    message = "This endpoint is for clinicians and supervisors."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and (user.is_clinician or user.is_supervisor))
