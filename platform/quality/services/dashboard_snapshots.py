"""Dashboard snapshots (ADR 0012): the dashboard's finished tables and chart series per (scope, period, variant),
stored in quality_dashboard_snapshot, so a page, a chart or a download reads one row instead of aggregating the
region's arrangements (seconds at national size) on every request.

Freshness follows who looks:
- the regional team (scope region): a snapshot is current on the Dutch calendar day it was built, unless a
  population table was imported after it; the nightly job rebuilds the ones in use, and "Nu bijwerken" on the
  page rebuilds one period at once;
- municipalities and providers: a snapshot is current in the calendar month it was built. Their figures are
  publications (quality.rules), refreshed in monthly batches (DOMAIN.md §6): everyone sees the same published
  figures all month, and the history rule compares one monthly publication with the next.

A missing or outdated snapshot is built on the first request (under an advisory lock per snapshot, so two
requests never build it twice) and stored in that request's transaction. Variants: `page` (the team's page shows
true counts; a municipality's or provider's page is published) and `export` (the team's downloads, published);
for municipalities and providers the page and its downloads are one published snapshot."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from invoicing.public import POPULATION_FIGURES
from jeugdregio.clock import today
from jeugdregio.tables import Municipality
from quality.models import DashboardSnapshot
from quality.rules import Period, parse_period
from quality.services.dashboard import Cell, Dashboard, DashTable, Scope, build_dashboard, default_period

SNAPSHOTS = DashboardSnapshot.__table__  # type: ignore[attr-defined]
S = SNAPSHOTS.c
VARIANTS = ("page", "export")
KEEP_YEARS = 3  # the nightly job keeps snapshots of periods that ended at most this long ago up to date
FORMAT = 1


def variant_for(scope: Scope, *, export: bool) -> str:
    return "export" if export and not scope.public else "page"


def is_current(kind: str, built_at: datetime, now: datetime) -> bool:
    """The team's snapshots are current on their (Dutch) day, the published ones in their month."""
    built, day = today(built_at), today(now)
    if kind == "region":
        return built >= day
    return (built.year, built.month) >= (day.year, day.month)


def scope_from_key(region_id: int, key: str) -> Scope:
    kind, _, number = key.partition(":")
    if kind == "municipality":
        return Scope(kind, region_id, municipality_id=int(number))
    if kind == "provider":
        return Scope(kind, region_id, provider_id=int(number))
    return Scope("region", region_id)


# ---- the stored form ------------------------------------------------------------------------------------------


def _encode_table(t: DashTable) -> dict[str, Any]:
    return {"title": t.title, "header": t.header, "rows": [[[c.value, c.text] for c in row] for row in t.rows],
            "definitions": [list(d) for d in t.definitions], "note": t.note}  # fmt: skip


def encode(dash: Dashboard) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "published": dash.published,
        "scope_name": dash.scope_name,
        "own_size_class": dash.own_size_class,
        "tables": {key: _encode_table(t) for key, t in dash.tables.items()},
        "series": {k: v for k, v in dash.series.items() if k != "rows"},  # "rows" holds builder objects
    }


def decode(payload: dict[str, Any], scope: Scope, period: Period, built_at: datetime) -> Dashboard:
    tables = {
        key: DashTable(key, t["title"], list(t["header"]), [[Cell(v, txt) for v, txt in row] for row in t["rows"]],
                       definitions=[(label, d) for label, d in t["definitions"]], note=t["note"])
        for key, t in payload["tables"].items()
    }  # fmt: skip
    return Dashboard(scope=scope, period=period, published=bool(payload["published"]), tables=tables,
                     series=dict(payload["series"]), own_size_class=payload["own_size_class"],
                     scope_name=payload["scope_name"], built_at=built_at)  # fmt: skip


# ---- reading and building -------------------------------------------------------------------------------------


async def _stored(session: AsyncSession, scope: Scope, period: Period, variant: str) -> Any:
    q = select(S.built_at, S.payload).where(
        S.region_id == scope.region_id, S.scope_key == scope.key, S.period_label == period.label, S.variant == variant
    )
    return (await session.execute(q)).first()


async def dashboard_view(
    session: AsyncSession, scope: Scope, period: Period, *, now: datetime, export: bool = False
) -> Dashboard:
    """The dashboard as the viewer gets it: the current snapshot, or a new one built (and stored) now."""
    variant = variant_for(scope, export=export)
    row = await _stored(session, scope, period, variant)
    if await _usable(session, scope, row, now):
        return decode(row.payload, scope, period, row.built_at)
    await _lock(session, scope, period, variant)
    row = await _stored(session, scope, period, variant)  # another request may have built it meanwhile
    if await _usable(session, scope, row, now):
        return decode(row.payload, scope, period, row.built_at)
    return await rebuild(session, scope, period, variant=variant, now=now)


