"""F1: a settlement run in a subprocess killed with SIGKILL at a random point (before or after the commit of a
random step), then rerun → the same ledger digest as a clean run on identical data in another region (ids
translated), and every payment once."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from datetime import date

import pytest
from sqlalchemy import select

from invoicing.models import LedgerEntry, SettlementRun
from invoicing.services.ledger import digest_rows
from invoicing.services.settlement import LANE_STEPS, STEPS, run_settlement
from tests.invoicing.test_settlement import FEB, Seeded, seed
from tests.support.invoicing_factories import at, finance_actor

CHILD = """
import asyncio, os, signal, sys
from datetime import date, datetime, UTC
from jeugdregio.audit import Actor
from jeugdregio.db import make_engine, make_sessionmaker
from invoicing.services.settlement import run_settlement

url, region_id, target, phase = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]

async def hook(step, when):
    if step == target and when == phase:
        os.kill(os.getpid(), signal.SIGKILL)

async def main():
    engine = make_engine(url)
    actor = Actor(user_id=None, label="test", role="team_finance", region_id=region_id)
    await run_settlement(make_sessionmaker(engine), region_id=region_id, period=date(2026, 2, 1), actor=actor,
                         now=datetime(2026, 3, 5, 10, tzinfo=UTC), hook=hook)

asyncio.run(main())
"""


def translate(key: str, clean: Seeded, killed: Seeded) -> str:
    """A dedupe key of the clean region with its ids replaced by the killed region's ids (months stay)."""
    kind, first, *rest = key.split(":")

    def by(prefix: str) -> dict[int, int]:
        return {clean.ids[k]: killed.ids[k] for k in clean.ids if (k.startswith(prefix) if prefix else
                                                                   not k.startswith(("d_", "lump", "pop")))}

    table = {"start": by(""), "result": by(""), "month": by(""), "pxq": by("d_"), "lump": by("lump"),
             "pop": by("pop")}[kind]  # fmt: skip
    municipalities = dict(zip(clean.world.municipality_ids, killed.world.municipality_ids, strict=True))
    if kind == "pop":
        rest[0] = str(municipalities[int(rest[0])])
    return ":".join([kind, str(table[int(first)]), *rest])


async def ledger_rows(maker, region_id: int) -> list[tuple[str, int, int, int, str]]:  # type: ignore[no-untyped-def]
    async with maker() as s:
        rows = (await s.execute(select(LedgerEntry.dedupe_key, LedgerEntry.amount_cents, LedgerEntry.provider_id,
                                       LedgerEntry.municipality_id, LedgerEntry.kind)
                                .where(LedgerEntry.region_id == region_id))).all()  # fmt: skip
    return [(str(k), int(a), int(p), int(m), str(kind)) for k, a, p, m, kind in rows]


@pytest.mark.parametrize("trial", range(3))
async def test_a_run_killed_at_a_random_point_and_rerun_gives_the_clean_digest(maker, regions, db_url, trial) -> None:
    clean_region, killed_region = await regions.create(), await regions.create()
    clean, killed = await seed(clean_region), await seed(killed_region)
    await run_settlement(maker, region_id=clean_region.id, period=FEB, actor=finance_actor(clean_region.id),
                         now=at(2026, 3, 5))  # fmt: skip
    chooser = random.Random()
    target, phase = chooser.choice(STEPS), chooser.choice(("before_commit", "after_commit"))
    proc = subprocess.run([sys.executable, "-c", CHILD, db_url, str(killed_region.id), target, phase],
                          capture_output=True, timeout=120, env=os.environ.copy())  # fmt: skip
    assert proc.returncode == -signal.SIGKILL, (target, phase, proc.stderr.decode()[-2000:])
    async with maker() as s:
        run = (await s.execute(select(SettlementRun).where(SettlementRun.region_id == killed_region.id))).scalar_one()
        done_before = STEPS.index(target) + (1 if phase == "after_commit" else 0)
        if target in STEPS[:LANE_STEPS]:  # the other lane may have committed some of its steps: the phase is open
            assert run.steps_done < LANE_STEPS and run.status == "running", (target, phase, run.steps_done)
        else:
            assert run.steps_done == done_before, (target, phase)
            assert (run.status == "done") == (done_before == len(STEPS))
    result = await run_settlement(maker, region_id=killed_region.id, period=FEB,
                                  actor=finance_actor(killed_region.id), now=at(2026, 3, 6))  # fmt: skip
    assert result.status == "done"
    providers = {clean.world.provider_id: killed.world.provider_id,
                 clean.world.other_provider_id: killed.world.other_provider_id}
    municipalities = dict(zip(clean.world.municipality_ids, killed.world.municipality_ids, strict=True))
    expected = [(translate(k, clean, killed), a, providers[p], municipalities[m], kind) for k, a, p, m, kind in
                await ledger_rows(maker, clean_region.id)]  # fmt: skip
    got = await ledger_rows(maker, killed_region.id)
    assert sorted(got) == sorted(expected), (target, phase)
    assert result.digest == digest_rows(expected), (target, phase)
    assert len({k for k, *_ in got}) == len(got) == 11


async def test_the_first_half_is_booked_in_the_month_its_start_is_declared(maker, regions) -> None:
    """A start declared in March is not in February's run (as of the end of the period)."""
    region = await regions.create()
    data = await seed(region)
    from tests.support.invoicing_factories import add_arrangement, add_declaration

    async with maker() as s:
        late = await add_arrangement(s, data.world, status="started", start_date=date(2026, 3, 2))
        await add_declaration(s, data.world, late, kind="start", period=date(2026, 3, 2), amount_cents=50_000)
        await s.commit()
    await run_settlement(maker, region_id=region.id, period=FEB, actor=finance_actor(region.id), now=at(2026, 3, 5))
    assert f"start:{late}" not in {k for k, *_ in await ledger_rows(maker, region.id)}
