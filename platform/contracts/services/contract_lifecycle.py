"""Register use cases that write: admission of a provider with its framework contract, contract versions, and
the contract lifecycle (suspend, resume, terminate, amend) with its input parsing. They never commit; every
change writes an audit event. The reads (pages, API) are in `register_views`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from catalogue.public import profiles_by_id, sync_listing
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
from contracts.rules import PROVIDER_STATUS_FOR_CONTRACT, add_months, contract_next
from contracts.services.register_views import lot_profile_ids
from jeugdregio import audit
from jeugdregio.audit import Actor
from jeugdregio.documents import store_document
from jeugdregio.errors import ErrorCollector, NotFound, ValidationFailed
from jeugdregio.pdf import render_pdf
from jeugdregio.tables import Region
from jeugdregio.templating import datum

CONTRACT_TERM_MONTHS = 48
REASON_MAX = 1000


# ---- admission: a provider with its framework contract (version 1) -------------------------------------------


async def sync_catalogue(
    session: AsyncSession, provider: Provider, profile_ids: list[int], *, now: datetime,
    municipality_ids: list[int] | None = None,
) -> None:  # fmt: skip
    """Keep the provider's public catalogue listing in step with the register (name, status, offered types)."""
    assert provider.id is not None
    await sync_listing(
        session, region_id=provider.region_id, provider_id=provider.id, name=provider.name, city=provider.city,
        # the contact person's e-mail and phone are personal data: the provider enters public contact details
        # in its portal; the listing starts without them
        status=provider.status, email="", phone="", street=provider.street,
        postcode=provider.postcode, profile_ids=profile_ids, municipality_ids=municipality_ids, now=now,
    )  # fmt: skip


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
    provider = await _admit_provider(session, application, starts_on=starts_on, now=now)
    profile_ids = list(
        (
            await session.execute(
                select(ApplicationProfile.profile_id).where(ApplicationProfile.application_id == application.id)
            )
        ).scalars()
    )
    contract = await _first_contract(session, provider, profile_ids, starts_on=starts_on, now=now)
    await session.execute(
        update(Evidence)
        .where(Evidence.application_id == application.id, Evidence.superseded_at.is_(None))  # type: ignore[union-attr]
        .values(provider_id=provider.id)
    )
    await add_contract_version(
        session, contract, provider=provider, reason="Toelating tot het register (open house)",
        effective_on=starts_on, profile_ids=profile_ids, actor=actor, now=now,
    )  # fmt: skip
    served = (
        await session.execute(
            select(ProviderMunicipality.municipality_id).where(ProviderMunicipality.provider_id == provider.id)
        )
    ).scalars().all()
    await sync_catalogue(session, provider, profile_ids, now=now, municipality_ids=list(served))
    await audit.record(
        session, actor, object_type="provider", object_id=provider.id, action="admit", now=now,
        summary={"naam": provider.name, "kvk": provider.kvk, "aanmelding": application.reference},
    )  # fmt: skip
    await audit.record(
        session, actor, object_type="framework_contract", object_id=contract.id, action="create", now=now,
        summary={"nummer": contract.number, "ingang": starts_on.isoformat(), "einde": str(contract.ends_on)},
    )  # fmt: skip
    return provider, contract


async def _admit_provider(
    session: AsyncSession, application: Application, *, starts_on: date, now: datetime
) -> Provider:
    """The provider row from the application's details, serving the municipalities applied for."""
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
    return provider


async def _first_contract(
    session: AsyncSession, provider: Provider, profile_ids: list[int], *, starts_on: date, now: datetime
) -> FrameworkContract:
    """The framework contract for the standard term from `starts_on`, with a lot per profile."""
    contract = FrameworkContract(
        region_id=provider.region_id, provider_id=provider.id,
        number=await next_contract_number(session, provider.region_id, starts_on.year),
        starts_on=starts_on, ends_on=add_months(starts_on, CONTRACT_TERM_MONTHS) - timedelta(days=1),
        status="active", version=1, created_at=now,
    )  # fmt: skip
    session.add(contract)
    await session.flush()
    assert contract.id is not None
    for pid in profile_ids:
        session.add(ContractLot(region_id=provider.region_id, contract_id=contract.id, profile_id=pid))
    return contract


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


# ---- input of the lifecycle actions (forms and API bodies) ---------------------------------------------------


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


# ---- framework contract lifecycle: suspend, resume, terminate, amend (the team only; guards in routes) ------


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
    await sync_catalogue(session, provider, await lot_profile_ids(session, contract.id), now=now)
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
    current = await lot_profile_ids(session, contract.id)
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
    await _replace_lots(session, contract, lots)
    await sync_catalogue(session, provider, lots, now=now)
    version = await add_contract_version(
        session, contract, provider=provider, reason=reason, effective_on=on, profile_ids=lots, actor=actor, now=now
    )
    await audit.record(
        session, actor, object_type="framework_contract", object_id=contract.id, action="amend", now=now,
        summary={"reden": reason, "datum": on.isoformat(), "aanbieder": provider.id,
                 **audit.changes(before, {**_snapshot(contract, provider), "percelen": version.lots})},
    )  # fmt: skip
    return version


async def _replace_lots(session: AsyncSession, contract: FrameworkContract, profile_ids: list[int]) -> None:
    await session.execute(delete(ContractLot).where(ContractLot.contract_id == contract.id))
    for pid in profile_ids:
        session.add(ContractLot(region_id=contract.region_id, contract_id=contract.id, profile_id=pid))  # type: ignore[arg-type]
    await session.flush()


StatusService = Callable[..., Awaitable[FrameworkContract]]
STATUS_CHANGES: dict[str, StatusService] = {
    "suspend": suspend_contract,
    "resume": resume_contract,
    "terminate": terminate_contract,
}


async def apply_contract_action(
    session: AsyncSession, contract_id: int, action: str, data: Mapping[str, Any], *, actor: Actor, now: datetime
) -> None:
    """One lifecycle action from a form or API body: 'amend' (parse_amendment) or a status change
    (parse_status_change; 'suspend', 'resume' or 'terminate')."""
    if action == "amend":
        a = parse_amendment(data)
        await amend_contract(session, contract_id, reason=a.reason, on=a.on, profile_ids=a.profile_ids,
                             ends_on=a.ends_on, actor=actor, now=now)  # fmt: skip
        return
    change = parse_status_change(data)
    await STATUS_CHANGES[action](session, contract_id, reason=change.reason, on=change.on, actor=actor, now=now)
