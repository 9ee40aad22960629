"""Family plans and arrangements: the JSON API (OpenAPI at /schema). Every write needs an Idempotency-Key.

Thin handlers, one service call each; inputs are explicit dataclasses. The BSN is returned only to the owning
referrer and team_admin (GET of one plan); never in lists, arrangement responses or write responses."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Annotated, Any

from litestar import get, post
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.services import arrangement_views as views
from contracts.services import family_plans as plans
from contracts.services.arrangement_actions import API_SLUGS, apply_action, lines, proposal_from
from contracts.services.arrangements import propose_arrangement
from jeugdregio.auth import Principal
from jeugdregio.clock import today, utcnow
from jeugdregio.errors import NotFound
from jeugdregio.tables import TEAM_ROLES
from jeugdregio.web import requires_provider, requires_roles

requires_referrer = requires_roles("referrer")
requires_plan_reader = requires_roles("referrer", "team_admin", "provider")
requires_arrangement_reader = requires_roles(*TEAM_ROLES, "provider", "municipality", "referrer")
requires_arrangement_actor = requires_roles("referrer", "provider", "team_admin", "team_contracts")

API_PURPOSES = {
    "referrer": "verwijzing: eigen gezinsplan (API)",
    "team_admin": "regioteam beheer: gezinsplan inzien (API)",
    "provider": "zorglevering: voorstel voorbereiden (API)",
}


@dataclass
class FamilyPlanIn:
    """A new family plan. residence_basis: registered_address | before_stay; referrer_type: iJw COD327 (01-08);
    goals: 1-10 lines."""

    bsn: str = ""
    youth_name: str = ""
    birth_date: Annotated[str, Parameter(description="ISO date, YYYY-MM-DD")] = ""
    residence_basis: str = "registered_address"
    municipality_id: int | None = None
    referrer_type: str = ""
    situation: str = ""
    profile_id: int | None = None
    goals: list[str] = field(default_factory=list)


@get("/api/v1/family-plans", guards=[requires_roles("referrer", "provider")], tags=["arrangements"])
async def api_plans(db: AsyncSession, principal: Principal) -> dict[str, Any]:
    """A referrer: its own family plans (reference, first name; no BSN). A provider: the open plans it was
    invited to and has no open arrangement on yet (reference only)."""
    if principal.role == "provider":
        rows = await plans.invited_plans(db, principal)
    else:
        rows = await plans.plans_of_referrer(db, principal, now=utcnow())
    return {"items": [{**r, "created_at": r["created_at"].isoformat()} for r in rows]}


@post("/api/v1/family-plans", guards=[requires_referrer], tags=["arrangements"])
async def api_create_plan(db: AsyncSession, principal: Principal, data: FamilyPlanIn) -> dict[str, Any]:
    """Create a family plan (201). 422 names every invalid field (bsn, birth_date, municipality_id, goals, ...)."""
    values = asdict(data)
    values["goals"] = lines(values.get("goals"))
    values["municipality_id"] = str(values["municipality_id"] or "")
    values["profile_id"] = str(values["profile_id"] or "")
    plan = await plans.create_family_plan(
        db, region_id=principal.region_id, referrer_membership_id=principal.membership_id,
        data=plans.FamilyPlanInput(**values), actor=principal.actor(), now=utcnow(),
    )  # fmt: skip
    return {"id": plan.id, "reference": plan.reference, "status": plan.status}


@get("/api/v1/family-plans/{plan_id:int}", guards=[requires_plan_reader], tags=["arrangements"])
async def api_plan(db: AsyncSession, principal: Principal, plan_id: int) -> dict[str, Any]:
    """One family plan: in full (with BSN) for the owning referrer and team_admin; the invited provider gets the
    reference, first name, birth year and goals. Anything else: 404. Every read is audited."""
    view = await plans.plan_view(db, principal, plan_id, now=utcnow(), purpose=API_PURPOSES[principal.role])
    return view.as_json()


@dataclass
class InviteIn:
    provider_id: int | None = None


@post("/api/v1/family-plans/{plan_id:int}/invite", guards=[requires_referrer], tags=["arrangements"],
      status_code=200)  # fmt: skip
async def api_invite(db: AsyncSession, principal: Principal, plan_id: int, data: InviteIn) -> dict[str, Any]:
    """Invite the provider the family chose: only it may see the plan and propose."""
    plan = await plans.invite_provider(
        db, region_id=principal.region_id, referrer_membership_id=principal.membership_id, plan_id=plan_id,
        provider_id=data.provider_id or 0, actor=principal.actor(), now=utcnow(),
    )  # fmt: skip
    return {"id": plan.id, "reference": plan.reference, "invited_provider_id": plan.invited_provider_id}


@dataclass
class ProposalIn:
    """A proposal: an arrangement type within the provider's lots, the planned start, sub-contractors and (P×Q
    types) the assigned units."""

    arrangement_type_id: int | None = None
    planned_start: Annotated[str, Parameter(description="ISO date, YYYY-MM-DD")] = ""
    subcontractors: list[str] = field(default_factory=list)
    assigned_units: int | None = None


def _proposal(data: ProposalIn) -> dict[str, Any]:
    return {"arrangement_type_id": str(data.arrangement_type_id or ""), "planned_start": data.planned_start,
            "subcontractors": list(data.subcontractors),
            "assigned_units": "" if data.assigned_units is None else str(data.assigned_units)}  # fmt: skip


async def _detail(db: AsyncSession, principal: Principal, arrangement_id: int, purpose: str) -> dict[str, Any]:
    detail = await views.arrangement_detail(db, principal, arrangement_id, now=utcnow(), today=today(),
                                            purpose=purpose)  # fmt: skip
    return detail.as_json()


@post("/api/v1/family-plans/{plan_id:int}/arrangements", guards=[requires_provider], tags=["arrangements"])
async def api_propose(db: AsyncSession, principal: Principal, plan_id: int, data: ProposalIn) -> dict[str, Any]:
    """The invited provider proposes an arrangement (201). 404 when not invited; 422 for a type outside the
    lots of its live contract; 409 when it already has an open proposal or arrangement on the plan."""
    if principal.provider_id is None:
        raise NotFound()
    a = await propose_arrangement(db, region_id=principal.region_id, provider_id=principal.provider_id,
                                  plan_id=plan_id, data=proposal_from(_proposal(data)), actor=principal.actor(),
                                  now=utcnow())  # fmt: skip
    assert a.id is not None
    return await _detail(db, principal, a.id, "zorglevering: eigen voorstel (API)")


@get("/api/v1/arrangements", guards=[requires_arrangement_reader], tags=["arrangements"])
async def api_arrangements(
    db: AsyncSession,
    principal: Principal,
    status: str = "",
    provider_id: Annotated[str, Parameter(description="provider id (team)")] = "",
    municipality_id: Annotated[str, Parameter(description="paying municipality id (team)")] = "",
    profile_id: Annotated[str, Parameter(description="care profile id")] = "",
    actie: Annotated[str, Parameter(description="1: only those waiting for the caller's action")] = "",
    page_nr: Annotated[str, Parameter(query="page")] = "",
) -> dict[str, Any]:
    """Arrangements the caller may see (team: region; provider: own; municipality: its residents; referrer: on
    its plans), 50 per page, newest first. Pseudonymised: no BSN, no name."""
    filters = views.parse_arrangement_filter(
        {"status": status, "provider_id": provider_id, "municipality_id": municipality_id, "profile_id": profile_id,
         "actie": actie, "page": page_nr}
    )  # fmt: skip
    result = await views.list_arrangements(db, principal, filters, now=utcnow(), today=today())
    return {"items": [r.as_json() for r in result.rows], "total": result.total, "page": result.page,
            "per_page": views.PER_PAGE}  # fmt: skip


@get("/api/v1/arrangements/{arrangement_id:int}", guards=[requires_arrangement_reader], tags=["arrangements"])
async def api_arrangement(db: AsyncSession, principal: Principal, arrangement_id: int) -> dict[str, Any]:
    """One arrangement with its goals, outcomes and agreement (404 when not visible). Audited."""
    return await _detail(db, principal, arrangement_id, f"{principal.role}: arrangement inzien (API)")


@dataclass
class ArrangementActionIn:
    """The fields an action uses: note (family-consent), reason (reject, cancel, dispute), resolution and result
    (resolve), and for change the same fields as a proposal."""

    note: str = ""
    reason: str = ""
    resolution: str = ""
    result: Annotated[str, Parameter(description="achieved | partly | not; empty keeps it (resolve)")] = ""
    arrangement_type_id: int | None = None
    planned_start: str = ""
    subcontractors: list[str] = field(default_factory=list)
    assigned_units: int | None = None


@post("/api/v1/arrangements/{arrangement_id:int}/{slug:str}", guards=[requires_arrangement_actor],
      tags=["arrangements"], status_code=200)  # fmt: skip
async def api_arrangement_action(
    db: AsyncSession, principal: Principal, arrangement_id: int, slug: str, data: ArrangementActionIn
) -> dict[str, Any]:
    """slug: agree (referrer, provider), family-consent (referrer: note), reject / cancel / dispute (reason;
    cancel also by the provider), confirm (referrer), change (referrer: a new type for the same provider; 201-like
    answer with the new arrangement), resolve (team_admin, team_contracts: resolution, result). Wrong state: 409;
    a role that may not take the action: 403; an arrangement not visible: 404."""
    action = API_SLUGS.get(slug)
    if action is None:
        raise NotFound()
    values = {**asdict(data), **_proposal(ProposalIn(data.arrangement_type_id, data.planned_start,
                                                     data.subcontractors, data.assigned_units))}  # fmt: skip
    a = await apply_action(db, principal, arrangement_id, action, values, now=utcnow())
    assert a.id is not None
    return await _detail(db, principal, a.id, f"{principal.role}: arrangement na actie (API)")


ROUTES: list[Any] = [
    api_plans, api_create_plan, api_plan, api_invite, api_propose, api_arrangements, api_arrangement,
    api_arrangement_action,
]  # fmt: skip
