"""Provider offerings: the provider keeps its public listing and waiting times in its portal; the regional team
views (all team roles) and corrects (team_admin, team_contracts) any listing of its region. Pages and JSON API.

Thin handlers: read only the listed fields, call one service, render or redirect. Row scoping lives in
catalogue.services.offerings (a provider only reaches its own listing; anything else is 404)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields
from typing import Annotated, Any

from litestar import Request, Response, get, patch, post, put
from litestar.datastructures import FormMultiDict
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from catalogue.services import offering_input, offerings
from jeugdregio.auth import Principal
from jeugdregio.clock import today, utcnow
from jeugdregio.errors import FieldError, NotFound, ValidationFailed
from jeugdregio.web import page, redirect, requires_provider, requires_team, requires_team_contracts

PORTAL = "/portaal/catalogus"
TEAM = "/team/catalogus/aanbieders/{provider_id:int}"
EDITORS = ("provider", "team_admin", "team_contracts")
FLASH = {
    "gegevens": "De gegevens van uw vermelding zijn opgeslagen.",
    "wachttijden": "De wachttijden zijn opgeslagen.",
    "bevestigd": "De wachttijden zijn bevestigd met de datum van vandaag.",
    "locatie": "De locatie is toegevoegd.",
    "verwijderd": "De locatie is verwijderd.",
}


def _own(principal: Principal) -> int:
    if principal.provider_id is None:
        raise NotFound()
    return principal.provider_id


def _base(principal: Principal, provider_id: int) -> str:
    return PORTAL if principal.role == "provider" else f"/team/catalogus/aanbieders/{provider_id}"


async def _render(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, provider_id: int, *,
    status_code: int = 200, errors: dict[str, str] | None = None, submitted: dict[str, Any] | None = None,
) -> Response[str]:  # fmt: skip
    if principal.role == "provider" and await offerings.find_listing(db, principal, provider_id) is None:
        return page(request, "catalogue/offering_none.html")
    view = await offerings.offering_view(db, principal, provider_id, today=today())
    return page(
        request, "catalogue/offering_edit.html", status_code=status_code, view=view,
        base=_base(principal, provider_id), may_edit=principal.role in EDITORS, errors=errors or {},
        form={**view.form(), **(submitted or {})}, today=today(),
    )  # fmt: skip


def _submitted(form: FormMultiDict) -> dict[str, Any]:
    values: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str) and not k.startswith("_")}
    values["municipality_ids"] = [v for v in form.getall("municipality_ids", []) if isinstance(v, str)]
    return values


async def _act(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, provider_id: int, what: str,
    action: Callable[[FormMultiDict], Awaitable[Any]],
) -> Response[Any]:  # fmt: skip
    form = await request.form()
    try:
        await action(form)
    except ValidationFailed as exc:
        await db.rollback()
        return await _render(request, db, principal, provider_id, status_code=422, errors=exc.by_field(),
                             submitted=_submitted(form))  # fmt: skip
    return redirect(_base(principal, provider_id), FLASH[what])


def _listing_changes(form: FormMultiDict) -> dict[str, Any]:
    changes: dict[str, Any] = {n: str(form.get(n) or "") for n in offering_input.EDITABLE if n != "municipality_ids"}
    changes["municipality_ids"] = [str(v) for v in form.getall("municipality_ids", [])]
    return changes


async def _save_listing(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, pid: int) -> Any:
    async def act(form: FormMultiDict) -> None:
        await offerings.update_listing(db, principal, pid, _listing_changes(form), now=utcnow())

    return await _act(request, db, principal, pid, "gegevens", act)


async def _save_waits(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, pid: int) -> Any:
    async def act(form: FormMultiDict) -> None:
        values = offering_input.waiting_form_values(form)
        await offerings.set_waiting_times(db, principal, pid, values, now=utcnow(), today=today())

    return await _act(request, db, principal, pid, "wachttijden", act)


async def _confirm(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, pid: int) -> Any:
    async def act(_: FormMultiDict) -> None:
        await offerings.confirm_waiting_times(db, principal, pid, now=utcnow(), today=today())

    return await _act(request, db, principal, pid, "bevestigd", act)


async def _add_location(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, pid: int) -> Any:
    async def act(form: FormMultiDict) -> None:
        data = {k: form.get(k) for k in ("street", "postcode", "city", "municipality_id")}
        await offerings.add_location(db, principal, pid, data, now=utcnow())

    return await _act(request, db, principal, pid, "locatie", act)


async def _remove_location(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, pid: int) -> Any:
    async def act(form: FormMultiDict) -> None:
        await offerings.remove_location(db, principal, pid, form.get("location_id"), now=utcnow())

    return await _act(request, db, principal, pid, "verwijderd", act)


# ---- provider portal ---------------------------------------------------------------------------------------


@get(PORTAL, guards=[requires_provider], include_in_schema=False)
async def portal_listing(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Response[str]:
    return await _render(request, db, principal, _own(principal))


@post(PORTAL, guards=[requires_provider], include_in_schema=False)
async def portal_listing_save(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Any:
    return await _save_listing(request, db, principal, _own(principal))


@post(PORTAL + "/wachttijden", guards=[requires_provider], include_in_schema=False)
async def portal_waits_save(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Any:
    return await _save_waits(request, db, principal, _own(principal))


@post(PORTAL + "/wachttijden/bevestigen", guards=[requires_provider], include_in_schema=False)
async def portal_waits_confirm(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Any:
    return await _confirm(request, db, principal, _own(principal))


@post(PORTAL + "/locaties", guards=[requires_provider], include_in_schema=False)
async def portal_location_add(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Any:
    return await _add_location(request, db, principal, _own(principal))


@post(PORTAL + "/locaties/verwijderen", guards=[requires_provider], include_in_schema=False)
async def portal_location_remove(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Any:
    return await _remove_location(request, db, principal, _own(principal))


# ---- the regional team -------------------------------------------------------------------------------------


@get(TEAM, guards=[requires_team], include_in_schema=False)
async def team_listing(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, provider_id: int
) -> Response[str]:
    return await _render(request, db, principal, provider_id)


@post(TEAM, guards=[requires_team_contracts], include_in_schema=False)
async def team_listing_save(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, provider_id: int
) -> Any:
    return await _save_listing(request, db, principal, provider_id)


@post(TEAM + "/wachttijden", guards=[requires_team_contracts], include_in_schema=False)
async def team_waits_save(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, provider_id: int
) -> Any:
    return await _save_waits(request, db, principal, provider_id)


@post(TEAM + "/wachttijden/bevestigen", guards=[requires_team_contracts], include_in_schema=False)
async def team_waits_confirm(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, provider_id: int
) -> Any:
    return await _confirm(request, db, principal, provider_id)


@post(TEAM + "/locaties", guards=[requires_team_contracts], include_in_schema=False)
async def team_location_add(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, provider_id: int
) -> Any:
    return await _add_location(request, db, principal, provider_id)


@post(TEAM + "/locaties/verwijderen", guards=[requires_team_contracts], include_in_schema=False)
async def team_location_remove(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, provider_id: int
) -> Any:
    return await _remove_location(request, db, principal, provider_id)


# ---- JSON API ----------------------------------------------------------------------------------------------


@dataclass
class ListingIn:
    """The fields of a listing a provider (or the team) may set. Any other field (name, status, arrangement types,
    ...) is refused with 422: those follow the register. PUT needs every field; PATCH only the ones to change."""

    description: Annotated[str | None, Parameter(description="plain text, at most 4,000 characters")] = None
    website: Annotated[str | None, Parameter(description="http:// or https:// address, or empty")] = None
    email: str | None = None
    phone: str | None = None
    target_groups: Annotated[list[str] | None, Parameter(description="at most 20, each at most 60 chars")] = None
    specialisms: Annotated[list[str] | None, Parameter(description="at most 20, each at most 60 chars")] = None
    languages: Annotated[list[str] | None, Parameter(description="at most 20, each at most 60 chars")] = None
    religious_identity: Annotated[str | None, Parameter(description="e.g. algemeen, reformatorisch")] = None
    accessibility: str | None = None
    municipality_ids: Annotated[list[int] | None, Parameter(description="member municipalities served (≥ 1)")] = None


@dataclass
class WaitingTimeIn:
    profile_id: int
    weeks: Annotated[int, Parameter(description="0-104")]


LISTING_FIELDS = tuple(f.name for f in fields(ListingIn))


async def _api_changes(request: Request[Any, Any, Any], data: ListingIn, *, complete: bool) -> dict[str, Any]:
    """The fields the client sent (typed by ListingIn); unknown ones are passed on so the service refuses them."""
    raw = await request.json()
    if not isinstance(raw, dict):
        raise ValidationFailed.single("body", "Stuur een JSON-object met de velden van de vermelding.")
    if complete and (missing := [n for n in LISTING_FIELDS if n not in raw]):
        raise ValidationFailed([
            FieldError(n, f"{offering_input.LABELS[n]}: dit veld ontbreekt (PUT vervangt de hele vermelding).")
            for n in missing
        ])  # fmt: skip
    return {k: getattr(data, k) if k in LISTING_FIELDS else v for k, v in raw.items()}


async def _json(db: AsyncSession, principal: Principal, provider_id: int) -> dict[str, Any]:
    return (await offerings.offering_view(db, principal, provider_id, today=today())).as_json()


@get("/api/v1/listings/me", guards=[requires_provider], tags=["catalogue"])
async def api_my_listing(db: AsyncSession, principal: Principal) -> dict[str, Any]:
    """The provider's own catalogue listing with its waiting times and their freshness (404 when none yet)."""
    return await _json(db, principal, _own(principal))


