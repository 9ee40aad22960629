"""Payment specifications (betaalspecificaties): one per provider per month, built from the ledger by the
settlement run; approved by team finance, then paid (which stops the payment-speed clock of the declarations
behind its lines). They never commit; every state change writes one audit event."""

from __future__ import annotations

import asyncio
import hashlib
import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import ARRAY, Integer, case, cast, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col

from catalogue.public import arrangement_types
from invoicing.models import Declaration, LedgerEntry, LumpSum, Specification
from invoicing.services.facts import ARRANGEMENTS, PROVIDERS
from jeugdregio import audit
from jeugdregio.audit import Actor
from jeugdregio.auth import Principal
from jeugdregio.clock import AMSTERDAM
from jeugdregio.documents import get_document, store_document
from jeugdregio.errors import InvalidTransition, NotFound, ValidationFailed
from jeugdregio.pdf import html_to_pdf
from jeugdregio.spreadsheets import csv_bytes, xlsx_bytes
from jeugdregio.tables import TEAM_ROLES, Document, Municipality, Region
from jeugdregio.templating import euro, render_template

# ---- build (called by the settlement run as its last step) ----------------------------------------------------

_BUILD_SQL = text(
    """
    INSERT INTO invoicing_specification
        (region_id, provider_id, period, run_id, number, total_cents, lines, status, created_at)
    SELECT :region_id, l.provider_id, :period, :run_id,
           'SP-' || to_char(CAST(:period AS date), 'YYYY-MM') || '-' || lpad(l.provider_id::text, 5, '0'),
           SUM(l.amount_cents), COUNT(*), 'draft', :now
    FROM invoicing_ledger_entry l
    WHERE l.region_id = :region_id AND l.period = :period
    GROUP BY l.provider_id
    ON CONFLICT (region_id, provider_id, period) DO UPDATE
        SET total_cents = EXCLUDED.total_cents,
            lines = EXCLUDED.lines,
            run_id = EXCLUDED.run_id,
            document_id = NULL
        WHERE invoicing_specification.status = 'draft'
          AND (invoicing_specification.total_cents, invoicing_specification.lines)
              IS DISTINCT FROM (EXCLUDED.total_cents, EXCLUDED.lines)
    """
)


