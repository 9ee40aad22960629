"""Workload: dashboard aggregates on national-size data (issue #5: "about 450,000 arrangements, 200,000 ratings:
p95 ≤ 300 ms; floor: the bare GROUP BY in the same run").

Data (set-based SQL, built once per run in a region of its own, so the other workloads' region is untouched): 9
municipalities, 10 care profiles with the default catalogue, 150 providers, 150,000 family plans (youths),
450,000 arrangements over 2024–2026 in every state with a skewed spread over providers (re-entries and
transfers included), two goals per plan with a result per goal for every ended arrangement, one ledger entry
per started arrangement, 200,000 ratings (with their invitations) and
population figures per municipality per year.

Measured in-process (after one warm-up call each), for 2026-H1:
- a page view: quality.services.dashboard_snapshots.dashboard_view for the team's whole dashboard (region scope:
  indicators per provider with the benchmark, inflow, outflow, care paths, size classes, population figures)
  and for a municipality's (its residents, published) — the stored snapshot read and decoded (ADR 0012);
- building a snapshot (what the nightly job, "Nu bijwerken" and the first look at a new period cost): every
  table aggregated from the arrangements, the publication rules with their history writes, stored;
- the indicator query alone.
Floor: the bare `SELECT provider_id, count(*) … GROUP BY provider_id` over the same period's ended arrangements."""

from __future__ import annotations

import asyncio
import secrets
import time
from datetime import UTC, date, datetime
from statistics import median

from sqlalchemy import text

from bench.workloads import Context, Row, workload

ARRANGEMENTS = 450_000
YOUTHS = 150_000
RATINGS = 200_000
PROVIDERS = 150
TARGET_MS = 300.0
ROLLUP_TARGET_MS = 50.0


