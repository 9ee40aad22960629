"""Register JSON API (providers, framework contracts and their lifecycle, the evidence vault; OpenAPI at /schema).

Thin handlers, one service call each; inputs are explicit dataclasses, so a caller can only set what it may.
Row scoping lives in contracts.queries; the services raise NotFound for anything the principal may not see."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Annotated, Any

from litestar import get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.routes.common import UPLOAD_LIMIT
from contracts.services import evidence as vault
from contracts.services import register_views as views
from contracts.services.contract_lifecycle import apply_contract_action
from contracts.services.exports import PER_PAGE, parse_filter_strict, register_contacts
from jeugdregio.auth import Principal
from jeugdregio.clock import today, utcnow
from jeugdregio.errors import ValidationFailed
from jeugdregio.tables import TEAM_ROLES
from jeugdregio.web import requires_provider, requires_roles, requires_team_contracts

requires_team_or_provider = requires_roles(*TEAM_ROLES, "provider")
requires_any_register_role = requires_roles(*TEAM_ROLES, "municipality", "referrer", "provider")
# two inputs are called EvidenceUploadIn (this one and the application's): fixed OpenAPI names keep clients stable
UPLOAD_KEY = "routes_register_EvidenceUploadIn"


@get("/api/v1/providers", guards=[requires_any_register_role], tags=["register"])
async def api_providers(
    db: AsyncSession,
    principal: Principal,
    q: str = "",
    status: str = "",
    profile: Annotated[str, Parameter(description="care profile id")] = "",
    municipality: Annotated[str, Parameter(description="municipality id")] = "",
    evidence: Annotated[str, Parameter(description="expired | expiring | missing | any (team)")] = "",
    page_nr: Annotated[str, Parameter(query="page")] = "",
) -> dict[str, Any]:
    """Providers in the register, 50 per page. The team sees the whole region (with evidence problem counts),
    a provider only itself, municipalities and referrers the active and suspended providers (public fields)."""
    full = views.full_view(principal)
    params = {"q": q, "status": status, "profile": profile, "municipality": municipality, "evidence": evidence,
              "page": page_nr}  # fmt: skip
    filters = parse_filter_strict(params, public=not full)
    result = await register_contacts(db, principal, filters, today=today(), public=not full, now=utcnow())
    return {"items": [r.as_json(full=full) for r in result.rows], "total": result.total, "page": filters.page,
            "per_page": PER_PAGE}  # fmt: skip


@get("/api/v1/providers/{provider_id:int}", guards=[requires_any_register_role], tags=["register"])
async def api_provider(db: AsyncSession, principal: Principal, provider_id: int) -> dict[str, Any]:
    """One provider (404 when not visible). The team and the provider itself also get address and contact."""
    return await views.provider_json(db, principal, provider_id, today=today(), now=utcnow())


@get("/api/v1/contracts", guards=[requires_team_or_provider], tags=["register"])
async def api_contracts(
    db: AsyncSession,
    principal: Principal,
    status: str = "",
    provider_id: Annotated[int | None, Parameter(ge=1)] = None,
    page_nr: Annotated[int, Parameter(query="page", ge=1)] = 1,
) -> dict[str, Any]:
    """Framework contracts: the team's whole region, a provider only its own. No volume or revenue guarantee."""
    if status and status not in ("active", "suspended", "terminated"):
        raise ValidationFailed.single("status", "Kies active, suspended of terminated.")
    items = await views.list_contracts(db, principal, status=status, provider_id=provider_id, limit=PER_PAGE,
                                       offset=(page_nr - 1) * PER_PAGE)  # fmt: skip
    return {"items": items, "page": page_nr, "per_page": PER_PAGE}


@get("/api/v1/contracts/{contract_id:int}", guards=[requires_team_or_provider], tags=["register"])
async def api_contract(db: AsyncSession, principal: Principal, contract_id: int) -> dict[str, Any]:
    """One framework contract with its lots and versions (404 when not visible)."""
    return (await views.contract_detail(db, principal, contract_id)).as_json()


@dataclass
class StatusChangeIn:
    """Suspend, resume or terminate: the reason (required) and the date it takes effect (YYYY-MM-DD)."""

    reason: str = ""
    effective_on: Annotated[str, Parameter(description="ISO date, YYYY-MM-DD; not before the contract start")] = ""


@dataclass
class AmendmentIn:
    """A new contract version: reason and date (required), new lots (care profile ids) and/or a new end date."""

    reason: str = ""
    effective_on: Annotated[str, Parameter(description="ISO date, YYYY-MM-DD")] = ""
    profile_ids: list[int] | None = None
    ends_on: Annotated[str, Parameter(description="ISO date, YYYY-MM-DD; empty keeps the end date")] = ""


