"""Serving a stored file a person may see: always as a download, never rendered by the browser."""

from django.db.models.fields.files import FieldFile
from django.http import FileResponse


def download_response(file: FieldFile, filename: str, content_type: str) -> FileResponse:
    """Return ``file`` as an attachment named ``filename``, of the type its checks found."""
    response = FileResponse(
        file.open("rb"), as_attachment=True, filename=filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
