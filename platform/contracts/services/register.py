"""Register use cases: providers and their framework contracts (admission, amendments, status changes)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import String, and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from catalogue.public import ProfileView, list_profiles, profiles_by_id
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
from contracts.queries import contracts_visible_to, providers_visible_to
from contracts.rules import PROVIDER_STATUS_FOR_CONTRACT, add_months, contract_next
from jeugdregio import audit
from jeugdregio.audit import Actor
from jeugdregio.auth import Principal
from jeugdregio.documents import get_document, store_document
from jeugdregio.errors import ErrorCollector, NotFound, ValidationFailed
from jeugdregio.pdf import render_pdf
from jeugdregio.tables import AuditEvent, Document, Municipality, Region
from jeugdregio.templating import datum

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


# ---- framework contract lifecycle: suspend, resume, terminate, amend (the team only; guards in routes) ------

REASON_MAX = 1000


@dataclass(frozen=True)
class StatusChange:
    """Input of suspend / resume / terminate: why, and the date it takes effect."""

    reason: str
    on: date


@dataclass(frozen=True)
class Amendment:
    """Input of an amendment (a new contract version): new lots and/or a new end date."""

    reason: str
    on: date
    profile_ids: list[int] | None = None  # None: the lots stay as they are
    ends_on: date | None = None  # None: the end date stays as it is


def parse_date(errors: ErrorCollector, field: str, value: object, *, required: bool) -> date | None:
    text = str(value or "").strip()
    if not text:
        if required:
            errors.add(field, "Vul een datum in.")
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors.add(field, "Gebruik een datum als 2026-01-31.")
        return None


def _check_reason(errors: ErrorCollector, value: object) -> str:
    reason = str(value or "").strip()
    if not reason:
        errors.add("reason", "Geef een reden op.")
    elif len(reason) > REASON_MAX:
        errors.add("reason", f"De reden mag maximaal {REASON_MAX} tekens zijn.")
    return reason


def parse_status_change(data: Mapping[str, Any]) -> StatusChange:
    """From a form or API body: only `reason` and `effective_on` are read, nothing else."""
    errors = ErrorCollector()
    reason = _check_reason(errors, data.get("reason"))
    on = parse_date(errors, "effective_on", data.get("effective_on"), required=True)
    errors.raise_if_any()
    assert on is not None
    return StatusChange(reason=reason, on=on)


def parse_amendment(data: Mapping[str, Any]) -> Amendment:
    """From a form or API body: only `reason`, `effective_on`, `profile_ids` and `ends_on` are read."""
    errors = ErrorCollector()
    reason = _check_reason(errors, data.get("reason"))
    on = parse_date(errors, "effective_on", data.get("effective_on"), required=True)
    ends_on = parse_date(errors, "ends_on", data.get("ends_on"), required=False)
    raw = data.get("profile_ids")
    profile_ids: list[int] | None = None
    if raw is not None:
        try:
            profile_ids = sorted({int(v) for v in (raw if isinstance(raw, list) else [raw]) if str(v).strip()})
        except (TypeError, ValueError):
            errors.add("profile_ids", "Kies percelen uit de lijst.")
    errors.raise_if_any()
    assert on is not None
    return Amendment(reason=reason, on=on, profile_ids=profile_ids, ends_on=ends_on)


async def _lock_contract(session: AsyncSession, contract_id: int, actor: Actor) -> tuple[FrameworkContract, Provider]:
    """The contract and its provider, locked; only within the actor's region (404 otherwise)."""
    contract = (
        await session.execute(
            select(FrameworkContract)
            .where(FrameworkContract.id == contract_id, FrameworkContract.region_id == actor.region_id)
            .with_for_update()
        )
    ).scalar_one_or_none()
    if contract is None:
        raise NotFound()
    provider = await session.get(Provider, contract.provider_id, with_for_update=True)
    assert provider is not None
    return contract, provider


async def _lot_profile_ids(session: AsyncSession, contract_id: int | None) -> list[int]:
    rows = await session.execute(select(ContractLot.profile_id).where(ContractLot.contract_id == contract_id))
    return sorted(rows.scalars())