async def build_specifications(
    session: AsyncSession, *, region_id: int, period: date, run_id: int | None, now: datetime
) -> int:
    """Create (or refresh, while still draft) one specification per provider with ledger entries in `period`
    (the first day of the month): total = SUM of the provider's ledger amounts in that period, lines = their
    count. Approved and paid specifications are never changed (a later correction lands in the next month).
    A draft whose total or line count changed loses its stored PDF (it is made again); an unchanged one keeps
    it (a rerun of the settlement changes nothing). Set-based: one statement. Returns how many specifications
    were created or changed."""
    period = period.replace(day=1)
    result = await session.execute(
        _BUILD_SQL, {"region_id": region_id, "period": period, "run_id": run_id, "now": now}
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# ---- facts of other domains (read set-based, never written) ---------------------------------------------------

KIND_LABELS = {
    "start_half": "eerste 50 %",
    "result_half": "tweede 50 %",
    "month": "maand",
    "pxq": "P×Q",
    "lump_sum": "lump sum",
    "population": "populatiebekostiging",
    "reversal": "correctie",
}
STATUS_LABELS = {"draft": "Concept", "approved": "Goedgekeurd", "paid": "Betaald"}
FINANCE_ROLES = ("team_admin", "team_finance")
PSEUDONYM_SHOWN = 8  # a short youth pseudonym on the specification: enough to tell two children apart


@dataclass(frozen=True)
class SpecLine:
    entry_id: int
    municipality_id: int
    municipality: str
    reference: str  # the arrangement reference, or the lump sum / population budget it pays
    youth: str  # a short youth pseudonym (never the BSN or name)
    type_code: str
    kind: str
    kind_label: str
    amount_cents: int
    declaration_id: int | None


@dataclass(frozen=True)
class MunicipalityPart:
    municipality_id: int
    name: str
    lines: list[SpecLine]

    @property
    def subtotal_cents(self) -> int:
        return sum(line.amount_cents for line in self.lines)

    def columns(self) -> list[str]:
        """The lines as fixed-width text for the PDF (one short paragraph per line: WeasyPrint lays out one text
        line instead of a table cell per value, about twice as fast)."""
        return [
            _columns(ln.reference, ln.youth, ln.type_code, ln.kind_label, euro(ln.amount_cents)) for ln in self.lines
        ]

    def subtotal_column(self) -> str:
        return _columns(f"Subtotaal {self.name}", "", "", "", euro(self.subtotal_cents), wide=True)


COLUMN_WIDTHS = (24, 10, 8, 22, 16)  # reference, youth, code, kind, amount (right-aligned)


def _cut(text: str, width: int) -> str:
    return text if len(text) < width else text[: width - 2] + "…"


def _columns(reference: str, youth: str, code: str, kind: str, amount: str, *, wide: bool = False) -> str:
    ref_w, youth_w, code_w, kind_w, amount_w = COLUMN_WIDTHS
    if wide:  # a subtotal: the label may use the first four columns
        label_w = ref_w + youth_w + code_w + kind_w
        return f"{_cut(reference, label_w):<{label_w}}{amount:>{amount_w}}"
    return (f"{_cut(reference, ref_w):<{ref_w}}{_cut(youth or '–', youth_w):<{youth_w}}"
            f"{_cut(code or '–', code_w):<{code_w}}{_cut(kind, kind_w):<{kind_w}}{amount:>{amount_w}}")  # fmt: skip


def _total_line(cents: int) -> str:
    """The grand total in the PDF: the same fixed width as the lines at the larger size (80 columns at 8 pt
    take the width of 64 at 10 pt)."""
    amount = euro(cents)
    return f"{'Totaal':<{64 - len(amount)}}{amount}"


def column_header() -> str:
    return _columns("Referentie", "Jeugdige", "Code", "Soort", "Bedrag")


@dataclass(frozen=True)
class ClockRow:
    """The payment-speed clock of one declaration: received → checked → settled → paid."""

    declaration_id: int
    reference: str
    kind: str
    received_at: datetime
    checked_at: datetime
    settled_at: datetime | None
    paid_at: datetime | None

    @property
    def days_to_pay(self) -> int | None:
        return None if self.paid_at is None else (self.paid_at - self.received_at).days


@dataclass(frozen=True)
class SpecDetail:
    spec: Specification
    provider_name: str
    region_name: str
    letterhead: str
    parts: list[MunicipalityPart]
    clock: list[ClockRow] = field(default_factory=list)

    @property
    def total_cents(self) -> int:
        return sum(p.subtotal_cents for p in self.parts)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.spec.status, self.spec.status)


@dataclass(frozen=True)
class SpecRow:
    id: int
    number: str
    period: date
    provider_id: int
    provider_name: str
    total_cents: int
    lines: int
    status: str
    paid_on: date | None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


def period_label(period: date) -> str:
    from jeugdregio.templating import MONTHS

    return f"{MONTHS[period.month - 1]} {period.year}"


def parse_period(value: str | None, field_name: str = "periode") -> date:
    """'YYYY-MM' → the first day of that month; a Dutch error naming the field otherwise."""
    raw = (value or "").strip()
    try:
        year, month = raw.split("-")
        if len(year) != 4 or len(month) != 2:
            raise ValueError
        return date(int(year), int(month), 1)
    except ValueError:
        raise ValidationFailed.single(field_name, "Vul een maand in als JJJJ-MM, bijvoorbeeld 2026-03.") from None


# ---- reads: visibility, list, detail -------------------------------------------------------------------------


def _scope(principal: Principal) -> int | None:
    """None: the whole region (team roles); a provider id: its own only. Anyone else sees nothing (404)."""
    if principal.role in TEAM_ROLES:
        return None
    if principal.role == "provider" and principal.provider_id is not None:
        return principal.provider_id
    raise NotFound()


