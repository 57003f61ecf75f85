"""The access layer's own guarantees; what every URL answers is tests/test_access_matrix.py."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from accounts.access import access_rule_of, clinician_required, public, safe_next_url


def _view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


def test_a_view_carries_one_access_decision():
    assert access_rule_of(_view) is None
    assert access_rule_of(clinician_required(_view)) == "clinician"
    with pytest.raises(ImproperlyConfigured, match="one access rule"):
        public(clinician_required(_view))


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [("/programs/7/", "/programs/7/"), ("https://evil.example/", "/fallback/"), ("//evil.example/", "/fallback/")],
)
def test_safe_next_url_stays_on_this_site(next_url, expected):
    request = RequestFactory().post("/", {"next": next_url})
    assert safe_next_url(request, "/fallback/") == expected
