"""Builders for invoicing tests: providers, arrangement types per payment model, a family plan with goals,
arrangements in any state (inserted directly, tests only), payment policy, lump sums and population budgets.

Two flavours, like catalogue_factories: `build_invoicing(session, region)` works inside a (rolled-back) session
and does not commit; `invoicing_committed(region)` commits (for HTTP tests). Keep these signatures stable:
other test modules use them."""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from catalogue.models import ArrangementType, CareSetting, Intensity
from contracts.models import Arrangement, FamilyPlan, FamilyPlanGoal, Provider
from invoicing.models import LumpSum, PaymentPolicy, PopulationBudget, PopulationFigure
from jeugdregio.audit import Actor
from jeugdregio.users import add_membership, create_user
from tests.support.factories import PASSWORD, TestRegion

MODELS = ("result_50_50", "monthly", "pxq")
_refs = itertools.count(1)


def at(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, 0, tzinfo=UTC)


def finance_actor(region_id: int) -> Actor:
    return Actor(user_id=None, label="test-financien", role="team_finance", region_id=region_id)


def provider_actor_of(region_id: int, provider_id: int) -> Actor:
    return Actor(user_id=None, label=f"test-aanbieder-{provider_id}", role="provider", region_id=region_id)


@dataclass
class InvoicingWorld:
    region: TestRegion
    provider_id: int  # the provider the tests act as
    other_provider_id: int  # a second provider in the same region
    type_ids: dict[str, int]  # payment model -> arrangement type id (result_50_50, monthly, pxq)
    profile_id: int
    plan_id: int
    goal_ids: list[int]
    municipality_ids: list[int]
    users: dict[str, str] = field(default_factory=dict)  # role -> e-mail (invoicing_committed with users=True)


async def _provider(s: AsyncSession, region_id: int, name: str) -> int:
    digits = f"{secrets.randbelow(10**8):08d}"
    p = Provider(region_id=region_id, name=name, kvk=digits, agb=f"97{digits[2:]}", street="Teststraat 1",
                 postcode="1234 AB", city="Teststad", contact_name="Tess", contact_email=f"p{digits}@example.org",
                 admitted_on=date(2025, 1, 1), created_at=datetime.now(UTC))  # fmt: skip
    s.add(p)
    await s.flush()
    assert p.id is not None
    return p.id


async def build_invoicing(s: AsyncSession, region: TestRegion) -> InvoicingWorld:
    """Two providers, one arrangement type per payment model (profile 1), a referrer, a plan with two goals."""
    now = datetime.now(UTC)
    provider_id = await _provider(s, region.id, "Zorg Een")
    other_id = await _provider(s, region.id, "Zorg Twee")
    intensity = Intensity(region_id=region.id, complexity="low", code="Q", name="Test-intensiteit")
    s.add(intensity)
    await s.flush()
    type_ids: dict[str, int] = {}
    profile_id = region.profile_ids[1]
    for n, model in enumerate(MODELS):
        setting = CareSetting(region_id=region.id, code=f"T{n}", name=f"Testsetting {n}")
        s.add(setting)
        await s.flush()
        t = ArrangementType(region_id=region.id, code=f"901Q{n}", profile_id=profile_id, intensity_id=intensity.id,
                            setting_id=setting.id, complexity="low", payment_model=model,
                            max_months=12 if model == "monthly" else None, ijw_product_code=f"901Q{n}",
                            unit="04" if model == "pxq" else "82")  # fmt: skip
        s.add(t)
        await s.flush()
        assert t.id is not None
        type_ids[model] = t.id
    user = await create_user(s, email=f"verwijzer-{secrets.token_hex(4)}@{region.slug}.test", name="Verwijzer",
                             password=PASSWORD, now=now)  # fmt: skip
    assert user.id is not None
    membership = await add_membership(s, user_id=user.id, region_id=region.id, role="referrer", now=now)
    plan = FamilyPlan(region_id=region.id, reference=f"GP-T-{secrets.token_hex(4)}",
                      referrer_membership_id=membership.id, referrer_type="01", bsn="111222333",
                      youth_pseudonym="pseudo-test", youth_name="Test Jeugd",
                      birth_date=date(2015, 5, 5), paying_municipality_id=region.municipality_ids[0],
                      profile_id=profile_id, created_at=now)  # fmt: skip
    s.add(plan)
    await s.flush()
    assert plan.id is not None
    goals = []
    for position in (1, 2):
        g = FamilyPlanGoal(region_id=region.id, plan_id=plan.id, position=position, description=f"Doel {position}")
        s.add(g)
        await s.flush()
        assert g.id is not None
        goals.append(g.id)
    return InvoicingWorld(region, provider_id, other_id, type_ids, profile_id, plan.id, goals,
                          list(region.municipality_ids))  # fmt: skip


