"""Contract conversations: schedules, packs, notes and actions.

Team (team_admin, team_contracts, team_quality): /team/contractgesprekken (schedule with filters),
/team/contractgesprekken/{conversation_id} (pack download, notes, actions). Provider: /portaal/contractgesprekken
(its own, read-only, plus the status of the actions it owns). Row scoping: quality.services.conversations;
another region's or provider's conversation → 404."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from sqlalchemy.ext.asyncio import AsyncSession

from jeugdregio.auth import Principal
from jeugdregio.clock import utcnow
from jeugdregio.errors import ValidationFailed
from jeugdregio.web import page, redirect, requires_provider, requires_roles
from quality.services import conversation_settings as settings_svc
from quality.services import conversations as svc
from quality.services.conversation_pack import conversation_pack

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
requires_conversation_team = requires_roles(*svc.TEAM_CONVERSATION_ROLES)
requires_conversation_planner = requires_roles("team_admin", "team_contracts")
LABELS = {
    "frequencies": svc.FREQUENCY_LABELS, "statuses": svc.STATUS_LABELS,
    "action_statuses": svc.ACTION_STATUS_LABELS, "owners": svc.OWNER_LABELS,
}  # fmt: skip


def _str(data: dict[str, Any], key: str) -> str:
    value = data.get(key, "")
    return value if isinstance(value, str) else ""


# ---- team ----------------------------------------------------------------------------------------------------


async def _list_page(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, *,
    settings_errors: dict[str, str] | None = None, settings_form: dict[str, Any] | None = None,
) -> Response[str]:  # fmt: skip
    filters, errors = svc.parse_filters(request.query_params)
    rows = await svc.list_conversations(db, principal, filters)
    settings = await settings_svc.settings_of(db, principal.region_id)
    current = {
        "hoogcomplex": settings.high_complex, "overig": settings.other,
        "dagen_na_periode": str(settings.plan_days_after_period), "weken_vroeg": str(settings.early_closure_weeks),
    }  # fmt: skip
    return page(
        request, "quality/conversation_list.html", status_code=422 if errors or settings_errors else 200, rows=rows,
        errors=errors, form=filters.as_form(), providers=await svc.provider_options(db, principal.region_id),
        labels=LABELS, may_plan=principal.role in ("team_admin", "team_contracts"),
        settings_errors=settings_errors or {}, settings_form=settings_form or current, rhythm=settings,
    )  # fmt: skip


@get("/team/contractgesprekken", guards=[requires_conversation_team], include_in_schema=False)
async def conversation_list(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Response[str]:
    return await _list_page(request, db, principal)


@post("/team/contractgesprekken/instellingen", guards=[requires_conversation_planner], include_in_schema=False)
async def conversation_settings(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, data: Form
) -> Response[Any]:
    try:
        await settings_svc.save_settings(
            db, principal, high_complex=_str(data, "hoogcomplex"), other=_str(data, "overig"),
            plan_days=_str(data, "dagen_na_periode"), early_weeks=_str(data, "weken_vroeg"), actor=principal.actor(),
            now=utcnow(),
        )  # fmt: skip
    except ValidationFailed as exc:
        await db.rollback()
        return await _list_page(request, db, principal, settings_errors=exc.by_field(), settings_form=data)
    return redirect("/team/contractgesprekken", "De instellingen voor contractgesprekken zijn opgeslagen.")


@post("/team/contractgesprekken/plannen", guards=[requires_conversation_planner], include_in_schema=False)
async def conversation_plan(db: AsyncSession, principal: Principal) -> Response[Any]:
    """Run the schedule for this region now (the worker does it daily; idempotent)."""
    created = await svc.plan_conversations(db, principal.region_id, actor=principal.actor(), now=utcnow())
    return redirect("/team/contractgesprekken", f"{created} contractgesprek(ken) ingepland.")


async def _team_detail(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, conversation_id: int, *,
    status_code: int = 200, errors: dict[str, str] | None = None, form: dict[str, Any] | None = None,
) -> Response[str]:  # fmt: skip
    detail = await svc.conversation_detail(db, principal, conversation_id)
    return page(
        request, "quality/conversation_detail.html", status_code=status_code, d=detail, labels=LABELS,
        errors=errors or {}, form=form or {}, team=True,
    )  # fmt: skip


@get("/team/contractgesprekken/{conversation_id:int}", guards=[requires_conversation_team], include_in_schema=False)
async def conversation_detail(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, conversation_id: int
) -> Response[str]:
    return await _team_detail(request, db, principal, conversation_id)


@post("/team/contractgesprekken/{conversation_id:int}/verslag", guards=[requires_conversation_team],
      include_in_schema=False)  # fmt: skip
async def conversation_record(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, conversation_id: int, data: Form
) -> Response[Any]:
    try:
        await svc.record_conversation(
            db, principal, conversation_id, outcome=_str(data, "uitkomst"), held_on=_str(data, "gehouden_op"),
            notes=_str(data, "verslag"), cancel_reason=_str(data, "reden"), actor=principal.actor(), now=utcnow(),
        )  # fmt: skip
    except ValidationFailed as exc:
        await db.rollback()
        return await _team_detail(request, db, principal, conversation_id, status_code=422, errors=exc.by_field(),
                                  form=data)  # fmt: skip
    return redirect(f"/team/contractgesprekken/{conversation_id}", "Het verslag is opgeslagen.")


@post("/team/contractgesprekken/{conversation_id:int}/acties", guards=[requires_conversation_team],
      include_in_schema=False)  # fmt: skip
async def conversation_add_action(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, conversation_id: int, data: Form
) -> Response[Any]:
    try:
        await svc.add_action(
            db, principal, conversation_id, description=_str(data, "omschrijving"), owner_side=_str(data, "eigenaar"),
            owner_name=_str(data, "naam"), due_on=_str(data, "deadline"), actor=principal.actor(), now=utcnow(),
        )  # fmt: skip
    except ValidationFailed as exc:
        await db.rollback()
        return await _team_detail(request, db, principal, conversation_id, status_code=422, errors=exc.by_field(),
                                  form=data)  # fmt: skip
    return redirect(f"/team/contractgesprekken/{conversation_id}#acties", "De actie is vastgelegd.")


@post("/team/contractgesprekken/{conversation_id:int}/actie-status", guards=[requires_conversation_team],
      include_in_schema=False)  # fmt: skip
async def conversation_team_action_status(db: AsyncSession, principal: Principal, conversation_id: int,
                                          data: Form) -> Response[Any]:  # fmt: skip
    await svc.set_action_status(
        db, principal, conversation_id, action_id=_str(data, "actie"), status=_str(data, "status"),
        note=_str(data, "toelichting"), actor=principal.actor(), now=utcnow(),
    )  # fmt: skip
    return redirect(f"/team/contractgesprekken/{conversation_id}#acties", "De status van de actie is bijgewerkt.")


@get("/team/contractgesprekken/{conversation_id:int}/gesprekspakket.pdf", guards=[requires_conversation_team],
     include_in_schema=False)  # fmt: skip
async def conversation_pack_team(db: AsyncSession, principal: Principal, conversation_id: int) -> Response[bytes]:
    return await _pack(db, principal, conversation_id)


async def _pack(db: AsyncSession, principal: Principal, conversation_id: int) -> Response[bytes]:
    pdf, filename = await conversation_pack(db, principal, conversation_id, now=utcnow())
    return Response(pdf, media_type="application/pdf",
                    headers={"content-disposition": f'attachment; filename="{filename}"'})  # fmt: skip


# ---- provider ------------------------------------------------------------------------------------------------


@get("/portaal/contractgesprekken", guards=[requires_provider], include_in_schema=False)
async def portal_conversations(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal
) -> Response[str]:
    rows = await svc.list_conversations(db, principal)
    return page(request, "quality/conversation_portal.html", rows=rows, labels=LABELS)


@get("/portaal/contractgesprekken/{conversation_id:int}", guards=[requires_provider], include_in_schema=False)
async def portal_conversation(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, conversation_id: int
) -> Response[str]:
    detail = await svc.conversation_detail(db, principal, conversation_id)
    return page(request, "quality/conversation_detail.html", d=detail, labels=LABELS, team=False)


@post("/portaal/contractgesprekken/{conversation_id:int}/actie-status", guards=[requires_provider],
      include_in_schema=False)  # fmt: skip
async def portal_action_status(db: AsyncSession, principal: Principal, conversation_id: int,
                               data: Form) -> Response[Any]:  # fmt: skip
    await svc.set_action_status(
        db, principal, conversation_id, action_id=_str(data, "actie"), status=_str(data, "status"),
        note=_str(data, "toelichting"), actor=principal.actor(), now=utcnow(),
    )  # fmt: skip
    return redirect(f"/portaal/contractgesprekken/{conversation_id}#acties", "De status van de actie is bijgewerkt.")


@get("/portaal/contractgesprekken/{conversation_id:int}/gesprekspakket.pdf", guards=[requires_provider],
     include_in_schema=False)  # fmt: skip
async def conversation_pack_portal(db: AsyncSession, principal: Principal, conversation_id: int) -> Response[bytes]:
    return await _pack(db, principal, conversation_id)


ROUTES: list[Any] = [
    conversation_list, conversation_settings, conversation_plan, conversation_detail, conversation_record,
    conversation_add_action, conversation_team_action_status, conversation_pack_team, portal_conversations,
    portal_conversation, portal_action_status, conversation_pack_portal,
]  # fmt: skip
