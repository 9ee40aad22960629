"""The tariff list: the adopted tariffs on a day or a schedule's amounts, as PDF, CSV and Excel."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from catalogue.services.tariff_schedules import schedule_detail
from catalogue.services.tariffs import TypeRow, arrangement_types
from catalogue.tariff_rules import ROUNDING_RULE, first_day
from jeugdregio.errors import NotFound
from jeugdregio.spreadsheets import csv_bytes, neutralise, xlsx_bytes
from jeugdregio.tables import Region
from jeugdregio.templating import datum, euro


@dataclass(frozen=True)
class TariffList:
    title: str
    valid_on: date
    status: str  # "Vastgesteld" or the schedule's status
    rows: list[tuple[TypeRow, int]]  # (type, amount in cents)
    indexation: str = ""
    rounding_rule: str = ROUNDING_RULE


async def current_tariff_list(session: AsyncSession, region_id: int, day: date) -> TariffList:
    """The adopted tariffs valid on `day` (types without a tariff that day are left out)."""
    rows = [(r, r.tariff.amount_cents) for r in await arrangement_types(session, region_id, on=day) if r.tariff]
    return TariffList(f"Tarievenlijst geldig op {datum(day)}", day, "Vastgesteld", rows)


async def schedule_tariff_list(session: AsyncSession, region_id: int, year: int) -> TariffList:
    """The schedule's amounts (draft, in consultation or adopted), valid from 1 January of its year."""
    view = await schedule_detail(session, region_id, year)
    types = {r.id: r for r in await arrangement_types(session, region_id, on=first_day(year))}
    rows = [(types[ln.arrangement_type_id], ln.amount_cents) for ln in view.lines]
    return TariffList(f"Tarievenlijst {year}", first_day(year), view.status_label, rows, indexation=view.percentage)


EXPORT_HEADER: list[object] = [
    "Code", "Profiel", "Intensiteit", "Setting", "Bekostiging", "Maximaal aantal maanden", "iJw-productcategorie",
    "iJw-productcode", "Eenheid", "Tarief (euro)", "Tarief (cent)", "Geldig vanaf",
]  # fmt: skip
def export_rows(tariffs: TariffList) -> Iterable[list[object]]:
    yield list(EXPORT_HEADER)
    for r, cents in tariffs.rows:
        yield [neutralise(v) for v in (
            r.code, r.profile_number, r.intensity_name, r.setting_name, r.payment_label, r.max_months or "",
            r.ijw_product_category, r.ijw_product_code, r.unit, euro(cents).replace("€ ", ""), cents,
            tariffs.valid_on.isoformat(),
        )]  # fmt: skip


def to_csv(tariffs: TariffList) -> bytes:
    return csv_bytes(export_rows(tariffs))


def to_xlsx(tariffs: TariffList) -> bytes:
    return xlsx_bytes("Tarieven", export_rows(tariffs))


async def tariff_list_pdf(session: AsyncSession, region_id: int, tariffs: TariffList, *, now: datetime) -> bytes:
    """The tariff list as a PDF on the region's letterhead, with its validity date and the rounding rule."""
    from jeugdregio.pdf import render_pdf

    region = await session.get(Region, region_id)
    return render_pdf("pdf/tariff_list.html", region=region, tariffs=tariffs, generated_at=now)


async def resolve_region(session: AsyncSession, slug: str | None = None, default_id: int | None = None) -> Region:
    """The region a public download serves: `regio=<slug>`, else the reader's own region, else the first one."""
    q = select(Region)
    if slug and slug.strip():
        q = q.where(Region.slug == slug.strip())
    elif default_id is not None:
        q = q.where(Region.id == default_id)
    else:
        q = q.order_by(col(Region.id)).limit(1)
    region = (await session.execute(q)).scalars().first()
    if region is None:
        raise NotFound("Deze regio bestaat niet.")
    return region
