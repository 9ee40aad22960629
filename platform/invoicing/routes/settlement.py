"""Settlement runs, the ledger and corrections (finance): /team/afrekening, /team/grootboek.

A run started here runs in the request (a region settles in well under two seconds) with its own per-step
transactions (invoicing.services.settlement); the page shows its progress and refreshes while one is running."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.public import PROVIDERS
from invoicing.rules import month_start
from invoicing.services import ledger as ledger_svc
from invoicing.services import settlement as settle
from invoicing.services.declarations import euro
from jeugdregio.auth import Principal
from jeugdregio.clock import today, utcnow
from jeugdregio.errors import Conflict, ValidationFailed
from jeugdregio.tables import Municipality
from jeugdregio.web import page, redirect, requires_roles

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
FINANCE_ROLES = ("team_admin", "team_finance")
requires_finance = requires_roles(*FINANCE_ROLES)


async def _names(db: AsyncSession, region_id: int) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    q = select(PROVIDERS.c.id, PROVIDERS.c.name).where(PROVIDERS.c.region_id == region_id).order_by(PROVIDERS.c.name)
    providers = [(int(i), str(n)) for i, n in (await db.execute(q)).all()]
    municipalities = [(int(i), str(n)) for i, n in (await db.execute(
        select(Municipality.id, Municipality.name).where(Municipality.region_id == region_id)
        .order_by(Municipality.name))).all()]  # fmt: skip
    return providers, municipalities


async def _runs_page(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, *,
                     status_code: int = 200, errors: dict[str, str] | None = None,
                     form: dict[str, Any] | None = None) -> Response[str]:  # fmt: skip
    runs = await settle.list_runs(db, principal.region_id)
    day = await settle.settlement_day(db, principal.region_id)
    previous = month_start(month_start(today()) - timedelta(days=1))
    return page(request, "invoicing/settlement_list.html", status_code=status_code, runs=runs,
                running=any(r.status == "running" for r in runs), errors=errors or {},
                form=form or {"periode": f"{previous:%Y-%m}"}, settlement_day=day,
                labels=settle.STEP_LABELS)  # fmt: skip


@get("/team/afrekening", guards=[requires_finance], include_in_schema=False)
async def settlement_runs(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Response[str]:
    return await _runs_page(request, db, principal)


@post("/team/afrekening", guards=[requires_finance], include_in_schema=False)
async def settlement_start(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, data: Form
) -> Response[Any]:
    """Settle a month now (finance). A done month is final: the page says so and nothing changes."""
    form = {"periode": str(data.get("periode", "")).strip()}
    try:
        period = ledger_svc.parse_month(form["periode"], "periode")
        if period > month_start(today()):
            raise ValidationFailed.single("periode", "Periode: een toekomstige maand kan nog niet worden afgerekend.")
    except ValidationFailed as exc:
        await db.rollback()
        return await _runs_page(request, db, principal, status_code=422, errors=exc.by_field(), form=form)
    result = await settle.run_settlement(request.app.state.sessionmaker, region_id=principal.region_id, period=period,
                                         actor=principal.actor(), now=utcnow())  # fmt: skip
    if result.already_done:
        return redirect(f"/team/afrekening/{result.run_id}",
                        f"{period:%m-%Y} was al afgerekend; een afgeronde maand is definitief.")  # fmt: skip
    return redirect(f"/team/afrekening/{result.run_id}",
                    f"Afrekening {period:%m-%Y} klaar: {result.entries} boekingen.")  # fmt: skip


@get("/team/afrekening/{run_id:int}", guards=[requires_finance], include_in_schema=False)
async def settlement_run(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, run_id: int
) -> Response[str]:
    detail = await settle.run_detail(db, principal.region_id, run_id)
    return page(request, "invoicing/settlement_detail.html", d=detail, run=detail.run, steps=settle.STEPS,
                labels=settle.STEP_LABELS, kinds=ledger_svc.LEDGER_KINDS)  # fmt: skip


async def _ledger_page(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, *,
                       status_code: int = 200, errors: dict[str, str] | None = None,
                       form: dict[str, Any] | None = None) -> Response[str]:  # fmt: skip
    q = request.query_params
    filters = {k: (q.get(k) or "").strip() for k in ("aanbieder", "gemeente", "periode", "soort", "pagina")}
    filter_errors: dict[str, str] = {}
    try:
        flt = ledger_svc.parse_ledger_filter(filters)
    except ValidationFailed as exc:
        filter_errors = exc.by_field()
        flt = ledger_svc.LedgerFilter()
    result = await ledger_svc.list_ledger(db, principal.region_id, flt)
    providers, municipalities = await _names(db, principal.region_id)
    params = "&".join(f"{k}={v}" for k, v in filters.items() if v and k != "pagina")
    return page(request, "invoicing/ledger_list.html", status_code=422 if filter_errors else status_code,
                result=result, filters=filters, filter_errors=filter_errors, errors=errors or {}, form=form or {},
                providers=providers, municipalities=municipalities, kinds=list(ledger_svc.LEDGER_KINDS.items()),
                provider_names=dict(providers), municipality_names=dict(municipalities), params=params)  # fmt: skip


@get("/team/grootboek", guards=[requires_finance], include_in_schema=False)
async def ledger_page(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Response[str]:
    """The ledger with filters (provider, municipality, month, kind), 50 per page, and the reversal form."""
    return await _ledger_page(request, db, principal)


@post("/team/grootboek/terugdraaien", guards=[requires_finance], include_in_schema=False)
async def ledger_reverse(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, data: Form
) -> Response[Any]:
    """A correction: a reversing entry with a reason (the original stays). 404 for another region's entry."""
    raw_id = str(data.get("boeking", "")).strip()
    form = {"boeking": raw_id, "reden": str(data.get("reden", ""))}
    try:
        if not raw_id.isdigit():
            raise ValidationFailed.single("boeking", "Boeking: kies de boeking die u wilt terugdraaien.")
        entry = await ledger_svc.reverse_entry(db, region_id=principal.region_id, entry_id=int(raw_id),
                                               reason=form["reden"], actor=principal.actor(), now=utcnow())  # fmt: skip
    except ValidationFailed as exc:
        await db.rollback()
        return await _ledger_page(request, db, principal, status_code=422, errors=exc.by_field(), form=form)
    except Conflict as exc:
        await db.rollback()
        return await _ledger_page(request, db, principal, status_code=409, errors={"boeking": exc.message}, form=form)
    return redirect("/team/grootboek?soort=reversal",
                    f"Tegenboeking {entry.id} geboekt: {euro(entry.amount_cents)}.")


ROUTES: list[Any] = [settlement_runs, settlement_start, settlement_run, ledger_page, ledger_reverse]