async def provider_names(session: AsyncSession, region_id: int, ids: set[int] | None = None) -> dict[int, str]:
    query = select(PROVIDERS.c.id, PROVIDERS.c.name).where(PROVIDERS.c.region_id == region_id)
    if ids is not None:
        query = query.where(PROVIDERS.c.id.in_(ids))
    return {r.id: r.name for r in await session.execute(query)}


async def list_specifications(
    session: AsyncSession, principal: Principal, *, period: date | None = None, provider_id: int | None = None,
    status: str | None = None, limit: int = 500,
) -> list[SpecRow]:  # fmt: skip
    own = _scope(principal)
    query = select(Specification).where(Specification.region_id == principal.region_id)
    if own is not None:
        query = query.where(Specification.provider_id == own)
    if period is not None:
        query = query.where(Specification.period == period)
    if provider_id is not None:
        query = query.where(Specification.provider_id == provider_id)
    if status:
        query = query.where(Specification.status == status)
    specs = list(
        (await session.execute(query.order_by(Specification.period.desc(), Specification.number).limit(limit)))  # type: ignore[attr-defined]
        .scalars()
    )
    names = await provider_names(session, principal.region_id, {s.provider_id for s in specs})
    return [
        SpecRow(s.id or 0, s.number, s.period, s.provider_id, names.get(s.provider_id, ""), s.total_cents, s.lines,
                s.status, s.paid_on)
        for s in specs
    ]


async def latest_period(session: AsyncSession, region_id: int) -> date | None:
    """The most recent month with specifications (the team list opens on it)."""
    return (
        await session.execute(select(func.max(Specification.period)).where(Specification.region_id == region_id))
    ).scalar_one_or_none()


async def _visible(session: AsyncSession, principal: Principal, spec_id: int, *, lock: bool = False) -> Specification:
    own = _scope(principal)
    query = select(Specification).where(Specification.id == spec_id, Specification.region_id == principal.region_id)
    if own is not None:
        query = query.where(Specification.provider_id == own)
    if lock:
        query = query.with_for_update()
    spec = (await session.execute(query)).scalar_one_or_none()
    if spec is None:
        raise NotFound()
    return spec


async def _lines_by_provider(
    session: AsyncSession, region_id: int, period: date, provider_id: int | None = None
) -> dict[int, list[MunicipalityPart]]:
    """The ledger lines of a month per provider, per paying municipality (ordered by name): one query for one
    specification or for the whole month."""
    a = ARRANGEMENTS
    m = Municipality.__table__  # type: ignore[attr-defined]
    ls = LumpSum.__table__  # type: ignore[attr-defined]
    query = (
        select(
            LedgerEntry.id, LedgerEntry.provider_id, LedgerEntry.municipality_id, m.c.name.label("municipality"),
            LedgerEntry.kind, LedgerEntry.amount_cents, LedgerEntry.declaration_id, LedgerEntry.lump_sum_id,
            LedgerEntry.population_budget_id, a.c.reference, a.c.youth_pseudonym, a.c.arrangement_type_id,
            ls.c.description.label("lump_sum_description"),
        )
        .select_from(LedgerEntry)
        .join(m, m.c.id == LedgerEntry.municipality_id)
        .outerjoin(a, a.c.id == LedgerEntry.arrangement_id)
        .outerjoin(ls, ls.c.id == LedgerEntry.lump_sum_id)
        .where(LedgerEntry.region_id == region_id, LedgerEntry.period == period)
        .order_by(LedgerEntry.provider_id, m.c.name, a.c.reference, LedgerEntry.id)
    )
    if provider_id is not None:
        query = query.where(LedgerEntry.provider_id == provider_id)
    rows = list(await session.execute(query))
    codes = {t.id: t.code for t in await arrangement_types(session, region_id, on=period)} if rows else {}
    out: dict[int, dict[int, MunicipalityPart]] = {}
    for r in rows:
        if r.reference:
            reference = r.reference
        elif r.lump_sum_id:
            reference = f"Lump sum {r.lump_sum_description or r.lump_sum_id}".strip()
        elif r.population_budget_id:
            reference = f"Populatiebudget {r.population_budget_id}"
        else:
            reference = "–"
        line = SpecLine(
            entry_id=r.id, municipality_id=r.municipality_id, municipality=r.municipality, reference=reference,
            youth=(r.youth_pseudonym or "")[:PSEUDONYM_SHOWN], type_code=codes.get(r.arrangement_type_id, ""),
            kind=r.kind, kind_label=KIND_LABELS.get(r.kind, r.kind), amount_cents=int(r.amount_cents),
            declaration_id=r.declaration_id,
        )  # fmt: skip
        parts = out.setdefault(r.provider_id, {})
        parts.setdefault(r.municipality_id, MunicipalityPart(r.municipality_id, r.municipality, [])).lines.append(line)
    return {pid: list(parts.values()) for pid, parts in out.items()}


