"""Settlement (afrekening): one run per region per month writes everything due to the append-only ledger.

How it stays exactly-once and kill-safe:
- an advisory lock per (settlement, region, period), held on a connection of its own for the whole run, so a
  second worker waits and then finds the run done;
- the run row is unique per (region, period), every ledger entry unique per (region, dedupe_key), and every
  step is a set-based `INSERT … SELECT … ON CONFLICT DO NOTHING` — so even without the lock nothing is paid
  twice;
- each step commits together with its progress (run.step, run.steps_done); a run killed at any point is
  continued by the next call (steps are idempotent), and the final step stores the ledger digest;
- the four declaration steps pay disjoint declarations under disjoint dedupe keys, so they run in two lanes at
  once (`LANES`, each on its own connection, each step still its own transaction): PostgreSQL then works on two
  cores. A lane's step does not touch the run row in its transaction (the lanes would wait on each other's row
  lock); its progress is counted right after its commit, and the phase is recorded as done when both lanes are.
  A run killed inside the phase reruns the whole phase: a step already committed finds nothing left to pay.

A done run is final: declarations accepted later (or confirmed results that arrive after the month) are
settled by the next month's run, which takes everything due up to its own month's end that is not yet in the
ledger. Dedupe keys: start:<arr>, result:<arr>, month:<arr>:<yyyy-mm>, pxq:<decl>, lump:<id>:<yyyy-mm>,
pop:<population_budget_id>:<municipality_id>:<yyyy-mm>."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.public import END_REASONS, provider_names
from invoicing.models import PaymentPolicy, SettlementRun
from invoicing.rules import Policy, add_months, month_start, second_half_due
from invoicing.services.ledger import DIGEST_SQL
from jeugdregio import audit
from jeugdregio.audit import Actor

STEPS: tuple[str, ...] = ("start", "result", "month", "pxq", "lump_sum", "population", "specifications", "digest")
STEP_LABELS: dict[str, str] = {
    "start": "Eerste 50 % bij gemelde starts",
    "result": "Tweede 50 % bij bevestigde resultaten",
    "month": "Maandbedragen",
    "pxq": "P×Q-leveringen",
    "lump_sum": "Lumpsum-termijnen",
    "population": "Populatiebekostiging",
    "specifications": "Betaalspecificaties bijwerken",
    "digest": "Controlegetal en afronden",
}

Hook = Callable[[str, str], Awaitable[None]]  # (step, "before_commit" | "after_commit"); tests use it to kill

# The declaration steps, in two lanes of about equal work (start halves are the most numerous rows)
LANES: tuple[tuple[str, ...], ...] = (("start", "result"), ("month", "pxq"))
LANE_STEPS = sum(len(lane) for lane in LANES)
assert {step for lane in LANES for step in lane} == set(STEPS[:LANE_STEPS])


_START_SQL = """WITH paid AS (
INSERT INTO invoicing_ledger_entry (region_id, run_id, period, provider_id, municipality_id, arrangement_id,
    declaration_id, lump_sum_id,
    population_budget_id, kind, amount_cents, dedupe_key, reason, created_at)
SELECT d.region_id, :run_id, :period, d.provider_id, d.municipality_id, d.arrangement_id, d.id, NULL, NULL,
       'start_half', d.amount_cents, 'start:' || d.arrangement_id, 'Eerste 50 % bij de start', :now
FROM invoicing_declaration d
JOIN contracts_arrangement a ON a.id = d.arrangement_id AND a.region_id = d.region_id
WHERE d.region_id = :region_id AND d.kind = 'start' AND d.status = 'accepted' AND d.period <= :period_end
  AND a.payment_model = 'result_50_50'
ON CONFLICT (region_id, dedupe_key) DO NOTHING
RETURNING declaration_id
)
UPDATE invoicing_declaration d SET status = 'settled', settled_at = :now
FROM paid WHERE d.id = paid.declaration_id AND d.status = 'accepted'
"""

# the second half: the policy table (every result × end reason, from rules.second_half_due) is joined in as
# arrays, so the rule has one source (rules.py) and the step stays one statement
_RESULT_SQL = """
WITH policy AS (
    SELECT * FROM unnest(CAST(:p_result AS text[]), CAST(:p_reason AS text[]), CAST(:p_due AS boolean[]),
                         CAST(:p_why AS text[])) AS p(result, end_reason, due, why)
), cand AS (
    SELECT d.id, d.region_id, d.provider_id, d.municipality_id, d.arrangement_id,
           a.tariff_cents - a.tariff_cents / 2 AS second_half, p.due, p.why
    FROM invoicing_declaration d
    JOIN contracts_arrangement a ON a.id = d.arrangement_id AND a.region_id = d.region_id
    JOIN policy p ON p.result = a.result AND p.end_reason = coalesce(a.end_reason, '')
    WHERE d.region_id = :region_id AND d.kind = 'end' AND d.status = 'accepted'
      AND a.payment_model = 'result_50_50' AND a.status = 'confirmed' AND a.confirmed_at < :cutoff
), paid AS (
    INSERT INTO invoicing_ledger_entry (region_id, run_id, period, provider_id, municipality_id, arrangement_id,
    declaration_id, lump_sum_id,
    population_budget_id, kind, amount_cents, dedupe_key, reason, created_at)
    SELECT region_id, :run_id, :period, provider_id, municipality_id, arrangement_id, id, NULL, NULL,
           'result_half', second_half, 'result:' || arrangement_id, why, :now
    FROM cand WHERE due
    ON CONFLICT (region_id, dedupe_key) DO NOTHING
    RETURNING declaration_id
)
UPDATE invoicing_declaration d
SET status = CASE WHEN cand.due THEN 'settled' ELSE 'not_payable' END,
    status_reason = cand.why,
    amount_cents = CASE WHEN cand.due THEN cand.second_half ELSE 0 END,
    settled_at = :now
