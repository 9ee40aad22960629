"""Stored documents: uploads are checked by size and content (magic bytes), names are server-generated."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jeugdregio.errors import NotFound, ValidationFailed
from jeugdregio.tables import Document

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
ALLOWED_TYPES = {
    "application/pdf": (b"%PDF-", "pdf"),
    "image/png": (b"\x89PNG\r\n\x1a\n", "png"),
    "image/jpeg": (b"\xff\xd8\xff", "jpg"),
}


def sniff_type(content: bytes) -> str | None:
    for content_type, (magic, _ext) in ALLOWED_TYPES.items():
        if content.startswith(magic):
            return content_type
    return None


def check_upload(field: str, content: bytes) -> str:
    """Return the detected content type, or raise a Dutch error naming the field."""
    if not content:
        raise ValidationFailed.single(field, "Het bestand is leeg.")
    if len(content) > MAX_UPLOAD_BYTES:
        raise ValidationFailed.single(field, "Het bestand is groter dan 10 MB.")
    content_type = sniff_type(content)
    if content_type is None:
        raise ValidationFailed.single(field, "Alleen PDF-, PNG- of JPEG-bestanden zijn toegestaan.")
    return content_type


async def store_document(
    session: AsyncSession,
    *,
    region_id: int,
    kind: str,
    content: bytes,
    content_type: str,
    now: datetime,
    created_by: int | None,
    stem: str,
) -> Document:
    ext = ALLOWED_TYPES.get(content_type, (b"", "bin"))[1]
    doc = Document(
        region_id=region_id,
        kind=kind,
        filename=f"{stem}.{ext}",
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        created_at=now,
        created_by=created_by,
    )
    session.add(doc)
    await session.flush()
    return doc


async def get_document(session: AsyncSession, document_id: int, region_id: int) -> Document:
    doc = (
        await session.execute(select(Document).where(Document.id == document_id, Document.region_id == region_id))
    ).scalar_one_or_none()
    if doc is None:
        raise NotFound()
    return doc
