"""Checks for files people upload into private storage (certificates, policy documents).

A file is accepted only when its size is within the limit, its extension is one
the caller allows, and its first bytes are what that kind of file starts with,
so a renamed executable or HTML page is refused whatever its name says.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.deconstruct import deconstructible

PDF = (b"%PDF-",)
PNG = (b"\x89PNG\r\n\x1a\n",)
JPEG = (b"\xff\xd8\xff",)
ZIP_CONTAINER = (b"PK\x03\x04",)  # .docx, .odt
OLE_CONTAINER = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)  # legacy .doc

# Extension -> the signatures its content may start with; None = plain UTF-8 text.
SIGNATURES: dict[str, tuple[bytes, ...] | None] = {
    ".pdf": PDF,
    ".png": PNG,
    ".jpg": JPEG,
    ".jpeg": JPEG,
    ".docx": ZIP_CONTAINER,
    ".odt": ZIP_CONTAINER,
    ".doc": OLE_CONTAINER,
    ".txt": None,
    ".csv": None,  # a transcript to import (careers/transcript.py reads it; never served back)
}

# Extension -> the Content-Type a stored file of that kind is served with; anything else is
# served as application/octet-stream, so no stored file is ever given to a browser as HTML.
CONTENT_TYPES: dict[str, str] = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".doc": "application/msword",
    ".txt": "text/plain; charset=utf-8",
}


def upload_validate(
    upload: IO[bytes], *, name: str, size: int | None, extensions: Iterable[str], max_bytes: int, kinds: str
) -> str:
    """Check size, extension and content; return the lower-case extension or raise ValidationError.

    `kinds` names the allowed kinds for the messages, e.g. "a PDF, PNG or JPEG file".
    """
    allowed = {extension.lower() for extension in extensions}
    if size is not None and size > max_bytes:
        raise ValidationError(f"The file is larger than {_size_text(max_bytes)}.")
    if not size:
        raise ValidationError("The file is empty.")
    extension = os.path.splitext(name or "")[1].lower()
    if extension not in allowed:
        raise ValidationError(f"Upload {kinds}.")
    upload.seek(0)
    head = upload.read(4096)
    upload.seek(0)
    signatures = SIGNATURES[extension]
    if signatures is None:
        if b"\x00" in head or not _utf8_prefix(head):
            raise ValidationError(f"The file's content is not plain text; upload {kinds}.")
    elif not head.startswith(signatures):
        raise ValidationError(f"The file's content is not {kinds} matching its name.")
    return extension


def _size_text(size: int) -> str:
    megabyte = 1024 * 1024
    return f"{size // megabyte} MB" if size % megabyte == 0 else str(filesizeformat(size))


def _utf8_prefix(head: bytes) -> bool:
    """Whether the bytes are UTF-8, allowing a character cut at the end of the sample."""
    for cut in range(4):
        try:
            head[: len(head) - cut].decode("utf-8")
            return True
        except UnicodeDecodeError:
            continue
    return False


@deconstructible
class UploadCheck:
    """The upload check as a model-field validator, so no form can skip it (the admin included).

    Checks a file only when it is a new upload; a stored file was checked when it came in.
    """

    def __init__(self, *, extensions: Iterable[str], max_bytes: int, kinds: str) -> None:
        self.extensions = tuple(sorted(extension.lower() for extension in extensions))
        self.max_bytes = max_bytes
        self.kinds = kinds

    def __call__(self, value: Any) -> None:
        if not value or getattr(value, "_committed", True):
            return
        upload_validate(
            value.file,
            name=value.name or "",
            size=value.size,
            extensions=self.extensions,
            max_bytes=self.max_bytes,
            kinds=self.kinds,
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UploadCheck) and (self.extensions, self.max_bytes, self.kinds) == (
            other.extensions,
            other.max_bytes,
            other.kinds,
        )

    def __hash__(self) -> int:
        return hash((self.extensions, self.max_bytes, self.kinds))
