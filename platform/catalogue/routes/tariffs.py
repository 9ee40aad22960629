"""Tariff routes: the team's arrangement-type overview and yearly tariff schedules (draft → consultation →
adoption), the provider's consultation page, the tariff list downloads (PDF, CSV, Excel) and the JSON API.

Thin handlers: parse only the listed fields, call the service, render or redirect. Every lookup is scoped to the
principal's region (404 otherwise); a provider never sees a draft, and sees only its own comments."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from catalogue.services import tariff_exports as exports
from catalogue.services import tariff_schedules as sched
from catalogue.services import tariffs as svc
from catalogue.tariff_rules import ROUNDING_RULE, format_percentage, parse_day, parse_draft, parse_line_edit
from jeugdregio.auth import Principal
from jeugdregio.clock import today, utcnow
from jeugdregio.errors import NotFound, ValidationFailed
from jeugdregio.tables import TEAM_ROLES
from jeugdregio.web import page, redirect, requires_login, requires_provider, requires_roles, requires_team

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
TARIFF_ROLES = ("team_admin", "team_contracts", "team_finance")
requires_tariff_admin = requires_roles(*TARIFF_ROLES)
requires_team_or_provider = requires_roles(*TEAM_ROLES, "provider")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _attachment(content: bytes, media_type: str, filename: str) -> Response[bytes]:
    return Response(content, media_type=media_type,
                    headers={"content-disposition": f'attachment; filename="{filename}"'})  # fmt: skip


def _day(value: str, field: str = "op") -> date:
    return parse_day(value, field, required=False) or today()


# ---- team: arrangement types ----------------------------------------------------------------------------------


@get("/team/catalogus", guards=[requires_team], include_in_schema=False)
async def types_overview(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal,
                         op: str = "") -> Response[str]:  # fmt: skip
    try:
        day, errors = _day(op), {}
    except ValidationFailed as exc:
        day, errors = today(), exc.by_field()
    rows = await svc.arrangement_types(db, principal.region_id, on=day)
    return page(request, "catalogue/types_overview.html", status_code=422 if errors else 200, rows=rows, day=day,
                errors=errors, form={"op": op})  # fmt: skip


@get("/team/catalogus/{type_id:int}", guards=[requires_team], include_in_schema=False)
async def type_detail(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal,
                      type_id: int) -> Response[str]:  # fmt: skip
    row, history = await svc.type_history(db, principal.region_id, type_id, on=today())
    return page(request, "catalogue/types_detail.html", row=row, history=history)


# ---- team: tariff schedules -----------------------------------------------------------------------------------


async def _schedules_page(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, *,
                          status_code: int = 200, errors: dict[str, str] | None = None,
                          form: dict[str, Any] | None = None) -> Response[str]:  # fmt: skip
    schedules = await sched.list_schedules(db, principal.region_id)
    return page(request, "catalogue/tariff_schedules.html", status_code=status_code, schedules=schedules,
                may_change=principal.role in TARIFF_ROLES, next_year=today().year + 1, errors=errors or {},
                form=form or {"year": str(today().year + 1), "percentage": "0"}, rounding_rule=ROUNDING_RULE,
                pct=format_percentage)  # fmt: skip


@get("/team/tarieven", guards=[requires_team], include_in_schema=False)
async def schedules(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Response[str]:
    return await _schedules_page(request, db, principal)


@post("/team/tarieven", guards=[requires_tariff_admin], include_in_schema=False)
async def schedule_draft(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal,
                         data: Form) -> Response[Any]:  # fmt: skip
    form = {k: v for k, v in data.items() if k in ("year", "percentage", "note")}
    try:
        d = parse_draft(form)
        await sched.draft_schedule(db, region_id=principal.region_id, year=d.year, basis_points=d.basis_points,
                                   note=d.note, actor=principal.actor(), now=utcnow())  # fmt: skip
    except ValidationFailed as exc:
        await db.rollback()
        return await _schedules_page(request, db, principal, status_code=422, errors=exc.by_field(), form=form)
    return redirect(f"/team/tarieven/{d.year}", f"Het concept voor {d.year} is opgesteld.")


async def _schedule_page(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, year: int, *,
                         status_code: int = 200, errors: dict[str, str] | None = None,
                         form: dict[str, Any] | None = None, active_form: str = "") -> Response[str]:  # fmt: skip
    view = await sched.schedule_detail(db, principal.region_id, year)
    return page(request, "catalogue/tariff_schedule.html", status_code=status_code, view=view, year=year,
                may_change=principal.role in TARIFF_ROLES, errors=errors or {}, form=form or {},
                active_form=active_form, rounding_rule=ROUNDING_RULE, pct=format_percentage, today=today())  # fmt: skip


@get("/team/tarieven/{year:int}", guards=[requires_team], include_in_schema=False)
async def schedule_page(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal,
                        year: int) -> Response[str]:  # fmt: skip
    return await _schedule_page(request, db, principal, year)


@post("/team/tarieven/{year:int}/regels/{type_id:int}", guards=[requires_tariff_admin], include_in_schema=False)
async def schedule_line(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, year: int,
                        type_id: int, data: Form) -> Response[Any]:  # fmt: skip
    form = {k: v for k, v in data.items() if k in ("amount", "percentage")}
    await sched.schedule_detail(db, principal.region_id, year)  # 404 before any validation
    try:
        edit = parse_line_edit(form)
        await sched.update_draft_line(db, region_id=principal.region_id, year=year, arrangement_type_id=type_id,
                                      amount_cents=edit.amount_cents, basis_points=edit.basis_points,
                                      actor=principal.actor(), now=utcnow())  # fmt: skip
    except ValidationFailed as exc:
        await db.rollback()
        return await _schedule_page(request, db, principal, year, status_code=422, errors=exc.by_field(),
                                    form=form, active_form=f"regel-{type_id}")  # fmt: skip
    return redirect(f"/team/tarieven/{year}#regel-{type_id}", "De regel is gewijzigd.")


@post("/team/tarieven/{year:int}/consultatie", guards=[requires_tariff_admin], include_in_schema=False)
async def schedule_consult(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, year: int,
                           data: Form) -> Response[Any]:  # fmt: skip
    form = {"consultation_until": data.get("consultation_until", "")}
    await sched.schedule_detail(db, principal.region_id, year)
    try:
        until = parse_day(form["consultation_until"], "consultation_until")
        assert until is not None
        await sched.open_consultation(db, region_id=principal.region_id, year=year, until=until,
                                      actor=principal.actor(), now=utcnow())  # fmt: skip
    except ValidationFailed as exc:
        await db.rollback()
        return await _schedule_page(request, db, principal, year, status_code=422, errors=exc.by_field(), form=form,
                                    active_form="consultatie")  # fmt: skip
    return redirect(f"/team/tarieven/{year}", "Het concept staat in consultatie; aanbieders kunnen reageren.")


@post("/team/tarieven/{year:int}/vaststellen", guards=[requires_tariff_admin], include_in_schema=False)
async def schedule_adopt(db: AsyncSession, principal: Principal, year: int) -> Response[Any]:
    await sched.adopt_schedule(db, region_id=principal.region_id, year=year, actor=principal.actor(), now=utcnow())
    return redirect(f"/team/tarieven/{year}", f"De tarieven voor {year} zijn vastgesteld en gelden vanaf 1 januari.")


async def _schedule_list(db: AsyncSession, principal: Principal, year: int) -> exports.TariffList:
    return await exports.schedule_tariff_list(db, principal.region_id, year)


@get("/team/tarieven/{year:int}/tarievenlijst.pdf", guards=[requires_team], include_in_schema=False)
async def schedule_pdf(db: AsyncSession, principal: Principal, year: int) -> Response[bytes]:
    tariffs = await _schedule_list(db, principal, year)
    pdf = await exports.tariff_list_pdf(db, principal.region_id, tariffs, now=utcnow())
    return _attachment(pdf, "application/pdf", f"tarievenlijst-{year}.pdf")


@get("/team/tarieven/{year:int}/tarievenlijst.csv", guards=[requires_team], include_in_schema=False)
async def schedule_csv(db: AsyncSession, principal: Principal, year: int) -> Response[bytes]:
    tariffs = await _schedule_list(db, principal, year)
    return _attachment(exports.to_csv(tariffs), "text/csv; charset=utf-8", f"tarievenlijst-{year}.csv")


@get("/team/tarieven/{year:int}/tarievenlijst.xlsx", guards=[requires_team], include_in_schema=False)
async def schedule_xlsx(db: AsyncSession, principal: Principal, year: int) -> Response[bytes]:
    tariffs = await _schedule_list(db, principal, year)
    return _attachment(exports.to_xlsx(tariffs), XLSX, f"tarievenlijst-{year}.xlsx")


# ---- public: the current tariff list (tariffs are public information) -----------------------------------------


async def _public_list(
    db: AsyncSession, principal: Principal | None, regio: str, op: str
) -> tuple[int, exports.TariffList]:
    region = await exports.resolve_region(db, regio, principal.region_id if principal else None)
    assert region.id is not None
    return region.id, await exports.current_tariff_list(db, region.id, _day(op))


@get("/tarieven.pdf", include_in_schema=False)
async def public_pdf(db: AsyncSession, principal: Principal | None, regio: str = "", op: str = "") -> Response[bytes]:
    region_id, tariffs = await _public_list(db, principal, regio, op)
    pdf = await exports.tariff_list_pdf(db, region_id, tariffs, now=utcnow())
    return _attachment(pdf, "application/pdf", f"tarievenlijst-{tariffs.valid_on.isoformat()}.pdf")


@get("/tarieven.csv", include_in_schema=False)
async def public_csv(db: AsyncSession, principal: Principal | None, regio: str = "", op: str = "") -> Response[bytes]:
    _region_id, tariffs = await _public_list(db, principal, regio, op)
    return _attachment(exports.to_csv(tariffs), "text/csv; charset=utf-8",
                       f"tarievenlijst-{tariffs.valid_on.isoformat()}.csv")  # fmt: skip


# ---- the provider: consultation ----------------------------------------------------------------------------


def _own_provider(principal: Principal) -> int:
    if principal.provider_id is None:
        raise NotFound()
    return principal.provider_id


async def _portal_page(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, *,
                       status_code: int = 200, errors: dict[str, str] | None = None,
                       form: dict[str, Any] | None = None) -> Response[str]:  # fmt: skip
    provider_id = _own_provider(principal)
    visible = await sched.list_schedules(db, principal.region_id, provider=True)
    chosen = next((s for s in visible if s.status == "consultation"), visible[0] if visible else None)
    view = None
    if chosen is not None:
        view = await sched.schedule_detail(db, principal.region_id, chosen.year, provider_id=provider_id, provider=True)
    current = {r.id: r for r in await svc.arrangement_types(db, principal.region_id, on=today())}
    return page(request, "catalogue/tariff_portal.html", status_code=status_code, view=view, current=current,
                today=today(), errors=errors or {}, form=form or {}, rounding_rule=ROUNDING_RULE)  # fmt: skip


@get("/portaal/tarieven", guards=[requires_provider], include_in_schema=False)
async def portal_tariffs(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Response[str]:
    return await _portal_page(request, db, principal)


def _comment_type(value: object) -> int | None:
    text = str(value or "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise ValidationFailed.single("arrangement_type_id", "Kies een arrangementtype uit de lijst.") from None


@post("/portaal/tarieven/{year:int}/reacties", guards=[requires_provider], include_in_schema=False)
async def portal_comment(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, year: int,
                         data: Form) -> Response[Any]:  # fmt: skip
    form = {k: v for k, v in data.items() if k in ("body", "arrangement_type_id")}
    provider_id = _own_provider(principal)
    await sched.schedule_detail(db, principal.region_id, year, provider_id=provider_id, provider=True)  # 404 first
    try:
        await sched.add_comment(db, region_id=principal.region_id, year=year, provider_id=provider_id,
                                arrangement_type_id=_comment_type(form.get("arrangement_type_id")),
                                body=str(form.get("body") or ""), actor=principal.actor(), now=utcnow())  # fmt: skip
    except ValidationFailed as exc:
        await db.rollback()
        return await _portal_page(request, db, principal, status_code=422, errors=exc.by_field(), form=form)
    return redirect("/portaal/tarieven#reacties", "Uw reactie is ontvangen. Het regioteam leest alle reacties.")


# ---- JSON API ----------------------------------------------------------------------------------------------

OnDay = Annotated[str, Parameter(description="ISO date YYYY-MM-DD; default today")]


async def _types_on(db: AsyncSession, principal: Principal, on: str) -> tuple[date, list[svc.TypeRow]]:
    day = _day(on, "on")
    return day, await svc.arrangement_types(db, principal.region_id, on=day)


@get("/api/v1/arrangement-types", guards=[requires_login], tags=["catalogue"])
async def api_types(db: AsyncSession, principal: Principal, on: OnDay = "") -> dict[str, Any]:
    """The region's arrangement types (profile × intensity × setting) with the tariff valid on `on`."""
    day, rows = await _types_on(db, principal, on)
    return {"on": day.isoformat(), "items": [r.as_json() for r in rows]}


