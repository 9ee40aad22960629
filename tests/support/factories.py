"""Builders for test data. Each test region is new, so HTTP tests that commit never see each other's rows."""

from __future__ import annotations

import itertools
import re
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalogue.public import create_profile
from contracts.public import seed_region_register
from jeugdregio.clock import utcnow
from jeugdregio.tables import Municipality, Region
from jeugdregio.users import add_membership, create_user

PASSWORD = "test-wachtwoord-123"
_counter = itertools.count(1)

CSRF_RE = re.compile(r'name="_csrf_token" value="([^"]+)"')


@dataclass
class TestRegion:
    id: int
    slug: str
    municipality_ids: list[int]
    profile_ids: dict[int, int]
    maker: async_sessionmaker[AsyncSession]
    users: dict[str, str] = field(default_factory=dict)

    async def user(self, role: str, **binding: Any) -> str:
        """Create a user with a role in this region; returns the e-mail (password: PASSWORD)."""
        email = f"{role}-{secrets.token_hex(4)}@{self.slug}.test"
        async with self.maker() as s:
            now = utcnow()
            u = await create_user(s, email=email, name=f"Test {role}", password=PASSWORD, now=now)
            assert u.id is not None
            if role == "municipality" and "municipality_id" not in binding:
                binding["municipality_id"] = self.municipality_ids[0]
            await add_membership(s, user_id=u.id, region_id=self.id, role=role, now=now, **binding)
            await s.commit()
        return email


class RegionFactory:
    def __init__(self, maker: async_sessionmaker[AsyncSession]) -> None:
        self.maker = maker

    async def create(self, *, admission_mode: str = "open", municipalities: int = 3) -> TestRegion:
        n = next(_counter)
        slug = f"t{n}-{secrets.token_hex(3)}"
        async with self.maker() as s:
            region = Region(slug=slug, name=f"Testregio {n}", admission_mode=admission_mode,
                            letterhead_address="Postbus 1 · 1000 AA Teststad", created_at=utcnow())  # fmt: skip
            s.add(region)
            await s.flush()
            assert region.id is not None
            mids = []
            for i in range(municipalities):
                m = Municipality(region_id=region.id, cbs_code=f"{(n * 10 + i) % 10000:04d}", name=f"Gemeente {n}-{i}")
                s.add(m)
                await s.flush()
                assert m.id is not None
                mids.append(m.id)
            pids = {}
            for number in range(1, 11):
                pids[number] = await create_profile(
                    s, region_id=region.id, number=number, name=f"Profiel {number}",
                    complexity="high" if number > 8 else "low",
                )  # fmt: skip
            await seed_region_register(s, region.id)
            await s.commit()
        return TestRegion(region.id, slug, mids, pids, self.maker)


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    page = await client.get("/inloggen")
    token = csrf_from(page.text)
    response = await client.post("/inloggen", data={"email": email, "password": password, "_csrf_token": token})
    assert response.status_code == 303, response.text[:500]
    return response


async def csrf(client: httpx.AsyncClient, path: str = "/") -> str:
    """A valid CSRF token for this client's cookie jar (read from a page that renders a form)."""
    page = await client.get(path)
    return csrf_from(page.text)


def api_headers(auth: Mapping[str, str] | str, *, key: str | None = None) -> dict[str, str]:
    """Headers for one logical API write: the Authorization header (a headers dict or a bare token) plus an
    Idempotency-Key, fresh unless `key` is given (repeat it only to retry the same request)."""
    headers = {"authorization": f"Bearer {auth}"} if isinstance(auth, str) else dict(auth)
    headers["idempotency-key"] = key or str(uuid.uuid4())
    return headers