async def invoicing_committed(region: TestRegion, *, users: bool = False) -> InvoicingWorld:
    """build_invoicing, committed; with users=True also a user per role (provider bound to provider_id, a second
    provider user 'provider_other' bound to other_provider_id, municipality bound to the first municipality)."""
    async with region.maker() as s:
        world = await build_invoicing(s, region)
        await s.commit()
    if users:
        for role in ("team_admin", "team_contracts", "team_finance", "team_quality", "municipality", "referrer"):
            world.users[role] = await region.user(role)
        world.users["provider"] = await region.user("provider", provider_id=world.provider_id)
        world.users["provider_other"] = await region.user("provider", provider_id=world.other_provider_id)
    return world


async def add_arrangement(
    s: AsyncSession,
    world: InvoicingWorld,
    *,
    model: str = "result_50_50",
    status: str = "agreed",
    provider_id: int | None = None,
    municipality_id: int | None = None,
    tariff_cents: int = 100_000,
    planned_start: date = date(2026, 1, 1),
    agreed_on: date = date(2025, 12, 15),
    start_date: date | None = None,
    end_date: date | None = None,
    end_reason: str | None = None,
    result: str | None = None,
    max_months: int | None = None,
    assigned_units: int | None = None,
    reference: str | None = None,
    confirmed_at: datetime | None = None,
) -> int:
    """One arrangement in any state, inserted directly (tests only; the lifecycle belongs to contracts).
    Defaults: max_months=12 for monthly, assigned_units=100 for pxq; a confirmed one is confirmed a week after its
    end date (or now) unless `confirmed_at` is given; returns the id."""
    if status == "confirmed" and confirmed_at is None:
        confirmed_at = datetime.combine(end_date, datetime.min.time(), UTC) + timedelta(days=7) if end_date else None
        confirmed_at = confirmed_at or datetime.now(UTC)
    if model == "monthly" and max_months is None:
        max_months = 12
    if model == "pxq" and assigned_units is None:
        assigned_units = 100
    now = datetime.now(UTC)
    ref = reference or f"AR-T-{next(_refs):06d}{secrets.token_hex(2)}"
    values: dict[str, Any] = dict(
        region_id=world.region.id, reference=ref, plan_id=world.plan_id,
        provider_id=provider_id or world.provider_id, arrangement_type_id=world.type_ids[model],
        profile_id=world.profile_id, payment_model=model, max_months=max_months,
        paying_municipality_id=municipality_id or world.municipality_ids[0], youth_pseudonym="pseudo-test",
        status=status, planned_start=planned_start, subcontractors=[], assigned_units=assigned_units,
        agreed_on=agreed_on, tariff_cents=tariff_cents, start_date=start_date, end_date=end_date,
        end_reason=end_reason, result=result, created_at=now, updated_at=now,
        confirmed_at=confirmed_at, ended_reported_at=now if end_date else None,
    )  # fmt: skip
    return int((await s.execute(insert(Arrangement).values(**values).returning(Arrangement.id))).scalar_one())


async def arrangement_row(s: AsyncSession, arrangement_id: int) -> Arrangement:
    row = (await s.execute(select(Arrangement).where(Arrangement.id == arrangement_id)
                           .execution_options(populate_existing=True))).scalar_one()  # fmt: skip
    return row


async def set_policy(s: AsyncSession, region_id: int, **fields: Any) -> None:
    """The region's PaymentPolicy with the given fields (others default)."""
    s.add(PaymentPolicy(region_id=region_id, **fields))
    await s.flush()


async def add_lump_sum(s: AsyncSession, world: InvoicingWorld, *, year: int, yearly_cents: int,
                       municipality_id: int | None = None, provider_id: int | None = None) -> int:  # fmt: skip
    ls = LumpSum(region_id=world.region.id, provider_id=provider_id or world.provider_id,
                 municipality_id=municipality_id or world.municipality_ids[0], year=year, yearly_cents=yearly_cents,
                 description="Taakgericht test", created_at=datetime.now(UTC))  # fmt: skip
    s.add(ls)
    await s.flush()
    assert ls.id is not None
    return ls.id


async def ledger_source(s: AsyncSession, region_id: int, provider_id: int, municipality_id: int) -> dict[str, int]:
    """A source for a hand-made ledger entry (every entry has exactly one, whose composite foreign key checks its
    region, provider and municipality: ADR 0013): one zero lump sum per provider and municipality, made once."""
    t = LumpSum.__table__  # type: ignore[attr-defined]
    stmt = pg_insert(t).values(region_id=region_id, provider_id=provider_id, municipality_id=municipality_id,
                               year=1900, yearly_cents=0, description="bron voor testboekingen",
                               created_at=datetime.now(UTC))  # fmt: skip
    stmt = stmt.on_conflict_do_update(index_elements=["region_id", "provider_id", "municipality_id", "year"],
                                      set_={"year": stmt.excluded.year})  # fmt: skip
    return {"lump_sum_id": int((await s.execute(stmt.returning(t.c.id))).scalar_one())}