async def _api_action(
    db: AsyncSession, principal: Principal, contract_id: int, action: str, data: StatusChangeIn | AmendmentIn
) -> dict[str, Any]:
    await apply_contract_action(db, contract_id, action, asdict(data), actor=principal.actor(), now=utcnow())
    return (await views.contract_detail(db, principal, contract_id)).as_json()


@post("/api/v1/contracts/{contract_id:int}/suspend", guards=[requires_team_contracts], tags=["register"],
      status_code=200)  # fmt: skip
async def api_suspend(db: AsyncSession, principal: Principal, contract_id: int, data: StatusChangeIn) -> dict[str, Any]:
    """Suspend the contract; the provider's status becomes suspended. 409 when not active."""
    return await _api_action(db, principal, contract_id, "suspend", data)


@post("/api/v1/contracts/{contract_id:int}/resume", guards=[requires_team_contracts], tags=["register"],
      status_code=200)  # fmt: skip
async def api_resume(db: AsyncSession, principal: Principal, contract_id: int, data: StatusChangeIn) -> dict[str, Any]:
    """Resume a suspended contract; the provider is active again. 409 when not suspended."""
    return await _api_action(db, principal, contract_id, "resume", data)


@post("/api/v1/contracts/{contract_id:int}/terminate", guards=[requires_team_contracts], tags=["register"],
      status_code=200)  # fmt: skip
async def api_terminate(
    db: AsyncSession, principal: Principal, contract_id: int, data: StatusChangeIn
) -> dict[str, Any]:
    """Terminate the contract (not before its start); the provider's status becomes ended."""
    return await _api_action(db, principal, contract_id, "terminate", data)


@post("/api/v1/contracts/{contract_id:int}/amend", guards=[requires_team_contracts], tags=["register"],
      status_code=200)  # fmt: skip
async def api_amend(db: AsyncSession, principal: Principal, contract_id: int, data: AmendmentIn) -> dict[str, Any]:
    """Amend the contract: a new version with its reason and PDF; lots and/or end date change."""
    return await _api_action(db, principal, contract_id, "amend", data)


@get("/api/v1/evidence", guards=[requires_team_or_provider], tags=["register"])
async def api_evidence(
    db: AsyncSession,
    principal: Principal,
    provider_id: Annotated[int | None, Parameter(ge=1)] = None,
    state_filter: Annotated[
        str, Parameter(query="state", description="valid | expiring | expired | missing | optional")
    ] = "",
) -> dict[str, Any]:
    """The evidence vault per requirement with its state. A provider sees only its own vault."""
    items = await vault.vaults_visible_to(db, principal, today=today(), provider_id=provider_id, state=state_filter)
    return {"items": items}


@dataclass
class EvidenceUploadIn:
    """Multipart: the requirement, the file (PDF, PNG or JPEG, at most 10 MB) and optionally its end date
    (default: today plus the requirement's validity)."""

    requirement_id: str = ""
    valid_until: Annotated[str, Parameter(description="ISO date, YYYY-MM-DD; not in the past")] = ""
    file: UploadFile | None = None


@post("/api/v1/evidence", guards=[requires_provider], tags=["register"], request_max_body_size=UPLOAD_LIMIT)
async def api_evidence_upload(
    db: AsyncSession, principal: Principal,
    data: Annotated[EvidenceUploadIn, Body(media_type=RequestEncodingType.MULTI_PART, schema_component_key=UPLOAD_KEY)],
) -> dict[str, Any]:  # fmt: skip
    """Upload new evidence for one requirement; the previous evidence for it is superseded. 201 on success."""
    content = await data.file.read() if data.file is not None else None
    row = await vault.upload_provider_evidence(
        db, principal, requirement_id=data.requirement_id, valid_until=data.valid_until, content=content,
        original_name=data.file.filename if data.file is not None else "", now=utcnow(),
    )  # fmt: skip
    return {"id": row.id, "requirement_id": row.requirement_id, "provider_id": row.provider_id,
            "valid_until": row.valid_until.isoformat() if row.valid_until else None,
            "uploaded_at": row.uploaded_at.isoformat()}  # fmt: skip


ROUTES: list[Any] = [
    api_providers, api_provider, api_contracts, api_contract, api_suspend, api_resume, api_terminate, api_amend,
    api_evidence, api_evidence_upload,
]  # fmt: skip