FROM cand WHERE d.id = cand.id
"""

_MONTH_SQL = """WITH paid AS (
INSERT INTO invoicing_ledger_entry (region_id, run_id, period, provider_id, municipality_id, arrangement_id,
    declaration_id, lump_sum_id,
    population_budget_id, kind, amount_cents, dedupe_key, reason, created_at)
SELECT d.region_id, :run_id, :period, d.provider_id, d.municipality_id, d.arrangement_id, d.id, NULL, NULL,
       'month', d.amount_cents, 'month:' || d.arrangement_id || ':' || to_char(d.period, 'YYYY-MM'),
       'Maand ' || to_char(d.period, 'YYYY-MM'), :now
FROM invoicing_declaration d
WHERE d.region_id = :region_id AND d.kind = 'month' AND d.status = 'accepted' AND d.period <= :period
ON CONFLICT (region_id, dedupe_key) DO NOTHING
RETURNING declaration_id
)
UPDATE invoicing_declaration d SET status = 'settled', settled_at = :now
FROM paid WHERE d.id = paid.declaration_id AND d.status = 'accepted'
"""

_PXQ_SQL = """WITH paid AS (
INSERT INTO invoicing_ledger_entry (region_id, run_id, period, provider_id, municipality_id, arrangement_id,
    declaration_id, lump_sum_id,
    population_budget_id, kind, amount_cents, dedupe_key, reason, created_at)
SELECT d.region_id, :run_id, :period, d.provider_id, d.municipality_id, d.arrangement_id, d.id, NULL, NULL,
       'pxq', d.amount_cents, 'pxq:' || d.id, d.units || ' eenheden in ' || to_char(d.period, 'YYYY-MM'), :now
FROM invoicing_declaration d
WHERE d.region_id = :region_id AND d.kind = 'pxq' AND d.status = 'accepted' AND d.period <= :period
ON CONFLICT (region_id, dedupe_key) DO NOTHING
RETURNING declaration_id
)
UPDATE invoicing_declaration d SET status = 'settled', settled_at = :now
FROM paid WHERE d.id = paid.declaration_id AND d.status = 'accepted'
"""

# rules.instalments in SQL: eleven equal parts, the remainder in December
_LUMP_SQL = """
INSERT INTO invoicing_ledger_entry (region_id, run_id, period, provider_id, municipality_id, arrangement_id,
    declaration_id, lump_sum_id,
    population_budget_id, kind, amount_cents, dedupe_key, reason, created_at)
SELECT ls.region_id, :run_id, :period, ls.provider_id, ls.municipality_id, NULL, NULL, ls.id, NULL, 'lump_sum',
       CASE WHEN :month = 12 THEN ls.yearly_cents - (ls.yearly_cents / 12) * 11 ELSE ls.yearly_cents / 12 END,
       'lump:' || ls.id || ':' || :ym, 'Termijn ' || :ym, :now
