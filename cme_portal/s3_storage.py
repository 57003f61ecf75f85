"""The optional S3-compatible storage for uploads (STORAGE_BACKEND=s3), failing like the local one.

Several web and worker replicas then share certificates, policy documents and import
files. Objects are written with a private ACL; no storage URL is ever handed out:
`url()` returns the unrouted MEDIA_URL path, as the local storage does, and every
download goes through an access-checked view (`cme_portal/downloads.py`), which reads
the object through this storage. A failed upload raises `FileNotStored` (the form
comes back, 503) and a failed delete is an OSError that `discard_file` logs.
"""

from __future__ import annotations

import errno
import logging
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]
from django.conf import settings
from django.utils.encoding import filepath_to_uri
from storages.backends.s3 import S3Storage  # type: ignore[import-untyped]

from cme_portal.storage import FileNotStored, discard_file

logger = logging.getLogger(__name__)


class PrivateS3Storage(S3Storage):  # type: ignore[misc]  # django-storages ships no type hints
    """S3Storage with private objects, no overwrites, no public URLs and clean failures."""

    def get_default_settings(self) -> dict[str, Any]:
        defaults: dict[str, Any] = super().get_default_settings()
        # Never overwrite: two uploads of the same name keep both (as FileSystemStorage does).
        return {**defaults, "default_acl": "private", "file_overwrite": False, "querystring_auth": True}

    def save(self, name: str | None, content: Any, max_length: int | None = None) -> str:
        # The whole save, not just _save: choosing a free name already asks the bucket.
        try:
            stored: str = super().save(name, content, max_length=max_length)
        except (BotoCoreError, ClientError) as error:
            logger.warning("File not stored: %s (%s: %s)", name, type(error).__name__, error)
            raise FileNotStored(errno.EIO, f"could not store {name}: {error}") from error
        return stored

    def delete(self, name: str) -> None:
        try:
            super().delete(name)
        except (BotoCoreError, ClientError) as error:
            raise OSError(errno.EIO, f"could not delete {name}: {error}") from error

    def discard(self, name: str) -> None:
        """Delete the object if it is there; a failure is logged, never raised (used to clean up)."""
        discard_file(self, name)

    def url(self, name: str | None, parameters: Any = None, expire: Any = None, http_method: Any = None) -> str:
        """Not a storage URL: the unrouted MEDIA_URL path; downloads go through the access-checked views."""
        return f"{settings.MEDIA_URL}{filepath_to_uri(name or '')}"
