"""Who may use which view: the one access layer every view goes through.

The rule for 403 versus 404
---------------------------

* Not signed in, on a page that needs it: the sign-in page (302 to ``LOGIN_URL`` with
  ``?next=``), before anything else is looked up.
* Signed in, but the wrong role for the page: **403**. The URL is not a secret: the page
  exists, this person may not use it (a supervisor opening a clinician's plan, a clinician
  opening a team dashboard, anyone but a curator opening the review queue).
* The right role, but the object is not theirs (another clinician's goal, a team they do not
  supervise, a request they neither made nor may decide): **404**, exactly as for an id that
  does not exist, so a response never confirms that another person's object exists.
* Public pages say so with ``@public``: sign-in and password reset, the health checks, and the
  pages opened by a secret token (calendar feed, portfolio share link, team invitation), where
  the token is the only key and a wrong one gives 404.

Every view carries exactly one decision: ``public``, ``signed_in_required`` (any role),
``clinician_required``, ``supervisor_required``, ``curator_required`` or
``clinician_or_supervisor_required``. The role decorators include the sign-in check.
Object-level checks use ``owned_or_404`` and ``supervised_team_or_404``.
``tests/test_access_matrix.py`` fails for a URL whose view records no decision and holds the
expected outcome of every URL for every kind of user.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import update_wrapper
from typing import Concatenate, ParamSpec, TypeVar, cast

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db.models import Manager, Model, QuerySet
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django_htmx.middleware import HtmxDetails

from cme_portal.htmx import HtmxHttpRequest

from .models import Team, User

P = ParamSpec("P")
R = TypeVar("R", bound=HttpResponseBase)
V = TypeVar("V", bound=Callable[..., HttpResponseBase])
M = TypeVar("M", bound=Model)

# The attribute on a view function that records its access decision (read by the matrix test).
ACCESS_RULE_ATTRIBUTE = "access_rule"


class AuthenticatedHttpRequest(HttpRequest):
    """The request a view behind a role decorator receives: `user` is a signed-in User."""

    user: User


class AuthenticatedHtmxHttpRequest(AuthenticatedHttpRequest, HtmxHttpRequest):
    """A signed-in request that also carries django-htmx's `request.htmx`."""

    htmx: HtmxDetails


def access_rule_of(view: Callable[..., object]) -> str | None:
    """The decision recorded on a view ("public", "clinician", ...), or None when it has none."""
    rule = getattr(view, ACCESS_RULE_ATTRIBUTE, None)
    return rule if isinstance(rule, str) else None


def _record(view: V, rule: str) -> V:
    existing = access_rule_of(view)
    if existing is not None and existing != rule:
        raise ImproperlyConfigured(f"{view.__qualname__} is already marked {existing!r}; a view has one access rule.")
    setattr(view, ACCESS_RULE_ATTRIBUTE, rule)
    return view


def public(view: V) -> V:
    """Anyone may open this view, signed in or not. Changes nothing: it records the decision.

    Token pages stay safe because the view looks the object up by its secret token only.
    """
    return _record(view, "public")


def _role_view(
    rule: str, allowed: Callable[[User], bool]
) -> Callable[[Callable[Concatenate[AuthenticatedHttpRequest, P], R]], Callable[Concatenate[HttpRequest, P], R]]:
    """A decorator: anonymous users to the sign-in page, signed-in users `allowed` refuses get 403."""

    def decorator(
        view: Callable[Concatenate[AuthenticatedHttpRequest, P], R],
    ) -> Callable[Concatenate[HttpRequest, P], R]:
        def checked(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> R:
            authenticated = cast(AuthenticatedHttpRequest, request)
            if not allowed(authenticated.user):
                raise PermissionDenied(f"This page is for: {rule}.")
            return view(authenticated, *args, **kwargs)

        update_wrapper(checked, view)
        # Django's own decorator does the sign-in redirect, so `next` is built exactly as everywhere else.
        return _record(login_required(checked), rule)

    return decorator


signed_in_required = _role_view("signed in", lambda user: True)
"""Any signed-in user, whatever their role; anonymous users go to the sign-in page."""

clinician_required = _role_view("clinician", lambda user: user.is_clinician)
"""Signed in with the clinician role; everyone else signed in gets 403."""

supervisor_required = _role_view("supervisor", lambda user: user.is_supervisor)
"""Signed in with the supervisor role; which team they may see is `supervised_team_or_404`'s job."""

curator_required = _role_view("curator", lambda user: user.is_curator)
"""Signed in as a curator (the admin role): imports, exports and the review queue."""

clinician_or_supervisor_required = _role_view(
    "clinician or supervisor", lambda user: user.is_clinician or user.is_supervisor
)
"""Pages both sides of a request use (the request itself, a policy document, reminders)."""


# --- Object-level checks (the right role, but is it theirs?) ------------------------------


def owned_or_404(
    queryset: type[M] | Manager[M] | QuerySet[M], *, user: User, owner_field: str = "user", **lookup: object
) -> M:
    """The object matching `lookup` among those whose `owner_field` is `user`; 404 otherwise.

    Another person's object and a missing one give the same 404.
    """
    return get_object_or_404(queryset, **{owner_field: user}, **lookup)


def supervised_team_or_404(user: User, team_id: int) -> Team:
    """The team when `user` is a supervisor of it (with its organization loaded); 404 for any other id."""
    team = None
    if user.is_supervisor:
        team = Team.objects.filter(pk=team_id, supervisors=user).select_related("organization").first()
    if team is None:
        raise Http404("No such team")
    return team


def api_endpoint(rule: str) -> Callable[[V], V]:
    """Record the access decision of a JSON API view (api/), which DRF enforces, not a redirect.

    The role itself is checked by the view's permission classes (api.permissions): anonymous
    callers get 401 problem JSON instead of the sign-in page, the wrong role 403, and another
    person's object 404, by the same rule as the pages.
    """

    def decorator(view: V) -> V:
        return _record(view, rule)

    return decorator
