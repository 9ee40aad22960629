"""Register use cases: providers and their framework contracts (admission, amendments, status changes)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from catalogue.public import profiles_by_id
from contracts.models import (
    Application,
    ApplicationMunicipality,
    ApplicationProfile,
    ContractLot,
    ContractVersion,
    Evidence,
    FrameworkContract,
    Provider,
    ProviderMunicipality,
)
from contracts.rules import add_months
from jeugdregio import audit
from jeugdregio.audit import Actor
from jeugdregio.documents import store_document
from jeugdregio.pdf import render_pdf
from jeugdregio.tables import Region

CONTRACT_TERM_MONTHS = 48


async def next_contract_number(session: AsyncSession, region_id: int, year: int) -> str:
    count = (
        await session.execute(select(func.count()).where(FrameworkContract.region_id == region_id))
    ).scalar_one()
    return f"RO-{year}-{count + 1:04d}"


async def create_provider_from_application(
    session: AsyncSession,
    application: Application,
    *,
    starts_on: date,
    actor: Actor,
    now: datetime,
) -> tuple[Provider, FrameworkContract]:
    """Admission: the applicant becomes a provider in the register with a framework contract (version 1)
    whose lots are the profiles applied for; the application's evidence moves into the provider's vault."""
    assert application.id is not None
    provider = Provider(
        region_id=application.region_id, name=application.org_name, kvk=application.kvk, agb=application.agb,
        street=application.street, postcode=application.postcode, city=application.city,
        contact_name=application.contact_name, contact_email=application.contact_email,
        contact_phone=application.contact_phone, status="active", admitted_on=starts_on, created_at=now,
    )  # fmt: skip
    session.add(provider)
    await session.flush()
    assert provider.id is not None
    municipality_ids = (
        await session.execute(
            select(ApplicationMunicipality.municipality_id).where(
                ApplicationMunicipality.application_id == application.id
            )
        )
    ).scalars().all()
    for mid in municipality_ids:
        session.add(ProviderMunicipality(region_id=application.region_id, provider_id=provider.id, municipality_id=mid))
    profile_ids = list(
        (
            await session.execute(
                select(ApplicationProfile.profile_id).where(ApplicationProfile.application_id == application.id)
            )
        ).scalars()
    )
    contract = FrameworkContract(
        region_id=application.region_id, provider_id=provider.id,
        number=await next_contract_number(session, application.region_id, starts_on.year),
        starts_on=starts_on, ends_on=add_months(starts_on, CONTRACT_TERM_MONTHS) - timedelta(days=1),
        status="active", version=1, created_at=now,
    )  # fmt: skip
    session.add(contract)
    await session.flush()
    assert contract.id is not None
    for pid in profile_ids:
        session.add(ContractLot(region_id=application.region_id, contract_id=contract.id, profile_id=pid))
    await session.execute(
        update(Evidence)
        .where(Evidence.application_id == application.id, Evidence.superseded_at.is_(None))  # type: ignore[union-attr]
        .values(provider_id=provider.id)
    )
    await add_contract_version(
        session, contract, provider=provider, reason="Toelating tot het register (open house)",
        effective_on=starts_on, profile_ids=profile_ids, actor=actor, now=now,
    )  # fmt: skip
    await audit.record(
        session, actor, object_type="provider", object_id=provider.id, action="admit", now=now,
        summary={"naam": provider.name, "kvk": provider.kvk, "aanmelding": application.reference},
    )  # fmt: skip
    await audit.record(
        session, actor, object_type="framework_contract", object_id=contract.id, action="create", now=now,
        summary={"nummer": contract.number, "ingang": starts_on.isoformat(), "einde": str(contract.ends_on)},
    )  # fmt: skip
    return provider, contract


async def add_contract_version(
    session: AsyncSession,
    contract: FrameworkContract,
    *,
    provider: Provider,
    reason: str,
    effective_on: date,
    profile_ids: list[int],
    actor: Actor,
    now: datetime,
) -> ContractVersion:
    """Write a contract version (snapshot of term and lots) with its PDF."""
    assert contract.id is not None
    profiles = await profiles_by_id(session, contract.region_id, profile_ids)
    lots = sorted(p.number for p in profiles.values())
    region = await session.get(Region, contract.region_id)
    pdf = render_pdf(
        "pdf/framework_contract.html", region=region, provider=provider, contract=contract,
        version=contract.version, reason=reason, effective_on=effective_on,
        profiles=sorted(profiles.values(), key=lambda p: p.number), generated_at=now,
    )  # fmt: skip
    doc = await store_document(
        session, region_id=contract.region_id, kind="framework_contract", content=pdf,
        content_type="application/pdf", now=now, created_by=actor.user_id,
        stem=f"raamovereenkomst-{contract.number}-v{contract.version}",
    )  # fmt: skip
    version = ContractVersion(
        region_id=contract.region_id, contract_id=contract.id, version=contract.version, reason=reason,
        effective_on=effective_on, starts_on=contract.starts_on, ends_on=contract.ends_on, lots=lots,
        document_id=doc.id, created_by=actor.user_id, created_at=now,
    )  # fmt: skip
    session.add(version)
    await session.flush()
    return version