@get("/api/v1/tariffs", guards=[requires_login], tags=["catalogue"])
async def api_tariffs(db: AsyncSession, principal: Principal, on: OnDay = "") -> dict[str, Any]:
    """The tariffs (cents) valid on `on`, one per arrangement type that has one; boundaries inclusive."""
    day, rows = await _types_on(db, principal, on)
    return {"on": day.isoformat(), "rounding_rule": ROUNDING_RULE,
            "items": [{"code": r.code, **r.tariff.as_json()} for r in rows if r.tariff]}  # fmt: skip


@dataclass
class OverrideIn:
    arrangement_type_id: int | str | None = None
    basis_points: int | str | None = None


@dataclass
class ScheduleIn:
    """Draft next year's table: `indexation_basis_points` (250 = 2.50 %) for all types, optionally an own
    percentage per type in `overrides`. Rounding: half up to whole cents."""

    year: int | str | None = None
    indexation_basis_points: int | str | None = None
    overrides: list[OverrideIn] | None = None
    note: str = ""


@post("/api/v1/tariff-schedules", guards=[requires_tariff_admin], tags=["catalogue"], status_code=201)
async def api_draft(db: AsyncSession, principal: Principal, data: ScheduleIn) -> dict[str, Any]:
    """Draft a schedule (once per year: 409 when it exists). 422 with field errors on bad input."""
    d = parse_draft(asdict(data))
    await sched.draft_schedule(db, region_id=principal.region_id, year=d.year, basis_points=d.basis_points,
                               overrides=d.overrides, note=d.note, actor=principal.actor(), now=utcnow())  # fmt: skip
    return (await sched.schedule_detail(db, principal.region_id, d.year)).as_json()