def _snapshot(contract: FrameworkContract, provider: Provider) -> dict[str, Any]:
    return {
        "status": contract.status, "aanbieder_status": provider.status, "versie": contract.version,
        "einde": str(contract.ends_on) if contract.ends_on else None,
    }  # fmt: skip


def _check(errors: ErrorCollector, contract: FrameworkContract, reason: str, on: date | None) -> str:
    reason = _check_reason(errors, reason)
    if on is None:
        errors.add("effective_on", "Vul een datum in.")
    elif on < contract.starts_on:
        errors.add("effective_on", f"De datum mag niet voor de ingangsdatum ({datum(contract.starts_on)}) liggen.")
    return reason


async def _change_status(
    session: AsyncSession, contract_id: int, action: str, *, reason: str, on: date, actor: Actor, now: datetime
) -> FrameworkContract:
    contract, provider = await _lock_contract(session, contract_id, actor)
    new_status = contract_next(contract.status, action)  # 409 with a Dutch message when not allowed
    errors = ErrorCollector()
    reason = _check(errors, contract, reason, on)
    errors.raise_if_any()
    before = _snapshot(contract, provider)
    contract.status = new_status
    contract.status_reason = reason
    contract.status_changed_on = on
    if action == "terminate":
        contract.terminated_on = on
    provider.status = PROVIDER_STATUS_FOR_CONTRACT[new_status]
    await session.flush()
    await audit.record(
        session, actor, object_type="framework_contract", object_id=contract.id, action=action, now=now,
        summary={"reden": reason, "datum": on.isoformat(), "aanbieder": provider.id,
                 **audit.changes(before, _snapshot(contract, provider))},
    )  # fmt: skip
    return contract


async def suspend_contract(
    session: AsyncSession, contract_id: int, *, reason: str, on: date, actor: Actor, now: datetime
) -> FrameworkContract:
    """Suspend (schorsen): the provider's register status becomes 'suspended'."""
    return await _change_status(session, contract_id, "suspend", reason=reason, on=on, actor=actor, now=now)


async def resume_contract(
    session: AsyncSession, contract_id: int, *, reason: str, on: date, actor: Actor, now: datetime
) -> FrameworkContract:
    """Resume (hervatten) a suspended contract: the provider is 'active' again."""
    return await _change_status(session, contract_id, "resume", reason=reason, on=on, actor=actor, now=now)


async def terminate_contract(
    session: AsyncSession, contract_id: int, *, reason: str, on: date, actor: Actor, now: datetime
) -> FrameworkContract:
    """Terminate (beëindigen), e.g. after a bankruptcy: the provider 'ended'; its clients must be moved."""
    return await _change_status(session, contract_id, "terminate", reason=reason, on=on, actor=actor, now=now)


async def amend_contract(
    session: AsyncSession, contract_id: int, *, reason: str, on: date, actor: Actor, now: datetime,
    profile_ids: list[int] | None = None, ends_on: date | None = None,
) -> ContractVersion:
    """A new contract version with new lots and/or a new end date, its reason and its PDF."""
    contract, provider = await _lock_contract(session, contract_id, actor)
    contract_next(contract.status, "amend")
    current = await _lot_profile_ids(session, contract.id)
    lots = current if profile_ids is None else sorted(set(profile_ids))
    known = await profiles_by_id(session, contract.region_id, sorted(set(current) | set(lots)))
    errors = ErrorCollector()
    reason = _check(errors, contract, reason, on)
    if not lots:
        errors.add("profile_ids", "Kies ten minste één perceel (zorgprofiel).")
    elif any(p not in known for p in lots):
        errors.add("profile_ids", "Kies percelen uit de lijst van de regio.")
    if ends_on is not None and ends_on < max(contract.starts_on, on or contract.starts_on):
        errors.add("ends_on", "De einddatum mag niet voor de ingangsdatum of de wijzigingsdatum liggen.")
    errors.raise_if_any()
    new_end = ends_on or contract.ends_on
    if lots == current and new_end == contract.ends_on:
        raise ValidationFailed.single("profile_ids", "Er verandert niets: wijzig de percelen of de einddatum.")
    numbers = {pid: p.number for pid, p in known.items()}
    before = {**_snapshot(contract, provider), "percelen": [numbers[p] for p in current if p in numbers]}
    contract.version += 1
    contract.ends_on = new_end
    await session.execute(delete(ContractLot).where(ContractLot.contract_id == contract.id))
    for pid in lots:
        session.add(ContractLot(region_id=contract.region_id, contract_id=contract.id, profile_id=pid))  # type: ignore[arg-type]
    await session.flush()
    version = await add_contract_version(
        session, contract, provider=provider, reason=reason, effective_on=on, profile_ids=lots, actor=actor, now=now
    )
    await audit.record(
        session, actor, object_type="framework_contract", object_id=contract.id, action="amend", now=now,
        summary={"reden": reason, "datum": on.isoformat(), "aanbieder": provider.id,
                 **audit.changes(before, {**_snapshot(contract, provider), "percelen": version.lots})},
    )  # fmt: skip
    return version


