"""Workload: the contract-conversation pack (QUALITY-BAR §1 "contract-conversation report ≤ 2 s").

Data (set-based SQL, built once per run in the bench region): the default catalogue, 2,000 family plans, 20,000
arrangements over 2025–2026 across the region's providers in every state, one ledger entry per started
arrangement, and one 2026-K1 conversation for each of the ten largest providers. Measured in-process: for each
of those conversations, the whole pack — the figures (quality.services.conversation_pack.pack_figures: a few
aggregate queries), two matplotlib SVG charts (a bare Figure and SVG canvas, no pyplot) and the WeasyPrint PDF
(3–4 pages, with the pack's per-thread FontConfiguration, prepared by the warm-up pack like the fonts and imports).
The charts and the PDF each run with the cyclic GC paused and end with its collection of their garbage, so that
cost is inside the measured time. Floor: a one-page WeasyPrint invoice (the same renderer and fetcher, a new
FontConfiguration per document as jeugdregio.pdf does) in the same run."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime
from statistics import median

from sqlalchemy import text

from bench.workloads import Context, Row, workload

ARRANGEMENTS = 20_000
PLANS = 2_000
PACKS = 10
TARGET_SECONDS = 2.0
FLOOR_HTML = """<!doctype html><html lang="nl"><head><meta charset="utf-8"><link rel="stylesheet"
href="pdf/_letter.css"></head><body><div class="letterhead"><div class="org">Regio</div></div><h1>Factuur 1</h1>
<table>{rows}</table></body></html>"""


async def _build(url: str, region_id: int, profile_ids: dict[int, int]) -> dict[str, int]:
    from catalogue.public import seed_catalogue
    from jeugdregio.db import make_engine, make_sessionmaker

    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as s:
            await seed_catalogue(s, region_id=region_id, profile_ids=profile_ids, valid_from=date(2024, 1, 1))
            p = {"rid": region_id}
            await s.execute(text("""
                INSERT INTO contracts_family_plan (region_id, reference, referrer_membership_id, referrer_type, bsn,
                    youth_pseudonym, youth_name, birth_date, paying_municipality_id, residence_basis, situation,
                    status, created_at)
                SELECT :rid, 'GP-B-' || g, (SELECT min(id) FROM jeugdregio_membership WHERE region_id = :rid), '01',
                    '000000000', substr(md5('youth' || g), 1, 24), 'Bench', date '2015-01-01' + (g % 3000),
                    (SELECT id FROM jeugdregio_municipality WHERE region_id = :rid ORDER BY id
                     OFFSET g % 9 LIMIT 1), 'registered_address', '', 'open', now()
                FROM generate_series(1, :n) g"""), {**p, "n": PLANS})  # fmt: skip
            await s.execute(text("""
                WITH t AS (SELECT row_number() OVER (ORDER BY id) - 1 AS i, id, profile_id, payment_model,
                                  max_months, count(*) OVER () AS n
                           FROM catalogue_arrangement_type WHERE region_id = :rid),
                     pl AS (SELECT row_number() OVER (ORDER BY id) - 1 AS i, id, youth_pseudonym, paying_municipality_id
                            FROM contracts_family_plan WHERE region_id = :rid),
                     pr AS (SELECT row_number() OVER (ORDER BY id) - 1 AS i, id, count(*) OVER () AS n
                            FROM contracts_provider WHERE region_id = :rid),
                     g AS (SELECT g, date '2025-01-01' + (g * 7919 % 540) AS agreed,
                                  (ARRAY['agreed','started','started','ended','confirmed','confirmed','confirmed',
                                         'confirmed','cancelled'])[1 + g % 9] AS status
                           FROM generate_series(1, :n) g)
                INSERT INTO contracts_arrangement (region_id, reference, plan_id, provider_id, arrangement_type_id,
                    profile_id, payment_model, max_months, paying_municipality_id, youth_pseudonym, status,
                    planned_start, subcontractors, agreed_on, tariff_cents, start_date, end_date, end_reason, result,
                    dispute_reason, dispute_resolution, cancel_reason, family_agreed_note, created_at, updated_at)
                SELECT :rid, 'AR-B-' || g.g, pl.id, pr.id, t.id, t.profile_id, t.payment_model, t.max_months,
                    pl.paying_municipality_id, pl.youth_pseudonym, g.status, g.agreed + 14, '[]'::jsonb, g.agreed,
                    400000 + (g.g % 7) * 100000,
                    CASE WHEN g.status IN ('started','ended','confirmed') THEN g.agreed + (g.g % 40) END,
                    CASE WHEN g.status IN ('ended','confirmed') THEN g.agreed + (g.g % 40) + 20 + (g.g * 31 % 300) END,
                    CASE WHEN g.status IN ('ended','confirmed')
                         THEN (ARRAY['31','31','31','32','33','34','38'])[1 + g.g % 7] END,
                    CASE WHEN g.status IN ('ended','confirmed')
                         THEN (ARRAY['achieved','achieved','partly','not'])[1 + g.g % 4] END,
                    '', '', '', '', now(), now()
                FROM g
                JOIN pr ON pr.i = (g.g * g.g) % pr.n  -- a skewed spread: some providers are much larger
                JOIN pl ON pl.i = g.g % :plans
                JOIN t ON t.i = g.g % t.n"""), {**p, "n": ARRANGEMENTS, "plans": PLANS})  # fmt: skip
            await s.execute(text("""
                INSERT INTO invoicing_ledger_entry (region_id, period, provider_id, municipality_id, arrangement_id,
                    kind, amount_cents, dedupe_key, reason, created_at)
                SELECT region_id, date_trunc('month', start_date)::date, provider_id, paying_municipality_id, id,
                    'start_half', tariff_cents / 2, 'bench:start:' || id, '', now()
                FROM contracts_arrangement WHERE region_id = :rid AND start_date IS NOT NULL"""), p)  # fmt: skip
            await s.execute(text("""
                INSERT INTO quality_contract_conversation (region_id, provider_id, frequency, period_label,
                    period_start, period_end, planned_on, status, notes, cancel_reason, created_at, updated_at)
                SELECT :rid, provider_id, 'quarter', '2026-K1', date '2026-01-01', date '2026-03-31',
                    date '2026-04-21', 'planned', '', '', now(), now()
                FROM (SELECT provider_id, count(*) AS n FROM contracts_arrangement WHERE region_id = :rid
                      GROUP BY provider_id ORDER BY n DESC LIMIT :packs) big"""), {**p, "packs": PACKS})  # fmt: skip
            await s.commit()
            counts = {}
            for name, table in (("arrangements", "contracts_arrangement"), ("ledger entries", "invoicing_ledger_entry"),
                                ("conversations", "quality_contract_conversation")):  # fmt: skip
                counts[name] = int((await s.execute(
                    text(f"SELECT count(*) FROM {table} WHERE region_id = :rid"), p  # noqa: S608
                )).scalar_one())  # fmt: skip
            await s.execute(text("ANALYZE"))
            await s.commit()
            return counts
    finally:
        await engine.dispose()


async def _packs(url: str, region_id: int) -> tuple[list[float], list[int], int, list[float]]:
    """(seconds per pack, pages per pack, the largest provider's starts + ends in the period, median seconds of
    the figures, the charts and the PDF)."""
    import io

    from pypdf import PdfReader
    from sqlalchemy import select

    from jeugdregio.db import make_engine, make_sessionmaker
    from quality.models import ContractConversation
    from quality.services.conversation_pack import pack_charts, pack_figures, render_pack

    engine = make_engine(url)
    times: list[float] = []
    parts: list[tuple[float, float, float]] = []
    pages: list[int] = []
    biggest = 0
    try:
        async with make_sessionmaker(engine)() as s:
            conversations = (await s.execute(
                select(ContractConversation).where(ContractConversation.region_id == region_id)  # type: ignore[arg-type]
            )).scalars().all()  # fmt: skip
            # one warm-up pack: imports (matplotlib, WeasyPrint) and fonts are loaded once per process
            render_pack(await pack_figures(s, conversations[0]), generated_at=datetime.now(UTC))
            for c in conversations:
                started = time.perf_counter()
                figures = await pack_figures(s, c)
                t_figures = time.perf_counter()
                charts = pack_charts(figures)
                t_charts = time.perf_counter()
                pdf = render_pack(figures, generated_at=datetime.now(UTC), charts=charts)
                done = time.perf_counter()
                times.append(done - started)
                parts.append((t_figures - started, t_charts - t_figures, done - t_charts))
                pages.append(len(PdfReader(io.BytesIO(pdf)).pages))
                biggest = max(biggest, sum(v.started + v.ended for v in figures.volumes))
    finally:
        await engine.dispose()
    return times, pages, biggest, [median(p[i] for p in parts) for i in range(3)]


def _floor_seconds() -> float:
    from jeugdregio.pdf import html_to_pdf

    html = FLOOR_HTML.format(rows="".join(f"<tr><td>Regel {i}</td><td>€ 1.314,00</td></tr>" for i in range(20)))
    html_to_pdf(html)  # warm-up
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        html_to_pdf(html)
        runs.append(time.perf_counter() - started)
    return median(runs)


@workload(
    "conversation-pack", "contract-conversation pack",
    measures=f"In-process: figures (aggregate queries over {ARRANGEMENTS:,} arrangements and the ledger), two "
             "matplotlib SVG charts and the WeasyPrint PDF (GC collections included), for the 2026-K1 conversation "
             f"of each of the {PACKS} largest providers (after one warm-up pack).",
    floor="a one-page WeasyPrint invoice (20 lines, same renderer and local fetcher), median of 5, same run",
    target=f"≤ {TARGET_SECONDS:g} s per pack",
)  # fmt: skip
def conversation_pack(ctx: Context) -> Row:
    counts = ctx._cache.get("conversation-pack")
    if counts is None:
        counts = ctx._cache["conversation-pack"] = asyncio.run(
            _build(ctx.url, ctx.data.region_id, ctx.data.profile_ids)
        )
    times, pages, biggest, parts = asyncio.run(_packs(ctx.url, ctx.data.region_id))
    floor = _floor_seconds()
    worst, mid = max(times), median(times)
    row = Row(
        "contract-conversation pack", f"median {mid:.2f} s, max {worst:.2f} s ({len(times)} packs)",
        f"{floor * 1000:.0f} ms", f"{mid / floor:.1f}×", f"≤ {TARGET_SECONDS:g} s per pack",
        met=worst <= TARGET_SECONDS,
    )  # fmt: skip
    row.notes.append(
        "data: " + ", ".join(f"{n:,} {name}" for name, n in counts.items())
        + f"; packs of {min(pages)}–{max(pages)} pages; the largest provider had {biggest:,} starts + ends in "
        "the quarter"
    )
    row.notes.append(
        f"median split: figures {parts[0] * 1000:.0f} ms, charts {parts[1] * 1000:.0f} ms, PDF {parts[2] * 1000:.0f} ms"
    )
    return row