async def _build(url: str) -> tuple[int, int, dict[str, int]]:
    """(region id, first municipality id, row counts)."""
    from bench.data import MUNICIPALITIES, PROFILES, _providers
    from catalogue.public import create_profile, seed_catalogue
    from jeugdregio.db import make_engine, make_sessionmaker
    from jeugdregio.tables import Municipality, Region
    from jeugdregio.users import add_membership, create_user

    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as s:
            now = datetime.now(UTC)
            region = Region(slug="bench-kwaliteit", name="Benchregio kwaliteit", created_at=now)
            s.add(region)
            await s.flush()
            assert region.id is not None
            rid = region.id
            mids = []
            for code, name in MUNICIPALITIES:
                m = Municipality(region_id=rid, cbs_code=code, name=name)
                s.add(m)
                await s.flush()
                assert m.id is not None
                mids.append(m.id)
            profile_ids = {}
            for number, name, description, complexity, illustrative in PROFILES:
                profile_ids[number] = await create_profile(
                    s, region_id=rid, number=number, name=name, description=description, complexity=complexity,
                    illustrative=illustrative,
                )  # fmt: skip
            await seed_catalogue(s, region_id=rid, profile_ids=profile_ids, valid_from=date(2024, 1, 1))
            await _providers(s, rid, PROVIDERS)
            user = await create_user(s, email="verwijzer@bench-kwaliteit.example", name="Verwijzer",
                                     password=secrets.token_urlsafe(16), now=now)  # fmt: skip
            assert user.id is not None
            await add_membership(s, user_id=user.id, region_id=rid, role="referrer", now=now)
            p = {"rid": rid}
            await s.execute(text("SET statement_timeout = 0"))  # the app's engine limits statements; bulk loads
            await s.execute(text("""
                INSERT INTO contracts_family_plan (region_id, reference, referrer_membership_id, referrer_type, bsn,
                    youth_pseudonym, youth_name, birth_date, paying_municipality_id, residence_basis, situation,
                    status, created_at)
                SELECT :rid, 'GP-Q-' || g, (SELECT min(id) FROM jeugdregio_membership WHERE region_id = :rid),
                    (ARRAY['01','01','01','02','02','03','04','05','06','08'])[1 + g % 10],
                    '000000000', substr(md5('qyouth' || g), 1, 24), 'Bench', date '2010-01-01' + (g % 4000),
                    m.id, 'registered_address', '', 'open', now()
                FROM generate_series(1, :n) g
                JOIN (SELECT row_number() OVER (ORDER BY id) - 1 AS i, id FROM jeugdregio_municipality
                      WHERE region_id = :rid) m ON m.i = (g * 7) % 9"""), {**p, "n": YOUTHS})  # fmt: skip
            # three arrangements per youth on average, one after the other: arrangement k of a youth starts
            # after arrangement k-1 ended (a re-entry) or the day after (a transfer, linked later)
            # fresh statistics first: with none, the planner nests loops over the 150,000 plans
            await s.execute(text("ANALYZE contracts_family_plan, contracts_provider, catalogue_arrangement_type, "
                                 "jeugdregio_municipality"))
            n_types = int((await s.execute(
                text("SELECT count(*) FROM catalogue_arrangement_type WHERE region_id = :rid"), p
            )).scalar_one())  # fmt: skip
            # equi-joins only (the spread is computed on the generator side): hash joins, not nested loops
            await s.execute(text("""
                WITH t AS (SELECT row_number() OVER (ORDER BY id) - 1 AS i, id, profile_id, payment_model, max_months
                           FROM catalogue_arrangement_type WHERE region_id = :rid),
                     pl AS (SELECT row_number() OVER (ORDER BY id) - 1 AS i, id, youth_pseudonym,
                                   paying_municipality_id
                            FROM contracts_family_plan WHERE region_id = :rid),
                     pr AS (SELECT row_number() OVER (ORDER BY id) - 1 AS i, id
                            FROM contracts_provider WHERE region_id = :rid),
                     g AS (SELECT g, g % :youths AS youth, g / :youths AS k,
                                  ((g::bigint * g) % :providers)::int AS pi, ((g * 3 + g / :youths) % :types) AS ti,
                                  date '2024-01-01' + ((g % :youths) * 7919 % 500) + (g / :youths) * 190 AS agreed,
                                  (ARRAY['agreed','started','started','ended','confirmed','confirmed','confirmed',
                                         'confirmed','cancelled'])[1 + (g * 13) % 9] AS status
                           FROM generate_series(0, :n - 1) g)
                INSERT INTO contracts_arrangement (region_id, reference, plan_id, provider_id, arrangement_type_id,
                    profile_id, payment_model, max_months, paying_municipality_id, youth_pseudonym, status,
                    planned_start, subcontractors, agreed_on, tariff_cents, start_date, end_date, end_reason, result,
                    dispute_reason, dispute_resolution, cancel_reason, family_agreed_note, created_at, updated_at)
                SELECT :rid, 'AR-Q-' || g.g, pl.id, pr.id, t.id, t.profile_id, t.payment_model, t.max_months,
                    pl.paying_municipality_id, pl.youth_pseudonym, g.status, g.agreed + 14, '[]'::jsonb, g.agreed,
                    400000 + (g.g % 7) * 100000,
                    CASE WHEN g.status IN ('started','ended','confirmed') THEN g.agreed + (g.g % 40) END,
                    CASE WHEN g.status IN ('ended','confirmed') THEN g.agreed + (g.g % 40) + 20 + (g.g * 31 % 150) END,
                    CASE WHEN g.status IN ('ended','confirmed')
                         THEN (ARRAY['31','31','31','32','33','34','38'])[1 + g.g % 7] END,
                    CASE WHEN g.status IN ('ended','confirmed')
                         THEN (ARRAY['achieved','achieved','partly','not'])[1 + g.g % 4] END,
                    '', '', '', '', now(), now()
                FROM g
                JOIN pr ON pr.i = g.pi
                JOIN pl ON pl.i = g.youth
                JOIN t ON t.i = g.ti"""), {**p, "n": ARRANGEMENTS, "youths": YOUTHS, "providers": PROVIDERS,
                                           "types": n_types})  # fmt: skip
            await s.execute(text("ANALYZE contracts_arrangement"))
            await s.execute(text("""
                UPDATE contracts_arrangement a SET previous_arrangement_id = prev.id, link_kind = 'transfer'
                FROM contracts_arrangement prev
                WHERE a.region_id = :rid AND prev.region_id = :rid AND prev.end_reason = '38'
                  AND prev.youth_pseudonym = a.youth_pseudonym AND a.start_date > prev.end_date
                  AND a.start_date <= prev.end_date + 60"""), p)  # fmt: skip
            # two goals per plan; a result per goal for every ended arrangement (consistent with its overall result)
            await s.execute(text("""
                INSERT INTO contracts_family_plan_goal (region_id, plan_id, position, description)
                SELECT region_id, id, pos, 'Doel ' || pos
                FROM contracts_family_plan, generate_series(1, 2) pos WHERE region_id = :rid"""), p)  # fmt: skip
            await s.execute(text("""
                INSERT INTO contracts_arrangement_goal_result (region_id, arrangement_id, goal_id, outcome)
                SELECT a.region_id, a.id, g.id,
                    CASE a.result WHEN 'achieved' THEN 'achieved' WHEN 'not' THEN 'not'
                         ELSE (ARRAY['achieved','partly'])[g.position] END
                FROM contracts_arrangement a JOIN contracts_family_plan_goal g ON g.plan_id = a.plan_id
                WHERE a.region_id = :rid AND a.result IS NOT NULL"""), p)  # fmt: skip
            await s.execute(text("""
                INSERT INTO invoicing_ledger_entry (region_id, period, provider_id, municipality_id, arrangement_id,
                    kind, amount_cents, dedupe_key, reason, created_at)
                SELECT region_id, date_trunc('month', start_date)::date, provider_id, paying_municipality_id, id,
                    'start_half', tariff_cents / 2, 'qbench:start:' || id, '', now()
                FROM contracts_arrangement WHERE region_id = :rid AND start_date IS NOT NULL"""), p)  # fmt: skip
            await s.execute(text("""
                INSERT INTO invoicing_population_figure (region_id, municipality_id, year, inhabitants, youths,
                    weight_basis_points, imported_at)
                SELECT :rid, m.id, y, 40000 + (m.id % 9) * 15000, 8000 + (m.id % 9) * 3000, 10000, now()
                FROM jeugdregio_municipality m, generate_series(2023, 2027) y
                WHERE m.region_id = :rid"""), p)  # fmt: skip
            await s.execute(text("""
                INSERT INTO quality_rating_invitation (region_id, arrangement_id, provider_id, profile_id, informant,
                    created_at, used_at)
                SELECT region_id, id, provider_id, profile_id, 'parent', now(), now()
                FROM contracts_arrangement WHERE region_id = :rid AND status = 'confirmed'
                ORDER BY id LIMIT :n"""), {**p, "n": RATINGS})  # fmt: skip
            await s.execute(text("""
                INSERT INTO quality_rating (region_id, invitation_id, arrangement_id, provider_id, profile_id,
                    informant, usefulness, help_again, comment, comment_status, submitted_at)
                SELECT region_id, id, arrangement_id, provider_id, profile_id, informant, 1 + (id * 7) % 10,
                    (ARRAY['01','02','03','04'])[1 + id % 4], '', 'none', now()
                FROM quality_rating_invitation WHERE region_id = :rid"""), p)  # fmt: skip
            await s.commit()
            counts = {}
            tables = (("arrangements", "contracts_arrangement"), ("youths", "contracts_family_plan"),
                      ("goal results", "contracts_arrangement_goal_result"),
                      ("ledger entries", "invoicing_ledger_entry"), ("ratings", "quality_rating"))  # fmt: skip
            for name, table in tables:
                counts[name] = int((await s.execute(
                    text(f"SELECT count(*) FROM {table} WHERE region_id = :rid"), p  # noqa: S608
                )).scalar_one())  # fmt: skip
        async with engine.connect() as conn:
            await conn.execute(text("ANALYZE"))
            await conn.commit()
        return rid, mids[0], counts
    finally:
        await engine.dispose()


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