FROM invoicing_lump_sum ls
WHERE ls.region_id = :region_id AND ls.year = :year
ON CONFLICT (region_id, dedupe_key) DO NOTHING
"""

# rules.population_year_cents (half up) then rules.instalments
_POPULATION_SQL = """
INSERT INTO invoicing_ledger_entry (region_id, run_id, period, provider_id, municipality_id, arrangement_id,
    declaration_id, lump_sum_id,
    population_budget_id, kind, amount_cents, dedupe_key, reason, created_at)
SELECT y.region_id, :run_id, :period, y.provider_id, y.municipality_id, NULL, NULL, NULL, y.budget_id,
       'population',
       CASE WHEN :month = 12 THEN y.year_cents - (y.year_cents / 12) * 11 ELSE y.year_cents / 12 END,
       'pop:' || y.budget_id || ':' || y.municipality_id || ':' || :ym, 'Termijn ' || :ym, :now
FROM (
    SELECT pb.region_id, pb.provider_id, pb.id AS budget_id, f.municipality_id,
           (pb.cents_per_youth * f.youths * (CASE WHEN pb.weighted THEN f.weight_basis_points ELSE 10000 END)
            + 5000) / 10000 AS year_cents
    FROM invoicing_population_budget pb
    JOIN invoicing_population_figure f ON f.region_id = pb.region_id AND f.year = pb.year
    WHERE pb.region_id = :region_id AND pb.year = :year
) y
ON CONFLICT (region_id, dedupe_key) DO NOTHING
"""

# each declaration step inserts its entries and marks the paid declarations settled (the payment-speed clock) in
# one statement, so the ledger entry and the settled mark commit together
_STEP_SQL: dict[str, str] = {
    "start": _START_SQL, "month": _MONTH_SQL, "pxq": _PXQ_SQL, "lump_sum": _LUMP_SQL, "population": _POPULATION_SQL,
}


@dataclass(frozen=True)
class RunResult:
    run_id: int
    status: str
    entries: int
    total_cents: int
    digest: str
    resumed: bool = False  # a killed or failed run was continued
    already_done: bool = False  # the period was settled before; nothing was done


def period_end(period: date) -> date:
    return add_months(period, 1) - timedelta(days=1)


async def policy_of(session: AsyncSession, region_id: int) -> Policy:
    q = select(PaymentPolicy).where(PaymentPolicy.region_id == region_id)
    row = (await session.execute(q)).scalar_one_or_none()
    if row is None:
        return Policy()
    return Policy(row.pay_achieved, row.pay_partly, row.pay_not_achieved, row.pay_early_end)


def policy_table(policy: Policy) -> dict[str, list[Any]]:
    """Every (result, end reason) with the rule's answer, as arrays for _RESULT_SQL ('' = no end reason)."""
    out: dict[str, list[Any]] = {"p_result": [], "p_reason": [], "p_due": [], "p_why": []}
    for result in ("achieved", "partly", "not"):
        for reason in ("", *END_REASONS):
            due, why = second_half_due(result, reason or None, policy)
            out["p_result"].append(result)
            out["p_reason"].append(reason)
            out["p_due"].append(due)
            out["p_why"].append(why)
    return out


def lock_key(region_id: int, period: date) -> str:
    return f"settlement:{region_id}:{period:%Y-%m}"


async def run_settlement(
    maker: async_sessionmaker[AsyncSession],
    *,
    region_id: int,
    period: date,
    actor: Actor,
    now: datetime,
    hook: Hook | None = None,
    use_lock: bool = True,
) -> RunResult:
    """Settle one month of one region (see the module docstring). `period` may be any day of the month.
    Commits per step (the one service that does: a run must survive a kill with its progress)."""
    period = month_start(period)
    if not use_lock:
        return await _run_locked(maker, region_id=region_id, period=period, actor=actor, now=now, hook=hook)
    key = {"k": lock_key(region_id, period)}
    engine = maker.kw["bind"]
    # a session-level lock on an AUTOCOMMIT connection of its own (never idle in a transaction): held for the
    # whole run and released by the unlock below, or by the server when the process dies
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("SELECT pg_advisory_lock(hashtext(:k))"), key)
        try:
            return await _run_locked(maker, region_id=region_id, period=period, actor=actor, now=now, hook=hook)
        finally:
            await conn.execute(text("SELECT pg_advisory_unlock(hashtext(:k))"), key)