async def spec_lines(session: AsyncSession, spec: Specification) -> list[MunicipalityPart]:
    """The ledger lines behind one specification, per paying municipality (ordered by name)."""
    lines = await _lines_by_provider(session, spec.region_id, spec.period, spec.provider_id)
    return lines.get(spec.provider_id, [])


async def payment_clock(session: AsyncSession, spec: Specification) -> list[ClockRow]:
    """The declarations behind the specification's ledger lines with their four clock times."""
    a = ARRANGEMENTS
    query = (
        select(
            Declaration.id, a.c.reference, Declaration.kind, Declaration.received_at, Declaration.checked_at,
            Declaration.settled_at, Declaration.paid_at,
        )
        .join(a, a.c.id == Declaration.arrangement_id)
        .where(
            Declaration.region_id == spec.region_id,
            Declaration.id.in_(  # type: ignore[union-attr]
                select(LedgerEntry.declaration_id).where(
                    LedgerEntry.region_id == spec.region_id,
                    LedgerEntry.provider_id == spec.provider_id,
                    LedgerEntry.period == spec.period,
                    LedgerEntry.declaration_id.is_not(None),  # type: ignore[union-attr]
                )
            ),
        )
        .order_by(Declaration.received_at, Declaration.id)
    )
    return [ClockRow(*r) for r in await session.execute(query)]


async def _detail(session: AsyncSession, spec: Specification, *, with_clock: bool) -> SpecDetail:
    region = await session.get(Region, spec.region_id)
    names = await provider_names(session, spec.region_id, {spec.provider_id})
    return SpecDetail(
        spec=spec, provider_name=names.get(spec.provider_id, ""), region_name=region.name if region else "",
        letterhead=region.letterhead_address if region else "", parts=await spec_lines(session, spec),
        clock=await payment_clock(session, spec) if with_clock else [],
    )  # fmt: skip


async def specification_detail(
    session: AsyncSession, principal: Principal, spec_id: int, *, now: datetime, action: str = "view",
    with_clock: bool = True,
) -> SpecDetail:  # fmt: skip
    """One specification the principal may see (404 otherwise). Its lines carry youth pseudonyms and
    arrangement references (personal data, pseudonymised): every read is audited."""
    spec = await _visible(session, principal, spec_id)
    detail = await _detail(session, spec, with_clock=with_clock)
    await audit.record_read(
        session, principal.actor(), object_type="specification", object_id=spec.id, action=action,
        purpose="betaalspecificatie", now=now,
    )  # fmt: skip
    return detail


# ---- documents: PDF, CSV, Excel --------------------------------------------------------------------------------


def pdf_context(detail: SpecDetail, *, generated_at: datetime) -> dict[str, Any]:
    return {"d": detail, "period_label": period_label(detail.spec.period), "generated_at": generated_at,
            "column_header": column_header(), "grand_total_line": _total_line(detail.total_cents)}  # fmt: skip


