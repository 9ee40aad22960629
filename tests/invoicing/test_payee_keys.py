"""ADR 0013: declarations and ledger entries reference their source with one composite foreign key, which also
checks that the row's region, provider and municipality are the source's own; every ledger entry has exactly one
source. The database refuses a mismatch whatever the application does."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from invoicing.models import Declaration, DeclarationBatch, LedgerEntry
from invoicing.services.declaration_import import HEADER, import_declarations
from jeugdregio.audit import Actor
from jeugdregio.users import create_user
from tests.support.factories import RegionFactory
from tests.support.invoicing_factories import (
    InvoicingWorld,
    add_arrangement,
    add_declaration,
    add_lump_sum,
    add_population,
    build_invoicing,
)  # fmt: skip

NOW = datetime(2026, 11, 5, 10, tzinfo=UTC)


async def _refused(session: AsyncSession, table: Any, values: dict[str, Any], match: str) -> None:
    with pytest.raises(IntegrityError, match=match):
        async with session.begin_nested():
            await session.execute(insert(table).values(**values))


def _entry(world: InvoicingWorld, **values: Any) -> dict[str, Any]:
    return {"region_id": world.region.id, "period": date(2026, 3, 1), "provider_id": world.provider_id,
            "municipality_id": world.municipality_ids[0], "kind": "start_half", "amount_cents": 100,
            "dedupe_key": f"t:{secrets.token_hex(4)}", "created_at": NOW, **values}  # fmt: skip


async def test_a_declaration_must_name_its_arrangements_provider_and_municipality(
    session: AsyncSession, regions: RegionFactory
) -> None:
    world = await build_invoicing(session, await regions.create())
    other_region = await build_invoicing(session, await regions.create())
    arrangement = await add_arrangement(session, world, status="started", start_date=date(2026, 1, 5))
    ok = await add_declaration(session, world, arrangement, kind="start", period=date(2026, 1, 5), amount_cents=1)
    assert ok > 0
    base = {"region_id": world.region.id, "provider_id": world.provider_id, "arrangement_id": arrangement,
            "municipality_id": world.municipality_ids[0], "kind": "end", "period": date(2026, 3, 1),
            "amount_cents": 0, "status": "accepted", "withdrawn": False, "status_reason": "", "channel": "api",
            "external_ref": "", "received_at": NOW, "checked_at": NOW}  # fmt: skip
    key = "fk_invoicing_declaration_arrangement_id_contracts_arrangement"
    await _refused(session, Declaration, {**base, "provider_id": world.other_provider_id}, key)
    await _refused(session, Declaration, {**base, "municipality_id": world.municipality_ids[1]}, key)
    await _refused(session, Declaration, {**base, "region_id": other_region.region.id}, key)
    await _refused(session, Declaration, {**base, "arrangement_id": arrangement + 10_000}, key)


async def test_every_ledger_entry_has_exactly_one_source_that_matches_it(
    session: AsyncSession, regions: RegionFactory
) -> None:
    world = await build_invoicing(session, await regions.create())
    arrangement = await add_arrangement(session, world, status="started", start_date=date(2026, 1, 5))
    lump = await add_lump_sum(session, world, year=2026, yearly_cents=120_000)
    population = await add_population(session, world, year=2026, cents_per_youth=100, youths=[10, 20])
    for source in ({"arrangement_id": arrangement}, {"lump_sum_id": lump}, {"population_budget_id": population}):
        await session.execute(insert(LedgerEntry).values(**_entry(world, **source)))  # each on its own: accepted
    await _refused(session, LedgerEntry, _entry(world), "one_source")
    await _refused(session, LedgerEntry, _entry(world, arrangement_id=arrangement, lump_sum_id=lump), "one_source")
    wrong_provider = {"provider_id": world.other_provider_id}
    await _refused(session, LedgerEntry, _entry(world, arrangement_id=arrangement, **wrong_provider),
                   "fk_invoicing_ledger_entry_arrangement_id_contracts_arrangement")  # fmt: skip
    await _refused(session, LedgerEntry, _entry(world, lump_sum_id=lump, **wrong_provider),
                   "fk_invoicing_ledger_entry_lump_sum_id_invoicing_lump_sum")  # fmt: skip
    await _refused(session, LedgerEntry, _entry(world, lump_sum_id=lump, municipality_id=world.municipality_ids[1]),
                   "fk_invoicing_ledger_entry_lump_sum_id_invoicing_lump_sum")  # fmt: skip
    await _refused(session, LedgerEntry, _entry(world, population_budget_id=population, **wrong_provider),
                   "fk_invoicing_ledger_entry_population_budget_id")  # fmt: skip
    await _refused(session, LedgerEntry,
                   _entry(world, arrangement_id=arrangement, municipality_id=world.municipality_ids[1]),
                   "fk_invoicing_ledger_entry_arrangement_id_contracts_arrangement")  # fmt: skip
    # a population budget pays every municipality: its entries' municipality has a key of its own (a generated
    # column that is empty for the other sources, so that only these rows pay for the lookup)
    await session.execute(insert(LedgerEntry).values(
        **_entry(world, population_budget_id=population, municipality_id=world.municipality_ids[1])))  # fmt: skip
    await _refused(session, LedgerEntry, _entry(world, population_budget_id=population, municipality_id=999_999),
                   "fk_invoicing_ledger_entry_population_municipality_id")  # fmt: skip
    generated = (await session.execute(select(LedgerEntry.population_budget_id, LedgerEntry.municipality_id,
                                              LedgerEntry.population_municipality_id)
                                       .where(LedgerEntry.region_id == world.region.id))).all()  # fmt: skip
    assert sorted(generated, key=lambda r: (r[0] or 0, r[1])) == [
        (None, world.municipality_ids[0], None), (None, world.municipality_ids[0], None),
        (population, world.municipality_ids[0], world.municipality_ids[0]),
        (population, world.municipality_ids[1], world.municipality_ids[1]),
    ]  # fmt: skip


async def test_a_batchs_declarations_leave_the_uploader_to_the_batch(
    session: AsyncSession, regions: RegionFactory
) -> None:
    world = await build_invoicing(session, await regions.create())
    await add_arrangement(session, world, model="monthly", status="started", start_date=date(2026, 1, 1),
                          reference="AR-WHO")  # fmt: skip
    user = await create_user(session, email=f"upload-{secrets.token_hex(3)}@test.example", name="Uploader",
                             password=secrets.token_urlsafe(16), now=NOW)  # fmt: skip
    actor = Actor(user_id=user.id, label="uploader", role="provider", region_id=world.region.id)
    content = f"{HEADER}\nAR-WHO;maand;2026-02;;;;;\n".encode()
    result = await import_declarations(session, region_id=world.region.id, provider_id=world.provider_id,
                                       content=content, filename="wie.csv", channel="csv", actor=actor,
                                       now=NOW)  # fmt: skip
    stored = (await session.execute(select(Declaration.created_by, Declaration.batch_id)
                                    .where(Declaration.region_id == world.region.id))).one()  # fmt: skip
    uploader = (await session.execute(select(DeclarationBatch.created_by)
                                      .where(DeclarationBatch.id == result.batch_id))).scalar_one()  # fmt: skip
    assert stored == (None, result.batch_id) and uploader == user.id
