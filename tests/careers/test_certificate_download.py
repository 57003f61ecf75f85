"""Certificates download through the one stored-file helper: a PDF attachment, or a 404 with a message."""

import datetime
import os
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from careers import services

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%test certificate\n"


def _claim(user):
    return services.credit_claim_create(
        user=user,
        title="Course",
        provider_name="",
        completed_on=datetime.date(2026, 1, 1),
        topics=[],
        amounts={"ama_pra_1": Decimal("5")},
        certificate=SimpleUploadedFile("cert.pdf", PDF),
    )


def test_certificate_downloads_as_a_pdf_attachment_with_nosniff(client, world):
    claim = _claim(world.owner)
    client.force_login(world.owner)
    response = client.get(reverse("careers:certificate", args=[claim.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="certificate-{claim.pk}.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_certificate_whose_file_is_missing_is_a_404_with_a_message(client, world):
    claim = _claim(world.owner)
    os.remove(claim.certificate.path)
    client.force_login(world.owner)
    response = client.get(reverse("careers:certificate", args=[claim.pk]))
    assert response.status_code == 404
    assert "file is missing from storage" in response.content.decode()