# ---- reading: contracts, a provider's page, the history ----------------------------------------------------


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
    by_id = await profiles_by_id(session, contract.region_id, await _lot_profile_ids(session, contract.id))
    versions = (
        await session.execute(
            select(ContractVersion)
            .where(ContractVersion.contract_id == contract.id)
            .order_by(col(ContractVersion.version).desc())
        )
    ).scalars()
    return ContractDetail(contract, sorted(by_id.values(), key=lambda p: p.number), list(versions))


async def contract_detail(session: AsyncSession, principal: Principal, contract_id: int) -> ContractDetail:
    contract = (
        await session.execute(contracts_visible_to(principal).where(FrameworkContract.id == contract_id))
    ).scalar_one_or_none()
    if contract is None:
        raise NotFound()
    return await _contract_detail(session, contract)


async def list_contracts(
    session: AsyncSession, principal: Principal, *, status: str = "", provider_id: int | None = None,
    limit: int = 50, offset: int = 0,
) -> list[dict[str, Any]]:
    """Contracts visible to the principal with their lots (profile numbers), aggregated in one query."""
    lots = (
        select(ContractLot.contract_id, func.array_agg(ContractLot.profile_id).label("profile_ids"))
        .where(ContractLot.region_id == principal.region_id)
        .group_by(ContractLot.contract_id)
        .subquery()
    )
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
    provider_id = (
        await session.execute(
            contracts_visible_to(principal)
            .with_only_columns(FrameworkContract.provider_id)
            .where(FrameworkContract.id == contract_id)
        )
    ).scalar_one_or_none()
    if provider_id is None:
        raise NotFound()
    return int(provider_id)


@dataclass(frozen=True)
class ProviderDetail:
    provider: Provider
    contract: ContractDetail | None  # the newest contract (the live one, or the last terminated one)
    municipalities: list[str]
    history: list[AuditEvent] = field(default_factory=list)


async def get_provider(session: AsyncSession, principal: Principal, provider_id: int) -> Provider:
    row = (
        await session.execute(providers_visible_to(principal).where(Provider.id == provider_id))
    ).scalar_one_or_none()
    if row is None:
        raise NotFound()
    return row  # type: ignore[no-any-return]


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


async def contract_version_document(
    session: AsyncSession, principal: Principal, contract_id: int | None, version: int
) -> Document:
    """The PDF of one contract version, if the principal may see the contract (404 otherwise)."""
    visible = contracts_visible_to(principal).with_only_columns(FrameworkContract.id)
    document_id = (
        await session.execute(
            select(ContractVersion.document_id).where(
                ContractVersion.contract_id == contract_id, ContractVersion.version == version,
                col(ContractVersion.contract_id).in_(visible),
            )
        )
    ).scalar_one_or_none()
    if document_id is None:
        raise NotFound()
    return await get_document(session, document_id, principal.region_id)