async def _measure(url: str, region_id: int, municipality_id: int, runs: int) -> dict[str, list[float]]:
    from jeugdregio.db import make_engine, make_sessionmaker
    from quality.rules import parse_period
    from quality.services.dashboard import Scope
    from quality.services.dashboard_snapshots import dashboard_view, rebuild
    from quality.services.indicators import compute_indicators

    period = parse_period("2026-H1")
    now = datetime.now(UTC)
    team_scope = Scope("region", region_id)
    muni_scope = Scope("municipality", region_id, municipality_id=municipality_id)
    engine = make_engine(url)
    out: dict[str, list[float]] = {"floor": [], "indicators": [], "team": [], "municipality": [], "team_build": [],
                                   "municipality_build": []}  # fmt: skip
    floor_sql = text("""
        SELECT provider_id, count(*) FROM contracts_arrangement
        WHERE region_id = :rid AND status IN ('ended','confirmed','disputed')
          AND end_date >= :start AND end_date < :end
        GROUP BY provider_id""")
    try:
        async with make_sessionmaker(engine)() as s:

            async def floor() -> None:
                (await s.execute(floor_sql, {"rid": region_id, "start": period.start, "end": period.end})).all()

            async def indicators() -> None:
                await compute_indicators(s, region_id=region_id, period=period, by=("provider",))

            async def team() -> None:
                await dashboard_view(s, team_scope, period, now=now)
                await s.commit()

            async def municipality() -> None:
                await dashboard_view(s, muni_scope, period, now=now)
                await s.commit()

            async def team_build() -> None:
                await rebuild(s, team_scope, period, variant="page", now=now)
                await s.commit()

            async def municipality_build() -> None:
                await rebuild(s, muni_scope, period, variant="page", now=now)
                await s.commit()

            reads = {"floor": floor, "indicators": indicators, "team": team, "municipality": municipality}
            builds = {"team_build": team_build, "municipality_build": municipality_build}
            for fn in (*builds.values(), *reads.values()):  # warm-up: imports, plans, caches; the snapshots exist
                await fn()
            for i in range(runs):  # interleaved, so background noise hits every figure alike
                steps = {**reads, **builds} if i % 4 == 0 else reads  # a build every fourth round: seconds each
                for name, fn in steps.items():
                    started = time.perf_counter()
                    await fn()
                    out[name].append((time.perf_counter() - started) * 1000)
    finally:
        await engine.dispose()
    return out


