"""Pages of the shared base: home, login/logout, API tokens, the audit trail and the outbox."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.enums import RequestEncodingType
from litestar.params import Body
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from jeugdregio import audit, auth
from jeugdregio.auth import SESSION_COOKIE, Principal
from jeugdregio.clock import AMSTERDAM, today, utcnow
from jeugdregio.errors import ValidationFailed
from jeugdregio.settings import get_settings
from jeugdregio.tables import AuditEvent, OutboxMessage
from jeugdregio.web import client_ip, page, redirect, requires_login, requires_roles, requires_team

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]

HOME_FOR_ROLE = {
    "provider": "/portaal",
    "applicant": "/mijn-aanmelding",
    "municipality": "/gemeente/dashboard",
    "referrer": "/verwijzer",
}


def home_for(principal: Principal) -> str:
    return "/team" if principal.is_team else HOME_FOR_ROLE.get(principal.role, "/")


@get("/", include_in_schema=False)
async def home(request: Request[Any, Any, Any]) -> Response[str]:
    return page(request, "jeugdregio/home.html")


@get("/inloggen", include_in_schema=False)
async def login_form(request: Request[Any, Any, Any], volgende: str = "") -> Response[str]:
    return page(request, "jeugdregio/login.html", volgende=_safe_next(volgende))


def _safe_next(value: str) -> str:
    """Only local paths: never an open redirect."""
    return value if value.startswith("/") and not value.startswith("//") and "\\" not in value else ""


@post("/inloggen", include_in_schema=False)
async def login_submit(request: Request[Any, Any, Any], db: AsyncSession, data: Form) -> Response[Any]:
    settings = get_settings()
    email = str(data.get("email", ""))
    try:
        cookie, principal = await auth.login(
            db, settings, email=email, password=str(data.get("password", "")),
            ip=client_ip(request.scope), now=utcnow(), request_id=request.scope["state"].get("request_id", ""),
        )  # fmt: skip
    except ValidationFailed as exc:
        await db.commit()  # keep the failed attempt: it counts towards the rate limit
        return page(
            request, "jeugdregio/login.html", status_code=422, errors=exc.by_field(),
            form={"email": email}, volgende=_safe_next(str(data.get("volgende", ""))),
        )  # fmt: skip
    target = _safe_next(str(data.get("volgende", ""))) or home_for(principal)
    response = redirect(target)
    response.set_cookie(_session_cookie(cookie, settings.session_hours))
    return response


def _session_cookie(value: str, hours: int) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE, value=value, httponly=True, secure=get_settings().cookie_secure,
        samesite="lax", path="/", max_age=hours * 3600,
    )  # fmt: skip


@post("/uitloggen", include_in_schema=False)
async def logout(request: Request[Any, Any, Any], db: AsyncSession) -> Response[Any]:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        await auth.logout(db, cookie, now=utcnow())
    response = redirect("/", "U bent uitgelogd.")
    response.delete_cookie(SESSION_COOKIE)
    return response


@get("/tokens", guards=[requires_roles("provider", "team_admin")], include_in_schema=False)
async def tokens_page(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Response[str]:
    tokens = await auth.list_api_tokens(db, principal)
    return page(request, "jeugdregio/tokens.html", tokens=tokens, new_token=None)


@post("/tokens", guards=[requires_roles("provider", "team_admin")], include_in_schema=False)
async def tokens_create(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, data: Form
) -> Response[str]:
    try:
        token, _row = await auth.create_api_token(db, principal, name=str(data.get("name", "")), now=utcnow())
    except ValidationFailed as exc:
        await db.rollback()
        tokens = await auth.list_api_tokens(db, principal)
        return page(request, "jeugdregio/tokens.html", status_code=422, tokens=tokens, new_token=None,
                    errors=exc.by_field(), form=data)  # fmt: skip
    tokens = await auth.list_api_tokens(db, principal)
    # shown once; only its hash is stored
    return page(request, "jeugdregio/tokens.html", tokens=tokens, new_token=token)


@post("/tokens/{token_id:int}/intrekken", guards=[requires_roles("provider", "team_admin")], include_in_schema=False)
async def tokens_revoke(db: AsyncSession, principal: Principal, token_id: int) -> Response[Any]:
    await auth.revoke_api_token(db, principal, token_id, now=utcnow())
    return redirect("/tokens", "Het token is ingetrokken.")


@get("/team/audit", guards=[requires_roles("team_admin", "team_quality", "team_contracts")], include_in_schema=False)
async def audit_page(
    request: Request[Any, Any, Any],
    db: AsyncSession,
    principal: Principal,
    object_type: str = "",
    object_id: str = "",
    actie: str = "",
    actor: str = "",
    van: str = "",
    tot: str = "",
    page_nr: int = 1,
) -> Response[str]:
    q = select(AuditEvent).where(AuditEvent.region_id == principal.region_id)
    if object_type:
        q = q.where(AuditEvent.object_type == object_type)
    if object_id:
        q = q.where(AuditEvent.object_id == object_id)
    if actie:
        q = q.where(AuditEvent.action == actie)
    if actor:
        q = q.where(AuditEvent.actor_label.ilike(f"%{actor}%"))  # type: ignore[attr-defined]
    errors: dict[str, str] = {}
    for name, value, op in (("van", van, ">="), ("tot", tot, "<")):
        if not value:
            continue
        try:
            day = datetime.fromisoformat(value).replace(tzinfo=AMSTERDAM)
        except ValueError:
            errors[name] = "Gebruik een datum als 2026-01-31."
            continue
        if op == ">=":
            q = q.where(AuditEvent.at >= day)
        else:
            q = q.where(AuditEvent.at < day + timedelta(days=1))
    page_nr = max(1, page_nr)
    rows = (
        await db.execute(q.order_by(AuditEvent.id.desc()).offset((page_nr - 1) * 100).limit(101))  # type: ignore[union-attr]
    ).scalars().all()
    return page(
        request, "jeugdregio/audit.html", events=rows[:100], has_more=len(rows) > 100, page_nr=page_nr,
        form={"object_type": object_type, "object_id": object_id, "actie": actie, "actor": actor,
              "van": van, "tot": tot},
        errors=errors,
    )  # fmt: skip


@get("/team/outbox", guards=[requires_team], include_in_schema=False)
async def outbox_page(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Response[str]:
    rows = (
        await db.execute(
            select(OutboxMessage)
            .where(OutboxMessage.region_id == principal.region_id)
            .order_by(OutboxMessage.id.desc())  # type: ignore[union-attr]
            .limit(200)
        )
    ).scalars().all()
    # the queue shows contact persons' addresses and names: one audited read per view of the list
    await audit.record_read(
        db, principal.actor(on_behalf_of=f"regioteam {principal.region_id}"), object_type="outbox_message",
        object_id="lijst", purpose="controle uitgaande post", now=utcnow(), summary={"aantal": len(rows)},
    )  # fmt: skip
    return page(request, "jeugdregio/outbox.html", messages=rows)


@get("/team", guards=[requires_team], include_in_schema=False)
async def team_home(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Response[str]:
    from contracts.public import team_overview

    overview = await team_overview(db, principal.region_id, today=today())
    pending = (
        await db.execute(
            select(func.count()).where(
                OutboxMessage.region_id == principal.region_id, OutboxMessage.sent_at.is_(None)  # type: ignore[union-attr]
            )
        )
    ).scalar_one()
    return page(request, "jeugdregio/team_home.html", overview=overview, pending_mail=pending)


@get("/account", guards=[requires_login], include_in_schema=False)
async def account(request: Request[Any, Any, Any]) -> Response[str]:
    return page(request, "jeugdregio/account.html")


@get("/api/v1/me", guards=[requires_login], tags=["account"])
async def api_me(principal: Principal) -> dict[str, Any]:
    """Who this token belongs to: user, role, region and the organisation it is bound to."""
    return {
        "user_id": principal.user_id, "name": principal.name, "email": principal.email, "role": principal.role,
        "region_id": principal.region_id, "municipality_id": principal.municipality_id,
        "provider_id": principal.provider_id, "application_id": principal.application_id,
    }  # fmt: skip


ROUTES = [api_me, home, login_form, login_submit, logout, tokens_page, tokens_create, tokens_revoke, audit_page,
          outbox_page, team_home, account]  # fmt: skip
