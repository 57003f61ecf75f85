"""Small helpers for views that serve a full page and an htmx partial of it."""

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """A request that went through django-htmx's middleware: views may read `request.htmx`."""

    htmx: HtmxDetails


def wants_partial(request: HttpRequest) -> bool:
    """True for an htmx request that swaps part of the page.

    A history-restore request (back button after the cache expired) needs the
    whole page, so it gets the full template.
    """
    htmx: HtmxDetails | None = getattr(request, "htmx", None)
    if htmx is None:
        return False
    return bool(htmx) and not htmx.history_restore_request


def page_or_partial(request: HttpRequest, template: str, partial: str) -> str:
    return f"{template}#{partial}" if wants_partial(request) else template


def vary_on_htmx(response: HttpResponse) -> HttpResponse:
    patch_vary_headers(response, ["HX-Request"])
    return response


def live_status(request: HttpRequest, text: str) -> str:
    """The sentence for the page's status region (templates/_live_status.html), or "" for a full page.

    Only a partial carries it: text already in a status region when a page loads is not read, and
    a full page has nothing new to announce.
    """
    return text if wants_partial(request) else ""
