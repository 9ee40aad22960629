"""Family plans and arrangements: the pages of the conversation model (referrer, provider, team, municipality).

Thin handlers: parse the form, call one service, render or redirect. Row scoping is in the services
(contracts.queries.arrangements_visible_to, family_plans.plans_visible_to): anything else is 404."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.arrangement_rules import (
    ARRANGEMENT_STATUS_LABELS,
    END_REASONS,
    GOAL_OUTCOMES,
)
from contracts.routes.common import Form
from contracts.services import arrangement_views as views
from contracts.services import family_plans as plans
from contracts.services.arrangement_actions import FLASH, PAGE_SLUGS, apply_action, lines, proposal_from
from contracts.services.arrangements import proposable_types, propose_arrangement, types_for_plan
from jeugdregio.auth import Principal
from jeugdregio.clock import today, utcnow
from jeugdregio.errors import NotFound, ValidationFailed
from jeugdregio.tables import TEAM_ROLES
from jeugdregio.web import page, redirect, requires_provider, requires_roles

requires_referrer = requires_roles("referrer")
requires_team_admin = requires_roles("team_admin")
requires_municipality = requires_roles("municipality")
requires_arrangement_actor = requires_roles("referrer", "provider", "team_admin", "team_contracts")
requires_arrangement_reader = requires_roles(*TEAM_ROLES, "provider", "municipality", "referrer")

LABELS = {"statuses": ARRANGEMENT_STATUS_LABELS, "end_reasons": END_REASONS, "outcomes": GOAL_OUTCOMES}


def _form(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != "_csrf_token"}


# ---- referrer ---------------------------------------------------------------------------------------------


@get("/verwijzer", guards=[requires_referrer], include_in_schema=False)
async def referrer_home(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Response[str]:
    now = utcnow()
    own = await plans.plans_of_referrer(db, principal, now=now)
    waiting = await views.list_arrangements(db, principal, views.ArrangementFilter(action=True), now=now,
                                            today=today())  # fmt: skip
    return page(request, "contracts/family_plan_home.html", plans=own, waiting=waiting, **LABELS)


async def _new_plan_page(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, *, status_code: int = 200,
    errors: dict[str, str] | None = None, form: dict[str, Any] | None = None,
) -> Response[str]:  # fmt: skip
    choices = await plans.plan_form_choices(db, principal.region_id)
    return page(request, "contracts/family_plan_new.html", status_code=status_code, choices=choices,
                errors=errors or {}, form=form or {"residence_basis": "registered_address"})  # fmt: skip


@get("/verwijzer/gezinsplannen/nieuw", guards=[requires_referrer], include_in_schema=False)
async def new_plan(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Response[str]:
    return await _new_plan_page(request, db, principal)


def plan_input(data: dict[str, Any]) -> plans.FamilyPlanInput:
    def one(name: str) -> str:
        value = data.get(name, "")
        return str(value[0] if isinstance(value, list) and value else value or "")

    return plans.FamilyPlanInput(
        bsn=one("bsn"), youth_name=one("youth_name"), birth_date=one("birth_date"),
        residence_basis=one("residence_basis"), municipality_id=one("municipality_id"),
        referrer_type=one("referrer_type"), situation=one("situation"), profile_id=one("profile_id"),
        goals=lines(data.get("goals")),
    )  # fmt: skip


@post("/verwijzer/gezinsplannen/nieuw", guards=[requires_referrer], include_in_schema=False)
async def create_plan(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, data: Form
) -> Response[Any]:
    try:
        plan = await plans.create_family_plan(db, region_id=principal.region_id,
                                              referrer_membership_id=principal.membership_id,
                                              data=plan_input(dict(data)), actor=principal.actor(),
                                              now=utcnow())  # fmt: skip
    except ValidationFailed as exc:
        await db.rollback()
        return await _new_plan_page(request, db, principal, status_code=422, errors=exc.by_field(),
                                    form=_form(dict(data)))  # fmt: skip
    return redirect(f"/verwijzer/gezinsplannen/{plan.id}", f"Gezinsplan {plan.reference} is aangemaakt.")


async def _plan_page(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, plan_id: int, *, status_code: int = 200,
    errors: dict[str, str] | None = None, form: dict[str, Any] | None = None, purpose: str,
) -> Response[str]:  # fmt: skip
    now = utcnow()
    view = await plans.plan_view(db, principal, plan_id, now=now, purpose=purpose)
    context: dict[str, Any] = {}
    if principal.role == "provider" and principal.provider_id is not None:
        context["types"] = await types_for_plan(db, region_id=principal.region_id, provider_id=principal.provider_id,
                                                plan_id=plan_id, on=today())  # fmt: skip
    else:
        context["choices"] = await plans.plan_form_choices(db, principal.region_id)
        context["arrangements"] = await views.plan_arrangements(db, principal, plan_id, today=today())
    return page(request, "contracts/family_plan_detail.html", status_code=status_code, plan=view,
                errors=errors or {}, form=form or {}, today=today(), **context, **LABELS)  # fmt: skip


@get("/verwijzer/gezinsplannen/{plan_id:int}", guards=[requires_referrer], include_in_schema=False)
async def referrer_plan(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, plan_id: int
) -> Response[str]:
    return await _plan_page(request, db, principal, plan_id, purpose="verwijzing: eigen gezinsplan")


@post("/verwijzer/gezinsplannen/{plan_id:int}/uitnodigen", guards=[requires_referrer], include_in_schema=False)
async def invite(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, plan_id: int, data: Form
) -> Response[Any]:
    try:
        await plans.invite_provider(db, region_id=principal.region_id, referrer_membership_id=principal.membership_id,
                                    plan_id=plan_id, provider_id=str(data.get("provider_id", "")),
                                    actor=principal.actor(), now=utcnow())  # fmt: skip
    except ValidationFailed as exc:
        await db.rollback()
        return await _plan_page(request, db, principal, plan_id, status_code=422, errors=exc.by_field(),
                                form=_form(dict(data)), purpose="verwijzing: aanbieder uitnodigen")  # fmt: skip
    return redirect(f"/verwijzer/gezinsplannen/{plan_id}", "De aanbieder is uitgenodigd om een voorstel te doen.")


# ---- one arrangement (every role sees the same page with its own actions) ---------------------------------


PURPOSES = {
    "referrer": "verwijzing: arrangement volgen",
    "provider": "zorglevering: eigen arrangement",
    "municipality": "gemeente: arrangement van inwoner",
}


async def _arrangement_page(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, arrangement_id: int, *,
    status_code: int = 200, errors: dict[str, str] | None = None, form: dict[str, Any] | None = None,
    active_form: str = "",
) -> Response[str]:  # fmt: skip
    detail = await views.arrangement_detail(
        db, principal, arrangement_id, now=utcnow(), today=today(),
        purpose=PURPOSES.get(principal.role, "regioteam: arrangement beoordelen"),
    )  # fmt: skip
    base = {"referrer": "/verwijzer/arrangementen", "provider": "/portaal/arrangementen",
            "municipality": "/gemeente/arrangementen"}.get(principal.role, "/team/arrangementen")  # fmt: skip
    types = []
    if principal.role == "referrer" and detail.arrangement.status in ("agreed", "started"):
        types = await proposable_types(db, region_id=principal.region_id, provider_id=detail.arrangement.provider_id,
                                       on=today())  # fmt: skip
    return page(request, "contracts/arrangement_detail.html", status_code=status_code, d=detail, base=base,
                role=principal.role, errors=errors or {}, form=form or {}, active_form=active_form, types=types,
                today=today(), **LABELS)  # fmt: skip


async def _act(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, arrangement_id: int, slug: str,
    data: dict[str, Any], base: str,
) -> Response[Any]:  # fmt: skip
    action = PAGE_SLUGS.get(slug)
    if action is None:
        raise NotFound()
    try:
        a = await apply_action(db, principal, arrangement_id, action, data, now=utcnow())
    except ValidationFailed as exc:
        await db.rollback()
        return await _arrangement_page(request, db, principal, arrangement_id, status_code=422,
                                       errors=exc.by_field(), form=_form(data), active_form=action)  # fmt: skip
    target = a.id if action != "change" else arrangement_id
    return redirect(f"{base}/{target}", FLASH[action])


@get("/verwijzer/arrangementen", guards=[requires_referrer], include_in_schema=False)
async def referrer_list(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Response[str]:
    return await _list_page(request, db, principal, title="Arrangementen op mijn gezinsplannen",
                            base="/verwijzer/arrangementen")  # fmt: skip


@get("/verwijzer/arrangementen/{arrangement_id:int}", guards=[requires_referrer], include_in_schema=False)
async def referrer_arrangement(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, arrangement_id: int
) -> Response[str]:
    return await _arrangement_page(request, db, principal, arrangement_id)


@post("/verwijzer/arrangementen/{arrangement_id:int}/{slug:str}", guards=[requires_referrer],
      include_in_schema=False)  # fmt: skip
async def referrer_action(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, arrangement_id: int, slug: str,
    data: Form,
) -> Response[Any]:  # fmt: skip
    """akkoord, gezin, afwijzen, annuleren, bevestigen, betwisten, wijzigen (other slugs: 404)."""
    return await _act(request, db, principal, arrangement_id, slug, dict(data), "/verwijzer/arrangementen")


# ---- provider ---------------------------------------------------------------------------------------------


async def _list_page(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, *, title: str, base: str,
    invited: list[dict[str, Any]] | None = None,
) -> Response[str]:  # fmt: skip
    try:
        filters = views.parse_arrangement_filter(request.query_params)
        errors: dict[str, str] = {}
    except ValidationFailed as exc:
        filters, errors = views.ArrangementFilter(), exc.by_field()
    result = await views.list_arrangements(db, principal, filters, now=utcnow(), today=today())
    choices = await views.filter_choices(db, principal.region_id) if principal.is_team else None
    return page(request, "contracts/arrangement_list.html", status_code=422 if errors else 200, result=result,
                filters=filters, choices=choices, title=title, base=base, invited=invited or [], errors=errors,
                role=principal.role, **LABELS)  # fmt: skip


@get("/portaal/arrangementen", guards=[requires_provider], include_in_schema=False)
async def provider_list(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Response[str]:
    return await _list_page(request, db, principal, title="Arrangementen", base="/portaal/arrangementen",
                            invited=await plans.invited_plans(db, principal))  # fmt: skip


@get("/portaal/arrangementen/{arrangement_id:int}", guards=[requires_provider], include_in_schema=False)
async def provider_arrangement(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, arrangement_id: int
) -> Response[str]:
    return await _arrangement_page(request, db, principal, arrangement_id)


@post("/portaal/arrangementen/{arrangement_id:int}/{slug:str}", guards=[requires_provider], include_in_schema=False)
async def provider_action(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, arrangement_id: int, slug: str,
    data: Form,
) -> Response[Any]:  # fmt: skip
    """akkoord or annuleren (other slugs: 404 or 403)."""
    return await _act(request, db, principal, arrangement_id, slug, dict(data), "/portaal/arrangementen")


@get("/portaal/gezinsplannen/{plan_id:int}", guards=[requires_provider], include_in_schema=False)
async def provider_plan(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, plan_id: int
) -> Response[str]:
    return await _plan_page(request, db, principal, plan_id, purpose="zorglevering: voorstel voorbereiden")


@post("/portaal/gezinsplannen/{plan_id:int}/voorstel", guards=[requires_provider], include_in_schema=False)
async def provider_propose(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, plan_id: int, data: Form
) -> Response[Any]:
    if principal.provider_id is None:
        raise NotFound()
    try:
        a = await propose_arrangement(db, region_id=principal.region_id, provider_id=principal.provider_id,
                                      plan_id=plan_id, data=proposal_from(dict(data)), actor=principal.actor(),
                                      now=utcnow())  # fmt: skip
    except ValidationFailed as exc:
        await db.rollback()
        return await _plan_page(request, db, principal, plan_id, status_code=422, errors=exc.by_field(),
                                form=_form(dict(data)), purpose="zorglevering: voorstel voorbereiden")  # fmt: skip
    return redirect(f"/portaal/arrangementen/{a.id}", f"Het voorstel {a.reference} is verstuurd naar de verwijzer.")


# ---- team and municipality ----------------------------------------------------------------------------------


@get("/team/arrangementen", guards=[requires_roles(*TEAM_ROLES)], include_in_schema=False)
async def team_list(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Response[str]:
    return await _list_page(request, db, principal, title="Arrangementen in de regio", base="/team/arrangementen")


@get("/team/arrangementen/{arrangement_id:int}", guards=[requires_roles(*TEAM_ROLES)], include_in_schema=False)
async def team_arrangement(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, arrangement_id: int
) -> Response[str]:
    return await _arrangement_page(request, db, principal, arrangement_id)


@post("/team/arrangementen/{arrangement_id:int}/{slug:str}", guards=[requires_roles("team_admin", "team_contracts")],
      include_in_schema=False)  # fmt: skip
async def team_action(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, arrangement_id: int, slug: str,
    data: Form,
) -> Response[Any]:  # fmt: skip
    """geschil: settle a dispute (other slugs: 404 or 403)."""
    return await _act(request, db, principal, arrangement_id, slug, dict(data), "/team/arrangementen")


@get("/team/gezinsplannen/{plan_id:int}", guards=[requires_team_admin], include_in_schema=False)
async def team_plan(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, plan_id: int
) -> Response[str]:
    return await _plan_page(request, db, principal, plan_id, purpose="regioteam beheer: gezinsplan inzien")


@get("/gemeente/arrangementen", guards=[requires_municipality], include_in_schema=False)
async def municipality_list(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Response[str]:
    return await _list_page(request, db, principal, title="Arrangementen van inwoners", base="/gemeente/arrangementen")


@get("/gemeente/arrangementen/{arrangement_id:int}", guards=[requires_municipality], include_in_schema=False)
async def municipality_arrangement(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, arrangement_id: int
) -> Response[str]:
    return await _arrangement_page(request, db, principal, arrangement_id)


ROUTES: list[Any] = [
    referrer_home, new_plan, create_plan, referrer_plan, invite, referrer_list, referrer_arrangement, referrer_action,
    provider_list, provider_arrangement, provider_action, provider_plan, provider_propose,
    team_list, team_arrangement, team_action, team_plan, municipality_list, municipality_arrangement,
]  # fmt: skip
