"""Hand-built invoicing data for the specification and budget tests (engineer C): providers, a plan,
arrangements, declarations and ledger entries inserted directly (tests only)."""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from catalogue.models import ArrangementType
from catalogue.public import seed_catalogue
from contracts.models import Arrangement, FamilyPlan, Provider
from invoicing.models import Declaration, LedgerEntry
from jeugdregio.tables import Membership
from jeugdregio.users import add_membership, create_user
from tests.support.factories import PASSWORD, TestRegion
from tests.support.invoicing_factories import ledger_source

NOW = datetime(2026, 4, 2, 9, 0, tzinfo=UTC)
_seq = itertools.count(1)


@dataclass
class MoneyWorld:
    region: TestRegion
    type_id: int
    type_code: str
    plan_id: int
    providers: list[int] = field(default_factory=list)


async def add_provider(s: AsyncSession, region_id: int, name: str = "") -> int:
    digits = f"{secrets.randbelow(10**8):08d}"
    p = Provider(
        region_id=region_id, name=name or f"Zorg {digits}", kvk=digits, agb=f"97{digits[2:]}", street="Laan 1",
        postcode="1234 AB", city="Teststad", contact_name="C. Test", contact_email=f"c{digits}@example.org",
        admitted_on=date(2025, 1, 1), created_at=NOW,
    )  # fmt: skip
    s.add(p)
    await s.flush()
    assert p.id is not None
    return p.id


async def build(s: AsyncSession, region: TestRegion, providers: int = 2) -> MoneyWorld:
    await seed_catalogue(s, region_id=region.id, profile_ids=region.profile_ids, valid_from=date(2025, 1, 1))
    at = (await s.execute(select(ArrangementType).where(ArrangementType.region_id == region.id).limit(1))).scalar_one()
    user = await create_user(s, email=f"ref-{secrets.token_hex(4)}@{region.slug}.test", name="Verwijzer",
                             password=PASSWORD, now=NOW)  # fmt: skip
    assert user.id is not None
    m: Membership = await add_membership(s, user_id=user.id, region_id=region.id, role="referrer", now=NOW)
    plan = FamilyPlan(
        region_id=region.id, reference=f"GP-T-{next(_seq):06d}", referrer_membership_id=m.id, referrer_type="03",
        bsn="123456782", youth_pseudonym="ps" + secrets.token_hex(6), youth_name="Geheime Naam",
        birth_date=date(2015, 5, 5), paying_municipality_id=region.municipality_ids[0], created_at=NOW,
    )  # fmt: skip
    s.add(plan)
    await s.flush()
    assert at.id is not None and plan.id is not None
    world = MoneyWorld(region, at.id, at.code, plan.id)
    for i in range(providers):
        world.providers.append(await add_provider(s, region.id, f"Aanbieder {i + 1}"))
    return world


async def arrangement(
    s: AsyncSession, w: MoneyWorld, *, provider_id: int, municipality_id: int, payment_model: str = "result_50_50",
    status: str = "started", tariff_cents: int = 100_000, start: date | None = date(2026, 1, 1),
    end: date | None = None, max_months: int | None = None, units: int | None = None, pseudonym: str = "",
) -> int:  # fmt: skip
    n = next(_seq)
    a = Arrangement(
        region_id=w.region.id, reference=f"AR-T-{n:06d}", plan_id=w.plan_id, provider_id=provider_id,
        arrangement_type_id=w.type_id, profile_id=w.region.profile_ids[1], payment_model=payment_model,
        max_months=max_months, paying_municipality_id=municipality_id,
        youth_pseudonym=pseudonym or f"jp{n:04d}{secrets.token_hex(5)}", status=status, planned_start=date(2026, 1, 1),
        assigned_units=units, agreed_on=date(2025, 12, 15), tariff_cents=tariff_cents, start_date=start, end_date=end,
        created_at=NOW, updated_at=NOW,
    )  # fmt: skip
    s.add(a)
    await s.flush()
    assert a.id is not None
    return a.id


async def declaration(
    s: AsyncSession, w: MoneyWorld, *, arrangement_id: int, provider_id: int, municipality_id: int,
    kind: str = "start", period: date = date(2026, 3, 1), amount_cents: int = 50_000,
    received_at: datetime = datetime(2026, 3, 3, 10, 0, tzinfo=UTC),
) -> int:  # fmt: skip
    d = Declaration(
        region_id=w.region.id, provider_id=provider_id, arrangement_id=arrangement_id,
        municipality_id=municipality_id, kind=kind, period=period, amount_cents=amount_cents, status="settled",
        channel="web", received_at=received_at, checked_at=received_at, settled_at=NOW,
    )  # fmt: skip
    s.add(d)
    await s.flush()
    assert d.id is not None
    return d.id


async def ledger(
    s: AsyncSession, w: MoneyWorld, *, provider_id: int, municipality_id: int, amount_cents: int,
    period: date = date(2026, 3, 1), kind: str = "start_half", arrangement_id: int | None = None,
    declaration_id: int | None = None, **extra: Any,
) -> int:  # fmt: skip
    if arrangement_id is None and "lump_sum_id" not in extra and "population_budget_id" not in extra:
        extra.update(await ledger_source(s, w.region.id, provider_id, municipality_id))
    e = LedgerEntry(
        region_id=w.region.id, period=period, provider_id=provider_id, municipality_id=municipality_id,
        arrangement_id=arrangement_id, declaration_id=declaration_id, kind=kind, amount_cents=amount_cents,
        dedupe_key=f"test:{next(_seq)}:{secrets.token_hex(4)}", created_at=NOW, **extra,
    )  # fmt: skip
    s.add(e)
    await s.flush()
    assert e.id is not None
    return e.id
