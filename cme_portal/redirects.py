"""Where a form may send the user back to: the one check for every user-supplied return target."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

# Longer than any page of the site with its query string; a longer value is not one of ours.
MAX_RETURN_PATH_LENGTH = 2000


def safe_return_path(request: HttpRequest, *, fallback: str, parameter: str = "next") -> str:
    """The `parameter` value (POST, then GET) when it is a path on this site; `fallback` otherwise.

    Only an absolute path ("/programs/?q=x") is accepted: never a URL name (``redirect()`` would
    pass it to ``reverse()``), another host or scheme, a protocol-relative or backslash form, or
    a value with control characters. Never raises, whatever was sent.
    """
    target = request.POST.get(parameter) or request.GET.get(parameter) or ""
    if is_safe_return_path(target, request=request):
        return target
    return fallback


def is_safe_return_path(target: str, *, request: HttpRequest) -> bool:
    """True for a path on this site that a redirect may send the browser to."""
    if not target or len(target) > MAX_RETURN_PATH_LENGTH or not target.startswith("/"):
        return False
    if target.startswith(("//", "/\\")) or any(ord(character) < 32 or ord(character) == 127 for character in target):
        return False
    return url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


def allowed_choice(value: str | None, *, allowed: tuple[str, ...], default: str) -> str:
    """`value` when it is one of `allowed` (names a view may branch on), `default` otherwise."""
    return value if value in allowed else default
