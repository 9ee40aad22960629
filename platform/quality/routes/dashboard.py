"""The regional dashboard, indicators and population figures (team, municipality, provider).

Three scopes, one builder (quality.services.dashboard): the team sees the region (/team/kwaliteit), a
municipality its own residents (/gemeente/dashboard), a provider itself against the benchmark
(/portaal/kwaliteit). Per scope: the page, `/export?tabel=…&formaat=csv|xlsx` (every table, through the
publication rules) and `/grafiek?naam=…` (SVG, served as an image: no inline script or style). All three read
the stored snapshot of the scope and period (quality.services.dashboard_snapshots); the team can rebuild its own
with `POST /team/kwaliteit/bijwerken`.

The scope comes from the principal only (never from the URL): nothing to guess, nothing foreign to ask for."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from sqlalchemy.ext.asyncio import AsyncSession

from jeugdregio.auth import Principal
from jeugdregio.clock import today, utcnow
from jeugdregio.errors import ValidationFailed
from jeugdregio.spreadsheets import csv_bytes, xlsx_bytes
from jeugdregio.tables import TEAM_ROLES
from jeugdregio.web import page, redirect, requires_provider, requires_roles
from quality.rules import Period, parse_period
from quality.services.dashboard import CHART_KEYS, CHART_TITLES, TABLE_KEYS, chart_svg, default_period, scope_of
from quality.services.dashboard_snapshots import dashboard_view, forget_team_snapshots, refresh_team_period
from quality.services.indicators import save_indicator_settings, settings_form

requires_team_reader = requires_roles(*TEAM_ROLES)
requires_municipality = requires_roles("municipality")
requires_quality_admin = requires_roles("team_admin", "team_quality")
Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
BASES = {"region": "/team/kwaliteit", "municipality": "/gemeente/dashboard", "provider": "/portaal/kwaliteit"}
TITLES = {"region": "Kwaliteitsmonitor regio", "municipality": "Dashboard gemeente", "provider": "Kwaliteit"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _period(request: Request[Any, Any, Any]) -> tuple[Period, str | None]:
    raw = request.query_params.get("periode")
    if not raw:
        return default_period(today()), None
    try:
        return parse_period(raw), None
    except ValueError as exc:
        return default_period(today()), str(exc)


def _period_strict(request: Request[Any, Any, Any]) -> Period:
    period, error = _period(request)
    if error:
        raise ValidationFailed.single("periode", error)
    return period


def _choices(current: Period) -> list[str]:
    """Recent periods to pick from: the last eight half years, this year and last year, four quarters."""
    t = today()
    half = parse_period(f"{t.year}-H{1 if t.month <= 6 else 2}")
    quarter = parse_period(f"{t.year}-K{(t.month - 1) // 3 + 1}")
    out: list[str] = []
    p = half
    for _ in range(6):
        out.append(p.label)
        p = p.previous()
    q = quarter
    for _ in range(4):
        out.append(q.label)
        q = q.previous()
    out += [str(t.year), str(t.year - 1)]
    if current.label not in out:
        out.insert(0, current.label)
    return out


async def _page(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Response[str]:
    scope = scope_of(principal)
    period, error = _period(request)
    dash = await dashboard_view(db, scope, period, now=utcnow())
    base = BASES[scope.kind]
    charts = [(name, CHART_TITLES[name]) for name in CHART_KEYS if scope.kind != "provider" or name != "bevolking"]
    return page(
        request, "quality/dashboard_page.html", status_code=422 if error else 200, dash=dash, base=base,
        title=TITLES[scope.kind], choices=_choices(period), charts=charts,
        errors={"periode": error} if error else {}, form={"periode": request.query_params.get("periode", "")},
    )  # fmt: skip


async def _export(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Response[bytes]:
    scope = scope_of(principal)
    period = _period_strict(request)
    table = request.query_params.get("tabel", "kerncijfers")
    fmt = request.query_params.get("formaat", "csv")
    if table not in TABLE_KEYS or (scope.kind == "provider" and table == "bevolking"):
        raise ValidationFailed.single("tabel", "Kies een bestaande tabel om te downloaden.")
    if fmt not in ("csv", "xlsx"):
        raise ValidationFailed.single("formaat", "Kies als formaat csv of xlsx.")
    dash = await dashboard_view(db, scope, period, now=utcnow(), export=True)
    rows = dash.tables[table].export_rows()
    name = f"kwaliteit-{table}-{period.label}.{fmt}"
    content = csv_bytes(rows) if fmt == "csv" else xlsx_bytes(table[:31], rows)
    media = "text/csv; charset=utf-8" if fmt == "csv" else XLSX
    return Response(content, media_type=media, headers={"content-disposition": f'attachment; filename="{name}"'})


async def _chart(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Response[bytes]:
    scope = scope_of(principal)
    period = _period_strict(request)
    name = request.query_params.get("naam", "stromen")
    if name not in CHART_KEYS or (scope.kind == "provider" and name == "bevolking"):
        raise ValidationFailed.single("naam", "Deze grafiek bestaat niet.")
    dash = await dashboard_view(db, scope, period, now=utcnow())
    headers = {"cache-control": "private, max-age=300"}
    return Response(chart_svg(dash, name), media_type="image/svg+xml", headers=headers)


@get("/team/kwaliteit", guards=[requires_team_reader], include_in_schema=False)
async def team_dashboard(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Response[str]:
    return await _page(request, db, principal)


@get("/team/kwaliteit/export", guards=[requires_team_reader], include_in_schema=False)
async def team_export(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Response[bytes]:
    return await _export(request, db, principal)


@get("/team/kwaliteit/grafiek", guards=[requires_team_reader], include_in_schema=False)
async def team_chart(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Response[bytes]:
    return await _chart(request, db, principal)


@post("/team/kwaliteit/bijwerken", guards=[requires_team_reader], include_in_schema=False)
async def team_refresh(db: AsyncSession, principal: Principal, data: Form) -> Response[Any]:
    """'Nu bijwerken': the team's figures for one period from the data as it is now (normally nightly)."""
    try:
        period = parse_period(str(data.get("periode") or ""))
    except ValueError as exc:
        raise ValidationFailed.single("periode", str(exc)) from None
    await refresh_team_period(db, principal.region_id, period, now=utcnow())
    return redirect(f"/team/kwaliteit?periode={period.label}", f"De cijfers over {period.label} zijn bijgewerkt.")


