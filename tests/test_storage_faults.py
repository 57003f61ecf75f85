"""A file the storage cannot write (disk full, read-only) is a clear answer, not a 500 (issue 12).

Every upload path: certificate, import upload, policy document. The form comes back with
what was typed and the message that nothing was saved; no row, no orphan file, and the
cleanup never raises. Tests run as root (chmod does not stop root), so the faults are
simulated: a storage that writes part of the file and then fails with ENOSPC, and a media
directory whose every write and delete fails with EROFS.
"""

from __future__ import annotations

import errno
import io
import os
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from careers.models import CreditClaim
from cme_portal.storage import PrivateFileSystemStorage
from programs.models import ImportJob
from supervision.models import EmployerCmePolicy
from tests.programs.import_helpers import csv_text, good_row

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n" + b"%certificate bytes\n" * 4000  # ~76 KB: several chunks


class _PartThenDiskFull:
    """Content that yields its first chunk and then fails as a full disk does."""

    def __init__(self, content: Any) -> None:
        self.content = content
        self.size = content.size

    def chunks(self, chunk_size: int | None = None) -> Any:
        self.content.seek(0)
        yield self.content.read(8192)
        raise OSError(errno.ENOSPC, "No space left on device")


class DiskFullStorage(PrivateFileSystemStorage):
    def _save(self, name: str, content: Any) -> str:
        return super()._save(name, _PartThenDiskFull(content))


@pytest.fixture
def media(settings) -> Path:
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def disk_full(settings):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "tests.test_storage_faults.DiskFullStorage"}}


@pytest.fixture
def read_only_media(monkeypatch, media):
    """Every write or delete under MEDIA_ROOT fails with EROFS, as on a read-only mount."""
    media.mkdir(parents=True, exist_ok=True)

    def refusing(real: Any) -> Any:
        def call(path: Any, *args: Any, **kwargs: Any) -> Any:
            if str(os.fspath(path)).startswith(str(media)):
                raise OSError(errno.EROFS, "Read-only file system", str(path))
            return real(path, *args, **kwargs)

        return call

    for name in ("open", "makedirs", "mkdir", "remove", "unlink", "rmdir"):
        monkeypatch.setattr(os, name, refusing(getattr(os, name)))


FAULTS = ["disk_full", "read_only_media"]


def _files_under(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def _assert_told_nothing_was_saved(response: Any) -> str:
    body = response.content.decode()
    assert response.status_code == 503, body[:500]
    assert "could not be stored" in body
    assert "nothing was saved" in body
    return body


@pytest.mark.parametrize("fault", FAULTS)
def test_certificate_upload_on_a_failing_disk_keeps_the_form_and_nothing_else(
    request, client, world, media, caplog, fault
):
    request.getfixturevalue(fault)
    client.force_login(world.owner)
    data = {"title": "Sepsis update typed by hand", "completed_on": "2026-01-10", "amount_ama_pra_1": "4"}
    response = client.post(reverse("careers:credit_new"), {**data, "certificate": SimpleUploadedFile("cert.pdf", PDF)})
    body = _assert_told_nothing_was_saved(response)
    assert "Sepsis update typed by hand" in body  # what was typed comes back
    assert not CreditClaim.objects.exists()
    assert _files_under(media) == []
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize("fault", FAULTS)
def test_import_upload_on_a_failing_disk_keeps_the_form_and_nothing_else(request, client, world, media, fault):
    request.getfixturevalue(fault)
    client.force_login(world.admin)
    upload = io.BytesIO(csv_text([good_row(n) for n in range(1, 200)]).encode())
    upload.name = "feed.csv"
    response = client.post(reverse("programs:curation:import_start"), {"file": upload, "publish": "on"})
    _assert_told_nothing_was_saved(response)
    assert not ImportJob.objects.exists()
    assert _files_under(media) == []


@pytest.mark.parametrize("fault", FAULTS)
def test_policy_document_on_a_failing_disk_keeps_the_form_and_nothing_else(request, client, world, media, fault):
    request.getfixturevalue(fault)
    client.force_login(world.team_supervisor)
    data = {
        "profession": "nurse",
        "yearly_reimbursement_amount": "1234",
        "paid_leave_days": "2",
        "year_starts_month": "1",
        "confirmed_on": "2026-01-10",
        "over_allowance_rule": "refuse",
        "source_document": SimpleUploadedFile("policy.pdf", PDF),
    }
    response = client.post(reverse("supervision:policy_new", args=[world.team.pk]), data)
    body = _assert_told_nothing_was_saved(response)
    assert "1234" in body
    assert not EmployerCmePolicy.objects.exists()
    assert _files_under(media) == []


def test_a_failed_save_removes_its_partial_file_and_a_failed_cleanup_does_not_raise(media, monkeypatch, caplog):
    from cme_portal.storage import FileNotStored

    storage = DiskFullStorage(location=media)
    with pytest.raises(FileNotStored):
        storage.save("certificates/x.pdf", SimpleUploadedFile("x.pdf", PDF))
    assert _files_under(media) == []

    monkeypatch.setattr(storage, "delete", lambda name: (_ for _ in ()).throw(OSError(errno.EROFS, "Read-only")))
    with pytest.raises(FileNotStored):
        storage.save("certificates/y.pdf", SimpleUploadedFile("y.pdf", PDF))
    assert "Could not remove" in caplog.text


@pytest.mark.parametrize("fault", FAULTS)
def test_policy_document_through_the_admin_on_a_failing_disk_says_nothing_was_saved(
    request, client, world, media, fault
):
    from tests.factories import OperatorFactory

    request.getfixturevalue(fault)
    client.force_login(OperatorFactory())
    data = {
        "profession": "nurse",
        "team": str(world.team.pk),
        "yearly_reimbursement_amount": "1000",
        "paid_leave_days": "2",
        "year_starts_month": "1",
        "confirmed_on": "2026-01-10",
        "over_allowance_rule": "warn",
        "source_document": SimpleUploadedFile("policy.pdf", PDF),
    }
    response = client.post("/admin/supervision/employercmepolicy/add/", data, follow=True)
    assert response.status_code == 200
    assert "could not be stored" in response.content.decode()
    assert not EmployerCmePolicy.objects.exists()
    assert _files_under(media) == []
