"""Payment specifications: PDF/CSV/Excel, approval, paid status, payment speed.

Thin handlers: parse the input, call one service, render or redirect. Visibility (team: the region; provider:
its own) lives in invoicing.services.specifications, which raises NotFound for anything else."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from sqlalchemy.ext.asyncio import AsyncSession

from invoicing.services import specifications as specs
from jeugdregio.auth import Principal
from jeugdregio.clock import today, utcnow
from jeugdregio.errors import ValidationFailed
from jeugdregio.spreadsheets import csv_bytes, xlsx_bytes
from jeugdregio.web import page, redirect, requires_provider, requires_roles, requires_team

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
requires_finance = requires_roles(*specs.FINANCE_ROLES)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def attachment(content: bytes, media_type: str, filename: str) -> Response[bytes]:
    return Response(content, media_type=media_type,
                    headers={"content-disposition": f'attachment; filename="{filename}"'})  # fmt: skip


def _filters(request: Request[Any, Any, Any]) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """period (YYYY-MM), provider (id), status; invalid values are reported and left out."""
    q = request.query_params
    form = {k: (q.get(k) or "").strip() for k in ("periode", "aanbieder", "status")}
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if form["periode"]:
        try:
            values["period"] = specs.parse_period(form["periode"])
        except ValidationFailed as exc:
            errors.update(exc.by_field())
    if form["aanbieder"]:
        if form["aanbieder"].isdigit():
            values["provider_id"] = int(form["aanbieder"])
        else:
            errors["aanbieder"] = "Kies een aanbieder uit de lijst."
    if form["status"]:
        if form["status"] in specs.STATUS_LABELS:
            values["status"] = form["status"]
        else:
            errors["status"] = "Kies een status uit de lijst."
    return values, errors, form


# ---- team ----------------------------------------------------------------------------------------------------


async def _team_list(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, *, status_code: int = 200,
    errors: dict[str, str] | None = None, form: dict[str, Any] | None = None,
) -> Response[str]:  # fmt: skip
    values, filter_errors, filters = _filters(request)
    if not any(filters.values()):  # no filter chosen: open on the latest month (a region has hundreds a year)
        latest = await specs.latest_period(db, principal.region_id)
        if latest is not None:
            values["period"] = latest
            filters["periode"] = latest.strftime("%Y-%m")
    rows = await specs.list_specifications(db, principal, **values)
    providers = sorted((await specs.provider_names(db, principal.region_id)).items(), key=lambda kv: kv[1])
    return page(
        request, "invoicing/specification_list.html", status_code=422 if (filter_errors or errors) else status_code,
        rows=rows, filters=filters, filter_errors=filter_errors, errors=errors or {}, form=form or {},
        providers=providers, statuses=list(specs.STATUS_LABELS.items()),
        speed=await specs.payment_speed(db, principal.region_id),
        may_act=principal.role in specs.FINANCE_ROLES, portal=False, today=today(),
    )  # fmt: skip


@get("/team/specificaties", guards=[requires_team], include_in_schema=False)
async def team_specifications(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Response[str]:
    return await _team_list(request, db, principal)


@post("/team/specificaties/pdfs", guards=[requires_finance], include_in_schema=False)
async def team_make_pdfs(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, data: Form
) -> Response[Any]:
    """"PDF's maken voor maand X": every specification of that month without a stored PDF (process pool)."""
    try:
        period = specs.parse_period(data.get("periode"))
    except ValidationFailed as exc:
        await db.rollback()
        return await _team_list(request, db, principal, status_code=422, errors=exc.by_field(), form=dict(data))
    made = await specs.make_period_pdfs(db, region_id=principal.region_id, period=period, actor=principal.actor(),
                                        now=utcnow())  # fmt: skip
    return redirect(f"/team/specificaties?periode={period:%Y-%m}",
                    f"{made} PDF's gemaakt voor {specs.period_label(period)}.")  # fmt: skip


async def _detail_page(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, spec_id: int, *, base: str,
    status_code: int = 200, errors: dict[str, str] | None = None, form: dict[str, Any] | None = None,
) -> Response[str]:  # fmt: skip
    detail = await specs.specification_detail(db, principal, spec_id, now=utcnow())
    return page(
        request, "invoicing/specification_detail.html", status_code=status_code, d=detail, base=base,
        period_label=specs.period_label(detail.spec.period), may_act=principal.role in specs.FINANCE_ROLES,
        errors=errors or {}, form=form or {}, today=today(),
    )  # fmt: skip


@get("/team/specificaties/{spec_id:int}", guards=[requires_team], include_in_schema=False)
async def team_specification(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, spec_id: int
) -> Response[str]:
    return await _detail_page(request, db, principal, spec_id, base=f"/team/specificaties/{spec_id}")


async def _download(db: AsyncSession, principal: Principal, spec_id: int, fmt: str) -> Response[bytes]:
    if fmt == "pdf":
        doc = await specs.specification_pdf(db, principal, spec_id, now=utcnow())
        return attachment(doc.content, doc.content_type, doc.filename)
    detail = await specs.specification_detail(db, principal, spec_id, now=utcnow(), action="download",
                                              with_clock=False)  # fmt: skip
    name = f"betaalspecificatie-{detail.spec.number}"
    if fmt == "csv":
        return attachment(csv_bytes(specs.spec_rows(detail)), "text/csv; charset=utf-8", f"{name}.csv")
    return attachment(xlsx_bytes("Specificatie", specs.spec_rows(detail, excel=True)), XLSX, f"{name}.xlsx")


@get("/team/specificaties/{spec_id:int}/pdf", guards=[requires_team], include_in_schema=False)
async def team_specification_pdf(db: AsyncSession, principal: Principal, spec_id: int) -> Response[bytes]:
    return await _download(db, principal, spec_id, "pdf")


@get("/team/specificaties/{spec_id:int}/csv", guards=[requires_team], include_in_schema=False)
async def team_specification_csv(db: AsyncSession, principal: Principal, spec_id: int) -> Response[bytes]:
    return await _download(db, principal, spec_id, "csv")


@get("/team/specificaties/{spec_id:int}/xlsx", guards=[requires_team], include_in_schema=False)
async def team_specification_xlsx(db: AsyncSession, principal: Principal, spec_id: int) -> Response[bytes]:
    return await _download(db, principal, spec_id, "xlsx")


@post("/team/specificaties/{spec_id:int}/goedkeuren", guards=[requires_finance], include_in_schema=False)
async def team_approve(db: AsyncSession, principal: Principal, spec_id: int) -> Response[Any]:
    spec = await specs.approve_specification(db, principal, spec_id, now=utcnow())
    return redirect(f"/team/specificaties/{spec_id}", f"Specificatie {spec.number} is goedgekeurd.")


@post("/team/specificaties/{spec_id:int}/betaald", guards=[requires_finance], include_in_schema=False)
async def team_mark_paid(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, spec_id: int, data: Form
) -> Response[Any]:
    try:
        paid_on = specs.parse_paid_on(data.get("paid_on"), today=today())
        spec = await specs.mark_specification_paid(db, principal, spec_id, paid_on=paid_on, now=utcnow())
    except ValidationFailed as exc:
        await db.rollback()
        return await _detail_page(request, db, principal, spec_id, base=f"/team/specificaties/{spec_id}",
                                  status_code=422, errors=exc.by_field(), form=dict(data))  # fmt: skip
    return redirect(f"/team/specificaties/{spec_id}", f"Specificatie {spec.number} is als betaald gemarkeerd.")


@get("/team/specificaties/betaalsnelheid.csv", guards=[requires_team], include_in_schema=False)
async def team_payment_speed_csv(db: AsyncSession, principal: Principal) -> Response[bytes]:
    rows: list[list[object]] = [["gemeente", "betaalde_declaraties", "gemiddeld_dagen_tot_betaling"]]
    for s in await specs.payment_speed(db, principal.region_id):
        rows.append([s.name, s.paid, "" if s.avg_days is None else str(s.avg_days).replace(".", ",")])
    return attachment(csv_bytes(rows), "text/csv; charset=utf-8", "betaalsnelheid.csv")


# ---- the provider portal ---------------------------------------------------------------------------------------


@get("/portaal/specificaties", guards=[requires_provider], include_in_schema=False)
async def portal_specifications(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal
) -> Response[str]:
    values, filter_errors, filters = _filters(request)
    values.pop("provider_id", None)
    rows = await specs.list_specifications(db, principal, **values)
    return page(
        request, "invoicing/specification_list.html", status_code=422 if filter_errors else 200, rows=rows,
        filters=filters, filter_errors=filter_errors, providers=[], statuses=list(specs.STATUS_LABELS.items()),
        speed=[], may_act=False, portal=True, today=today(),
    )  # fmt: skip


@get("/portaal/specificaties/{spec_id:int}", guards=[requires_provider], include_in_schema=False)
async def portal_specification(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, spec_id: int
) -> Response[str]:
    return await _detail_page(request, db, principal, spec_id, base=f"/portaal/specificaties/{spec_id}")


@get("/portaal/specificaties/{spec_id:int}/pdf", guards=[requires_provider], include_in_schema=False)
async def portal_specification_pdf(db: AsyncSession, principal: Principal, spec_id: int) -> Response[bytes]:
    return await _download(db, principal, spec_id, "pdf")


@get("/portaal/specificaties/{spec_id:int}/csv", guards=[requires_provider], include_in_schema=False)
async def portal_specification_csv(db: AsyncSession, principal: Principal, spec_id: int) -> Response[bytes]:
    return await _download(db, principal, spec_id, "csv")


@get("/portaal/specificaties/{spec_id:int}/xlsx", guards=[requires_provider], include_in_schema=False)
async def portal_specification_xlsx(db: AsyncSession, principal: Principal, spec_id: int) -> Response[bytes]:
    return await _download(db, principal, spec_id, "xlsx")



ROUTES: list[Any] = [
    team_specifications, team_make_pdfs, team_payment_speed_csv, team_specification, team_specification_pdf,
    team_specification_csv, team_specification_xlsx, team_approve, team_mark_paid,
    portal_specifications, portal_specification, portal_specification_pdf, portal_specification_csv,
    portal_specification_xlsx,
]  # fmt: skip