def render_spec_html(detail: SpecDetail, *, generated_at: datetime) -> str:
    return render_template("pdf/payment_specification.html", **pdf_context(detail, generated_at=generated_at))


class DutchAmount:
    """An amount in euro written as Dutch text in CSV (-50,00): a number, so never neutralised as a formula."""

    def __init__(self, cents: int) -> None:
        self.cents = cents

    def __str__(self) -> str:
        sign = "-" if self.cents < 0 else ""
        whole, rest = divmod(abs(self.cents), 100)
        return f"{sign}{whole},{rest:02d}"


def _amount(cents: int, excel: bool) -> object:
    return Decimal(cents) / 100 if excel else DutchAmount(cents)


def spec_rows(detail: SpecDetail, *, excel: bool = False) -> list[list[object]]:
    """The specification as rows for CSV/Excel: lines, a subtotal per municipality, the total. Amounts in euro
    (a number in Excel, Dutch notation in CSV) and in cents."""
    rows: list[list[object]] = [[
        "specificatie", "periode", "gemeente", "referentie", "jeugdige (pseudoniem)", "arrangementcode", "soort",
        "bedrag_euro", "bedrag_centen",
    ]]  # fmt: skip
    month = detail.spec.period.strftime("%Y-%m")
    for part in detail.parts:
        for ln in part.lines:
            rows.append([detail.spec.number, month, part.name, ln.reference, ln.youth, ln.type_code, ln.kind_label,
                         _amount(ln.amount_cents, excel), ln.amount_cents])  # fmt: skip
        rows.append([detail.spec.number, month, part.name, "Subtotaal", "", "", "", _amount(part.subtotal_cents, excel),
                     part.subtotal_cents])  # fmt: skip
    rows.append([detail.spec.number, month, "", "Totaal", "", "", "", _amount(detail.total_cents, excel),
                 detail.total_cents])  # fmt: skip
    return rows


def spec_csv(detail: SpecDetail) -> bytes:
    return csv_bytes(spec_rows(detail))


def spec_xlsx(detail: SpecDetail) -> bytes:
    return xlsx_bytes("Specificatie", spec_rows(detail, excel=True))


async def specification_pdf(session: AsyncSession, principal: Principal, spec_id: int, *, now: datetime) -> Document:
    """The stored PDF of a specification; made (and stored) on first download while none is stored."""
    spec = await _visible(session, principal, spec_id)
    if spec.document_id is None:
        detail = await _detail(session, spec, with_clock=False)
        content = html_to_pdf(render_spec_html(detail, generated_at=now))
        doc = await store_document(
            session, region_id=spec.region_id, kind="specification", content=content, content_type="application/pdf",
            now=now, created_by=principal.user_id, stem=f"betaalspecificatie-{spec.number}",
        )  # fmt: skip
        spec.document_id = doc.id
        session.add(spec)
        await session.flush()
    else:
        doc = await get_document(session, spec.document_id, spec.region_id)
    await audit.record_read(
        session, principal.actor(), object_type="specification", object_id=spec.id, action="download",
        purpose="betaalspecificatie", now=now, summary={"format": "pdf"},
    )  # fmt: skip
    return doc


def _pdf_worker(html: str) -> bytes:
    """Runs in a worker process: HTML in, PDF bytes out (no database, no session)."""
    return html_to_pdf(html)


_PRELOAD = "invoicing.services.pdf_preload"


def _pool_context() -> multiprocessing.context.BaseContext:
    """Workers fork from a forkserver that imported WeasyPrint and rendered one page (fonts loaded) once per
    process, so a pool starts in milliseconds instead of importing WeasyPrint in every worker."""
    if sys.platform == "darwin" or "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([_PRELOAD])  # type: ignore[attr-defined]
    return ctx