@get("/gemeente/dashboard", guards=[requires_municipality], include_in_schema=False)
async def municipality_dashboard(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal
) -> Response[str]:
    return await _page(request, db, principal)


@get("/gemeente/dashboard/export", guards=[requires_municipality], include_in_schema=False)
async def municipality_export(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal
) -> Response[bytes]:
    return await _export(request, db, principal)


@get("/gemeente/dashboard/grafiek", guards=[requires_municipality], include_in_schema=False)
async def municipality_chart(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal
) -> Response[bytes]:
    return await _chart(request, db, principal)


@get("/portaal/kwaliteit", guards=[requires_provider], include_in_schema=False)
async def provider_dashboard(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Response[str]:
    return await _page(request, db, principal)


@get("/portaal/kwaliteit/export", guards=[requires_provider], include_in_schema=False)
async def provider_export(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Response[bytes]:
    return await _export(request, db, principal)


@get("/portaal/kwaliteit/grafiek", guards=[requires_provider], include_in_schema=False)
async def provider_chart(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Response[bytes]:
    return await _chart(request, db, principal)


# ---- the region's indicator settings ------------------------------------------------------------------------


async def _settings_page(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, *, status_code: int = 200,
    errors: dict[str, str] | None = None, form: dict[str, Any] | None = None,
) -> Response[str]:  # fmt: skip
    settings, norms = await settings_form(db, principal.region_id)
    values = form if form is not None else {
        "min_waarderingen": settings.min_ratings_for_score, "herinstroom_maanden": settings.reentry_months,
        "basishalfjaar": settings.index_base_period or "",
        **{f"norm_{n.profile_id}": n.norm_days for n in norms if n.own},
    }  # fmt: skip
    return page(request, "quality/indicator_settings.html", status_code=status_code, settings=settings,
                norms=norms, errors=errors or {}, form=values)  # fmt: skip


@get("/team/kwaliteit/instellingen", guards=[requires_quality_admin], include_in_schema=False)
async def indicator_settings_page(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal
) -> Response[str]:
    return await _settings_page(request, db, principal)


@post("/team/kwaliteit/instellingen", guards=[requires_quality_admin], include_in_schema=False)
async def indicator_settings_save(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, data: Form
) -> Response[Any]:
    try:
        await save_indicator_settings(db, region_id=principal.region_id, data=data, actor=principal.actor(),
                                      now=utcnow())  # fmt: skip
    except ValidationFailed as exc:
        await db.rollback()
        return await _settings_page(request, db, principal, status_code=422, errors=exc.by_field(), form=dict(data))
    await forget_team_snapshots(db, principal.region_id)
    return redirect("/team/kwaliteit/instellingen", "De instellingen van de kwaliteitsmonitor zijn opgeslagen.")


ROUTES: list[Any] = [
    indicator_settings_page, indicator_settings_save,
    team_dashboard, team_export, team_chart, team_refresh,
    municipality_dashboard, municipality_export, municipality_chart,
    provider_dashboard, provider_export, provider_chart,
]  # fmt: skip