async def _run_locked(
    maker: async_sessionmaker[AsyncSession], *, region_id: int, period: date, actor: Actor, now: datetime,
    hook: Hook | None,
) -> RunResult:  # fmt: skip
    async with maker() as s:
        created = await s.execute(
            text("INSERT INTO invoicing_settlement_run (region_id, period, status, step, steps_done, steps_total, "
                 "entries, total_cents, digest, error, started_by, started_at) VALUES (:r, :p, 'running', '', 0, :n, "
                 "0, 0, '', '', :by, :now) ON CONFLICT (region_id, period) DO NOTHING RETURNING id"),
            {"r": region_id, "p": period, "n": len(STEPS), "by": actor.user_id, "now": now},
        )  # fmt: skip
        fresh = created.first() is not None
        run = (await s.execute(select(SettlementRun).where(SettlementRun.region_id == region_id,
                                                           SettlementRun.period == period))).scalar_one()  # fmt: skip
        policy = await policy_of(s, region_id)
        await s.commit()
    assert run.id is not None
    if run.status == "done":
        return RunResult(run.id, run.status, run.entries, run.total_cents, run.digest, already_done=True)
    resumed = not fresh  # an earlier call started it (killed, failed, or still running without the lock)
    cutoff = datetime.combine(period_end(period) + timedelta(days=1), time(0), tzinfo=UTC)
    params: dict[str, Any] = {
        "region_id": region_id, "run_id": run.id, "period": period, "period_end": period_end(period),
        "cutoff": cutoff, "now": now, "month": period.month, "year": period.year, "ym": f"{period:%Y-%m}",
    }  # fmt: skip
    try:
        if run.steps_done < LANE_STEPS:
            await _run_lanes(maker, run.id, params, policy, actor=actor, hook=hook)
        for index in range(max(run.steps_done, LANE_STEPS), len(STEPS)):
            step = STEPS[index]
            async with maker() as s:
                await s.execute(text("UPDATE invoicing_settlement_run SET step = :step, status = 'running', "
                                     "error = '' WHERE id = :id"), {"step": step, "id": run.id})  # fmt: skip
                await _do_step(s, step, params, policy, actor=actor)
                await s.execute(text("UPDATE invoicing_settlement_run SET steps_done = :done WHERE id = :id"),
                                {"done": index + 1, "id": run.id})  # fmt: skip
                if hook:
                    await hook(step, "before_commit")
                await s.commit()
            if hook:
                await hook(step, "after_commit")
    except Exception as exc:
        async with maker() as s:
            await s.execute(text("UPDATE invoicing_settlement_run SET status = 'failed', error = :e WHERE id = :id"),
                            {"e": f"{type(exc).__name__}: {exc}"[:500], "id": run.id})  # fmt: skip
            await s.commit()
        raise
    async with maker() as s:
        final = await s.get(SettlementRun, run.id)
        assert final is not None
        return RunResult(run.id, final.status, final.entries, final.total_cents, final.digest, resumed=resumed)


async def _run_lanes(
    maker: async_sessionmaker[AsyncSession], run_id: int, params: dict[str, Any], policy: Policy, *, actor: Actor,
    hook: Hook | None,
) -> None:  # fmt: skip
    """The declaration steps, LANES at once (see the module docstring); a failing lane cancels the other."""

    async def progress(sql: str, values: dict[str, Any]) -> None:
        async with maker() as s:  # a short transaction of its own: the lanes never wait on the run row
            await s.execute(text(sql), {"id": run_id, **values})
            await s.commit()

    async def lane(steps: tuple[str, ...]) -> None:
        for step in steps:
            await progress("UPDATE invoicing_settlement_run SET step = :step, status = 'running', error = '' "
                           "WHERE id = :id", {"step": step})  # fmt: skip
            async with maker() as s:
                await _do_step(s, step, params, policy, actor=actor)
                if hook:
                    await hook(step, "before_commit")
                await s.commit()
            await progress("UPDATE invoicing_settlement_run SET steps_done = least(steps_done + 1, :most) "
                           "WHERE id = :id", {"most": LANE_STEPS - 1})  # fmt: skip
            if hook:
                await hook(step, "after_commit")

    try:
        async with asyncio.TaskGroup() as group:
            for steps in LANES:
                group.create_task(lane(steps))
    except ExceptionGroup as failed:  # the first lane's error, as a sequential run would raise it
        raise failed.exceptions[0] from None
    await progress("UPDATE invoicing_settlement_run SET steps_done = :done WHERE id = :id", {"done": LANE_STEPS})