async def _usable(session: AsyncSession, scope: Scope, row: Any, now: datetime) -> bool:
    """A stored snapshot in the current format, current for its kind; the team's also not older than the last
    population import (the team imports the table and expects its figures at once; published ones wait for the
    next month's publication like everything else)."""
    if row is None or row.payload.get("format") != FORMAT or not is_current(scope.kind, row.built_at, now):
        return False
    if scope.kind != "region":
        return True
    imported = (await session.execute(select(func.max(POPULATION_FIGURES.c.imported_at))
                                      .where(POPULATION_FIGURES.c.region_id == scope.region_id))).scalar()  # fmt: skip
    return imported is None or imported <= row.built_at


async def _lock(session: AsyncSession, scope: Scope, period: Period, variant: str) -> None:
    """One builder per snapshot at a time (transaction-scoped; taking it twice in one transaction is fine)."""
    key = f"dashboard:{scope.region_id}:{scope.key}:{period.label}:{variant}"
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(key))))


async def rebuild(session: AsyncSession, scope: Scope, period: Period, *, variant: str, now: datetime) -> Dashboard:
    """Build the dashboard from the data now and store it as the snapshot (replacing the old one)."""
    await _lock(session, scope, period, variant)
    dash = await build_dashboard(session, scope, period, now=now, export=variant == "export")
    payload = encode(dash)
    dash.series = payload["series"]
    await session.execute(
        pg_insert(SNAPSHOTS)
        .values(region_id=scope.region_id, scope_key=scope.key, period_label=period.label, variant=variant,
                built_at=now, payload=payload)
        .on_conflict_do_update(constraint="uq_quality_dashboard_snapshot_key",
                               set_={"built_at": now, "payload": payload})
    )  # fmt: skip
    return dash


async def refresh_team_period(session: AsyncSession, region_id: int, period: Period, *, now: datetime) -> None:
    """'Nu bijwerken': the team's page and downloads for one period, from the data as it is now."""
    scope = Scope("region", region_id)
    for variant in VARIANTS:
        await rebuild(session, scope, period, variant=variant, now=now)


async def forget_team_snapshots(session: AsyncSession, region_id: int) -> None:
    """After a change of the region's indicator settings: the team's next look is built with the new settings
    (published snapshots stay as published until the next monthly batch)."""
    await session.execute(delete(SNAPSHOTS).where(S.region_id == region_id, S.scope_key == Scope("region", 0).key))


# ---- the nightly job ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Wanted:
    scope: Scope
    period: Period
    variant: str


def _defaults(region_id: int, municipality_ids: Iterable[int], period: Period) -> list[_Wanted]:
    out = [_Wanted(Scope("region", region_id), period, v) for v in VARIANTS]
    out += [_Wanted(Scope("municipality", region_id, municipality_id=m), period, "page") for m in municipality_ids]
    return out


async def refresh_snapshots(
    session: AsyncSession, *, now: datetime, region_ids: Iterable[int] | None = None, force: bool = False
) -> dict[str, int]:
    """Per region (default: every region with a snapshot): rebuild every snapshot that is no longer current
    (the team's daily, the published ones at a new month), and make sure the default period has one for the team
    and for every municipality, so the first look of the day is fast. Snapshots of periods that ended more than
    KEEP_YEARS ago are dropped once outdated (built again if someone asks). `force`: rebuild all of them (a new
    monthly publication at once)."""
    if region_ids is None:  # the regions whose dashboard is in use (a region nobody looked at waits for a look)
        region_ids = [int(r) for r in (await session.execute(select(S.region_id).distinct())).scalars()]
    period = default_period(today(now))
    horizon = date(today(now).year - KEEP_YEARS, today(now).month, 1)
    built = dropped = 0
    for rid in region_ids:
        munis = (await session.execute(
            select(Municipality.id).where(Municipality.region_id == rid)  # type: ignore[arg-type]
        )).scalars().all()  # fmt: skip
        wanted = {(w.scope.key, w.period.label, w.variant): w for w in _defaults(rid, [int(m) for m in munis], period)}
        current: dict[tuple[str, str, str], datetime] = {}
        rows = await session.execute(
            select(S.scope_key, S.period_label, S.variant, S.built_at).where(S.region_id == rid)
        )
        for key, label, variant, built_at in rows.all():
            scope, p = scope_from_key(rid, key), parse_period(label)
            if p.end < horizon and not is_current(scope.kind, built_at, now):
                await session.execute(delete(SNAPSHOTS).where(
                    S.region_id == rid, S.scope_key == key, S.period_label == label, S.variant == variant))  # fmt: skip
                dropped += 1
                continue
            wanted[(key, label, variant)] = _Wanted(scope, p, variant)
            current[(key, label, variant)] = built_at
        for k, w in wanted.items():
            if not force and k in current and is_current(w.scope.kind, current[k], now):
                continue
            await rebuild(session, w.scope, w.period, variant=w.variant, now=now)
            built += 1
    return {"built": built, "dropped": dropped}
