"""Register pages and API (providers, framework contracts, evidence vault, overview, exports, provider portal).

Thin handlers: parse the input (only the listed fields), call one service, render or redirect. Row scoping
lives in contracts.queries; the services raise NotFound for anything the principal may not see."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.services import evidence as vault
from contracts.services import register as reg
from contracts.services.exports import (
    EVIDENCE_FILTERS,
    PER_PAGE,
    filter_options,
    parse_filter,
    parse_filter_strict,
    register_rows,
    to_csv,
    to_xlsx,
)
from jeugdregio.auth import Principal
from jeugdregio.clock import today, utcnow
from jeugdregio.errors import NotFound, ValidationFailed
from jeugdregio.tables import TEAM_ROLES, Document
from jeugdregio.web import (
    page,
    redirect,
    requires_login,
    requires_provider,
    requires_roles,
    requires_team,
    requires_team_contracts,
)

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
Multipart = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
UPLOAD_LIMIT = 10 * 1024 * 1024 + 64 * 1024  # a 10 MB file plus the form around it; larger bodies: 413 unread
requires_register_reader = requires_roles(*TEAM_ROLES, "municipality", "referrer")
requires_team_or_provider = requires_roles(*TEAM_ROLES, "provider")
requires_any_register_role = requires_roles(*TEAM_ROLES, "municipality", "referrer", "provider")
PDF_NAME = re.compile(r"^([1-9][0-9]{0,5})\.pdf$")
FLASH = {
    "suspend": "De overeenkomst is geschorst.",
    "resume": "De overeenkomst is hervat.",
    "terminate": "De overeenkomst is beëindigd. Verplaats de cliënten van deze aanbieder.",
    "amend": "De overeenkomst is gewijzigd; er is een nieuwe versie opgesteld.",
}


def _file(doc: Document) -> Response[bytes]:
    return Response(
        doc.content, media_type=doc.content_type,
        headers={"content-disposition": f'attachment; filename="{doc.filename}"'},
    )  # fmt: skip


def _download(content: bytes, media_type: str, filename: str) -> Response[bytes]:
    return Response(content, media_type=media_type,
                    headers={"content-disposition": f'attachment; filename="{filename}"'})  # fmt: skip


def _version(filename: str) -> int:
    match = PDF_NAME.match(filename)
    if match is None:
        raise NotFound()
    return int(match.group(1))


# ---- team: the register overview and its exports ----------------------------------------------------------


@get("/team/register", guards=[requires_team], include_in_schema=False)
async def register_overview(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Response[str]:
    filters, errors = parse_filter(request.query_params)
    result = await register_rows(db, principal, filters, today=today())
    return page(
        request, "contracts/register_overview.html", status_code=422 if errors else 200, result=result,
        options=await filter_options(db, principal.region_id), evidence_filters=EVIDENCE_FILTERS,
        errors={e.field: e.message for e in errors}, form=filters.as_form(), filters=filters,
    )  # fmt: skip


@get("/team/register.csv", guards=[requires_team], include_in_schema=False)
async def register_csv(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Response[bytes]:
    filters = parse_filter_strict(request.query_params)
    result = await register_rows(db, principal, filters, today=today(), paginate=False)
    return _download(to_csv(result.rows), "text/csv; charset=utf-8", f"register-{today():%Y-%m-%d}.csv")


@get("/team/register.xlsx", guards=[requires_team], include_in_schema=False)
async def register_xlsx(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Response[bytes]:
    filters = parse_filter_strict(request.query_params)
    result = await register_rows(db, principal, filters, today=today(), paginate=False)
    return _download(
        to_xlsx(result.rows), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"register-{today():%Y-%m-%d}.xlsx",
    )  # fmt: skip


# ---- team: one provider, its contract and the contract actions --------------------------------------------


async def _provider_page(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, provider_id: int, *,
    status_code: int = 200, errors: dict[str, str] | None = None, form: dict[str, Any] | None = None,
    active_form: str = "",
) -> Response[str]:  # fmt: skip
    detail = await reg.provider_detail(db, principal, provider_id, with_history=True)
    return page(
        request, "contracts/provider_detail.html", status_code=status_code, detail=detail,
        vault=await vault.provider_vault(db, detail.provider, today=today()),
        profiles=(await filter_options(db, principal.region_id)).profiles, today=today(),
        may_act=principal.role in ("team_admin", "team_contracts"), errors=errors or {}, form=form or {},
        active_form=active_form,
    )  # fmt: skip


@get("/team/aanbieders/{provider_id:int}", guards=[requires_team], include_in_schema=False)
async def provider_page(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, provider_id: int
) -> Response[str]:
    return await _provider_page(request, db, principal, provider_id)


@get("/team/contracten/{contract_id:int}/versies/{filename:str}", guards=[requires_team], include_in_schema=False)
async def team_contract_pdf(db: AsyncSession, principal: Principal, contract_id: int, filename: str) -> Response[bytes]:
    return _file(await reg.contract_version_document(db, principal, contract_id, _version(filename)))


async def _contract_action(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, contract_id: int, action: str,
    data: dict[str, Any],
) -> Response[Any]:  # fmt: skip
    provider_id = await reg.contract_provider_id(db, principal, contract_id)
    now, actor = utcnow(), principal.actor()
    try:
        if action == "amend":
            data.setdefault("profile_ids", [])  # the form always sends its lots: none ticked means none
            a = reg.parse_amendment(data)
            await reg.amend_contract(db, contract_id, reason=a.reason, on=a.on, profile_ids=a.profile_ids,
                                     ends_on=a.ends_on, actor=actor, now=now)  # fmt: skip
        else:
            c = reg.parse_status_change(data)
            change = {"suspend": reg.suspend_contract, "resume": reg.resume_contract,
                      "terminate": reg.terminate_contract}[action]  # fmt: skip
            await change(db, contract_id, reason=c.reason, on=c.on, actor=actor, now=now)
    except ValidationFailed as exc:
        await db.rollback()
        return await _provider_page(request, db, principal, provider_id, status_code=422, errors=exc.by_field(),
                                    form=data, active_form=action)  # fmt: skip
    return redirect(f"/team/aanbieders/{provider_id}", FLASH[action])


@post("/team/contracten/{contract_id:int}/schorsen", guards=[requires_team_contracts], include_in_schema=False)
async def contract_suspend(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, contract_id: int, data: Form
) -> Response[Any]:
    return await _contract_action(request, db, principal, contract_id, "suspend", dict(data))


@post("/team/contracten/{contract_id:int}/hervatten", guards=[requires_team_contracts], include_in_schema=False)
async def contract_resume(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, contract_id: int, data: Form
) -> Response[Any]:
    return await _contract_action(request, db, principal, contract_id, "resume", dict(data))


@post("/team/contracten/{contract_id:int}/beeindigen", guards=[requires_team_contracts], include_in_schema=False)
async def contract_terminate(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, contract_id: int, data: Form
) -> Response[Any]:
    return await _contract_action(request, db, principal, contract_id, "terminate", dict(data))


@post("/team/contracten/{contract_id:int}/wijzigen", guards=[requires_team_contracts], include_in_schema=False)
async def contract_amend(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, contract_id: int, data: Form
) -> Response[Any]:
    return await _contract_action(request, db, principal, contract_id, "amend", dict(data))


@get("/documenten/evidence/{evidence_id:int}", guards=[requires_login], include_in_schema=False)
async def evidence_download(db: AsyncSession, principal: Principal, evidence_id: int) -> Response[bytes]:
    """An evidence file: the team, the provider itself or the applicant of its own application (404 otherwise)."""
    return _file(await vault.evidence_document(db, principal, evidence_id))


# ---- the provider portal ---------------------------------------------------------------------------------


def _own_provider(principal: Principal) -> int:
    if principal.provider_id is None:
        raise NotFound()
    return principal.provider_id


async def _portal_page(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, *, status_code: int = 200,
    errors: dict[str, str] | None = None, form: dict[str, Any] | None = None,
) -> Response[str]:  # fmt: skip
    detail = await reg.provider_detail(db, principal, _own_provider(principal))
    return page(
        request, "contracts/portal_home.html", status_code=status_code, detail=detail, today=today(),
        vault=await vault.provider_vault(db, detail.provider, today=today()), errors=errors or {}, form=form or {},
    )  # fmt: skip


@get("/portaal", guards=[requires_provider], include_in_schema=False)
async def portal(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Response[str]:
    return await _portal_page(request, db, principal)


@get("/portaal/contract/versies/{filename:str}", guards=[requires_provider], include_in_schema=False)
async def portal_contract_pdf(db: AsyncSession, principal: Principal, filename: str) -> Response[bytes]:
    detail = await reg.provider_detail(db, principal, _own_provider(principal))
    if detail.contract is None:
        raise NotFound()
    return _file(await reg.contract_version_document(db, principal, detail.contract.contract.id, _version(filename)))


@post("/portaal/bewijs", guards=[requires_provider], request_max_body_size=UPLOAD_LIMIT, include_in_schema=False)
async def portal_upload(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, data: Multipart
) -> Response[Any]:
    upload = data.get("file")
    content = await upload.read() if isinstance(upload, UploadFile) else None
    try:
        await vault.upload_provider_evidence(
            db, principal, requirement_id=data.get("requirement_id"), valid_until=data.get("valid_until"),
            content=content, original_name=upload.filename if isinstance(upload, UploadFile) else "", now=utcnow(),
        )  # fmt: skip
    except ValidationFailed as exc:
        await db.rollback()
        form = {k: v for k, v in data.items() if isinstance(v, str)}
        return await _portal_page(request, db, principal, status_code=422, errors=exc.by_field(), form=form)
    return redirect("/portaal#bewijs", "Het bewijsstuk is opgeslagen. Het vorige bewijs voor deze eis is vervangen.")


# ---- the read-only register (municipalities, referrers, the team) ------------------------------------------


@get("/register", guards=[requires_register_reader], include_in_schema=False)
async def public_register(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Response[str]:
    filters, errors = parse_filter(request.query_params, public=True)
    result = await register_rows(db, principal, filters, today=today(), public=True)
    return page(
        request, "contracts/register_public.html", status_code=422 if errors else 200, result=result,
        options=await filter_options(db, principal.region_id), errors={e.field: e.message for e in errors},
        form=filters.as_form(), filters=filters,
    )  # fmt: skip


# ---- JSON API ------------------------------------------------------------------------------------------


def _full_view(principal: Principal) -> bool:
    """The team and the provider itself see KvK/AGB, contract and evidence counts; others the public view."""
    return principal.is_team or principal.role == "provider"


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
    full = _full_view(principal)
    params = {"q": q, "status": status, "profile": profile, "municipality": municipality, "evidence": evidence,
              "page": page_nr}  # fmt: skip
    filters = parse_filter_strict(params, public=not full)
    result = await register_rows(db, principal, filters, today=today(), public=not full)
    return {"items": [r.as_json(full=full) for r in result.rows], "total": result.total, "page": filters.page,
            "per_page": PER_PAGE}  # fmt: skip


@get("/api/v1/providers/{provider_id:int}", guards=[requires_any_register_role], tags=["register"])
async def api_provider(db: AsyncSession, principal: Principal, provider_id: int) -> dict[str, Any]:
    """One provider (404 when not visible). The team and the provider itself also get address and contact."""
    full = _full_view(principal)
    result = await register_rows(db, principal, parse_filter_strict({}), today=today(), public=not full,
                                 provider_id=provider_id)  # fmt: skip
    if not result.rows:
        raise NotFound()
    out = result.rows[0].as_json(full=full)
    if full:
        p = await reg.get_provider(db, principal, provider_id)
        out.update(street=p.street, postcode=p.postcode, contact_name=p.contact_name, contact_phone=p.contact_phone,
                   admitted_on=p.admitted_on.isoformat())  # fmt: skip
    return out


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
    items = await reg.list_contracts(db, principal, status=status, provider_id=provider_id, limit=PER_PAGE,
                                     offset=(page_nr - 1) * PER_PAGE)  # fmt: skip
    return {"items": items, "page": page_nr, "per_page": PER_PAGE}


@get("/api/v1/contracts/{contract_id:int}", guards=[requires_team_or_provider], tags=["register"])
async def api_contract(db: AsyncSession, principal: Principal, contract_id: int) -> dict[str, Any]:
    """One framework contract with its lots and versions (404 when not visible)."""
    return (await reg.contract_detail(db, principal, contract_id)).as_json()


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


async def _api_status(
    db: AsyncSession, principal: Principal, contract_id: int, action: str, data: StatusChangeIn
) -> dict[str, Any]:
    change = reg.parse_status_change(asdict(data))
    service = {"suspend": reg.suspend_contract, "resume": reg.resume_contract,
               "terminate": reg.terminate_contract}[action]  # fmt: skip
    await service(db, contract_id, reason=change.reason, on=change.on, actor=principal.actor(), now=utcnow())
    return (await reg.contract_detail(db, principal, contract_id)).as_json()


@post("/api/v1/contracts/{contract_id:int}/suspend", guards=[requires_team_contracts], tags=["register"],
      status_code=200)  # fmt: skip
async def api_suspend(db: AsyncSession, principal: Principal, contract_id: int, data: StatusChangeIn) -> dict[str, Any]:
    """Suspend the contract; the provider's status becomes suspended. 409 when not active."""
    return await _api_status(db, principal, contract_id, "suspend", data)


