"""The site's URLs plus views that fail on purpose, for the error-logging tests."""

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.urls import path

from cme_portal.urls import handler400, handler403, handler404, handler500, urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def broken_view(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a real bug")


def database_gone_view(request: HttpRequest) -> HttpResponse:
    raise OperationalError("the database system is shutting down")


def reads_body_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse(str(len(request.POST)))


urlpatterns = [
    path("test-errors/broken/", broken_view),
    path("test-errors/database-gone/", database_gone_view),
    path("test-errors/reads-body/", reads_body_view),
    *urlpatterns,
]
