"""Builders for the rating tests: confirmed arrangements with invitations, and links issued through the service."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime

import httpx
from litestar import Litestar
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.models import Arrangement
from jeugdregio.audit import Actor
from jeugdregio.auth import Principal
from quality.services import invitations as inv
from tests.support.factories import TestRegion
from tests.support.invoicing_factories import InvoicingWorld, add_arrangement, build_invoicing

BASE_URL = "https://testserver.local"
_addresses = itertools.count(1)


def anonymous_client(app: Litestar, address: str | None = None) -> httpx.AsyncClient:
    """A client from its own address, so the per-address rating-link limit of one test never hits another."""
    n = next(_addresses)
    ip = address or f"10.77.{n // 250}.{n % 250 + 1}"
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url=BASE_URL, follow_redirects=False)


def team_principal(region_id: int) -> Principal:
    return Principal(user_id=0, membership_id=0, region_id=region_id, role="team_quality", name="Team",
                     email="team@test")  # fmt: skip


@dataclass
class RatingWorld:
    world: InvoicingWorld
    arrangement_ids: list[int]


async def confirmed_arrangements(s: AsyncSession, region: TestRegion, n: int = 2) -> RatingWorld:
    world = await build_invoicing(s, region)
    ids = [
        await add_arrangement(
            s, world, status="confirmed", start_date=date(2026, 1, 5), end_date=date(2026, 6, 1), end_reason="31",
            result="achieved",
        )
        for _ in range(n)
    ]
    return RatingWorld(world, ids)


async def set_confirmed_by(s: AsyncSession, arrangement_id: int, user_id: int) -> None:
    await s.execute(update(Arrangement).where(Arrangement.id == arrangement_id).values(confirmed_by=user_id))  # type: ignore[arg-type]


async def issue(
    s: AsyncSession, region_id: int, arrangement_id: int, *, now: datetime, informant: str = "parent"
) -> str:
    """A fresh link for the arrangement's invitation (the job must have run); returns the token."""
    _invitation, token = await inv._issue_link(
        s, team_principal(region_id), arrangement_id, informant, channel="letter",
        actor=Actor.system("test", region_id), now=now,
    )  # fmt: skip
    return token


async def prepared(region: TestRegion, *, n: int = 2, now: datetime) -> tuple[RatingWorld, list[str]]:
    """Committed: n confirmed arrangements, the invitation job's step, one parent link per arrangement."""
    async with region.maker() as s:
        rw = await confirmed_arrangements(s, region, n)
        await inv.create_invitations(s, now=now, region_id=region.id)
        tokens = [await issue(s, region.id, a, now=now) for a in rw.arrangement_ids]
        await s.commit()
    return rw, tokens
