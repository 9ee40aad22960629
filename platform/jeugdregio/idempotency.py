"""Idempotency-Key for API writes (QUALITY-BAR §2.4, ADR 0007): the key store, without any web framework.

A key belongs to one client (the membership behind the API token) and moves through three states:

- `in_progress`: claimed by a running request, in its own short committed transaction (`claim`);
- `committed`: set by `mark_committed` in the **same transaction** as the handler's work, so the work and the
  mark are committed together or not at all;
- `done`: the response is stored (`store_response`) and every later identical request gets it replayed.

A request that fails without committing releases its key (`release`), so the client can retry. An
`in_progress` row older than `TAKEOVER_AFTER` may be taken over by a new attempt: the lease it carries makes
`mark_committed` of the older attempt fail, so the work is still done at most once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jeugdregio.errors import Conflict, DomainError
from jeugdregio.tables import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
TAKEOVER_AFTER = timedelta(minutes=10)
RETENTION = timedelta(hours=24)
SCOPE_KEY = "idempotency_claim"  # where the claim waits in scope["state"] for provide_db


class KeyRequired(DomainError):
    status_code = 400
    title = "Idempotency-Key ontbreekt of is ongeldig"


class KeyInFlight(Conflict):
    title = "Verzoek wordt nog verwerkt"


class KeyReused(DomainError):
    status_code = 422
    title = "Idempotency-Key al gebruikt"


@dataclass(frozen=True)
class Client:
    """Who owns the keys: the membership behind the API token (the token is recorded, too)."""

    region_id: int
    membership_id: int
    token_id: int | None = None


@dataclass
class Claim:
    """A key this request holds: the row and the lease that proves it is still ours."""

    row_id: int
    lease: str
    committed: bool = False  # set by provide_db once the work and the mark are committed


@dataclass(frozen=True)
class Stored:
    status: int
    content_type: str
    body: bytes


Outcome = Claim | Stored  # claimed for this request, or the stored response to replay


def check_key(raw: str | None) -> str:
    """The header's value, or KeyRequired (400) with a Dutch detail naming the header."""
    if raw is None:
        raise KeyRequired(
            f"De header {HEADER} ontbreekt. Stuur bij elke schrijvende API-aanroep een unieke {HEADER} "
            "(bijvoorbeeld een UUID) en gebruik dezelfde waarde als u het verzoek herhaalt."
        )
    key = raw.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise KeyRequired(f"De header {HEADER} moet 1 tot {MAX_KEY_LENGTH} tekens lang zijn.")
    return key


def fingerprint(method: str, path: str, query: bytes, content_type: str, body: bytes) -> str:
    """SHA-256 over what makes two requests "the same": method, path, query, media type and body.

    A multipart boundary is chosen anew by most clients on every attempt, so it is replaced by a fixed marker
    (a boundary never occurs in the content it delimits)."""
    media_type, _, params = content_type.partition(";")
    media_type = media_type.strip().lower()
    if media_type == "multipart/form-data":
        boundary = _boundary(params)
        if boundary:
            body = body.replace(b"--" + boundary, b"--boundary")
    h = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), query, media_type.encode()):
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    h.update(body)
    return h.hexdigest()


def _boundary(params: str) -> bytes:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "boundary":
            return value.strip().strip('"').encode("latin-1")
    return b""


