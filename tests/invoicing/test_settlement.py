"""Settlement: every payment model, exactly once (two runs at once: M6), rerun of a done period, the ledger digest,
reversals and the append-only ledger."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from invoicing.models import Declaration, LedgerEntry, SettlementRun
from invoicing.rules import halves, instalments, population_year_cents
from invoicing.services.ledger import digest_rows, ledger_digest, reverse_entry
from invoicing.services.settlement import LANES, run_settlement
from jeugdregio.errors import Conflict, NotFound, ValidationFailed
from tests.support.invoicing_factories import (
    InvoicingWorld,
    add_arrangement,
    add_declaration,
    add_lump_sum,
    add_population,
    at,
    finance_actor,
    invoicing_committed,
    set_policy,
)  # fmt: skip

FEB = date(2026, 2, 1)


@dataclass
class Seeded:
    world: InvoicingWorld
    ids: dict[str, int]


async def seed(region, *, references: str = "S") -> Seeded:  # type: ignore[no-untyped-def]
    """The same business data in any region: one of every payment model and outcome."""
    world = await invoicing_committed(region)
    ids: dict[str, int] = {}
    async with region.maker() as s:
        # 50/50 started in January: first half due
        a = ids["started"] = await add_arrangement(
            s, world, status="started", tariff_cents=100_001, start_date=date(2026, 1, 10), reference=f"{references}-1")
        ids["d_start"] = await add_declaration(s, world, a, kind="start", period=date(2026, 1, 10),
                                               amount_cents=halves(100_001)[0])  # fmt: skip
        # 50/50 confirmed achieved: both halves
        b = ids["achieved"] = await add_arrangement(
            s, world, status="confirmed", tariff_cents=80_001, start_date=date(2025, 10, 1), end_date=date(2026, 1, 31),
            end_reason="31", result="achieved", reference=f"{references}-2")  # fmt: skip
        await add_declaration(s, world, b, kind="start", period=date(2025, 10, 1), amount_cents=40_000)
        ids["d_end_ok"] = await add_declaration(s, world, b, kind="end", period=date(2026, 1, 31), amount_cents=40_001)
        # 50/50 confirmed not achieved: second half not payable (default policy)
        c = ids["not"] = await add_arrangement(
            s, world, status="confirmed", tariff_cents=60_000, start_date=date(2025, 10, 1), end_date=date(2026, 2, 2),
            end_reason="31", result="not", reference=f"{references}-3")  # fmt: skip
        await add_declaration(s, world, c, kind="start", period=date(2025, 10, 1), amount_cents=30_000)
        ids["d_end_not"] = await add_declaration(s, world, c, kind="end", period=date(2026, 2, 2), amount_cents=30_000)
        # 50/50 ended but not yet confirmed: nothing for the second half yet
        d = ids["ended"] = await add_arrangement(
            s, world, status="ended", tariff_cents=50_000, start_date=date(2025, 11, 1), end_date=date(2026, 2, 10),
            end_reason="31", result="achieved", reference=f"{references}-4")  # fmt: skip
        ids["d_end_wait"] = await add_declaration(s, world, d, kind="end", period=date(2026, 2, 10),
                                                  amount_cents=25_000)
        # monthly: January and February declared; March is after the settled month
        m = ids["monthly"] = await add_arrangement(s, world, model="monthly", status="started", tariff_cents=12_345,
                                                   start_date=date(2026, 1, 5), reference=f"{references}-5")
        for month in (1, 2, 3):
            ids[f"d_month_{month}"] = await add_declaration(s, world, m, kind="month", period=date(2026, month, 1),
                                                            amount_cents=12_345)  # fmt: skip
        # P×Q: 10 units at 1,500 cents, municipality 2
        q = ids["pxq"] = await add_arrangement(s, world, model="pxq", status="started", tariff_cents=1_500,
                                               start_date=date(2026, 1, 5), municipality_id=world.municipality_ids[1],
                                               reference=f"{references}-6")  # fmt: skip
        ids["d_pxq"] = await add_declaration(s, world, q, kind="pxq", period=date(2026, 2, 1), units=10,
                                             amount_cents=15_000, municipality_id=world.municipality_ids[1])
        ids["lump"] = await add_lump_sum(s, world, year=2026, yearly_cents=1_000_007)
        ids["pop"] = await add_population(s, world, year=2026, cents_per_youth=333, youths=[1000, 2501, 7],
                                          weights=[10000, 12500, 9999], weighted=True,
                                          provider_id=world.other_provider_id)
        await s.commit()
    return Seeded(world, ids)


async def ledger(maker, region_id: int) -> dict[str, tuple[int, str]]:  # type: ignore[no-untyped-def]
    async with maker() as s:
        rows = (await s.execute(select(LedgerEntry.dedupe_key, LedgerEntry.amount_cents, LedgerEntry.kind)
                                .where(LedgerEntry.region_id == region_id))).all()  # fmt: skip
    return {k: (a, kind) for k, a, kind in rows}


async def test_a_month_settles_every_payment_model_once(maker, regions) -> None:
    region = await regions.create()
    data = await seed(region)
    w, ids = data.world, data.ids
    result = await run_settlement(maker, region_id=region.id, period=FEB, actor=finance_actor(region.id),
                                  now=at(2026, 3, 5))  # fmt: skip
    assert result.status == "done" and len(result.digest) == 64
    got = await ledger(maker, region.id)
    lump = instalments(1_000_007)[1]
    pop = [instalments(population_year_cents(333, y, wt))[1] for y, wt in ((1000, 10000), (2501, 12500), (7, 9999))]
    expected = {
        f"start:{ids['started']}": (50_000, "start_half"),
        f"start:{ids['achieved']}": (40_000, "start_half"),
        f"start:{ids['not']}": (30_000, "start_half"),
        f"result:{ids['achieved']}": (halves(80_001)[1], "result_half"),
        f"month:{ids['monthly']}:2026-01": (12_345, "month"),
        f"month:{ids['monthly']}:2026-02": (12_345, "month"),
        f"pxq:{ids['d_pxq']}": (15_000, "pxq"),
        f"lump:{ids['lump']}:2026-02": (lump, "lump_sum"),
        **{f"pop:{ids['pop']}:{mid}:2026-02": (pop[i], "population") for i, mid in enumerate(w.municipality_ids)},
    }
    assert got == expected
    assert result.entries == len(expected) and result.total_cents == sum(a for a, _ in expected.values())
    async with maker() as s:
        decl = {d.id: d for d in (await s.execute(select(Declaration).where(Declaration.region_id == region.id)))
                .scalars()}  # fmt: skip
        assert decl[ids["d_end_not"]].status == "not_payable"
        assert decl[ids["d_end_not"]].status_reason == "Geen tweede 50 %: doelen niet behaald."
        assert decl[ids["d_end_not"]].amount_cents == 0
        assert decl[ids["d_end_ok"]].status == "settled" and decl[ids["d_end_ok"]].settled_at is not None
        assert decl[ids["d_end_wait"]].status == "accepted"  # not yet confirmed
        assert decl[ids["d_month_3"]].status == "accepted" and decl[ids["d_month_1"]].status == "settled"
        assert await ledger_digest(s, region.id) == result.digest
        rows = (await s.execute(select(LedgerEntry.dedupe_key, LedgerEntry.amount_cents, LedgerEntry.provider_id,
                                       LedgerEntry.municipality_id, LedgerEntry.kind)
                                .where(LedgerEntry.region_id == region.id))).all()  # fmt: skip
        assert digest_rows([tuple(r) for r in rows]) == result.digest  # type: ignore[misc]
    # a done run is final: rerunning does nothing
    again = await run_settlement(maker, region_id=region.id, period=FEB, actor=finance_actor(region.id),
                                 now=at(2026, 3, 6))  # fmt: skip
    assert again.already_done and again.digest == result.digest and await ledger(maker, region.id) == expected
    # the next month picks up what became due since: March's month and the lump sum/population of March
    march = await run_settlement(maker, region_id=region.id, period=date(2026, 3, 1),
                                 actor=finance_actor(region.id), now=at(2026, 4, 5))  # fmt: skip
    got = await ledger(maker, region.id)
    assert got[f"month:{ids['monthly']}:2026-03"] == (12_345, "month")
    assert f"result:{ids['ended']}" not in got and march.digest != result.digest


async def test_policy_can_pay_the_second_half_for_goals_not_achieved(maker, regions) -> None:
    region = await regions.create()
    data = await seed(region)
    async with maker() as s:
        await set_policy(s, region.id, pay_not_achieved=True)
        await s.commit()
    await run_settlement(maker, region_id=region.id, period=FEB, actor=finance_actor(region.id), now=at(2026, 3, 5))
    got = await ledger(maker, region.id)
    assert got[f"result:{data.ids['not']}"] == (30_000, "result_half")


@pytest.mark.parametrize("workers", [2, 4])
async def test_concurrent_runs_of_one_month_pay_everything_once(maker, regions, workers: int) -> None:
    """M6: runs at once, each in its own sessions → one run row, every payment once, same ledger as one run."""
    region, clean = await regions.create(), await regions.create()
    await seed(region)
    await seed(clean)
    solo = await run_settlement(maker, region_id=clean.id, period=FEB, actor=finance_actor(clean.id),
                                now=at(2026, 3, 5))
    results = await asyncio.gather(*[
        run_settlement(maker, region_id=region.id, period=FEB, actor=finance_actor(region.id), now=at(2026, 3, 5))
        for _ in range(workers)
    ])  # fmt: skip
    assert len({r.run_id for r in results}) == 1 and {r.digest for r in results} == {results[0].digest}
    assert sum(not r.already_done for r in results) == 1
    async with maker() as s:
        runs = (await s.execute(select(SettlementRun).where(SettlementRun.region_id == region.id))).scalars().all()
    assert len(runs) == 1 and runs[0].entries == solo.entries and runs[0].total_cents == solo.total_cents
    assert sorted(a for a, _ in (await ledger(maker, region.id)).values()) == sorted(
        a for a, _ in (await ledger(maker, clean.id)).values())


async def test_without_the_lock_the_constraints_still_pay_once(maker, regions) -> None:
    """Even with the advisory lock switched off, the unique run and dedupe keys keep every payment single."""
    region = await regions.create()
    await seed(region)
    results = await asyncio.gather(*[
        run_settlement(maker, region_id=region.id, period=FEB, actor=finance_actor(region.id), now=at(2026, 3, 5),
                       use_lock=False)
        for _ in range(3)
    ], return_exceptions=True)  # fmt: skip
    assert not [r for r in results if isinstance(r, BaseException) and not isinstance(r, DBAPIError)]
    final = await run_settlement(maker, region_id=region.id, period=FEB, actor=finance_actor(region.id),
                                 now=at(2026, 3, 5))  # fmt: skip
    assert final.status == "done" and final.entries == 11
    keys = await ledger(maker, region.id)
    assert len(keys) == 11


async def test_the_declaration_steps_run_in_two_lanes_at_once(maker, regions) -> None:
    """Each lane's first step waits, before its commit, until the other lane's first step is there too: run one
    after the other, the first would wait in vain and the run would fail."""
    region = await regions.create()
    await seed(region)
    inside = {steps[0]: asyncio.Event() for steps in LANES}

    async def hook(step: str, when: str) -> None:
        if when == "before_commit" and step in inside:
            inside[step].set()
            await asyncio.wait_for(asyncio.gather(*(e.wait() for e in inside.values())), 10)

    result = await run_settlement(maker, region_id=region.id, period=FEB, actor=finance_actor(region.id),
                                  now=at(2026, 3, 5), hook=hook)  # fmt: skip
    assert result.status == "done" and result.entries == 11 and not result.resumed
    assert all(e.is_set() for e in inside.values())


async def test_a_failing_lane_fails_the_run_and_the_rerun_pays_the_rest_once(maker, regions) -> None:
    region, clean = await regions.create(), await regions.create()
    await seed(region)
    await seed(clean)
    solo = await run_settlement(maker, region_id=clean.id, period=FEB, actor=finance_actor(clean.id),
                                now=at(2026, 3, 5))  # fmt: skip

    async def hook(step: str, when: str) -> None:
        if (step, when) == ("month", "before_commit"):
            raise RuntimeError("verbinding weggevallen")

    with pytest.raises(RuntimeError, match="verbinding weggevallen"):
        await run_settlement(maker, region_id=region.id, period=FEB, actor=finance_actor(region.id),
                             now=at(2026, 3, 5), hook=hook)  # fmt: skip
    async with maker() as s:
        run = (await s.execute(select(SettlementRun).where(SettlementRun.region_id == region.id))).scalar_one()
    assert run.status == "failed" and run.error == "RuntimeError: verbinding weggevallen" and run.steps_done < 4
    assert not [k for k in await ledger(maker, region.id) if k.startswith("month:")]  # its transaction rolled back
    again = await run_settlement(maker, region_id=region.id, period=FEB, actor=finance_actor(region.id),
                                 now=at(2026, 3, 6))  # fmt: skip
    assert again.status == "done" and again.resumed
    assert (again.entries, again.total_cents) == (solo.entries, solo.total_cents) == (11, solo.total_cents)


async def test_reversal_books_the_negative_with_a_reason_once(maker, regions) -> None:
    region = await regions.create()
    await seed(region)
    await run_settlement(maker, region_id=region.id, period=FEB, actor=finance_actor(region.id), now=at(2026, 3, 5))
    async with maker() as s:
        q = select(LedgerEntry).where(LedgerEntry.region_id == region.id, LedgerEntry.kind == "month").limit(1)
        entry = (await s.execute(q)).scalar_one()
        entry_id = entry.id
        with pytest.raises(ValidationFailed):
            await reverse_entry(s, region_id=region.id, entry_id=entry.id, reason="  ", actor=finance_actor(region.id),
                                now=at(2026, 3, 10))  # fmt: skip
        rev = await reverse_entry(s, region_id=region.id, entry_id=entry.id, reason="Dubbel gedeclareerd",
                                  actor=finance_actor(region.id), now=at(2026, 3, 10))  # fmt: skip
        assert rev.amount_cents == -entry.amount_cents and rev.reverses_id == entry.id
        assert rev.dedupe_key == f"rev:{entry.id}" and rev.period == date(2026, 3, 1)
        rev_id = rev.id
        await s.commit()
        with pytest.raises(Conflict):
            await reverse_entry(s, region_id=region.id, entry_id=entry_id, reason="nog eens",
                                actor=finance_actor(region.id), now=at(2026, 3, 11))  # fmt: skip
        await s.rollback()
        with pytest.raises(Conflict):
            await reverse_entry(s, region_id=region.id, entry_id=rev_id, reason="terug", actor=finance_actor(region.id),
                                now=at(2026, 3, 11))  # fmt: skip
        await s.rollback()
        other = await regions.create()
        with pytest.raises(NotFound):
            await reverse_entry(s, region_id=other.id, entry_id=entry_id, reason="x", actor=finance_actor(other.id),
                                now=at(2026, 3, 11))  # fmt: skip


@pytest.mark.parametrize("statement", ["UPDATE invoicing_ledger_entry SET amount_cents = 1 WHERE region_id = :r",
                                       "DELETE FROM invoicing_ledger_entry WHERE region_id = :r"])
async def test_the_ledger_refuses_update_and_delete(maker, regions, statement: str) -> None:
    region = await regions.create()
    await seed(region)
    await run_settlement(maker, region_id=region.id, period=FEB, actor=finance_actor(region.id), now=at(2026, 3, 5))
    async with maker() as s:
        with pytest.raises(DBAPIError, match="append-only"):
            await s.execute(text(statement), {"r": region.id})