@post("/api/v1/contracts/{contract_id:int}/resume", guards=[requires_team_contracts], tags=["register"],
      status_code=200)  # fmt: skip
async def api_resume(db: AsyncSession, principal: Principal, contract_id: int, data: StatusChangeIn) -> dict[str, Any]:
    """Resume a suspended contract; the provider is active again. 409 when not suspended."""
    return await _api_status(db, principal, contract_id, "resume", data)


@post("/api/v1/contracts/{contract_id:int}/terminate", guards=[requires_team_contracts], tags=["register"],
      status_code=200)  # fmt: skip
async def api_terminate(
    db: AsyncSession, principal: Principal, contract_id: int, data: StatusChangeIn
) -> dict[str, Any]:
    """Terminate the contract (not before its start); the provider's status becomes ended."""
    return await _api_status(db, principal, contract_id, "terminate", data)


@post("/api/v1/contracts/{contract_id:int}/amend", guards=[requires_team_contracts], tags=["register"],
      status_code=200)  # fmt: skip
async def api_amend(db: AsyncSession, principal: Principal, contract_id: int, data: AmendmentIn) -> dict[str, Any]:
    """Amend the contract: a new version with its reason and PDF; lots and/or end date change."""
    a = reg.parse_amendment(asdict(data))
    await reg.amend_contract(db, contract_id, reason=a.reason, on=a.on, profile_ids=a.profile_ids, ends_on=a.ends_on,
                             actor=principal.actor(), now=utcnow())  # fmt: skip
    return (await reg.contract_detail(db, principal, contract_id)).as_json()


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
    data: Annotated[EvidenceUploadIn, Body(media_type=RequestEncodingType.MULTI_PART)],
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
    register_overview, register_csv, register_xlsx, provider_page, team_contract_pdf, contract_suspend,
    contract_resume, contract_terminate, contract_amend, evidence_download, portal, portal_contract_pdf,
    portal_upload, public_register, api_providers, api_provider, api_contracts, api_contract, api_suspend,
    api_resume, api_terminate, api_amend, api_evidence, api_evidence_upload,
]  # fmt: skip