@put("/api/v1/listings/me", guards=[requires_provider], tags=["catalogue"])
async def api_put_my_listing(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, data: ListingIn
) -> dict[str, Any]:
    """Replace the editable fields of the own listing (every field of ListingIn required)."""
    changes = await _api_changes(request, data, complete=True)
    await offerings.update_listing(db, principal, _own(principal), changes, now=utcnow())
    return await _json(db, principal, _own(principal))


@patch("/api/v1/listings/me", guards=[requires_provider], tags=["catalogue"])
async def api_patch_my_listing(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, data: ListingIn
) -> dict[str, Any]:
    """Change some editable fields of the own listing."""
    changes = await _api_changes(request, data, complete=False)
    await offerings.update_listing(db, principal, _own(principal), changes, now=utcnow())
    return await _json(db, principal, _own(principal))


@put("/api/v1/listings/me/waiting-times", guards=[requires_provider], tags=["catalogue"])
async def api_put_waiting_times(
    db: AsyncSession, principal: Principal, data: list[WaitingTimeIn]
) -> dict[str, Any]:
    """Replace the waiting times (weeks 0-104, only offered profiles; a profile left out has none afterwards).
    A changed or new value is confirmed today. All or nothing."""
    values: dict[int, Any] = {}
    for item in data:
        if item.profile_id in values:
            raise ValidationFailed.single(f"weeks_{item.profile_id}", "Noem elk profiel maar één keer.")
        values[item.profile_id] = item.weeks
    await offerings.set_waiting_times(db, principal, _own(principal), values, now=utcnow(), today=today())
    return await _json(db, principal, _own(principal))


