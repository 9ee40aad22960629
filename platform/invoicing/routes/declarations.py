"""Declarations: web forms, CSV upload and the provider's overview (/portaal/declaraties).

Thin handlers: parse the form, call one service, render or redirect. The services check everything against the
arrangement; another provider's arrangement is NotFound (404), so its existence never leaks."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.public import END_REASONS, GOAL_OUTCOMES, arrangement_facts, goals_of
from invoicing.services import declaration_import as bulk
from invoicing.services import declarations as svc
from jeugdregio.auth import Principal
from jeugdregio.clock import utcnow
from jeugdregio.errors import Conflict, ErrorCollector, NotFound, ValidationFailed
from jeugdregio.web import page, redirect, requires_provider

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
UPLOAD_BODY_LIMIT = 11 * 1024 * 1024  # a CSV of ~100,000 lines plus the form around it
KIND_OPTIONS = [("start", "Start"), ("einde", "Einde met resultaat"), ("maand", "Maand zorg (maandbekostiging)"),
                ("pxq", "P×Q-levering (eenheden)")]  # fmt: skip
END_REASON_OPTIONS = [(code, f"{code} – {label}") for code, label in END_REASONS.items() if code != "change"]
OUTCOME_OPTIONS = [("achieved", GOAL_OUTCOMES["achieved"]), ("partly", GOAL_OUTCOMES["partly"]),
                   ("not", GOAL_OUTCOMES["not"])]  # fmt: skip


def _text(data: Any, name: str) -> str:
    value = data.get(name)
    return value.strip() if isinstance(value, str) else ""


def parse_form(data: dict[str, Any], goal_positions: list[int]) -> svc.DeclarationIn:
    """The form's raw values → DeclarationIn, or ValidationFailed naming each field in Dutch."""
    errors = ErrorCollector()
    kind = svc.KIND_BY_DUTCH.get(_text(data, "soort"))
    if kind is None:
        errors.add("soort", "Soort: kies start, einde, maand of pxq.")
    raw_day = _text(data, "datum")
    day: date | None = None
    try:
        day = date.fromisoformat(raw_day if len(raw_day) != 7 else raw_day + "-01")
    except ValueError:
        errors.add("datum", "Datum: vul een datum in als JJJJ-MM-DD (bij maand en pxq mag ook JJJJ-MM).")
    units = _int(data, "eenheden", "Eenheden", errors)
    amount = _int(data, "bedrag_cent", "Bedrag", errors)
    outcomes: dict[int, str] = {}
    if kind == "end":
        for pos in goal_positions:
            value = _text(data, f"doel_{pos}")
            if value not in GOAL_OUTCOMES:
                errors.add(f"doel_{pos}", f"Doel {pos}: kies behaald, deels behaald of niet behaald.")
            else:
                outcomes[pos] = value
    errors.raise_if_any()
    assert kind is not None and day is not None
    return svc.DeclarationIn(kind=kind, day=day, reference=_text(data, "referentie"), units=units,
                             amount_cents=amount, end_reason=_text(data, "reden_einde"), outcomes=outcomes,
                             external_ref=_text(data, "eigen_referentie")[:40])  # fmt: skip


def _int(data: dict[str, Any], name: str, label: str, errors: ErrorCollector) -> int | None:
    raw = _text(data, name)
    if not raw:
        return None
    if not raw.lstrip("-").isdigit() or len(raw) > 15:
        errors.add(name, f"{label}: '{raw[:20]}' is geen geheel getal.")
        return None
    return int(raw)


async def _goals(db: AsyncSession, principal: Principal, reference: str) -> list[tuple[int, str]]:
    """The goals of the provider's own arrangement with this reference (none when it is not theirs)."""
    if not reference:
        return []
    try:
        facts = await arrangement_facts(db, region_id=principal.region_id, reference=reference,
                                        provider_id=principal.provider_id)  # fmt: skip
        return await goals_of(db, region_id=principal.region_id, arrangement_id=facts.id)
    except NotFound:
        return []


async def _form_page(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, form: dict[str, Any], *,
    status_code: int = 200, errors: dict[str, str] | None = None,
) -> Response[str]:  # fmt: skip
    goals = await _goals(db, principal, str(form.get("referentie", "")))
    return page(request, "invoicing/declaration_form.html", status_code=status_code, form=form, errors=errors or {},
                kinds=KIND_OPTIONS, end_reasons=END_REASON_OPTIONS, outcomes=OUTCOME_OPTIONS, goals=goals)  # fmt: skip


