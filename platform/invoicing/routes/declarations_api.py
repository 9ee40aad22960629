"""Declarations: the JSON API. Every write needs an Idempotency-Key (ADR 0007; the middleware does it).

POST /api/v1/declarations (one), /api/v1/declarations/batch (JSON lines, all or nothing),
/api/v1/declarations/csv (the CSV upload format, all or nothing); GET list and detail. A provider only ever
reaches its own arrangements and declarations (another's is 404)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from invoicing.services import declaration_import as bulk
from invoicing.services import declarations as svc
from jeugdregio.auth import Principal
from jeugdregio.clock import utcnow
from jeugdregio.errors import FieldError, ValidationFailed
from jeugdregio.tables import TEAM_ROLES
from jeugdregio.web import requires_provider, requires_roles

TAGS = ["declarations"]
BODY_LIMIT = 11 * 1024 * 1024
requires_declaration_reader = requires_roles(*TEAM_ROLES, "municipality", "provider")


@dataclass
class DeclarationApiIn:
    """One declaration. `kind`: start | end | month | pxq. `date`: start/end date, or a day (or YYYY-MM) of the month
    of care. `amount_cents` is optional; when given it must equal the tariff-derived amount. For `end`: an iJw
    `end_reason` and `outcomes` per goal position ("1": achieved | partly | not)."""

    kind: str = ""
    date: str = ""
    arrangement_reference: str = ""
    arrangement_id: int | None = None
    units: int | None = None
    amount_cents: int | None = None
    end_reason: str = ""
    outcomes: dict[str, str] = field(default_factory=dict)
    external_ref: str = ""


def _to_input(data: DeclarationApiIn) -> svc.DeclarationIn:
    errors: list[FieldError] = []
    kind = data.kind.strip()
    if kind not in svc.KINDS:
        errors.append(FieldError("kind", "kind: kies start, end, month of pxq."))
    raw = data.date.strip()
    day: date | None = None
    try:
        day = date.fromisoformat(raw + "-01" if len(raw) == 7 else raw)
    except ValueError:
        errors.append(FieldError("date", "date: geef een datum als JJJJ-MM-DD (bij month en pxq mag ook JJJJ-MM)."))
    outcomes: dict[int, str] = {}
    for pos, outcome in (data.outcomes or {}).items():
        if not str(pos).isdigit():
            errors.append(FieldError("outcomes", f"outcomes: '{str(pos)[:10]}' is geen doelnummer."))
        else:
            outcomes[int(pos)] = outcome
    if not data.arrangement_reference.strip() and data.arrangement_id is None:
        errors.append(FieldError("arrangement_reference", "arrangement_reference: geef het arrangement op."))
    if errors:
        raise ValidationFailed(errors)
    assert day is not None
    return svc.DeclarationIn(kind=kind, day=day, arrangement_id=data.arrangement_id,
                             reference=data.arrangement_reference.strip() or None, units=data.units,
                             amount_cents=data.amount_cents, end_reason=data.end_reason.strip(), outcomes=outcomes,
                             external_ref=data.external_ref.strip()[:40])  # fmt: skip


@post("/api/v1/declarations", guards=[requires_provider], tags=TAGS, status_code=201)
async def api_declare(db: AsyncSession, principal: Principal, data: DeclarationApiIn) -> dict[str, Any]:
    """Declare one start, end, month or P×Q delivery; checked at once. 201 with the accepted declaration (status and
    the Dutch status_reason); 404 for an arrangement that is not yours; 409 for a second start/end/month; 422 with
    Dutch field errors."""
    assert principal.provider_id is not None
    decl = await svc.declare(db, region_id=principal.region_id, provider_id=principal.provider_id,
                             data=_to_input(data), channel="api", actor=principal.actor(), now=utcnow())  # fmt: skip
    assert decl.id is not None
    return (await svc.declaration_detail(db, principal, decl.id)).as_json()


@post("/api/v1/declarations/batch", guards=[requires_provider], tags=TAGS, status_code=201,
      request_max_body_size=BODY_LIMIT)  # fmt: skip
async def api_declare_batch(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> dict[str, Any]:
    """JSON lines (application/x-ndjson): one declaration object per line, as for POST /api/v1/declarations but with
    `arrangement_reference`. All or nothing: any error → 422 with every error by line number (`row`), nothing
    stored. 201: the batch id, the number of lines, the count per kind and the total in cents."""
    assert principal.provider_id is not None
    content, errors = bulk.json_lines(await request.body())
    result = await bulk.import_declarations(db, region_id=principal.region_id, provider_id=principal.provider_id,
                                            content=content, filename="api-batch", channel="api",
                                            actor=principal.actor(), now=utcnow(), first_row=1,
                                            errors=errors)  # fmt: skip
    return {"batch_id": result.batch_id, "rows": result.rows, "per_kind": result.per_kind,
            "total_cents": result.total_cents}  # fmt: skip


@post("/api/v1/declarations/csv", guards=[requires_provider], tags=TAGS, status_code=201,
      request_max_body_size=BODY_LIMIT)  # fmt: skip
async def api_declare_csv(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> dict[str, Any]:
    """The CSV upload format (docs/declaration-csv.md) as the request body (text/csv). All or nothing: any error →
    422 with the first 1,000 errors (row, field = column, Dutch message) and the total in `detail`."""
    assert principal.provider_id is not None
    result = await bulk.import_declarations(db, region_id=principal.region_id, provider_id=principal.provider_id,
                                            content=await request.body(), filename="api.csv", channel="api",
                                            actor=principal.actor(), now=utcnow())  # fmt: skip
    return {"batch_id": result.batch_id, "rows": result.rows, "per_kind": result.per_kind,
            "total_cents": result.total_cents}  # fmt: skip


@get("/api/v1/declarations", guards=[requires_declaration_reader], tags=TAGS)
async def api_declarations(
    db: AsyncSession,
    principal: Principal,
    status: str = "",
    kind: str = "",
    batch_id: Annotated[int | None, Parameter(query="batch", ge=1)] = None,
    page_nr: Annotated[int, Parameter(query="page", ge=1)] = 1,
) -> dict[str, Any]:
    """Declarations, newest first, 50 per page: a provider its own, a municipality those it pays, the team the
    region's."""
    rows, total = await svc.list_declarations(db, principal, status=status, kind=kind, batch_id=batch_id,
                                              page=page_nr)  # fmt: skip
    return {"items": [r.as_json() for r in rows], "total": total, "page": page_nr, "per_page": svc.PER_PAGE}


@get("/api/v1/declarations/{declaration_id:int}", guards=[requires_declaration_reader], tags=TAGS)
async def api_declaration(db: AsyncSession, principal: Principal, declaration_id: int) -> dict[str, Any]:
    """One declaration with its status, Dutch status_reason and payment-speed clock (404 when not visible)."""
    return (await svc.declaration_detail(db, principal, declaration_id)).as_json()


ROUTES: list[Any] = [api_declare, api_declare_batch, api_declare_csv, api_declarations, api_declaration]