async def claim(
    maker: async_sessionmaker[AsyncSession], client: Client, key: str, request_hash: str, *, now: datetime
) -> Outcome:
    """Claim the key for this request in a short transaction of its own, or answer from the earlier request:
    its Stored response (replay), or KeyReused (422: another request), KeyInFlight (409: still running, or
    processed but its response was not stored)."""
    for _ in range(5):  # the row may disappear between our INSERT and SELECT (its request released it)
        lease = secrets.token_hex(16)
        async with maker() as session:
            new_id = (
                await session.execute(
                    insert(IdempotencyKey)
                    .values(
                        region_id=client.region_id,
                        membership_id=client.membership_id,
                        token_id=client.token_id,
                        key=key,
                        request_hash=request_hash,
                        state="in_progress",
                        lease=lease,
                        created_at=now,
                        started_at=now,
                    )
                    .on_conflict_do_nothing(index_elements=["region_id", "membership_id", "key"])
                    .returning(IdempotencyKey.id)
                )
            ).scalar_one_or_none()
            if new_id is not None:
                await session.commit()
                return Claim(new_id, lease)
            row = (
                await session.execute(
                    select(IdempotencyKey)
                    .where(
                        IdempotencyKey.region_id == client.region_id,
                        IdempotencyKey.membership_id == client.membership_id,
                        IdempotencyKey.key == key,
                    )
                    .with_for_update()
                )
            ).scalar_one_or_none()
            if row is None:
                await session.rollback()
                continue
            outcome = _answer(row, request_hash, lease, now=now)
            await session.commit()  # a takeover changed the row
            return outcome
    raise KeyInFlight("Dit verzoek met deze Idempotency-Key wordt nog verwerkt. Probeer het zo opnieuw.")


def _answer(row: IdempotencyKey, request_hash: str, lease: str, *, now: datetime) -> Outcome:
    assert row.id is not None
    if row.request_hash != request_hash:
        raise KeyReused(
            f"Deze {HEADER} is al gebruikt voor een ander verzoek (andere methode, adres of inhoud). "
            f"Gebruik een nieuwe {HEADER} voor een nieuw verzoek."
        )
    if row.state == "done" and row.response_status is not None:
        return Stored(row.response_status, row.content_type or "", bytes(row.body or b""))
    if row.state == "in_progress" and row.started_at < now - TAKEOVER_AFTER:
        # nothing of the earlier attempt was committed (or it would say 'committed'); its lease is void now
        row.lease = lease
        row.started_at = now
        return Claim(row.id, lease)
    if row.state == "committed":
        raise KeyInFlight(
            "Dit verzoek is al verwerkt, maar het antwoord is niet bewaard. Vraag de actuele stand op "
            "in plaats van het verzoek te herhalen."
        )
    raise KeyInFlight("Dit verzoek met deze Idempotency-Key wordt nog verwerkt. Probeer het zo opnieuw.")


async def mark_committed(session: AsyncSession, claim: Claim) -> None:
    """In the handler's own transaction, just before its commit: the key is used up together with the work.
    Fails (409) when the claim was taken over or already used, so the caller must roll back."""
    result: Any = await session.execute(
        update(IdempotencyKey)
        .where(
            IdempotencyKey.id == claim.row_id,
            IdempotencyKey.lease == claim.lease,
            IdempotencyKey.state == "in_progress",
        )
        .values(state="committed")
    )
    if result.rowcount != 1:
        raise KeyInFlight(
            "Dit verzoek met deze Idempotency-Key is intussen door een ander verzoek verwerkt. "
            "Vraag de actuele stand op."
        )


async def store_response(
    maker: async_sessionmaker[AsyncSession], claim: Claim, stored: Stored, *, now: datetime
) -> None:
    async with maker() as session:
        await session.execute(
            update(IdempotencyKey)
            .where(
                IdempotencyKey.id == claim.row_id,
                IdempotencyKey.lease == claim.lease,
                IdempotencyKey.state.in_(("in_progress", "committed")),  # type: ignore[attr-defined]
            )
            .values(
                state="done",
                response_status=stored.status,
                content_type=stored.content_type,
                body=stored.body,
                completed_at=now,
            )
        )
        await session.commit()


async def release(maker: async_sessionmaker[AsyncSession], claim: Claim) -> None:
    """Free the key of a request that committed nothing (an error, or a 5xx): the client may retry with it."""
    async with maker() as session:
        await session.execute(
            delete(IdempotencyKey).where(
                IdempotencyKey.id == claim.row_id,
                IdempotencyKey.lease == claim.lease,
                IdempotencyKey.state == "in_progress",
            )
        )
        await session.commit()


async def purge(session: AsyncSession, *, now: datetime) -> int:
    """Forget keys older than RETENTION; a request repeated after that is a new request."""
    result: Any = await session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < now - RETENTION))
    return int(result.rowcount or 0)