def render_pdfs(htmls: list[str], *, workers: int | None = None) -> list[bytes]:
    """Render many PDFs with a process pool (WeasyPrint is CPU-bound and holds the GIL)."""
    if not htmls:
        return []
    workers = workers or min(len(htmls), os.cpu_count() or 1)
    if workers <= 1:
        return [html_to_pdf(h) for h in htmls]
    with ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context()) as pool:
        return list(pool.map(_pdf_worker, htmls, chunksize=max(1, len(htmls) // (workers * 4))))


async def make_period_pdfs(
    session: AsyncSession, *, region_id: int, period: date, actor: Actor, now: datetime, workers: int | None = None,
) -> int:  # fmt: skip
    """"PDF's maken voor maand X": render the HTML of every specification of the region's month without a
    stored PDF in this process, the PDF bytes in a process pool, and store them. Returns how many were made."""
    specs = list(
        (
            await session.execute(
                select(Specification).where(
                    Specification.region_id == region_id, Specification.period == period.replace(day=1),
                    Specification.document_id.is_(None),  # type: ignore[union-attr]
                ).order_by(Specification.id)
            )
        ).scalars()
    )  # fmt: skip
    if not specs:
        return 0
    region = await session.get(Region, region_id)
    names = await provider_names(session, region_id, {sp.provider_id for sp in specs})
    lines = await _lines_by_provider(session, region_id, period.replace(day=1))
    htmls = [
        render_spec_html(
            SpecDetail(spec=sp, provider_name=names.get(sp.provider_id, ""), region_name=region.name if region else "",
                       letterhead=region.letterhead_address if region else "", parts=lines.get(sp.provider_id, [])),
            generated_at=now,
        )
        for sp in specs
    ]
    loop = asyncio.get_running_loop()
    pdfs = await loop.run_in_executor(None, lambda: render_pdfs(htmls, workers=workers))
    # set-based: one INSERT of every document (ids in parameter order), one UPDATE of every specification
    rows = [
        {"region_id": region_id, "kind": "specification", "filename": f"betaalspecificatie-{sp.number}.pdf",
         "content_type": "application/pdf", "size": len(content), "sha256": hashlib.sha256(content).hexdigest(),
         "content": content, "created_at": now, "created_by": actor.user_id}
        for sp, content in zip(specs, pdfs, strict=True)
    ]  # fmt: skip
    doc_ids = list(
        (await session.execute(insert(Document).returning(Document.id, sort_by_parameter_order=True), rows)).scalars()
    )
    spec_table = Specification.__table__  # type: ignore[attr-defined]
    pairs = select(
        func.unnest(cast([sp.id for sp in specs], ARRAY(Integer))).label("spec_id"),
        func.unnest(cast(doc_ids, ARRAY(Integer))).label("doc_id"),
    ).subquery()
    await session.execute(
        update(spec_table).where(spec_table.c.id == pairs.c.spec_id).values(document_id=pairs.c.doc_id)
    )
    for sp, doc_id in zip(specs, doc_ids, strict=True):  # keep the loaded objects in step, without a flush
        set_committed_value(sp, "document_id", doc_id)
    await audit.record(
        session, actor, object_type="specification_period", object_id=period.strftime("%Y-%m"), action="pdfs_made",
        now=now, summary={"count": len(specs)}, region_id=region_id,
    )  # fmt: skip
    return len(specs)


# ---- state changes: approve, paid ------------------------------------------------------------------------------


def _finance_only(principal: Principal) -> None:
    if principal.role not in FINANCE_ROLES:
        raise NotFound()


async def approve_specification(
    session: AsyncSession, principal: Principal, spec_id: int, *, now: datetime
) -> Specification:
    """draft → approved (who and when). Anything else: 409."""
    _finance_only(principal)
    spec = await _visible(session, principal, spec_id, lock=True)
    if spec.status != "draft":
        raise InvalidTransition(
            f"Specificatie {spec.number} is {STATUS_LABELS[spec.status].lower()}; alleen een concept kan worden "
            "goedgekeurd."
        )
    spec.status, spec.approved_by, spec.approved_at = "approved", principal.user_id, now
    session.add(spec)
    await session.flush()
    await audit.record(
        session, principal.actor(), object_type="specification", object_id=spec.id, action="approve", now=now,
        summary={"number": spec.number, "total_cents": spec.total_cents},
    )  # fmt: skip
    return spec


def parse_paid_on(value: str | None, *, today: date) -> date:
    raw = (value or "").strip()
    try:
        paid_on = date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed.single("paid_on", "Vul de betaaldatum in als datum (JJJJ-MM-DD).") from None
    if paid_on > today:
        raise ValidationFailed.single("paid_on", "De betaaldatum ligt in de toekomst.")
    return paid_on


async def mark_specification_paid(
    session: AsyncSession, principal: Principal, spec_id: int, *, paid_on: date, now: datetime
) -> Specification:
    """approved → paid with a date; the declarations behind its ledger lines get paid_at (the payment-speed
    clock stops) and, when settled, the status paid; set-based. Paid before approved, or twice: 409."""
    _finance_only(principal)
    spec = await _visible(session, principal, spec_id, lock=True)
    if spec.status != "approved":
        raise InvalidTransition(
            f"Specificatie {spec.number} is {STATUS_LABELS[spec.status].lower()}; alleen een goedgekeurde "
            "specificatie kan als betaald worden gemarkeerd."
        )
    if spec.approved_at is not None and paid_on < spec.approved_at.date():
        raise ValidationFailed.single("paid_on", "De betaaldatum ligt vóór de goedkeuring.")
    spec.status, spec.paid_on, spec.paid_by = "paid", paid_on, principal.user_id
    session.add(spec)
    paid_at = datetime.combine(paid_on, time(12, 0), tzinfo=AMSTERDAM)
    result = await session.execute(
        update(Declaration)
        .where(
            Declaration.region_id == spec.region_id,
            Declaration.paid_at.is_(None),  # type: ignore[union-attr]
            Declaration.id.in_(  # type: ignore[union-attr]
                select(LedgerEntry.declaration_id).where(
                    LedgerEntry.region_id == spec.region_id,
                    LedgerEntry.provider_id == spec.provider_id,
                    LedgerEntry.period == spec.period,
                    LedgerEntry.declaration_id.is_not(None),  # type: ignore[union-attr]
                )
            ),
        )
        .values(paid_at=paid_at, status=case((Declaration.status == "settled", "paid"), else_=Declaration.status))
        .execution_options(synchronize_session=False)
    )
    await session.flush()
    await audit.record(
        session, principal.actor(), object_type="specification", object_id=spec.id, action="paid", now=now,
        summary={"number": spec.number, "paid_on": paid_on.isoformat(), "declarations": result.rowcount},  # type: ignore[attr-defined]
    )  # fmt: skip
    return spec


# ---- payment speed per municipality -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentSpeed:
    municipality_id: int
    name: str
    paid: int
    avg_days: float | None


async def payment_speed(session: AsyncSession, region_id: int, *, year: int | None = None) -> list[PaymentSpeed]:
    """Average days from received_at to paid_at of paid declarations, per paying municipality."""
    m = Municipality.__table__  # type: ignore[attr-defined]
    days = func.extract("epoch", col(Declaration.paid_at) - col(Declaration.received_at)) / 86400.0
    cond = [Declaration.region_id == region_id, Declaration.paid_at.is_not(None)]  # type: ignore[union-attr]
    if year is not None:
        cond.append(func.extract("year", Declaration.paid_at) == year)
    sub = (
        select(Declaration.municipality_id, func.count().label("paid"), func.avg(days).label("avg_days"))
        .where(*cond)
        .group_by(Declaration.municipality_id)
        .subquery()
    )
    query = (
        select(m.c.id, m.c.name, func.coalesce(sub.c.paid, 0), sub.c.avg_days)
        .select_from(m)
        .outerjoin(sub, sub.c.municipality_id == m.c.id)
        .where(m.c.region_id == region_id)
        .order_by(m.c.name)
    )
    return [
        PaymentSpeed(r[0], r[1], int(r[2]), None if r[3] is None else round(float(r[3]), 1))
        for r in await session.execute(query)
    ]
