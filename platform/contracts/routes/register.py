"""Register pages (providers, framework contracts, evidence vault, overview, exports, provider portal); the JSON
API is in `register_api`.

Thin handlers: parse the input (only the listed fields), call one service, render or redirect. Row scoping
lives in contracts.queries; the services raise NotFound for anything the principal may not see."""

from __future__ import annotations

import re
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.routes.common import UPLOAD_LIMIT, Form, Multipart, attachment, document_download
from contracts.services import evidence as vault
from contracts.services import register_views as views
from contracts.services.contract_lifecycle import apply_contract_action
from contracts.services.exports import (
    EVIDENCE_FILTERS,
    RegisterPage,
    filter_options,
    parse_filter,
    parse_filter_strict,
    register_contacts,
    register_rows,
    to_csv,
    to_xlsx,
)
from jeugdregio.auth import Principal
from jeugdregio.clock import today, utcnow
from jeugdregio.errors import NotFound, ValidationFailed
from jeugdregio.tables import TEAM_ROLES
from jeugdregio.web import (
    page,
    redirect,
    requires_login,
    requires_provider,
    requires_roles,
    requires_team,
    requires_team_contracts,
)

requires_register_reader = requires_roles(*TEAM_ROLES, "municipality", "referrer")
PDF_NAME = re.compile(r"^([1-9][0-9]{0,5})\.pdf$")
FLASH = {
    "suspend": "De overeenkomst is geschorst.",
    "resume": "De overeenkomst is hervat.",
    "terminate": "De overeenkomst is beëindigd. Verplaats de cliënten van deze aanbieder.",
    "amend": "De overeenkomst is gewijzigd; er is een nieuwe versie opgesteld.",
}


def _version(filename: str) -> int:
    match = PDF_NAME.match(filename)
    if match is None:
        raise NotFound()
    return int(match.group(1))


# ---- team: the register overview and its exports ----------------------------------------------------------


async def _register_page(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, template: str, *, public: bool,
    **context: Any,
) -> Response[str]:  # fmt: skip
    """The overview or the read-only register; invalid filters are reported (422) and left out."""
    filters, errors = parse_filter(request.query_params, public=public)
    if public:  # the read-only register shows contact e-mail addresses: an audited list view
        result = await register_contacts(db, principal, filters, today=today(), public=True, now=utcnow())
    else:
        result = await register_rows(db, principal, filters, today=today(), public=False)
    return page(
        request, template, status_code=422 if errors else 200, result=result,
        options=await filter_options(db, principal.region_id), errors={e.field: e.message for e in errors},
        form=filters.as_form(), filters=filters, **context,
    )  # fmt: skip


async def _export_rows(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> RegisterPage:
    """Every row the filters select (no pages); invalid filters: 422."""
    filters = parse_filter_strict(request.query_params)
    return await register_rows(db, principal, filters, today=today(), paginate=False)


@get("/team/register", guards=[requires_team], include_in_schema=False)
async def register_overview(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Response[str]:
    return await _register_page(
        request, db, principal, "contracts/register_overview.html", public=False, evidence_filters=EVIDENCE_FILTERS
    )


@get("/team/register.csv", guards=[requires_team], include_in_schema=False)
async def register_csv(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Response[bytes]:
    result = await _export_rows(request, db, principal)
    return attachment(to_csv(result.rows), "text/csv; charset=utf-8", f"register-{today():%Y-%m-%d}.csv")


@get("/team/register.xlsx", guards=[requires_team], include_in_schema=False)
async def register_xlsx(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Response[bytes]:
    result = await _export_rows(request, db, principal)
    return attachment(
        to_xlsx(result.rows), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"register-{today():%Y-%m-%d}.xlsx",
    )  # fmt: skip


# ---- team: one provider, its contract and the contract actions --------------------------------------------


async def _provider_page(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, provider_id: int, *,
    status_code: int = 200, errors: dict[str, str] | None = None, form: dict[str, Any] | None = None,
    active_form: str = "",
) -> Response[str]:  # fmt: skip
    detail = await views.provider_detail(db, principal, provider_id, now=utcnow(), with_history=True)
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
    doc = await views.contract_version_document(db, principal, contract_id, _version(filename), now=utcnow())
    return document_download(doc)


async def _contract_action(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, contract_id: int, action: str,
    data: dict[str, Any],
) -> Response[Any]:  # fmt: skip
    provider_id = await views.contract_provider_id(db, principal, contract_id)
    if action == "amend":
        data.setdefault("profile_ids", [])  # the form always sends its lots: none ticked means none
    try:
        await apply_contract_action(db, contract_id, action, data, actor=principal.actor(), now=utcnow())
    except ValidationFailed as exc:
        await db.rollback()
        return await _provider_page(request, db, principal, provider_id, status_code=422, errors=exc.by_field(),
                                    form=data, active_form=action)  # fmt: skip
    return redirect(f"/team/aanbieders/{provider_id}", FLASH[action])


ACTION_SLUGS = {"schorsen": "suspend", "hervatten": "resume", "beeindigen": "terminate", "wijzigen": "amend"}


@post("/team/contracten/{contract_id:int}/{slug:str}", guards=[requires_team_contracts], include_in_schema=False)
async def contract_action(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, contract_id: int, slug: str, data: Form
) -> Response[Any]:
    """Schorsen, hervatten, beëindigen or wijzigen (one form each on the provider page); other slugs are 404."""
    action = ACTION_SLUGS.get(slug)
    if action is None:
        raise NotFound()
    return await _contract_action(request, db, principal, contract_id, action, dict(data))


@get("/documenten/evidence/{evidence_id:int}", guards=[requires_login], include_in_schema=False)
async def evidence_download(db: AsyncSession, principal: Principal, evidence_id: int) -> Response[bytes]:
    """An evidence file: the team, the provider itself or the applicant of its own application (404 otherwise)."""
    return document_download(await vault.evidence_document(db, principal, evidence_id, now=utcnow()))


# ---- the provider portal ---------------------------------------------------------------------------------


def _own_provider(principal: Principal) -> int:
    if principal.provider_id is None:
        raise NotFound()
    return principal.provider_id


async def _portal_page(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, *, status_code: int = 200,
    errors: dict[str, str] | None = None, form: dict[str, Any] | None = None,
) -> Response[str]:  # fmt: skip
    detail = await views.provider_detail(db, principal, _own_provider(principal), now=utcnow())
    return page(
        request, "contracts/portal_home.html", status_code=status_code, detail=detail, today=today(),
        vault=await vault.provider_vault(db, detail.provider, today=today()), errors=errors or {}, form=form or {},
    )  # fmt: skip


@get("/portaal", guards=[requires_provider], include_in_schema=False)
async def portal(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Response[str]:
    return await _portal_page(request, db, principal)


@get("/portaal/contract/versies/{filename:str}", guards=[requires_provider], include_in_schema=False)
async def portal_contract_pdf(db: AsyncSession, principal: Principal, filename: str) -> Response[bytes]:
    detail = await views.provider_detail(db, principal, _own_provider(principal), now=utcnow())
    if detail.contract is None:
        raise NotFound()
    version = _version(filename)
    doc = await views.contract_version_document(db, principal, detail.contract.contract.id, version, now=utcnow())
    return document_download(doc)


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
    return await _register_page(request, db, principal, "contracts/register_public.html", public=True)


ROUTES: list[Any] = [
    register_overview, register_csv, register_xlsx, provider_page, team_contract_pdf, contract_action,
    evidence_download, portal, portal_contract_pdf,
    portal_upload, public_register,
]  # fmt: skip