@get("/portaal/declaraties", guards=[requires_provider], include_in_schema=False)
async def portal_declarations(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal
) -> Response[str]:
    """The provider's declarations, newest first, with per line the status and the reason in plain Dutch."""
    q = request.query_params
    filters = {k: (q.get(k) or "").strip() for k in ("status", "soort", "batch", "pagina")}
    errors: dict[str, str] = {}
    rows: list[svc.DeclarationView] = []
    total = 0
    batch = int(filters["batch"]) if filters["batch"].isdigit() else None
    pagina = int(filters["pagina"]) if filters["pagina"].isdigit() else 1
    try:
        rows, total = await svc.list_declarations(db, principal, status=filters["status"], kind=filters["soort"],
                                                  batch_id=batch, page=pagina)  # fmt: skip
    except ValidationFailed as exc:
        errors = exc.by_field()
    return page(request, "invoicing/declaration_list.html", status_code=422 if errors else 200, rows=rows,
                total=total, filters=filters, filter_errors=errors, page_nr=pagina, per_page=svc.PER_PAGE,
                statuses=list(svc.STATUS_LABELS.items()), kinds=KIND_OPTIONS)  # fmt: skip


@get("/portaal/declaraties/nieuw", guards=[requires_provider], include_in_schema=False)
async def portal_declaration_form(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal
) -> Response[str]:
    """?arrangement=<referentie>&soort=start|einde|maand|pxq prefill the form (and show the plan's goals)."""
    q = request.query_params
    form = {"referentie": (q.get("arrangement") or "").strip()[:20], "soort": (q.get("soort") or "").strip()[:10]}
    return await _form_page(request, db, principal, form)


@post("/portaal/declaraties/nieuw", guards=[requires_provider], include_in_schema=False)
async def portal_declare(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, data: Form
) -> Response[Any]:
    assert principal.provider_id is not None
    form = {k: v for k, v in data.items() if k != "_csrf_token"}
    try:
        goals = await _goals(db, principal, _text(data, "referentie"))
        decl = await svc.declare(db, region_id=principal.region_id, provider_id=principal.provider_id,
                                 data=parse_form(data, [p for p, _ in goals]), channel="web",
                                 actor=principal.actor(), now=utcnow())  # fmt: skip
    except ValidationFailed as exc:
        await db.rollback()
        return await _form_page(request, db, principal, form, status_code=422, errors=exc.by_field())
    except Conflict as exc:
        await db.rollback()
        return await _form_page(request, db, principal, form, status_code=409, errors={"referentie": exc.message})
    return redirect(f"/portaal/declaraties/{decl.id}", f"Declaratie ontvangen en geaccepteerd: {decl.status_reason}")


@get("/portaal/declaraties/{declaration_id:int}", guards=[requires_provider], include_in_schema=False)
async def portal_declaration(
    request: Request[Any, Any, Any], db: AsyncSession, principal: Principal, declaration_id: int
) -> Response[str]:
    view = await svc.declaration_detail(db, principal, declaration_id)
    return page(request, "invoicing/declaration_detail.html", d=view)


def _upload_page(request: Request[Any, Any, Any], *, status_code: int = 200, errors: list[Any] | None = None,
                 total: int = 0, message: str = "") -> Response[str]:  # fmt: skip
    return page(request, "invoicing/declaration_upload.html", status_code=status_code, row_errors=errors or [],
                total=total, message=message, columns=bulk.COLUMNS, header=bulk.HEADER,
                end_reasons=END_REASON_OPTIONS)  # fmt: skip


@get("/portaal/declaraties/upload", guards=[requires_provider], include_in_schema=False)
async def portal_upload_form(request: Request[Any, Any, Any]) -> Response[str]:
    return _upload_page(request)


@post("/portaal/declaraties/upload", guards=[requires_provider], include_in_schema=False,
      request_max_body_size=UPLOAD_BODY_LIMIT)  # fmt: skip
async def portal_upload(request: Request[Any, Any, Any], db: AsyncSession, principal: Principal) -> Response[Any]:
    """All or nothing: a file with any error stores nothing and lists every error (first 1,000 and the total)."""
    assert principal.provider_id is not None
    form = await request.form()
    upload = form.get("bestand")
    content = await upload.read() if isinstance(upload, UploadFile) else b""
    filename = upload.filename if isinstance(upload, UploadFile) else ""
    if not content:
        return _upload_page(request, status_code=422, message="Kies een CSV-bestand om te uploaden.")
    try:
        result = await bulk.import_declarations(db, region_id=principal.region_id, provider_id=principal.provider_id,
                                                content=content, filename=filename or "upload.csv", channel="csv",
                                                actor=principal.actor(), now=utcnow())  # fmt: skip
    except bulk.ImportFailed as exc:
        await db.rollback()
        return _upload_page(request, status_code=422, errors=exc.errors, total=exc.total, message=exc.message)
    except Conflict as exc:
        await db.rollback()
        return _upload_page(request, status_code=409, message=exc.message)
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(result.per_kind.items()))
    return redirect(f"/portaal/declaraties?batch={result.batch_id}",
                    f"Bestand verwerkt: {result.rows} declaraties geaccepteerd ({kinds}).")  # fmt: skip


ROUTES: list[Any] = [
    portal_declarations, portal_declaration_form, portal_declare, portal_declaration, portal_upload_form,
    portal_upload,
]  # fmt: skip