async def _do_step(s: AsyncSession, step: str, params: dict[str, Any], policy: Policy, *, actor: Actor) -> None:
    if step in _STEP_SQL:
        await s.execute(text(_STEP_SQL[step]), params)
    elif step == "result":
        await s.execute(text(_RESULT_SQL), {**params, **policy_table(policy)})
    elif step == "specifications":
        module = importlib.import_module("invoicing.services.specifications")
        await module.build_specifications(s, region_id=params["region_id"], period=params["period"],
                                          run_id=params["run_id"], now=params["now"])  # fmt: skip
    elif step == "digest":
        digest = str((await s.execute(DIGEST_SQL, params)).scalar_one())
        entries, total = (
            await s.execute(text("SELECT count(*), coalesce(sum(amount_cents), 0) FROM invoicing_ledger_entry "
                                 "WHERE region_id = :region_id AND run_id = :run_id"), params)
        ).one()  # fmt: skip
        await s.execute(
            text("UPDATE invoicing_settlement_run SET status = 'done', step = '', digest = :digest, entries = :entries,"
                 " total_cents = :total, finished_at = :now WHERE id = :run_id"),
            {**params, "digest": digest, "entries": entries, "total": total},
        )  # fmt: skip
        await audit.record(s, actor, object_type="settlement_run", object_id=params["run_id"], action="settle",
                           now=params["now"], region_id=params["region_id"],
                           summary={"periode": params["ym"], "boekingen": int(entries), "totaal_cent": int(total),
                                    "controlegetal": digest})  # fmt: skip
    else:  # pragma: no cover - STEPS and this function move together
        raise ValueError(step)


# ---- reading (finance pages) -----------------------------------------------------------------------------------


async def list_runs(session: AsyncSession, region_id: int) -> list[SettlementRun]:
    return list((await session.execute(
        select(SettlementRun).where(SettlementRun.region_id == region_id)
        .order_by(SettlementRun.period.desc())  # type: ignore[attr-defined]
    )).scalars().all())  # fmt: skip


@dataclass(frozen=True)
class RunDetail:
    run: SettlementRun
    per_kind: list[tuple[str, int, int]]  # kind, entries, cents
    per_municipality: list[tuple[int, str, int, int]]  # id, name, entries, cents
    per_provider: list[tuple[int, str, int, int]]


async def run_detail(session: AsyncSession, region_id: int, run_id: int) -> RunDetail:
    from jeugdregio.errors import NotFound

    q = select(SettlementRun).where(SettlementRun.region_id == region_id, SettlementRun.id == run_id)
    run = (await session.execute(q)).scalar_one_or_none()
    if run is None:
        raise NotFound()
    p = {"r": region_id, "run": run_id}
    per_kind = (await session.execute(text(
        "SELECT kind, count(*), sum(amount_cents) FROM invoicing_ledger_entry WHERE region_id = :r AND run_id = :run "
        "GROUP BY kind ORDER BY kind"), p)).all()  # fmt: skip
    per_mun = (await session.execute(text(
        "SELECT l.municipality_id, m.name, count(*), sum(l.amount_cents) FROM invoicing_ledger_entry l "
        "JOIN jeugdregio_municipality m ON m.id = l.municipality_id WHERE l.region_id = :r AND l.run_id = :run "
        "GROUP BY l.municipality_id, m.name ORDER BY m.name"), p)).all()  # fmt: skip
    per_prov_sums = (await session.execute(text(
        "SELECT provider_id, count(*), sum(amount_cents) FROM invoicing_ledger_entry WHERE region_id = :r "
        "AND run_id = :run GROUP BY provider_id"), p)).all()  # fmt: skip
    names = await provider_names(session, region_id, [int(r[0]) for r in per_prov_sums])
    per_prov = sorted(((i, names.get(int(i), "?"), n, c) for i, n, c in per_prov_sums), key=lambda r: (r[1], r[0]))
    return RunDetail(
        run,
        [(str(k), int(n), int(c)) for k, n, c in per_kind],
        [(int(i), str(name), int(n), int(c)) for i, name, n, c in per_mun],
        [(int(i), str(name), int(n), int(c)) for i, name, n, c in per_prov],
    )


async def settlement_day(session: AsyncSession, region_id: int) -> int:
    row = (await session.execute(select(PaymentPolicy.settlement_day).where(PaymentPolicy.region_id == region_id)))
    return int(row.scalar_one_or_none() or PaymentPolicy.model_fields["settlement_day"].default)
