import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from cme_portal.uploads import upload_validate

DOCUMENTS = (".pdf", ".docx", ".doc", ".txt", ".png")


def _check(name: str, content: bytes, max_bytes: int = 1024) -> str:
    upload = SimpleUploadedFile(name, content)
    return upload_validate(
        upload, name=name, size=upload.size, extensions=DOCUMENTS, max_bytes=max_bytes, kinds="a document"
    )


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("policy.pdf", b"%PDF-1.7 ..."),
        ("policy.docx", b"PK\x03\x04rest"),
        ("policy.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest"),
        ("policy.txt", "Reimbursement: $1,000 a year, 3 days. – HR".encode()),
        ("Policy.PNG", b"\x89PNG\r\n\x1a\nrest"),
    ],
)
def test_files_whose_content_matches_their_name_are_accepted(name, content):
    assert _check(name, content) == "." + name.rsplit(".", 1)[1].lower()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("policy.exe", b"MZ\x90\x00", "Upload a document."),
        ("policy.pdf", b"<html><script>alert(1)</script>", "The file's content is not a document matching its name."),
        ("policy.docx", b"%PDF-1.4", "The file's content is not a document matching its name."),
        ("policy.txt", b"\x00\x01binary", "The file's content is not plain text; upload a document."),
        ("policy.pdf", b"", "The file is empty."),
        ("policy.pdf", b"%PDF-" + b"0" * 2048, "The file is larger than 1.0\xa0KB."),
    ],
)
def test_files_that_are_not_what_they_say_are_refused_with_a_reason(name, content, message):
    with pytest.raises(ValidationError) as excinfo:
        _check(name, content)
    assert excinfo.value.messages == [message]
