"""The access layer's own guarantees; what every URL answers is tests/test_access_matrix.py."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse

from accounts.access import access_rule_of, clinician_required, public


def _view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


def test_a_view_carries_one_access_decision():
    assert access_rule_of(_view) is None
    assert access_rule_of(clinician_required(_view)) == "clinician"
    with pytest.raises(ImproperlyConfigured, match="one access rule"):
        public(clinician_required(_view))
