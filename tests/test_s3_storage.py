"""Uploads through the S3-compatible storage (STORAGE_BACKEND=s3) against a local S3 server.

The server is moto's (moto[server], a dev dependency): ThreadedMotoServer on a free port
on 127.0.0.1, one per module. Each test gets its own bucket. Every upload goes through
the real view, every download through the access-checked view, the import through the
import task; the objects land in the bucket, privately, and nothing lands on local disk.
"""

from __future__ import annotations

import io
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from django.core.files.storage import default_storage, storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from moto.server import ThreadedMotoServer

from careers.models import CreditClaim
from cme_portal.s3_storage import PrivateS3Storage
from cme_portal.storage import FileNotStored
from programs.models import ImportJob, Program
from supervision.models import EmployerCmePolicy
from tests.programs.import_helpers import csv_text, good_row

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%certificate kept in S3\n"
KEYS = {"access_key": "testing", "secret_key": "testing"}


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def bucket(s3_endpoint: str, settings: Any) -> Iterator[Any]:
    """A fresh private bucket as the default storage; MEDIA_ROOT stays this test's empty directory."""
    name = f"cme-{uuid.uuid4().hex[:12]}"
    resource = boto3.resource(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    resource.create_bucket(Bucket=name)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "cme_portal.s3_storage.PrivateS3Storage",
            "OPTIONS": {
                "bucket_name": name,
                "endpoint_url": s3_endpoint,
                "region_name": "us-east-1",
                "addressing_style": "path",
                "signature_version": "s3v4",
                **KEYS,
            },
        },
    }
    yield resource.Bucket(name)


def _keys(bucket: Any) -> list[str]:
    return sorted(obj.key for obj in bucket.objects.all())


def _local_files(settings: Any) -> list[str]:
    return [name for _, _, files in os.walk(Path(settings.MEDIA_ROOT)) for name in files]


def _is_private(bucket: Any, key: str) -> bool:
    grants = bucket.Object(key).Acl().grants
    return all(grant["Grantee"].get("URI") is None for grant in grants)


def test_the_default_storage_is_the_s3_one(bucket):
    assert isinstance(storages["default"], PrivateS3Storage)
    assert storages["default"].bucket_name == bucket.name
    for field in (CreditClaim._meta.get_field("certificate"), ImportJob._meta.get_field("file")):
        assert isinstance(field.storage, type(default_storage))  # the lazy default, so S3 here


def test_a_certificate_uploaded_through_the_view_lands_in_the_bucket_and_downloads_through_the_checked_view(
    client, world, bucket, settings
):
    client.force_login(world.owner)
    data = {
        "title": "Outside course",
        "completed_on": "2026-01-10",
        "amount_ama_pra_1": "4",
        "certificate": SimpleUploadedFile("cert.pdf", PDF, content_type="application/pdf"),
    }
    assert client.post(reverse("careers:credit_new"), data).status_code == 302
    claim = CreditClaim.objects.get()
    assert claim.certificate.name.startswith("certificates/")
    assert _keys(bucket) == [claim.certificate.name]
    assert bucket.Object(claim.certificate.name).get()["Body"].read() == PDF
    assert _is_private(bucket, claim.certificate.name)
    assert _local_files(settings) == []

    response = client.get(reverse("careers:certificate", args=[claim.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="certificate-{claim.pk}.pdf"'
    assert b"".join(response.streaming_content) == PDF
    # The object is served only through the view: another clinician gets a 404, and the
    # storage hands out no URL of the bucket.
    client.force_login(world.other_clinician)
    assert client.get(reverse("careers:certificate", args=[claim.pk])).status_code == 404
    assert s3_url_free(claim.certificate.url)


def s3_url_free(url: str) -> bool:
    return "X-Amz" not in url and "://" not in url


def test_a_certificate_missing_from_the_bucket_is_a_404_with_a_message(client, world, bucket):
    client.force_login(world.owner)
    data = {
        "title": "Outside course",
        "completed_on": "2026-01-10",
        "amount_ama_pra_1": "4",
        "certificate": SimpleUploadedFile("cert.pdf", PDF, content_type="application/pdf"),
    }
    client.post(reverse("careers:credit_new"), data)
    claim = CreditClaim.objects.get()
    bucket.Object(claim.certificate.name).delete()
    response = client.get(reverse("careers:certificate", args=[claim.pk]))
    assert response.status_code == 404
    assert "file is missing from storage" in response.content.decode()


def test_a_policy_document_uploaded_through_the_view_lands_in_the_bucket(client, world, bucket, settings):
    client.force_login(world.team_supervisor)
    data = {
        "profession": "nurse",
        "yearly_reimbursement_amount": "1000",
        "paid_leave_days": "2",
        "year_starts_month": "1",
        "confirmed_on": timezone.localdate().isoformat(),
        "over_allowance_rule": "refuse",
        "source_document": SimpleUploadedFile("policy.pdf", b"%PDF-1.4 policy", content_type="application/pdf"),
    }
    response = client.post(reverse("supervision:policy_new", args=[world.team.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    team_policy = EmployerCmePolicy.objects.get()
    assert _keys(bucket) == [team_policy.source_document.name]
    assert _is_private(bucket, team_policy.source_document.name)
    assert _local_files(settings) == []
    download = client.get(reverse("supervision:policy_document", args=[team_policy.pk]))
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == b"%PDF-1.4 policy"
    client.force_login(world.other_supervisor)
    assert client.get(reverse("supervision:policy_document", args=[team_policy.pk])).status_code == 404


def test_an_import_file_lands_in_the_bucket_and_the_import_task_reads_it_from_there(client, world, bucket, settings):
    client.force_login(world.admin)
    upload = io.BytesIO(csv_text([good_row(1), good_row(2)]).encode())
    upload.name = "feed.csv"
    response = client.post(reverse("programs:curation:import_start"), {"file": upload}, follow=True)
    assert response.status_code == 200
    job = ImportJob.objects.get()
    assert job.status == "succeeded"
    assert job.rows_done == 2
    assert Program.objects.count() == 2
    assert _keys(bucket) == [job.file.name]
    assert job.file.name.startswith("imports/")
    assert _is_private(bucket, job.file.name)
    assert _local_files(settings) == []


def test_the_same_name_twice_keeps_both_objects(bucket):
    first = default_storage.save("certificates/a.pdf", io.BytesIO(PDF))
    second = default_storage.save("certificates/a.pdf", io.BytesIO(PDF + b"2"))
    assert first != second
    assert _keys(bucket) == sorted([first, second])


def test_an_unreachable_bucket_is_file_not_stored_and_the_form_comes_back(client, world, settings):
    with socket.socket() as probe:  # a free port with nothing listening on it
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "cme_portal.s3_storage.PrivateS3Storage",
            "OPTIONS": {
                "bucket_name": "absent",
                "endpoint_url": f"http://127.0.0.1:{closed}",
                "region_name": "us-east-1",
                **KEYS,
            },
        },
    }
    with pytest.raises(FileNotStored):
        default_storage.save("certificates/a.pdf", io.BytesIO(PDF))
    client.force_login(world.owner)
    data = {
        "title": "Outside course",
        "completed_on": "2026-01-10",
        "amount_ama_pra_1": "4",
        "certificate": SimpleUploadedFile("cert.pdf", PDF, content_type="application/pdf"),
    }
    response = client.post(reverse("careers:credit_new"), data)
    assert response.status_code == 503
    assert not CreditClaim.objects.exists()
