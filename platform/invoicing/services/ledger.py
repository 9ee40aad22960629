"""The append-only ledger (grootboek): reading with filters, balances, the digest, and corrections as reversing
entries with a reason. Entries are never changed or deleted (a trigger refuses it, migration 0004)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from invoicing.models import LedgerEntry
from invoicing.rules import month_start
from jeugdregio import audit
from jeugdregio.audit import Actor
from jeugdregio.clock import today
from jeugdregio.errors import Conflict, NotFound, ValidationFailed

LEDGER_KINDS: dict[str, str] = {
    "start_half": "Eerste 50 % (start)",
    "result_half": "Tweede 50 % (resultaat)",
    "month": "Maandbedrag",
    "pxq": "P×Q-levering",
    "lump_sum": "Lumpsum-termijn",
    "population": "Populatiebekostiging",
    "reversal": "Correctie (tegenboeking)",
}
PER_PAGE = 50

# The digest of a region's ledger: sha256 over "dedupe_key|amount_cents|provider_id|municipality_id|kind" lines,
# ordered by dedupe_key (bytewise), joined by "\n". digest_rows() is the same in Python.
DIGEST_SQL = text(
    """
    SELECT encode(sha256(convert_to(coalesce(string_agg(
               dedupe_key || '|' || amount_cents || '|' || provider_id || '|' || municipality_id || '|' || kind,
               E'\n' ORDER BY dedupe_key COLLATE "C"), ''), 'UTF8')), 'hex')
    FROM invoicing_ledger_entry WHERE region_id = :region_id
    """
)


def digest_rows(rows: Iterable[tuple[str, int, int, int, str]]) -> str:
    """The ledger digest of (dedupe_key, amount_cents, provider_id, municipality_id, kind) rows, as DIGEST_SQL."""
    ordered = sorted(rows, key=lambda row: row[0].encode())
    return hashlib.sha256("\n".join(f"{k}|{a}|{p}|{m}|{kind}" for k, a, p, m, kind in ordered).encode()).hexdigest()


async def ledger_digest(session: AsyncSession, region_id: int) -> str:
    return str((await session.execute(DIGEST_SQL, {"region_id": region_id})).scalar_one())


@dataclass(frozen=True)
class LedgerFilter:
    provider_id: int | None = None
    municipality_id: int | None = None
    period: date | None = None
    kind: str = ""
    page: int = 1


def parse_ledger_filter(params: dict[str, str]) -> LedgerFilter:
    """From query parameters; a bad value is a Dutch 422 that names the field."""
    errors: list[tuple[str, str]] = []

    def as_int(name: str) -> int | None:
        value = (params.get(name) or "").strip()
        if not value:
            return None
        if not value.isdigit():
            errors.append((name, f"{name}: geef een nummer op (niet '{value[:20]}')."))
            return None
        return int(value)

    period = None
    raw_period = (params.get("periode") or "").strip()
    if raw_period:
        period = parse_month(raw_period, "periode")
    kind = (params.get("soort") or "").strip()
    if kind and kind not in LEDGER_KINDS:
        errors.append(("soort", f"Onbekende soort '{kind[:20]}'. Kies uit: {', '.join(LEDGER_KINDS)}."))
    page = as_int("pagina") or 1
    flt = LedgerFilter(as_int("aanbieder"), as_int("gemeente"), period, kind, max(page, 1))
    if errors:
        from jeugdregio.errors import FieldError

        raise ValidationFailed([FieldError(f, m) for f, m in errors])
    return flt


def parse_month(value: str, field: str = "periode") -> date:
    """'YYYY-MM' → the first day of that month; else a Dutch 422."""
    try:
        year, month = value.split("-")
        if len(year) != 4 or len(month) != 2:
            raise ValueError(value)
        return date(int(year), int(month), 1)
    except ValueError:
        raise ValidationFailed.single(field, f"{field}: geef een maand op als JJJJ-MM, bijvoorbeeld 2026-03.") from None


@dataclass(frozen=True)
class LedgerPage:
    rows: list[LedgerEntry]
    total: int
    sum_cents: int
    page: int
    per_page: int = PER_PAGE


async def list_ledger(session: AsyncSession, region_id: int, flt: LedgerFilter) -> LedgerPage:
    """The region's ledger (finance only: the caller's guard), newest first, 50 per page, with the filtered sum.
    Entries carry pseudonymised arrangement ids only, no personal data."""
    conditions: list[Any] = [LedgerEntry.region_id == region_id]
    if flt.provider_id is not None:
        conditions.append(LedgerEntry.provider_id == flt.provider_id)
    if flt.municipality_id is not None:
        conditions.append(LedgerEntry.municipality_id == flt.municipality_id)
    if flt.period is not None:
        conditions.append(LedgerEntry.period == flt.period)
    if flt.kind:
        conditions.append(LedgerEntry.kind == flt.kind)
    total, sum_cents = (
        await session.execute(select(func.count(), func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
                              .where(*conditions))
    ).one()
    rows = (
        await session.execute(
            select(LedgerEntry).where(*conditions).order_by(LedgerEntry.id.desc())  # type: ignore[union-attr]
            .limit(PER_PAGE).offset((flt.page - 1) * PER_PAGE)
        )
    ).scalars().all()  # fmt: skip
    return LedgerPage(list(rows), int(total), int(sum_cents), flt.page)


async def balances(session: AsyncSession, region_id: int, *, by: str, period: date | None = None) -> dict[int, int]:
    """Sum of the ledger per provider or per municipality (optionally for one settlement month)."""
    column = LedgerEntry.provider_id if by == "provider" else LedgerEntry.municipality_id
    q = select(column, func.sum(LedgerEntry.amount_cents)).where(LedgerEntry.region_id == region_id)
    if period is not None:
        q = q.where(LedgerEntry.period == period)
    return {int(k): int(v) for k, v in (await session.execute(q.group_by(column))).all()}


async def reverse_entry(
    session: AsyncSession, *, region_id: int, entry_id: int, reason: str, actor: Actor, now: datetime
) -> LedgerEntry:
    """A correction: a 'reversal' entry with −amount, dedupe key rev:<id>, booked in the current month. The
    original stays. Another region's entry → 404; a reversal cannot be reversed; each entry once (409)."""
    reason = (reason or "").strip()
    original = (
        await session.execute(select(LedgerEntry).where(LedgerEntry.region_id == region_id, LedgerEntry.id == entry_id))
    ).scalar_one_or_none()
    if original is None:
        raise NotFound()
    if not reason:
        raise ValidationFailed.single("reden", "Reden: geef op waarom deze boeking wordt teruggedraaid.")
    if len(reason) > 500:
        raise ValidationFailed.single("reden", "Reden: gebruik ten hoogste 500 tekens.")
    if original.kind == "reversal":
        raise Conflict("Een tegenboeking kan niet zelf worden teruggedraaid; boek zo nodig opnieuw.")
    new_id = (
        await session.execute(
            pg_insert(LedgerEntry)
            .values(region_id=region_id, run_id=None, period=month_start(today(now)), provider_id=original.provider_id,
                    municipality_id=original.municipality_id, arrangement_id=original.arrangement_id,
                    declaration_id=original.declaration_id, lump_sum_id=original.lump_sum_id,
                    population_budget_id=original.population_budget_id, kind="reversal",
                    amount_cents=-original.amount_cents, dedupe_key=f"rev:{original.id}", reverses_id=original.id,
                    reason=reason, created_by=actor.user_id, created_at=now)
            .on_conflict_do_nothing(index_elements=["region_id", "dedupe_key"])
            .returning(LedgerEntry.id)
        )
    ).scalar_one_or_none()
    if new_id is None:
        raise Conflict("Deze boeking is al teruggedraaid.")
    await audit.record(session, actor, object_type="ledger_entry", object_id=new_id, action="reverse", now=now,
                       summary={"tegenboeking_van": original.id, "bedrag_cent": -original.amount_cents,
                                "reden": reason}, region_id=region_id)  # fmt: skip
    entry = await session.get(LedgerEntry, new_id)
    assert entry is not None
    return entry
