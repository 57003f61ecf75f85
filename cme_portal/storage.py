"""Private file storage that fails cleanly: a file it could not store leaves nothing behind.

A full disk (ENOSPC) can fail a write half-way; a read-only disk (EROFS) fails it at
once and fails any cleanup too. `PrivateFileSystemStorage` removes what it wrote of a
failed file, never raises while cleaning up, and raises `FileNotStored`, which views
answer with the form and `FILE_NOT_STORED_MESSAGE` (nothing was saved) instead of a 500.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from django.core.files.storage import FileSystemStorage
from django.db.models.fields.files import FieldFile

logger = logging.getLogger(__name__)

FILE_NOT_STORED_MESSAGE = (
    "The file could not be stored (the server's storage is full or not writable), so nothing was saved. "
    "Please try again later; what you typed is still here, but choose the file again."
)


class FileNotStored(OSError):
    """The storage could not write an uploaded file; nothing of it was kept."""


class PrivateFileSystemStorage(FileSystemStorage):
    """FileSystemStorage whose failed saves leave no partial file and raise FileNotStored."""

    def _save(self, name: str, content: Any) -> str:
        path = self.path(name)
        existed = os.path.lexists(path)
        try:
            stored: str = super()._save(name, content)  # type: ignore[misc]  # untyped in django-stubs
        except FileNotStored:
            raise
        except OSError as error:
            if not existed:
                self.discard(name)
            logger.warning("File not stored: %s (%s: %s)", name, type(error).__name__, error)
            raise FileNotStored(error.errno, f"could not store {name}: {error.strerror or error}") from error
        return stored

    def discard(self, name: str) -> None:
        """Delete the file if it is there; a failure is logged, never raised (used to clean up)."""
        discard_file(self, name)


def discard_file(storage: Any, name: str) -> None:
    """Best-effort delete of a stored file by name: logs and carries on when the storage refuses."""
    if not name:
        return
    try:
        storage.delete(name)
    except OSError as error:
        logger.warning("Could not remove %s (%s: %s); left for the operator", name, type(error).__name__, error)


def discard_stored(field_file: FieldFile | None) -> None:
    """Best-effort delete of a FieldFile's stored file (after its row was not written)."""
    if field_file and getattr(field_file, "_committed", True):
        discard_file(field_file.storage, field_file.name or "")
