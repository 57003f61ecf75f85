"""Serving a private stored file: always an attachment of a safe type, a clear 404 when it is gone."""

from __future__ import annotations

import os

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render

from cme_portal.uploads import CONTENT_TYPES


def stored_file_response(request: HttpRequest, stored: FieldFile, *, filename: str, missing: str) -> HttpResponseBase:
    """The stored file as a download, or a 404 page saying `missing` when its file is not in storage.

    The Content-Type comes from the extension's allow-list (else application/octet-stream), never
    from the content or a guess, with Content-Disposition attachment, nosniff and no caching.
    """
    try:
        handle = stored.open("rb")
    except (FileNotFoundError, IsADirectoryError):
        context = {"status": 404, "title": "File missing", "message": missing}
        return render(request, "error.html", context, status=404)
    extension = os.path.splitext(stored.name or "")[1].lower()
    content_type = CONTENT_TYPES.get(extension, "application/octet-stream")
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
