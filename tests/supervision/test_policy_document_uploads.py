"""Policy documents: one upload check on every path (the admin's included), safe downloads, clear 404 (issue 12)."""

from __future__ import annotations

import os

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse

from supervision.models import EmployerCmePolicy
from tests.factories import OperatorFactory

from .helpers import policy

pytestmark = pytest.mark.django_db

HTML = b"<html><script>alert(document.cookie)</script></html>"


def _admin_form_data(world):
    return {
        "profession": "nurse",
        "team": str(world.team.pk),
        "yearly_reimbursement_amount": "1000",
        "paid_leave_days": "2",
        "year_starts_month": "1",
        "confirmed_on": "2026-01-10",
        "over_allowance_rule": "warn",
    }


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("policy.html", HTML, content_type="text/html"), "Upload a PDF, Word"),
        (SimpleUploadedFile("policy.pdf", HTML), "not a PDF, Word"),
    ],
)
def test_the_admin_form_refuses_a_policy_document_that_fails_the_upload_check(world, upload, message):
    operator = OperatorFactory()
    request = RequestFactory().post("/admin/supervision/employercmepolicy/add/")
    request.user = operator
    form_class = admin.site._registry[EmployerCmePolicy].get_form(request)
    form = form_class(_admin_form_data(world), {"source_document": upload})
    assert not form.is_valid()
    assert message in " ".join(form.errors["source_document"])


def test_the_admin_add_page_stores_no_html_policy_document(client, world, settings):
    client.force_login(OperatorFactory())
    data = {**_admin_form_data(world), "source_document": SimpleUploadedFile("policy.html", HTML)}
    response = client.post("/admin/supervision/employercmepolicy/add/", data)
    assert response.status_code == 200
    assert "Upload a PDF, Word" in response.content.decode()
    assert not EmployerCmePolicy.objects.exists()
    assert not any(files for _, _, files in os.walk(settings.MEDIA_ROOT))


def test_a_model_save_path_runs_the_same_check(world):
    team_policy = policy(team=world.team, profession="nurse")
    team_policy.source_document = SimpleUploadedFile("policy.html", HTML)
    with pytest.raises(ValidationError) as raised:
        team_policy.full_clean()
    assert "source_document" in raised.value.message_dict


def test_a_stored_document_of_an_unsafe_kind_downloads_as_an_octet_stream_attachment(client, world):
    team_policy = policy(team=world.team, profession="physician")
    team_policy.source_document.save("legacy.html", ContentFile(HTML), save=True)  # stored before the check
    client.force_login(world.team_supervisor)
    response = client.get(reverse("supervision:policy_document", args=[team_policy.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_pdf_policy_document_downloads_as_a_pdf_attachment(client, world):
    team_policy = policy(team=world.team, profession="physician")
    team_policy.source_document.save("policy.pdf", ContentFile(b"%PDF-1.4 policy"), save=True)
    client.force_login(world.team_supervisor)
    response = client.get(reverse("supervision:policy_document", args=[team_policy.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content) == b"%PDF-1.4 policy"


def test_a_policy_document_whose_file_is_missing_is_a_404_with_a_message(client, world):
    team_policy = policy(team=world.team, profession="physician")
    team_policy.source_document.save("policy.pdf", ContentFile(b"%PDF-1.4 policy"), save=True)
    os.remove(team_policy.source_document.path)
    client.force_login(world.team_supervisor)
    response = client.get(reverse("supervision:policy_document", args=[team_policy.pk]))
    assert response.status_code == 404
    assert "The policy document&#x27;s file is missing" in response.content.decode()