@get("/api/v1/tariff-schedules/{year:int}", guards=[requires_team_or_provider], tags=["catalogue"])
async def api_schedule(db: AsyncSession, principal: Principal, year: int) -> dict[str, Any]:
    """One schedule with its lines and comments (a provider: not a draft, and only its own comments)."""
    provider = principal.role == "provider"
    view = await sched.schedule_detail(
        db, principal.region_id, year, provider_id=principal.provider_id, provider=provider
    )
    return view.as_json()


@dataclass
class ConsultationIn:
    consultation_until: Annotated[str, Parameter(description="ISO date YYYY-MM-DD, not in the past")] = ""


@post("/api/v1/tariff-schedules/{year:int}/consultation", guards=[requires_tariff_admin], tags=["catalogue"],
      status_code=200)  # fmt: skip
async def api_consult(db: AsyncSession, principal: Principal, year: int, data: ConsultationIn) -> dict[str, Any]:
    """Put the draft out for consultation until the given date. 409 when it is not a draft."""
    await sched.schedule_detail(db, principal.region_id, year)
    until = parse_day(data.consultation_until, "consultation_until")
    assert until is not None
    await sched.open_consultation(db, region_id=principal.region_id, year=year, until=until, actor=principal.actor(),
                                  now=utcnow())  # fmt: skip
    return (await sched.schedule_detail(db, principal.region_id, year)).as_json()


