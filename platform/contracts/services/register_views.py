"""Register reads: providers and their framework contracts as pages and the API show them (row scoping through
contracts.queries; anything the principal may not see is NotFound). The writes are in `contract_lifecycle`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import String, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from catalogue.public import ProfileView, list_profiles, profiles_by_id
from contracts.models import ContractLot, ContractVersion, FrameworkContract, Provider, ProviderMunicipality
from contracts.queries import contracts_visible_to, lots_per_contract, providers_visible_to, scalar_or_not_found
from jeugdregio.auth import Principal
from jeugdregio.documents import get_document
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
    session: AsyncSession, principal: Principal, contract_id: int | None, version: int
) -> Document:
    """The PDF of one contract version, if the principal may see the contract (404 otherwise)."""
    visible = contracts_visible_to(principal).with_only_columns(FrameworkContract.id)
    q = select(ContractVersion.document_id).where(
        ContractVersion.contract_id == contract_id, ContractVersion.version == version,
        col(ContractVersion.contract_id).in_(visible),
    )  # fmt: skip
    return await get_document(session, await scalar_or_not_found(session, q), principal.region_id)


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
    session: AsyncSession, principal: Principal, provider_id: int, *, with_history: bool = False
) -> ProviderDetail:
    provider = await get_provider(session, principal, provider_id)
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
    """Audit events about the provider and any of its contracts, newest first."""
    contract_ids = select(func.cast(FrameworkContract.id, String)).where(FrameworkContract.provider_id == provider.id)
    q = (
        select(AuditEvent)
        .where(
            AuditEvent.region_id == provider.region_id,
            or_(
                and_(AuditEvent.object_type == "provider", AuditEvent.object_id == str(provider.id)),
                and_(AuditEvent.object_type == "framework_contract", col(AuditEvent.object_id).in_(contract_ids)),
            ),
        )
        .order_by(col(AuditEvent.id).desc())
        .limit(limit)
    )
    return list((await session.execute(q)).scalars())