@workload(
    "dashboard-aggregates", "dashboard aggregates (national size)",
    measures=f"In-process over {ARRANGEMENTS:,} arrangements, {RATINGS:,} ratings, 2026-H1: what a page view costs "
             "(quality.services.dashboard_snapshots.dashboard_view: the scope's stored snapshot, read and decoded) "
             "for the team's whole dashboard and a municipality's, p95 of interleaved runs; beside it what building "
             "a snapshot costs (the nightly job, 'Nu bijwerken', the first look at a new period: every table "
             "aggregated from the arrangements, publication rules and history writes, stored) and the indicator "
             "query alone.",
    floor="the bare `SELECT provider_id, count(*) … GROUP BY provider_id` over the period's ended arrangements, "
          "same run, same connection",
    target=f"p95 ≤ {TARGET_MS:g} ms; ≤ {ROLLUP_TARGET_MS:g} ms from rollup tables",
)  # fmt: skip
def dashboard_aggregates(ctx: Context) -> Row:
    built = ctx._cache.get("dashboard-aggregates")
    if built is None:
        started = time.perf_counter()
        built = ctx._cache["dashboard-aggregates"] = (*asyncio.run(_build(ctx.url)), time.perf_counter() - started)
    region_id, municipality_id, counts, seconds = built
    runs = 8 if ctx.quick else 20
    times = asyncio.run(_measure(ctx.url, region_id, municipality_id, runs))
    floor = _p95(times["floor"])
    team = _p95(times["team"])
    worst = max(team, _p95(times["municipality"]))
    row = Row(
        "dashboard aggregates (national size)",
        f"p95 team page {team:.1f} ms, municipality page {_p95(times['municipality']):.1f} ms (from snapshots)",
        f"p95 {floor:.1f} ms", f"{team / floor:.2f}× (team page)",
        f"p95 ≤ {TARGET_MS:g} ms; ≤ {ROLLUP_TARGET_MS:g} ms from rollup tables",
        met=worst <= ROLLUP_TARGET_MS,
    )  # fmt: skip
    row.notes.append("data: " + ", ".join(f"{n:,} {name}" for name, n in counts.items())
                     + f" (built set-based in {seconds:.1f} s); {runs} page views each")  # fmt: skip
    row.notes.append(
        f"building a snapshot (nightly, on 'Nu bijwerken' or at the first look at a new period; median of "
        f"{len(times['team_build'])}): team {median(times['team_build']):.0f} ms, municipality "
        f"{median(times['municipality_build']):.0f} ms; the indicator query alone p95 "
        f"{_p95(times['indicators']):.0f} ms"
    )  # fmt: skip
    return row
