"""What the contracts route modules share: body types, upload limits, guards and file downloads."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Response
from litestar.enums import RequestEncodingType
from litestar.params import Body

from jeugdregio.documents import MAX_UPLOAD_BYTES
from jeugdregio.tables import Document
from jeugdregio.web import requires_roles

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
Multipart = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
UPLOAD_LIMIT = MAX_UPLOAD_BYTES + 64 * 1024  # one 10 MB file plus the form around it; larger bodies: 413 unread
requires_applicant_or_provider = requires_roles("applicant", "provider")


def attachment(content: bytes, media_type: str, filename: str) -> Response[bytes]:
    """A download: the browser saves it under `filename` (the security headers are added app-wide)."""
    return Response(content, media_type=media_type,
                    headers={"content-disposition": f'attachment; filename="{filename}"'})  # fmt: skip


def document_download(doc: Document) -> Response[bytes]:
    """A stored document (PDF, evidence file) as a download under its server-generated file name."""
    return attachment(doc.content, doc.content_type, doc.filename)
