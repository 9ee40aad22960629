"""Register reads: providers and their framework contracts as pages and the API show them (row scoping through
contracts.queries; anything the principal may not see is NotFound). The writes are in `contract_lifecycle`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import String, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from catalogue.public import ProfileView, list_profiles, profiles_by_id
from contracts.models import ContractLot, ContractVersion, FrameworkContract, Provider, ProviderMunicipality
from contracts.queries import contracts_visible_to, lots_per_contract, providers_visible_to, scalar_or_not_found
from contracts.services import access_log
from contracts.services.exports import RegisterFilter, register_rows
from jeugdregio.audit import READ_ACTIONS
from jeugdregio.auth import Principal
from jeugdregio.documents import get_document
from jeugdregio.errors import NotFound
from jeugdregio.tables import AuditEvent, Document, Municipality


async def lot_profile_ids(session: AsyncSession, contract_id: int | None) -> list[int]:
    """The care profile ids of the contract's current lots, sorted."""
    rows = await session.execute(select(ContractLot.profile_id).where(ContractLot.contract_id == contract_id))
    return sorted(rows.scalars())


# ---- contracts ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContractDetail:
    contract: FrameworkContract
    lots: list[ProfileView]
    versions: list[ContractVersion]  # newest first

    def as_json(self) -> dict[str, Any]:
        c = self.contract
        return {
            **contract_json(c, [p.number for p in self.lots]),
            "lot_profiles": [{"profile_id": p.id, "number": p.number, "name": p.name} for p in self.lots],
            "versions": [
                {"version": v.version, "reason": v.reason, "effective_on": v.effective_on.isoformat(),
                 "starts_on": v.starts_on.isoformat(), "ends_on": v.ends_on.isoformat() if v.ends_on else None,
                 "lots": v.lots, "created_at": v.created_at.isoformat()}
                for v in self.versions
            ],
        }  # fmt: skip


def contract_json(c: FrameworkContract, lots: list[int]) -> dict[str, Any]:
    def iso(d: date | None) -> str | None:
        return d.isoformat() if d else None

    return {
        "id": c.id, "number": c.number, "provider_id": c.provider_id, "status": c.status, "version": c.version,
        "starts_on": iso(c.starts_on), "ends_on": iso(c.ends_on), "status_reason": c.status_reason,
        "status_changed_on": iso(c.status_changed_on), "terminated_on": iso(c.terminated_on), "lots": lots,
        "volume_guarantee": False,
    }  # fmt: skip


async def _contract_detail(session: AsyncSession, contract: FrameworkContract) -> ContractDetail:
    assert contract.id is not None
    by_id = await profiles_by_id(session, contract.region_id, await lot_profile_ids(session, contract.id))
    versions = (
        await session.execute(
            select(ContractVersion)
            .where(ContractVersion.contract_id == contract.id)
            .order_by(col(ContractVersion.version).desc())
        )
    ).scalars()
    return ContractDetail(contract, sorted(by_id.values(), key=lambda p: p.number), list(versions))


def _visible_contract(principal: Principal, contract_id: int) -> Any:
    return contracts_visible_to(principal).where(FrameworkContract.id == contract_id)


async def contract_detail(session: AsyncSession, principal: Principal, contract_id: int) -> ContractDetail:
    contract = await scalar_or_not_found(session, _visible_contract(principal, contract_id))
    return await _contract_detail(session, contract)


async def list_contracts(
    session: AsyncSession, principal: Principal, *, status: str = "", provider_id: int | None = None,
    limit: int = 50, offset: int = 0,
) -> list[dict[str, Any]]:  # fmt: skip
    """Contracts visible to the principal with their lots (profile numbers), aggregated in one query."""
    lots = lots_per_contract(principal.region_id)
    q = contracts_visible_to(principal).add_columns(lots.c.profile_ids).outerjoin(
        lots, lots.c.contract_id == FrameworkContract.id
    )
    if status:
        q = q.where(FrameworkContract.status == status)
    if provider_id is not None:
        q = q.where(FrameworkContract.provider_id == provider_id)
    q = q.order_by(FrameworkContract.number, FrameworkContract.id).limit(limit).offset(offset)
    numbers = {p.id: p.number for p in await list_profiles(session, principal.region_id)}
    return [
        contract_json(c, sorted(numbers[p] for p in ids or [] if p in numbers))
        for c, ids in (await session.execute(q)).all()
    ]


async def contract_provider_id(session: AsyncSession, principal: Principal, contract_id: int) -> int:
    q = _visible_contract(principal, contract_id).with_only_columns(FrameworkContract.provider_id)
    return int(await scalar_or_not_found(session, q))