@post("/api/v1/listings/me/waiting-times/confirm", guards=[requires_provider], tags=["catalogue"], status_code=200)
async def api_confirm_waiting_times(db: AsyncSession, principal: Principal) -> dict[str, Any]:
    """Confirm every current waiting time with today's date, without changing them."""
    await offerings.confirm_waiting_times(db, principal, _own(principal), now=utcnow(), today=today())
    return await _json(db, principal, _own(principal))


@get("/api/v1/listings/{provider_id:int}", guards=[requires_team], tags=["catalogue"])
async def api_team_listing(db: AsyncSession, principal: Principal, provider_id: int) -> dict[str, Any]:
    """A listing of the team's region (404 for another region's provider)."""
    return await _json(db, principal, provider_id)


@patch("/api/v1/listings/{provider_id:int}", guards=[requires_team_contracts], tags=["catalogue"])
async def api_team_patch_listing(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, provider_id: int, data: ListingIn
) -> dict[str, Any]:
    """Correct some editable fields of a listing of the region."""
    changes = await _api_changes(request, data, complete=False)
    await offerings.update_listing(db, principal, provider_id, changes, now=utcnow())
    return await _json(db, principal, provider_id)


ROUTES: list[Any] = [
    portal_listing, portal_listing_save, portal_waits_save, portal_waits_confirm, portal_location_add,
    portal_location_remove, team_listing, team_listing_save, team_waits_save, team_waits_confirm, team_location_add,
    team_location_remove, api_my_listing, api_put_my_listing, api_patch_my_listing, api_put_waiting_times,
    api_confirm_waiting_times, api_team_listing, api_team_patch_listing,
]  # fmt: skip
