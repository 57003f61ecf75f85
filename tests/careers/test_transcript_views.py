"""Transcript import pages: upload, preview (nothing written), confirm (one transaction, once)."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from unittest import mock

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from careers.models import CreditAmount, CreditClaim, TranscriptImport, TranscriptMapping
from careers.services import credit_claim_create
from tests.factories import ClinicianFactory

pytestmark = pytest.mark.django_db

HEADER = "Activity Title,Provider,Completion Date,Credit Type,Credits,Certificate ID\n"
DAY = datetime.date(2026, 1, 2)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def upload(client, body: str, name: str = "transcript.csv", header: str = HEADER):
    data = (header + body).encode() if isinstance(body, str) else body
    return client.post(
        "/careers/credits/import/",
        {"file": SimpleUploadedFile(name, data, content_type="text/csv")},
    )


def import_of(response) -> TranscriptImport:
    match = re.search(r"/careers/credits/import/(\d+)/$", response["Location"])
    assert match, response["Location"]
    return TranscriptImport.objects.get(pk=int(match[1]))


def confirm_data(client, imported: TranscriptImport, **overrides: str) -> dict[str, str]:
    """The confirm form's hidden fields as the preview rendered them."""
    page = client.get(f"/careers/credits/import/{imported.pk}/").content.decode()
    form = page[page.index('action="/careers/credits/import/') :]
    data = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    data.pop("csrfmiddlewaretoken", None)
    data["confirm-remember"] = "on"
    data.update(overrides)
    return data


@pytest.fixture
def clinician(client):
    user = ClinicianFactory()
    client.force_login(user)
    return user


def log(user, title="Sepsis", provider="Mercy", day=DAY, kind="ancc", amount="1"):
    return credit_claim_create(
        user=user, title=title, provider_name=provider, completed_on=day, topics=[], amounts={kind: Decimal(amount)}
    )


BODY = (
    "Sepsis,Mercy,2026-01-02,ANCC,1,C-1\n"  # already logged
    "Stroke,Mercy,2026-01-03,AMA PRA Category 1 Credit,2.5,C-2\n"
    "Stroke,Mercy,2026-01-03,AMA PRA Category 1 Credit,2.5,C-2\n"  # same as row 3
    "Asthma,,not a date,ANCC,1,\n"  # bad
    "Opioids,State board,2025-11-20,ANCC,3,\n"
)


