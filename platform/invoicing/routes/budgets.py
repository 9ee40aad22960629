"""Budgets, commitments, forecasts and the solidarity overview; lump sums and population budgets.

Team roles see every municipality of the region; a municipality user only its own (another: 404). Writes
(budgets, lump sums, population budgets, the population import) are for team finance."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body
from sqlalchemy.ext.asyncio import AsyncSession

from invoicing.services import budgets as svc
from invoicing.services import lump_sums, population
from invoicing.services.charts import budget_chart_svg, data_uri
from invoicing.services.specifications import FINANCE_ROLES
from jeugdregio.auth import Principal
from jeugdregio.clock import today, utcnow
from jeugdregio.errors import NotFound, ValidationFailed
from jeugdregio.spreadsheets import csv_bytes, xlsx_bytes
from jeugdregio.tables import TEAM_ROLES
from jeugdregio.templating import MONTHS
from jeugdregio.web import page, redirect, requires_roles, requires_team

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
Multipart = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
requires_finance = requires_roles(*FINANCE_ROLES)
requires_budget_reader = requires_roles(*TEAM_ROLES, "municipality")
requires_municipality = requires_roles("municipality")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def attachment(content: bytes, media_type: str, filename: str) -> Response[bytes]:
    return Response(content, media_type=media_type,
                    headers={"content-disposition": f'attachment; filename="{filename}"'})  # fmt: skip


def _year(request: Request[Any, Any, Any]) -> int:
    return svc.parse_year(request.query_params.get("jaar"), default=today().year)


# ---- the region overview ---------------------------------------------------------------------------------------


@get("/team/budgetten", guards=[requires_team], include_in_schema=False)
async def budget_overview(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Response[str]:
    year = _year(request)
    rows = await svc.budget_figures(db, principal.region_id, year=year, today=today())
    return page(
        request, "invoicing/budget_overview.html", rows=rows, year=year, formula=svc.FORMULA_LINES,
        solidarity=[r for r in rows if r.solidarity], percent=svc.SOLIDARITY_PERCENT,
        total_budget=sum(r.budget_cents or 0 for r in rows), total_forecast=sum(r.forecast_cents for r in rows),
    )  # fmt: skip


@get("/team/budgetten.csv", guards=[requires_team], include_in_schema=False)
async def budget_overview_csv(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal
) -> Response[bytes]:
    year = _year(request)
    rows = await svc.budget_figures(db, principal.region_id, year=year, today=today())
    content = csv_bytes(svc.figures_rows(rows, excel=False))
    return attachment(content, "text/csv; charset=utf-8", f"budgetten-{year}.csv")


@get("/team/budgetten.xlsx", guards=[requires_team], include_in_schema=False)
async def budget_overview_xlsx(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal
) -> Response[bytes]:
    year = _year(request)
    rows = await svc.budget_figures(db, principal.region_id, year=year, today=today())
    return attachment(xlsx_bytes("Budgetten", svc.figures_rows(rows, excel=True)), XLSX, f"budgetten-{year}.xlsx")


# ---- one municipality ------------------------------------------------------------------------------------------


async def _detail(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, municipality_id: int, *,
    base: str, status_code: int = 200, errors: dict[str, str] | None = None, form: dict[str, Any] | None = None,
) -> Response[str]:  # fmt: skip
    year = _year(request)
    f = await svc.municipality_figures(db, principal, municipality_id, year=year, today=today())
    chart = budget_chart_svg(f.by_month(), f.budget_cents, title=f"{f.name} {year}")
    return page(
        request, "invoicing/budget_detail.html", status_code=status_code, f=f, year=year, base=base,
        chart=data_uri(chart), formula=svc.FORMULA_LINES, labels=svc.COMPONENT_LABELS,
        may_act=principal.role in FINANCE_ROLES, errors=errors or {}, form=form or {}, percent=svc.SOLIDARITY_PERCENT,
        month_names=MONTHS,
    )  # fmt: skip


@get("/team/budgetten/{municipality_id:int}", guards=[requires_budget_reader], include_in_schema=False)
async def budget_detail(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, municipality_id: int
) -> Response[str]:
    return await _detail(request, db, principal, municipality_id, base=f"/team/budgetten/{municipality_id}")


@post("/team/budgetten/{municipality_id:int}", guards=[requires_finance], include_in_schema=False)
async def budget_set(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, municipality_id: int, data: Form
) -> Response[Any]:
    base = f"/team/budgetten/{municipality_id}"
    try:
        year = svc.parse_year(data.get("jaar"), default=today().year)
        cents = svc.parse_euros("bedrag", data.get("bedrag"), "het budget")
        await svc.set_budget(db, region_id=principal.region_id, municipality_id=municipality_id, year=year,
                             amount_cents=cents, actor=principal.actor(), now=utcnow())  # fmt: skip
    except ValidationFailed as exc:
        await db.rollback()
        return await _detail(request, db, principal, municipality_id, base=base, status_code=422,
                             errors=exc.by_field(), form=dict(data))  # fmt: skip
    return redirect(f"{base}?jaar={year}", f"Het budget voor {year} is opgeslagen.")


async def _month_download(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, municipality_id: int, fmt: str
) -> Response[bytes]:
    year = _year(request)
    f = await svc.municipality_figures(db, principal, municipality_id, year=year, today=today())
    name = f"budget-{f.name.lower().replace(' ', '-')}-{year}"
    rows = [*svc.figures_rows([f], excel=fmt == "xlsx"), [], *svc.month_rows(f, excel=fmt == "xlsx")]
    if fmt == "csv":
        return attachment(csv_bytes(rows), "text/csv; charset=utf-8", f"{name}.csv")
    return attachment(xlsx_bytes("Budget", rows), XLSX, f"{name}.xlsx")


@get("/team/budgetten/{municipality_id:int}/csv", guards=[requires_budget_reader], include_in_schema=False)
async def budget_detail_csv(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, municipality_id: int
) -> Response[bytes]:
    return await _month_download(request, db, principal, municipality_id, "csv")


@get("/team/budgetten/{municipality_id:int}/xlsx", guards=[requires_budget_reader], include_in_schema=False)
async def budget_detail_xlsx(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, municipality_id: int
) -> Response[bytes]:
    return await _month_download(request, db, principal, municipality_id, "xlsx")


def _own(principal: Principal) -> int:
    if principal.municipality_id is None:
        raise NotFound()
    return principal.municipality_id


@get("/gemeente/budget", guards=[requires_municipality], include_in_schema=False)
async def municipality_budget(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Response[str]:
    return await _detail(request, db, principal, _own(principal), base="/gemeente/budget")


@get("/gemeente/budget/csv", guards=[requires_municipality], include_in_schema=False)
async def municipality_budget_csv(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal
) -> Response[bytes]:
    return await _month_download(request, db, principal, _own(principal), "csv")


@get("/gemeente/budget/xlsx", guards=[requires_municipality], include_in_schema=False)
async def municipality_budget_xlsx(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal
) -> Response[bytes]:
    return await _month_download(request, db, principal, _own(principal), "xlsx")


# ---- lump sums, population budgets, the population table -------------------------------------------------------


async def _lump_sum_page(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, *, status_code: int = 200,
    errors: dict[str, str] | None = None, form: dict[str, Any] | None = None,
) -> Response[str]:  # fmt: skip
    providers, municipalities = await lump_sums.choices(db, principal.region_id)
    return page(
        request, "invoicing/lump_sum_list.html", status_code=status_code,
        rows=await lump_sums.list_lump_sums(db, principal.region_id), providers=providers,
        municipalities=municipalities, may_act=principal.role in FINANCE_ROLES, errors=errors or {},
        form=form or {"year": str(today().year)},
    )  # fmt: skip


@get("/team/lump-sums", guards=[requires_team], include_in_schema=False)
async def lump_sum_list(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Response[str]:
    return await _lump_sum_page(request, db, principal)


@post("/team/lump-sums", guards=[requires_finance], include_in_schema=False)
async def lump_sum_create(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, data: Form
) -> Response[Any]:
    try:
        await lump_sums.create_lump_sum(db, principal.region_id, data, actor=principal.actor(), now=utcnow())
    except ValidationFailed as exc:
        await db.rollback()
        return await _lump_sum_page(request, db, principal, status_code=422, errors=exc.by_field(), form=dict(data))
    return redirect("/team/lump-sums", "De lump sum is vastgelegd. De afrekening betaalt haar in twaalf termijnen.")


async def _population_page(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, *, status_code: int = 200,
    errors: dict[str, str] | None = None, form: dict[str, Any] | None = None,
    import_errors: list[str] | None = None,
) -> Response[str]:  # fmt: skip
    providers, _ = await lump_sums.choices(db, principal.region_id)
    return page(
        request, "invoicing/population_list.html", status_code=status_code,
        budgets=await lump_sums.list_population_budgets(db, principal.region_id),
        figures=await population.population_table(db, principal.region_id), providers=providers,
        may_act=principal.role in FINANCE_ROLES, errors=errors or {}, form=form or {"year": str(today().year)},
        import_errors=import_errors or [],
    )  # fmt: skip


@get("/team/populatiebudgetten", guards=[requires_team], include_in_schema=False)
async def population_list(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Response[str]:
    return await _population_page(request, db, principal)


@post("/team/populatiebudgetten", guards=[requires_finance], include_in_schema=False)
async def population_budget_create(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, data: Form
) -> Response[Any]:
    try:
        await lump_sums.create_population_budget(db, principal.region_id, data, actor=principal.actor(), now=utcnow())
    except ValidationFailed as exc:
        await db.rollback()
        return await _population_page(request, db, principal, status_code=422, errors=exc.by_field(), form=dict(data))
    return redirect("/team/populatiebudgetten", "Het populatiebudget is vastgelegd.")


@post("/team/populatiebudgetten/bevolking", guards=[requires_finance], request_max_body_size=3 * 1024 * 1024,
      include_in_schema=False)  # fmt: skip
async def population_import(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, data: Multipart
) -> Response[Any]:
    upload = data.get("bestand")
    content = await upload.read() if isinstance(upload, UploadFile) else b""
    try:
        count = await population.import_population(db, principal.region_id, content, actor=principal.actor(),
                                                   now=utcnow())  # fmt: skip
    except ValidationFailed as exc:
        await db.rollback()
        return await _population_page(request, db, principal, status_code=422,
                                      import_errors=[e.message for e in exc.errors])  # fmt: skip
    return redirect("/team/populatiebudgetten#bevolking", f"{count} regels bevolkingscijfers ingelezen.")


ROUTES: list[Any] = [
    budget_overview, budget_overview_csv, budget_overview_xlsx, budget_detail, budget_set, budget_detail_csv,
    budget_detail_xlsx, municipality_budget, municipality_budget_csv, municipality_budget_xlsx,
    lump_sum_list, lump_sum_create, population_list, population_budget_create, population_import,
]  # fmt: skip
