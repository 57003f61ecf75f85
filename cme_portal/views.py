import sys

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.access import AuthenticatedHttpRequest, public, signed_in_required
from cme_portal.cache import cache_status
from cme_portal.faults import database_unavailable, database_unavailable_response


@require_GET
@never_cache
@public
def healthz(request: HttpRequest) -> HttpResponse:
    """The process is up. Touches nothing else."""
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
@public
def readyz(request: HttpRequest) -> HttpResponse:
    """Ready when the database answers; the cache's state is shown apart and never makes it unready.

    The cache is optional (cme_portal.cache) and the broker is not needed to serve pages
    (imports queue and are re-queued when it is back), so neither decides readiness.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except DatabaseError:
        database = "unavailable"
    ready = database == "ok"
    body = {"status": "ok" if ready else "unavailable", "database": database, "cache": cache_status()}
    return JsonResponse(body, status=200 if ready else 503)


@require_GET
@signed_in_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Send each user to where their work starts."""
    if request.user.is_supervisor and request.user.supervised_teams.exists():
        return redirect("supervision:team_home")
    return redirect("programs:catalog")


def _error(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    from django.template import loader

    template = loader.get_template("error.html")
    return HttpResponse(template.render({"status": status, "title": title, "message": message}, request), status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 400, "Bad request", "The request could not be understood.")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 403, "Not allowed", "You do not have access to this page.")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    from api.problems import is_api_request, not_found_response

    if is_api_request(request):  # /api/ answers problem JSON, never the HTML page (api.problems)
        return not_found_response()
    return _error(request, 404, "Not found", "There is nothing at this address, or you do not have access to it.")


def server_error(request: HttpRequest) -> HttpResponse:
    from django.template import loader

    if database_unavailable(sys.exc_info()[1]):  # raised in a middleware, past DatabaseUnavailableMiddleware
        return database_unavailable_response()
    # Rendered without the request context: the failure may be in a context processor.
    html = loader.get_template("500.html").render({})
    return HttpResponse(html, status=500)