def test_preview_shows_each_row_and_writes_nothing(client, clinician):
    log(clinician)
    response = upload(client, BODY)
    assert response.status_code == 302
    imported = import_of(response)
    assert default_storage.exists(imported.stored_name)
    before = CreditClaim.objects.count()
    page = client.get(f"/careers/credits/import/{imported.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert CreditClaim.objects.count() == before
    assert "Not written: already logged" in html
    assert "Not written: same as row 3" in html
    assert "Completion date: “not a date” is not a date" in html
    assert "2026-01-03" in html and "AMA PRA Category 1 Credit" in html and "2.50" in html
    assert 'aria-label="Transcript rows table"' in html
    assert "<strong>2</strong> rows will be logged" in html


def test_confirm_writes_the_good_rows_once_in_one_go(client, clinician):
    log(clinician)
    imported = import_of(upload(client, BODY))
    data = confirm_data(client, imported)
    response = client.post(f"/careers/credits/import/{imported.pk}/confirm/", data)
    assert response.status_code == 302 and response["Location"] == "/careers/credits/"
    titles = sorted(CreditClaim.objects.filter(user=clinician).values_list("title", flat=True))
    assert titles == ["Opioids", "Sepsis", "Stroke"]
    stroke = CreditClaim.objects.get(title="Stroke")
    assert stroke.certificate_reference == "C-2" and stroke.transcript_import == imported
    assert list(stroke.amounts.values_list("credit_type", "amount")) == [("ama_pra_1", Decimal("2.50"))]
    imported.refresh_from_db()
    assert imported.status == "confirmed" and imported.rows_written == 2 and imported.stored_name == ""
    # The same form again (double click), and a fresh form from another tab: nothing more.
    again = client.post(f"/careers/credits/import/{imported.pk}/confirm/", data, follow=True)
    assert "already saved" in again.content.decode()
    other_tab = client.post(f"/careers/credits/import/{imported.pk}/confirm/", {**data, "submission": "x" * 32})
    assert other_tab.status_code == 302
    assert CreditClaim.objects.filter(user=clinician).count() == 3


def test_confirm_is_all_or_nothing(client, clinician):
    imported = import_of(upload(client, BODY))
    data = confirm_data(client, imported)
    failing = mock.patch("careers.models.CreditAmount.objects.bulk_create", side_effect=RuntimeError("disk"))
    with failing, pytest.raises(RuntimeError):
        client.post(f"/careers/credits/import/{imported.pk}/confirm/", data)
    assert not CreditClaim.objects.exists() and not CreditAmount.objects.exists()
    imported.refresh_from_db()
    assert imported.status == "pending" and default_storage.exists(imported.stored_name)


def test_the_mapping_can_be_changed_and_is_remembered_for_the_same_headers(client, clinician):
    header = "What,Who,When,Kind,Hours,Cert\n"
    imported = import_of(upload(client, "Sepsis,Mercy,2026-01-02,ANCC,1,C\n", header=header))
    page = client.get(f"/careers/credits/import/{imported.pk}/").content.decode()
    assert "Choose the column for" in page  # no header name was recognised
    chosen = {
        "col_title": "0",
        "col_provider": "1",
        "col_completed_on": "2",
        "col_credit_type": "3",
        "col_amount": "4",
        "col_certificate_id": "5",
    }
    page = client.get(f"/careers/credits/import/{imported.pk}/", chosen).content.decode()
    assert "<strong>1</strong> row will be logged" in page
    data = {f"confirm-{key}": value for key, value in chosen.items()} | {"confirm-remember": "on"}
    assert client.post(f"/careers/credits/import/{imported.pk}/confirm/", data).status_code == 302
    assert TranscriptMapping.objects.filter(user=clinician).count() == 1
    # The next file with the same headers, in another order and case, reads with the saved columns.
    second = import_of(upload(client, "Mercy,Stroke,2026-01-05,ANCC,2,D\n", header="who,WHAT,When,Kind,Hours,Cert\n"))
    page = client.get(f"/careers/credits/import/{second.pk}/").content.decode()
    assert "you confirmed for your last file" in page and "<strong>1</strong> row will be logged" in page
    assert "Stroke" in page


def test_the_same_column_twice_is_refused(client, clinician):
    imported = import_of(upload(client, "Sepsis,Mercy,2026-01-02,ANCC,1,C\n"))
    response = client.get(
        f"/careers/credits/import/{imported.pk}/",
        {"col_title": "0", "col_completed_on": "0", "col_credit_type": "3", "col_amount": "4"},
    )
    assert response.status_code == 400
    assert "already read as the activity title" in response.content.decode()


def test_ambiguous_dates_need_an_order_before_anything_is_written(client, clinician):
    imported = import_of(upload(client, "Sepsis,Mercy,03/04/2026,ANCC,1,\nStroke,Mercy,13/04/2026,ANCC,1,\n"))
    page = client.get(f"/careers/credits/import/{imported.pk}/").content.decode()
    assert "could be read as month/day or day/month" in page
    data = confirm_data(client, imported)
    response = client.post(f"/careers/credits/import/{imported.pk}/confirm/", data)
    assert response.status_code == 400 and not CreditClaim.objects.exists()
    assert "Choose whether the file writes dates" in response.content.decode()
    data["confirm-date_order"] = "dmy"
    data["submission"] = "y" * 32
    assert client.post(f"/careers/credits/import/{imported.pk}/confirm/", data).status_code == 302
    assert sorted(CreditClaim.objects.values_list("completed_on", flat=True)) == [
        datetime.date(2026, 4, 3),
        datetime.date(2026, 4, 13),
    ]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        (
            "t.csv",
            "Titre,Date\nCafé,2026-01-01\n".encode("latin-1"),
            "not plain text; upload a CSV file saved as UTF-8",
        ),
        (
            "t.csv",
            b"Title,Date\n" + b"a,2026-01-01\n" * 400 + "Café,2026-01-01\n".encode("latin-1"),
            "not UTF-8 text (line 402)",
        ),
        ("t.csv", b"", "empty"),
        ("t.csv", b"Title,Date\n" + b"x" * (2 * 1024 * 1024 + 10), "larger than 2 MB"),
        ("t.xlsx", b"PK\x03\x04rest", "Upload a CSV file saved as UTF-8"),
        ("t.csv", b"PK\x03\x04\x00rest", "not plain text"),
        (
            "t.xml",
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><r>&b;</r>',
            "XML transcripts",
        ),
        ("t.csv", b'Title,Date\n"open,2026-01-01\n', "not valid CSV"),
        ("t.csv", b"Title,Date\n", "no rows"),
    ],
)
def test_hostile_files_get_a_clear_message_and_nothing_is_kept(client, clinician, settings, name, data, message):
    response = upload(client, data, name=name)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not TranscriptImport.objects.exists()
    assert not list((settings.MEDIA_ROOT).rglob("*.csv"))


def test_another_clinicians_import_is_404(client, clinician):
    imported = import_of(upload(client, BODY))
    data = confirm_data(client, imported)
    client.force_login(ClinicianFactory())
    assert client.get(f"/careers/credits/import/{imported.pk}/").status_code == 404
    assert client.post(f"/careers/credits/import/{imported.pk}/confirm/", data).status_code == 404
    assert not CreditClaim.objects.exists()


def test_a_lost_file_says_so(client, clinician):
    imported = import_of(upload(client, BODY))
    default_storage.delete(imported.stored_name)
    response = client.get(f"/careers/credits/import/{imported.pk}/")
    assert response.status_code == 404 and "no longer stored" in response.content.decode()


def _rows(count: int) -> str:
    return "".join(f"Course {n},Mercy,2026-01-{1 + n % 28:02d},ANCC,1,C-{n}\n" for n in range(count))


def test_preview_queries_do_not_grow_with_the_file(client, clinician):
    log(clinician)
    counts = []
    for size in (10, 200):
        imported = import_of(upload(client, _rows(size)))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/careers/credits/import/{imported.pk}/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_confirm_queries_do_not_grow_with_the_file(client, clinician):
    counts = []
    for size in (10, 200):
        imported = import_of(upload(client, _rows(size).replace("Course", f"C{size}")))
        data = confirm_data(client, imported)
        data.pop("confirm-remember")  # saving a mapping the first time (insert) costs more than updating it
        with CaptureQueriesContext(connection) as queries:
            assert client.post(f"/careers/credits/import/{imported.pk}/confirm/", data).status_code == 302
        counts.append(len(queries))
    # One INSERT per model per batch: PostgreSQL takes the 200 rows in one batch; SQLite's bound on
    # query parameters splits them, one more query per batch, never one per row.
    extra = sum(_batches(model, 200) - _batches(model, 10) for model in (CreditClaim, CreditAmount))
    assert counts[1] == counts[0] + extra, (counts, extra)
    if connection.vendor == "postgresql":
        assert extra == 0
    assert CreditClaim.objects.count() == 210


def _batches(model, rows: int) -> int:
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    size = connection.ops.bulk_batch_size(fields, [None] * rows) or rows
    return -(-rows // size)