async def contract_version_document(
    session: AsyncSession, principal: Principal, contract_id: int | None, version: int, *, now: datetime
) -> Document:
    """The PDF of one contract version, if the principal may see the contract (404 otherwise). Every download
    is audited (the contract names the provider's contact person)."""
    visible = (
        contracts_visible_to(principal)
        .with_only_columns(FrameworkContract.id, FrameworkContract.provider_id)
        .subquery("visible")
    )
    q = (
        select(ContractVersion.document_id, visible.c.provider_id)
        .join(visible, visible.c.id == ContractVersion.contract_id)
        .where(ContractVersion.contract_id == contract_id, ContractVersion.version == version)
    )
    row = (await session.execute(q)).first()
    if row is None or row.document_id is None:
        raise NotFound()
    doc = await get_document(session, row.document_id, principal.region_id)
    await access_log.log_read(
        session, principal, object_type="framework_contract", object_id=contract_id, action="download", now=now,
        purpose=access_log.provider_purpose(principal, row.provider_id),
        summary={"document": "raamovereenkomst", "versie": version, "aanbieder": row.provider_id,
                 "document_id": doc.id},
    )  # fmt: skip
    return doc


# ---- providers ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProviderDetail:
    provider: Provider
    contract: ContractDetail | None  # the newest contract (the live one, or the last terminated one)
    municipalities: list[str]
    history: list[AuditEvent] = field(default_factory=list)


async def get_provider(session: AsyncSession, principal: Principal, provider_id: int) -> Provider:
    q = providers_visible_to(principal).where(Provider.id == provider_id)
    return await scalar_or_not_found(session, q)  # type: ignore[no-any-return]


async def provider_detail(
    session: AsyncSession, principal: Principal, provider_id: int, *, now: datetime, with_history: bool = False
) -> ProviderDetail:
    """The provider with its contact person, newest contract and municipalities. Audited unless the provider
    reads its own organisation (the portal)."""
    provider = await get_provider(session, principal, provider_id)
    if not access_log.is_own_provider(principal, provider.id):
        await access_log.log_read(
            session, principal, object_type="provider", object_id=provider.id, now=now,
            purpose=access_log.provider_purpose(principal, provider.id),
        )  # fmt: skip
    contract = (
        await session.execute(
            contracts_visible_to(principal)
            .where(FrameworkContract.provider_id == provider_id)
            .order_by(col(FrameworkContract.id).desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    municipalities = (
        await session.execute(
            select(Municipality.name)
            .join(ProviderMunicipality, ProviderMunicipality.municipality_id == Municipality.id)
            .where(ProviderMunicipality.provider_id == provider_id)
            .order_by(Municipality.name)
        )
    ).scalars()
    return ProviderDetail(
        provider,
        await _contract_detail(session, contract) if contract is not None else None,
        list(municipalities),
        await provider_history(session, provider) if with_history else [],
    )


async def provider_history(session: AsyncSession, provider: Provider, limit: int = 200) -> list[AuditEvent]:
    """Audit events about the provider and any of its contracts (changes, not reads), newest first."""
    contract_ids = select(func.cast(FrameworkContract.id, String)).where(FrameworkContract.provider_id == provider.id)
    q = (
        select(AuditEvent)
        .where(
            AuditEvent.region_id == provider.region_id,
            or_(
                and_(AuditEvent.object_type == "provider", AuditEvent.object_id == str(provider.id)),
                and_(AuditEvent.object_type == "framework_contract", col(AuditEvent.object_id).in_(contract_ids)),
            ),
            col(AuditEvent.action).not_in(READ_ACTIONS),
        )
        .order_by(col(AuditEvent.id).desc())
        .limit(limit)
    )
    return list((await session.execute(q)).scalars())


# ---- the provider API (one provider, the register list) ------------------------------------------------------


def full_view(principal: Principal) -> bool:
    """The team and the provider itself see KvK/AGB, address, contact person, contract and evidence counts;
    municipalities and referrers the public view (which still has the contact e-mail address)."""
    return principal.is_team or principal.role == "provider"


async def provider_json(
    session: AsyncSession, principal: Principal, provider_id: int, *, today: date, now: datetime
) -> dict[str, Any]:
    """One provider as the API shows it (404 when not visible). It carries contact data, so a read by anyone
    but the provider itself is audited."""
    full = full_view(principal)
    result = await register_rows(session, principal, RegisterFilter(), today=today, public=not full,
                                 provider_id=provider_id)  # fmt: skip
    if not result.rows:
        raise NotFound()
    out = result.rows[0].as_json(full=full)
    if full:
        p = await get_provider(session, principal, provider_id)
        out.update(street=p.street, postcode=p.postcode, contact_name=p.contact_name, contact_phone=p.contact_phone,
                   admitted_on=p.admitted_on.isoformat())  # fmt: skip
    if not access_log.is_own_provider(principal, provider_id):
        await access_log.log_read(
            session, principal, object_type="provider", object_id=provider_id, now=now,
            purpose=access_log.provider_purpose(principal, provider_id),
            summary={"weergave": "volledig" if full else "openbaar"},
        )  # fmt: skip
    return out
