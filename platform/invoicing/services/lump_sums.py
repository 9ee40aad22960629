"""Lump-sum contracts (taakgericht) and population budgets: the forms of team finance. The settlement pays
them monthly (rules.instalments, rules.population_year_cents); these services only keep the agreements."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from invoicing.models import LumpSum, PopulationBudget
from invoicing.rules import instalments
from invoicing.services.budgets import parse_euros
from invoicing.services.facts import PROVIDERS
from jeugdregio import audit
from jeugdregio.errors import ErrorCollector, ValidationFailed
from jeugdregio.tables import Municipality

DESCRIPTION_MAX = 200
PICK_PROVIDER = "Kies een aanbieder uit de lijst."


@dataclass(frozen=True)
class LumpSumRow:
    id: int
    provider: str
    municipality: str
    year: int
    yearly_cents: int
    monthly_cents: int
    description: str


@dataclass(frozen=True)
class PopulationBudgetRow:
    id: int
    provider: str
    year: int
    cents_per_youth: int
    weighted: bool
    description: str


async def choices(session: AsyncSession, region_id: int) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    providers = [(r.id, r.name) for r in await session.execute(
        select(PROVIDERS.c.id, PROVIDERS.c.name).where(PROVIDERS.c.region_id == region_id).order_by(PROVIDERS.c.name)
    )]  # fmt: skip
    municipalities = [(r.id, r.name) for r in await session.execute(
        select(Municipality.id, Municipality.name)
        .where(Municipality.region_id == region_id)
        .order_by(Municipality.name)
    )]  # fmt: skip
    return providers, municipalities


def _int_choice(errors: ErrorCollector, data: Mapping[str, Any], name: str, allowed: set[int], message: str) -> int:
    raw = str(data.get(name) or "").strip()
    if not raw.isdigit() or int(raw) not in allowed:
        errors.add(name, message)
        return 0
    return int(raw)


def _year(errors: ErrorCollector, data: Mapping[str, Any]) -> int:
    raw = str(data.get("year") or "").strip()
    if not raw.isdigit() or not 2000 <= int(raw) <= 2100:
        errors.add("year", "Vul een jaartal in, bijvoorbeeld 2026.")
        return 0
    return int(raw)


def _amount(errors: ErrorCollector, data: Mapping[str, Any], name: str, label: str) -> int:
    try:
        return parse_euros(name, data.get(name), label)
    except ValidationFailed as exc:
        for e in exc.errors:
            errors.add(e.field, e.message)
        return 0


def _description(errors: ErrorCollector, data: Mapping[str, Any]) -> str:
    text = str(data.get("description") or "").strip()
    if len(text) > DESCRIPTION_MAX:
        errors.add("description", f"De omschrijving is langer dan {DESCRIPTION_MAX} tekens.")
    return text


async def list_lump_sums(session: AsyncSession, region_id: int) -> list[LumpSumRow]:
    query = (
        select(LumpSum, PROVIDERS.c.name, Municipality.name)
        .join(PROVIDERS, PROVIDERS.c.id == LumpSum.provider_id)
        .join(Municipality, Municipality.id == LumpSum.municipality_id)  # type: ignore[arg-type]
        .where(LumpSum.region_id == region_id)
        .order_by(LumpSum.year.desc(), PROVIDERS.c.name)  # type: ignore[attr-defined]
    )
    return [
        LumpSumRow(ls.id or 0, provider, municipality, ls.year, ls.yearly_cents, instalments(ls.yearly_cents)[0],
                   ls.description)
        for ls, provider, municipality in await session.execute(query)
    ]


async def create_lump_sum(
    session: AsyncSession, region_id: int, data: Mapping[str, Any], *, actor: audit.Actor, now: datetime
) -> LumpSum:
    """A task-based contract: provider, municipality, year, yearly amount (euro). Dutch errors per field."""
    providers, municipalities = await choices(session, region_id)
    errors = ErrorCollector()
    provider_id = _int_choice(errors, data, "provider_id", {p for p, _ in providers}, PICK_PROVIDER)
    municipality_id = _int_choice(errors, data, "municipality_id", {m for m, _ in municipalities},
                                  "Kies een gemeente uit de lijst.")  # fmt: skip
    year = _year(errors, data)
    yearly = _amount(errors, data, "yearly", "het jaarbedrag")
    description = _description(errors, data)
    errors.raise_if_any()
    exists = (await session.execute(select(LumpSum.id).where(
        LumpSum.region_id == region_id, LumpSum.provider_id == provider_id,
        LumpSum.municipality_id == municipality_id, LumpSum.year == year))).first()  # fmt: skip
    if exists:
        raise ValidationFailed.single("year", "Er is al een lump sum voor deze aanbieder, gemeente en dit jaar.")
    ls = LumpSum(region_id=region_id, provider_id=provider_id, municipality_id=municipality_id, year=year,
                 yearly_cents=yearly, description=description, created_at=now)  # fmt: skip
    session.add(ls)
    await session.flush()
    await audit.record(
        session, actor, object_type="lump_sum", object_id=ls.id, action="create", now=now,
        summary={"provider_id": provider_id, "municipality_id": municipality_id, "year": year, "yearly_cents": yearly},
    )  # fmt: skip
    return ls


async def list_population_budgets(session: AsyncSession, region_id: int) -> list[PopulationBudgetRow]:
    query = (
        select(PopulationBudget, PROVIDERS.c.name)
        .join(PROVIDERS, PROVIDERS.c.id == PopulationBudget.provider_id)
        .where(PopulationBudget.region_id == region_id)
        .order_by(PopulationBudget.year.desc(), PROVIDERS.c.name)  # type: ignore[attr-defined]
    )
    return [
        PopulationBudgetRow(pb.id or 0, provider, pb.year, pb.cents_per_youth, pb.weighted, pb.description)
        for pb, provider in await session.execute(query)
    ]


async def create_population_budget(
    session: AsyncSession, region_id: int, data: Mapping[str, Any], *, actor: audit.Actor, now: datetime
) -> PopulationBudget:
    """A population budget: provider, year, amount per youth per year (euro), weighted yes/no."""
    providers, _ = await choices(session, region_id)
    errors = ErrorCollector()
    provider_id = _int_choice(errors, data, "provider_id", {p for p, _ in providers}, PICK_PROVIDER)
    year = _year(errors, data)
    per_youth = _amount(errors, data, "per_youth", "het bedrag per jeugdige")
    weighted = str(data.get("weighted") or "") in ("1", "on", "ja", "true")
    description = _description(errors, data)
    errors.raise_if_any()
    exists = (await session.execute(select(PopulationBudget.id).where(
        PopulationBudget.region_id == region_id, PopulationBudget.provider_id == provider_id,
        PopulationBudget.year == year))).first()  # fmt: skip
    if exists:
        raise ValidationFailed.single("year", "Er is al een populatiebudget voor deze aanbieder en dit jaar.")
    pb = PopulationBudget(region_id=region_id, provider_id=provider_id, year=year, cents_per_youth=per_youth,
                          weighted=weighted, description=description, created_at=now)  # fmt: skip
    session.add(pb)
    await session.flush()
    await audit.record(
        session, actor, object_type="population_budget", object_id=pb.id, action="create", now=now,
        summary={"provider_id": provider_id, "year": year, "cents_per_youth": per_youth, "weighted": weighted},
    )  # fmt: skip
    return pb
