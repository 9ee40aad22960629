"""Admitted providers for register tests, made through services/contract_lifecycle.create_provider_from_application
from an Application row inserted here (independent of the application workflow's own code)."""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.models import (
    Application,
    ApplicationMunicipality,
    ApplicationProfile,
    Evidence,
    Requirement,
)
from contracts.services.contract_lifecycle import create_provider_from_application
from jeugdregio.audit import Actor
from jeugdregio.clock import today, utcnow
from jeugdregio.documents import store_document
from tests.support.factories import TestRegion

TINY_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TINY_PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
_seq = itertools.count(1)


@dataclass
class Admitted:
    provider_id: int
    contract_id: int
    application_id: int
    name: str
    kvk: str
    agb: str
    evidence_ids: dict[str, int]  # requirement code -> evidence id


async def requirements(session: AsyncSession, region_id: int) -> dict[str, Requirement]:
    rows = await session.execute(select(Requirement).where(Requirement.region_id == region_id))
    return {r.code: r for r in rows.scalars()}


async def admit_provider(
    session: AsyncSession,
    region: TestRegion,
    *,
    name: str | None = None,
    city: str = "Teststad",
    profiles: tuple[int, ...] = (1,),
    municipalities: tuple[int, ...] = (0,),
    evidence: dict[str, date | None] | None = None,
    all_evidence_until: date | None = None,
    starts_on: date | None = None,
    now: datetime | None = None,
) -> Admitted:
    """An application (with evidence) and its admission. `profiles` are profile numbers, `municipalities`
    indexes into region.municipality_ids. `evidence` maps requirement codes to valid_until; by default every
    required requirement gets evidence valid until `all_evidence_until` (default: a year from today)."""
    now = now or utcnow()
    n = next(_seq)
    digits = f"{secrets.randbelow(10**6):06d}{n % 100:02d}"
    name = name or f"Aanbieder {digits}"
    app = Application(
        region_id=region.id, reference=f"AV-R-{digits}", status="admitted", org_name=name, kvk=digits,
        agb=f"9{digits[1:]}", street="Teststraat 1", postcode="1234 AB", city=city, contact_name="Tess Test",
        contact_email=f"info-{secrets.token_hex(4)}@example.org", submitted_at=now, updated_at=now,
    )  # fmt: skip
    session.add(app)
    await session.flush()
    assert app.id is not None
    for number in profiles:
        pid = region.profile_ids[number]
        session.add(ApplicationProfile(region_id=region.id, application_id=app.id, profile_id=pid))
    for index in municipalities:
        mid = region.municipality_ids[index]
        session.add(ApplicationMunicipality(region_id=region.id, application_id=app.id, municipality_id=mid))
    reqs = await requirements(session, region.id)
    if evidence is None:
        until = all_evidence_until or today(now) + timedelta(days=365)
        evidence = {code: (until if r.validity_months else None) for code, r in reqs.items() if r.evidence_required}
    evidence_ids: dict[str, int] = {}
    for code, valid_until in evidence.items():
        doc = await store_document(
            session, region_id=region.id, kind="evidence", content=TINY_PDF, content_type="application/pdf",
            now=now, created_by=None, stem=f"bewijs-{code}",
        )  # fmt: skip
        assert doc.id is not None
        ev = Evidence(region_id=region.id, application_id=app.id, requirement_id=reqs[code].id, document_id=doc.id,
                      original_name=f"{code}.pdf", valid_until=valid_until, uploaded_at=now)  # fmt: skip
        session.add(ev)
        await session.flush()
        assert ev.id is not None
        evidence_ids[code] = ev.id
    actor = Actor(user_id=None, label="test", role="team_admin", region_id=region.id)
    provider, contract = await create_provider_from_application(
        session, app, starts_on=starts_on or today(now) - timedelta(days=30), actor=actor, now=now
    )
    app.provider_id = provider.id
    await session.flush()
    assert provider.id is not None and contract.id is not None
    return Admitted(provider.id, contract.id, app.id, name, app.kvk, app.agb, evidence_ids)


async def admit_committed(region: TestRegion, **kwargs: object) -> Admitted:
    """The same, committed (for HTTP tests)."""
    async with region.maker() as session:
        admitted = await admit_provider(session, region, **kwargs)  # type: ignore[arg-type]
        await session.commit()
    return admitted