async def add_population(s: AsyncSession, world: InvoicingWorld, *, year: int, cents_per_youth: int,
                         youths: list[int], weights: list[int] | None = None, weighted: bool = False,
                         provider_id: int | None = None) -> int:  # fmt: skip
    """Population figures for the first len(youths) municipalities and one population budget; returns its id."""
    now = datetime.now(UTC)
    for i, count in enumerate(youths):
        s.add(PopulationFigure(region_id=world.region.id, municipality_id=world.municipality_ids[i], year=year,
                               inhabitants=count * 5, youths=count,
                               weight_basis_points=(weights or [10000] * len(youths))[i], imported_at=now))  # fmt: skip
    pb = PopulationBudget(region_id=world.region.id, provider_id=provider_id or world.provider_id, year=year,
                          cents_per_youth=cents_per_youth, weighted=weighted, description="Populatie test",
                          created_at=now)  # fmt: skip
    s.add(pb)
    await s.flush()
    assert pb.id is not None
    return pb.id


async def add_declaration(
    s: AsyncSession,
    world: InvoicingWorld,
    arrangement_id: int,
    *,
    kind: str,
    period: date,
    amount_cents: int,
    units: int | None = None,
    status: str = "accepted",
    provider_id: int | None = None,
    municipality_id: int | None = None,
    channel: str = "api",
) -> int:
    """One accepted declaration inserted directly (tests of settlement and specifications; the declaration
    services do their own checks)."""
    from invoicing.models import Declaration

    now = datetime.now(UTC)
    own = (await s.execute(select(Arrangement.provider_id, Arrangement.paying_municipality_id)
                           .where(Arrangement.id == arrangement_id))).one()  # fmt: skip
    values = dict(region_id=world.region.id, provider_id=provider_id or own[0], arrangement_id=arrangement_id,
                  municipality_id=municipality_id or own[1], kind=kind, period=period, units=units,
                  amount_cents=amount_cents, status=status, withdrawn=status == "withdrawn", status_reason="",
                  channel=channel, external_ref="", received_at=now, checked_at=now)  # fmt: skip
    return int((await s.execute(insert(Declaration).values(**values).returning(Declaration.id))).scalar_one())


async def add_arrangements_bulk(
    s: AsyncSession,
    world: InvoicingWorld,
    n: int,
    *,
    model: str = "monthly",
    status: str = "started",
    prefix: str = "AR-B",
    tariff_cents: int = 10_000,
    start_date: date | None = date(2026, 1, 1),
    max_months: int | None = 12,
    assigned_units: int | None = 100,
    provider_id: int | None = None,
) -> list[tuple[int, str]]:
    """n arrangements in one INSERT … SELECT (references PREFIX-000001 …); returns (id, reference) in order."""
    from sqlalchemy import text

    rows = await s.execute(text(
        "INSERT INTO contracts_arrangement (region_id, reference, plan_id, provider_id, arrangement_type_id, "
        "profile_id, payment_model, max_months, paying_municipality_id, youth_pseudonym, status, planned_start, "
        "subcontractors, assigned_units, agreed_on, tariff_cents, start_date, created_at, updated_at, "
        "family_agreed_note, dispute_reason, dispute_resolution, cancel_reason) "
        "SELECT :r, :prefix || '-' || lpad(g::text, 6, '0'), :plan, :p, :type, :profile, :model, :max_months, "
        "(CAST(:mids AS int[]))[1 + g % cardinality(CAST(:mids AS int[]))], 'pseudo-test', :status, :planned, "
        "'[]'::jsonb, :units, :agreed, :tariff, :start, now(), now(), '', '', '', '' "
        "FROM generate_series(1, :n) AS g ORDER BY g RETURNING id, reference"
    ), {"r": world.region.id, "prefix": prefix, "plan": world.plan_id, "p": provider_id or world.provider_id,
        "type": world.type_ids[model], "profile": world.profile_id, "model": model,
        "max_months": max_months if model == "monthly" else None, "mids": world.municipality_ids, "status": status,
        "planned": date(2026, 1, 1), "units": assigned_units if model == "pxq" else None,
        "agreed": date(2025, 12, 15), "tariff": tariff_cents, "start": start_date, "n": n})  # fmt: skip
    return sorted(((int(i), str(ref)) for i, ref in rows.all()), key=lambda t: t[1])
