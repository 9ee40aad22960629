"""Workload "spec-pdfs": a region's payment specification PDFs for one month, end to end.

Ledger lines for every bench provider are inserted set-based (6–40 lines each over the nine municipalities),
`build_specifications` makes the month's specifications, and the measured part is
`make_period_pdfs` — the function finance's "PDF's maken voor maand X" calls: it renders every
specification's HTML in this process, the PDF bytes in a process pool (one worker per core), and stores the
documents. The floor is a one-page WeasyPrint document rendered the same number of times through the same
pool in the same run. Target (issue #4): ≥ 10 specifications per second."""

from __future__ import annotations

import asyncio
import os
import time
from datetime import UTC, date, datetime

from sqlalchemy import text

from bench.workloads import Context, Row, workload

PERIOD = date(2026, 1, 1)
TARGET_PER_SECOND = 10.0
FLOOR_HTML = (
    "<!doctype html><html lang='nl'><head><meta charset='utf-8'><title>Vloer</title></head>"
    "<body><h1>Eén pagina</h1><p>De kleinste eerlijke WeasyPrint-opdracht: één pagina tekst.</p></body></html>"
)

# every ledger entry has one source (ADR 0013): here a zero lump sum per provider and municipality
_SOURCES_SQL = text(
    """
    INSERT INTO invoicing_lump_sum
        (region_id, provider_id, municipality_id, year, yearly_cents, description, created_at)
    SELECT :region_id, p.id, m.id, 1900, 0, 'bench: bron van de regels', now()
    FROM unnest(CAST(:provider_ids AS int[])) AS p(id), unnest(CAST(:municipality_ids AS int[])) AS m(id)
    ON CONFLICT DO NOTHING
    """
)
_LEDGER_SQL = text(
    """
    INSERT INTO invoicing_ledger_entry
        (region_id, period, provider_id, municipality_id, lump_sum_id, kind, amount_cents, dedupe_key, reason,
         created_at)
    SELECT :region_id, :period, l.provider_id, l.municipality_id, ls.id, l.kind, l.cents, l.key, '', now()
    FROM (
        SELECT p.id AS provider_id, m.ids[1 + (p.id * 7 + g) % cardinality(m.ids)] AS municipality_id,
               (ARRAY['start_half','result_half','month','pxq'])[1 + (p.id + g) % 4] AS kind,
               10000 + ((p.id * 7919 + g * 104729) % 250000) AS cents, 'bench:' || p.id || ':' || g AS key
        FROM (SELECT CAST(:municipality_ids AS int[]) AS ids) AS m, unnest(CAST(:provider_ids AS int[])) AS p(id),
             generate_series(1, 6 + (p.id * 13) % 35) AS g
    ) AS l
    JOIN invoicing_lump_sum ls ON ls.region_id = :region_id AND ls.provider_id = l.provider_id
         AND ls.municipality_id = l.municipality_id AND ls.year = 1900
    """
)


async def _prepare(ctx: Context, providers: list[int]) -> tuple[int, int]:
    from invoicing.services.specifications import build_specifications
    from jeugdregio.db import make_engine, make_sessionmaker

    engine = make_engine(ctx.url)
    try:
        async with make_sessionmaker(engine)() as s:
            await s.execute(text("DELETE FROM invoicing_specification WHERE region_id = :r"), {"r": ctx.data.region_id})
            params = {"region_id": ctx.data.region_id, "period": PERIOD,
                      "municipality_ids": ctx.data.municipality_ids, "provider_ids": providers}  # fmt: skip
            await s.execute(_SOURCES_SQL, params)
            await s.execute(_LEDGER_SQL, params)
            specs = await build_specifications(s, region_id=ctx.data.region_id, period=PERIOD, run_id=None,
                                               now=datetime.now(UTC))  # fmt: skip
            lines = (await s.execute(text(
                "SELECT count(*) FROM invoicing_ledger_entry WHERE region_id = :r AND period = :p"),
                {"r": ctx.data.region_id, "p": PERIOD})).scalar_one()  # fmt: skip
            await s.commit()
        return specs, int(lines)
    finally:
        await engine.dispose()


async def _make(ctx: Context, workers: int) -> tuple[int, float]:
    from invoicing.services.specifications import make_period_pdfs
    from jeugdregio.audit import Actor
    from jeugdregio.db import make_engine, make_sessionmaker

    engine = make_engine(ctx.url)
    try:
        async with make_sessionmaker(engine)() as s:
            start = time.perf_counter()
            made = await make_period_pdfs(
                s, region_id=ctx.data.region_id, period=PERIOD, now=datetime.now(UTC), workers=workers,
                actor=Actor.system("bench", ctx.data.region_id),
            )  # fmt: skip
            await s.commit()
            return made, time.perf_counter() - start
    finally:
        await engine.dispose()


def _floor(n: int, workers: int) -> float:
    from invoicing.services.specifications import render_pdfs

    start = time.perf_counter()
    pdfs = render_pdfs([FLOOR_HTML] * n, workers=workers)
    assert all(p.startswith(b"%PDF-") for p in pdfs)
    return time.perf_counter() - start


@workload(
    "spec-pdfs", "specification PDFs",
    measures="A region's payment specifications for one month as PDFs with `make_period_pdfs` (HTML in the "
             "parent, PDF bytes in a ProcessPoolExecutor with one worker per core, documents stored), from a "
             "ledger of 6–40 lines per provider for every bench provider.",
    floor="a one-page WeasyPrint document rendered as often, through the same process pool, in the same run",
    target=f"≥ {TARGET_PER_SECOND:g} specifications/s (issue #4)",
)  # fmt: skip
def spec_pdfs(ctx: Context) -> Row:
    providers = ctx.data.provider_ids[: 40 if ctx.quick else len(ctx.data.provider_ids)]
    workers = os.cpu_count() or 1
    specs, lines = asyncio.run(_prepare(ctx, providers))
    # the PDF pool's forkserver starts once per process (importing WeasyPrint, loading fonts): start it before
    # either side is measured, as a running app would have
    warm_start = time.perf_counter()
    _floor(workers, workers)
    warm = time.perf_counter() - warm_start
    made, seconds = asyncio.run(_make(ctx, workers))
    if made != specs:
        return Row("specification PDFs", "", "", "", "", error=f"made {made} of {specs} PDFs")
    floor_seconds = _floor(made, workers)
    ours, floor = made / seconds, made / floor_seconds
    row = Row(
        "specification PDFs", f"{ours:.1f} specs/s", f"{floor:.1f} one-page PDFs/s", f"{ours / floor:.2f}×",
        f"≥ {TARGET_PER_SECOND:g} specs/s", met=ours >= TARGET_PER_SECOND,
    )  # fmt: skip
    row.notes.append(f"{made} specifications, {lines:,} ledger lines ({lines / made:.1f} per specification), "
                     f"{workers} worker processes; both sides include starting the pool (forking from the "
                     f"forkserver, which was started first, once, in {warm:.1f} s)")  # fmt: skip
    return row