@post("/api/v1/tariff-schedules/{year:int}/adopt", guards=[requires_tariff_admin], tags=["catalogue"],
      status_code=200)  # fmt: skip
async def api_adopt(db: AsyncSession, principal: Principal, year: int) -> dict[str, Any]:
    """Adopt after consultation: the new tariffs apply from 1 January. 409 for a draft or when already adopted."""
    await sched.adopt_schedule(db, region_id=principal.region_id, year=year, actor=principal.actor(), now=utcnow())
    return (await sched.schedule_detail(db, principal.region_id, year)).as_json()


@dataclass
class CommentIn:
    body: str = ""
    arrangement_type_id: int | str | None = None


@post("/api/v1/tariff-schedules/{year:int}/comments", guards=[requires_provider], tags=["catalogue"],
      status_code=201)  # fmt: skip
async def api_comment(db: AsyncSession, principal: Principal, year: int, data: CommentIn) -> dict[str, Any]:
    """A provider's comment on the whole table or one arrangement type, while the consultation is open."""
    provider_id = _own_provider(principal)
    await sched.schedule_detail(db, principal.region_id, year, provider_id=provider_id, provider=True)
    comment = await sched.add_comment(
        db, region_id=principal.region_id, year=year, provider_id=provider_id,
        arrangement_type_id=_comment_type(data.arrangement_type_id), body=data.body, actor=principal.actor(),
        now=utcnow(),
    )  # fmt: skip
    return comment.as_json()


ROUTES: list[Any] = [
    types_overview, type_detail, schedules, schedule_draft, schedule_page, schedule_line, schedule_consult,
    schedule_adopt, schedule_pdf, schedule_csv, schedule_xlsx, public_pdf, public_csv, portal_tariffs,
    portal_comment, api_types, api_tariffs, api_draft, api_schedule, api_consult, api_adopt, api_comment,
]  # fmt: skip
