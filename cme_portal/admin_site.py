"""The Django admin is for operators: superusers only, and it never filters on a secret.

Curators do their work on the app's own pages (`programs/curation/`, behind
`accounts.access.curator_required`); the admin is the operators' tool for users, groups,
teams and repairs. `OperatorAdminSite.has_permission` refuses everyone else on every admin
page (the login form is shown again, as for a signed-out visitor), whatever model
permissions their groups hold.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import update_wrapper
from typing import Any, TypeVar, cast

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.http import HttpRequest
from django.http.response import HttpResponseBase

ViewT = TypeVar("ViewT", bound=Callable[..., HttpResponseBase])

# A query parameter naming one of these in any part of its lookup path is refused: tokens (and
# their digests) and password hashes are never searched, filtered or ordered on.
SECRET_LOOKUP_PARTS = ("token", "password")


def secret_lookup(parameter: str) -> bool:
    """True when a query parameter's lookup path touches a secret (a token or a password)."""
    return any(secret in part for part in parameter.lower().split("__") for secret in SECRET_LOOKUP_PARTS)


class OperatorAdminSite(admin.AdminSite):
    site_header = "CME Portal operators"
    site_title = "CME Portal operators"
    index_title = "Operators only: users, teams and repairs"

    def has_permission(self, request: HttpRequest) -> bool:
        """Only active superusers (operators) may use any admin page."""
        user = request.user
        return bool(user.is_active and user.is_superuser)

    def admin_view(self, view: ViewT, cacheable: bool = False) -> ViewT:
        """Every admin page, wrapped: a query parameter naming a secret is refused (400) before anything runs."""
        checked = super().admin_view(view, cacheable)

        def refuse_secret_lookups(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            for parameter in request.GET:
                if secret_lookup(parameter):
                    raise DisallowedModelAdminLookup(f"Filtering on {parameter!r} is not allowed.")
            return checked(request, *args, **kwargs)

        return cast(ViewT, update_wrapper(refuse_secret_lookups, checked))


class OperatorAdminConfig(AdminConfig):
    """Installs `OperatorAdminSite` as `django.contrib.admin.site` (in INSTALLED_APPS)."""

    default_site = "cme_portal.admin_site.OperatorAdminSite"
