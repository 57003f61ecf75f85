from __future__ import annotations

from functools import cached_property

from django.http import HttpRequest

from .selectors import notifications_unread_for_request


class _UnreadCount:
    """Counted on first use (only pages that render the navigation), at most once per request; no query when
    the request's ranking context already read it."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request

    @cached_property
    def value(self) -> int:
        user = getattr(self.request, "user", None)
        if user is None or not user.is_authenticated or not (user.is_clinician or user.is_supervisor):
            return 0
        return notifications_unread_for_request(self.request, user=user)


def notifications(request: HttpRequest) -> dict[str, object]:
    """The signed-in user's unread notification count for the navigation (one indexed count, lazily)."""
    return {"notifications_unread": _UnreadCount(request)}
