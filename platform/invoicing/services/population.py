"""The population table (bevolking per gemeente per jaar), imported by the team as CSV:
`gemeentecode;jaar;inwoners;jeugdigen_0_17[;gewicht]`. All or nothing: every error is reported with its row
and column in Dutch and nothing is stored; a clean file upserts per (municipality, year) in one statement."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from invoicing.models import PopulationFigure
from jeugdregio import audit
from jeugdregio.errors import ErrorCollector, ValidationFailed
from jeugdregio.tables import Municipality

COLUMNS = ("gemeentecode", "jaar", "inwoners", "jeugdigen_0_17")
OPTIONAL = "gewicht"
MAX_BYTES = 2 * 1024 * 1024
MAX_ERRORS = 200


@dataclass(frozen=True)
class FigureRow:
    municipality: str
    cbs_code: str
    year: int
    inhabitants: int
    youths: int
    weight_basis_points: int

    @property
    def weight(self) -> str:
        return f"{Decimal(self.weight_basis_points) / 10000:.4f}".rstrip("0").rstrip(".").replace(".", ",")


def _count(errors: ErrorCollector, row: int, column: str, raw: str) -> int | None:
    text = raw.strip()
    if text.startswith("-") and text[1:].isdigit():
        errors.add(column, f"Regel {row}, kolom {column}: het aantal kan niet negatief zijn.", row)
        return None
    if not text.isdigit():
        errors.add(column, f"Regel {row}, kolom {column}: '{text[:20]}' is geen heel getal.", row)
        return None
    return int(text)


def _weight(errors: ErrorCollector, row: int, raw: str) -> int | None:
    text = raw.strip()
    if not text:
        return 10000
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        errors.add(OPTIONAL, f"Regel {row}, kolom gewicht: '{text[:20]}' is geen getal (bijvoorbeeld 1,05).", row)
        return None
    if not value.is_finite() or value <= 0:
        errors.add(OPTIONAL, f"Regel {row}, kolom gewicht: het gewicht moet groter dan 0 zijn.", row)
        return None
    if value > 100:
        errors.add(OPTIONAL, f"Regel {row}, kolom gewicht: het gewicht is onwaarschijnlijk groot.", row)
        return None
    return int((value * 10000).to_integral_value())


def parse_population_csv(content: bytes, codes: dict[str, int]) -> list[dict[str, int]]:
    """Parse and check the whole file; raise ValidationFailed with every error (row, column) or return the rows."""
    errors = ErrorCollector()
    if not content:
        raise ValidationFailed.single("bestand", "Het bestand is leeg.")
    if len(content) > MAX_BYTES:
        raise ValidationFailed.single("bestand", "Het bestand is groter dan 2 MB.")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed.single(
            "bestand", "Het bestand is geen UTF-8-tekst. Sla het op als CSV (UTF-8)."
        ) from None
    lines = list(csv.reader(io.StringIO(text), delimiter=";"))
    if not lines:
        raise ValidationFailed.single("bestand", "Het bestand is leeg.")
    header = [h.strip().lower() for h in lines[0]]
    if len(header) == 1 and "," in header[0]:
        raise ValidationFailed.single("bestand", "Regel 1: gebruik de puntkomma (;) als scheidingsteken.")
    if tuple(header[:4]) != COLUMNS or len(header) > 5 or (len(header) == 5 and header[4] != OPTIONAL):
        raise ValidationFailed.single(
            "bestand", "Regel 1: de kolommen moeten zijn: gemeentecode;jaar;inwoners;jeugdigen_0_17 (en eventueel "
            ";gewicht).",
        )  # fmt: skip
    width = len(header)
    rows: list[dict[str, int]] = []
    seen: dict[tuple[int, int], int] = {}
    for number, cells in enumerate(lines[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(errors.errors) >= MAX_ERRORS:
            break
        if len(cells) not in (4, width):
            errors.add("bestand", f"Regel {number}: {len(cells)} kolommen, verwacht {width}.", number)
            continue
        code = cells[0].strip()
        municipality_id = codes.get(code.zfill(4)) if code.isdigit() else None
        if municipality_id is None:
            errors.add("gemeentecode", f"Regel {number}, kolom gemeentecode: onbekende gemeentecode '{code[:10]}'.",
                       number)  # fmt: skip
        year_raw = cells[1].strip()
        year = int(year_raw) if year_raw.isdigit() and 2000 <= int(year_raw) <= 2100 else None
        if year is None:
            errors.add("jaar", f"Regel {number}, kolom jaar: '{year_raw[:10]}' is geen jaartal.", number)
        inhabitants = _count(errors, number, "inwoners", cells[2])
        youths = _count(errors, number, "jeugdigen_0_17", cells[3])
        weight = _weight(errors, number, cells[4] if len(cells) > 4 else "")
        if inhabitants is not None and youths is not None and youths > inhabitants:
            errors.add("jeugdigen_0_17",
                       f"Regel {number}, kolom jeugdigen_0_17: meer jeugdigen ({youths}) dan inwoners ({inhabitants}).",
                       number)  # fmt: skip
        if municipality_id is not None and year is not None:
            first = seen.setdefault((municipality_id, year), number)
            if first != number:
                message = f"Regel {number}: gemeente {code} en jaar {year} staan ook op regel {first}."
                errors.add("gemeentecode", message, number)
        if municipality_id is None or year is None or inhabitants is None or youths is None or weight is None:
            continue
        rows.append({"municipality_id": municipality_id, "year": year, "inhabitants": inhabitants, "youths": youths,
                     "weight_basis_points": weight})  # fmt: skip
    if not rows and not errors.errors:
        errors.add("bestand", "Het bestand bevat geen regels met cijfers.")
    errors.raise_if_any()
    return rows


async def import_population(
    session: AsyncSession, region_id: int, content: bytes, *, actor: audit.Actor, now: datetime
) -> int:
    """Check the whole file, then upsert every row per (municipality, year) in one statement."""
    codes = {c: i for i, c in await session.execute(
        select(Municipality.id, Municipality.cbs_code).where(Municipality.region_id == region_id))}  # fmt: skip
    rows = parse_population_csv(content, codes)
    stmt = pg_insert(PopulationFigure).values([{**r, "region_id": region_id, "imported_at": now} for r in rows])
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["region_id", "municipality_id", "year"],
            set_={
                "inhabitants": stmt.excluded.inhabitants, "youths": stmt.excluded.youths,
                "weight_basis_points": stmt.excluded.weight_basis_points, "imported_at": now,
            },
        )
    )
    await audit.record(session, actor, object_type="population_figures", object_id=region_id, action="import",
                       now=now, summary={"rows": len(rows)})  # fmt: skip
    return len(rows)


async def population_table(session: AsyncSession, region_id: int) -> list[FigureRow]:
    query = (
        select(Municipality.name, Municipality.cbs_code, PopulationFigure.year, PopulationFigure.inhabitants,
               PopulationFigure.youths, PopulationFigure.weight_basis_points)
        .join(Municipality, Municipality.id == PopulationFigure.municipality_id)  # type: ignore[arg-type]
        .where(PopulationFigure.region_id == region_id)
        .order_by(PopulationFigure.year.desc(), Municipality.name)  # type: ignore[attr-defined]
    )
    return [FigureRow(*r) for r in await session.execute(query)]
