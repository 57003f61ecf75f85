"""System checks for settings that cannot be refused at import time without breaking tooling.

SITE_URL is what every emailed link starts with; production (`check --deploy`, `make check`, the
image's start) must name the public https address, or the emails would point nowhere.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, register


def site_url_problem(site_url: str) -> str | None:
    """Why a production SITE_URL is unusable, or None when it is an https origin."""
    if not site_url:
        return "SITE_URL is not set."
    parts = urlsplit(site_url)
    if parts.scheme != "https" or not parts.hostname:
        return f"SITE_URL must be an https address such as https://cme.example.org (got {site_url!r})."
    if parts.query or parts.fragment or (parts.path not in ("", "/")):
        return f"SITE_URL must be the site's origin, without a path (got {site_url!r})."
    return None


@register("security", deploy=True)
def site_url_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """With DEBUG off, SITE_URL must be set and https (emails carry absolute links built from it)."""
    if settings.DEBUG:
        return []
    problem = site_url_problem(settings.SITE_URL)
    if problem is None:
        return []
    return [
        Error(problem, hint="Set SITE_URL to the public https origin, e.g. https://cme.example.org.", id="cme.E001")
    ]
