"""Dashboard snapshots (quality.services.dashboard_snapshots, ADR 0012): what is stored is what was built; the
team's snapshot lasts its Dutch day and "Nu bijwerken" rebuilds it; a published one lasts its month; the nightly
job rebuilds what is outdated and prepares the default period; two requests at once build a missing snapshot
once; a change of the indicator settings drops the team's snapshots; a population import renews the team's.

The world is test_dashboard's: 35 arrangements ended in 2026-H1 (P 12, Q 23)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from quality.rules import parse_period
from quality.services import dashboard_snapshots as snapshots
from quality.services.dashboard import Scope, build_dashboard, default_period
from tests.quality.test_dashboard import _as, _world
from tests.support.factories import RegionFactory, csrf
from tests.support.quality_factories import QualityWorld, add

H1 = parse_period("2026-H1")
S = snapshots.S


async def _five_more(w: QualityWorld, tag: str) -> None:
    async with w.inv.region.maker() as s:
        for i in range(5):
            await add(s, w, youth=f"{tag}{i}", provider_id=w.p, municipality_id=w.m1, agreed_on=date(2026, 1, 2),
                      start=date(2026, 1, 5), end=date(2026, 4, 1), reason="31", result="achieved")  # fmt: skip
        await s.commit()


async def _snapshot_rows(w: QualityWorld) -> dict[tuple[str, str, str], datetime]:
    async with w.inv.region.maker() as s:
        rows = await s.execute(select(S.scope_key, S.period_label, S.variant, S.built_at).where(
            S.region_id == w.region_id))  # fmt: skip
        return {(k, p, v): b for k, p, v, b in rows.all()}


def test_current_is_the_dutch_day_for_the_team_and_the_month_for_published_figures() -> None:
    built = datetime(2026, 12, 4, 22, 30, tzinfo=UTC)  # 23:30 in Amsterdam
    assert snapshots.is_current("region", built, datetime(2026, 12, 4, 22, 59, tzinfo=UTC))
    assert not snapshots.is_current("region", built, datetime(2026, 12, 4, 23, 0, tzinfo=UTC))  # 00:00 on the 5th
    assert snapshots.is_current("municipality", built, datetime(2026, 12, 31, 22, 59, tzinfo=UTC))
    assert not snapshots.is_current("provider", built, datetime(2026, 12, 31, 23, 0, tzinfo=UTC))  # 1 January
    assert snapshots.is_current("municipality", datetime(2027, 1, 2, tzinfo=UTC), built)  # a later build counts


def test_the_variant_and_the_scope_key_round_trip() -> None:
    assert snapshots.variant_for(Scope("region", 1), export=True) == "export"
    assert snapshots.variant_for(Scope("region", 1), export=False) == "page"
    municipality = Scope("municipality", 1, municipality_id=7)
    assert snapshots.variant_for(municipality, export=True) == "page"  # published anyway: one snapshot
    for scope in (Scope("region", 3), Scope("municipality", 3, municipality_id=7), Scope("provider", 3, provider_id=9)):
        assert snapshots.scope_from_key(3, scope.key) == scope


async def test_what_is_read_back_is_what_was_built(session: AsyncSession, regions: RegionFactory) -> None:
    w = await _world(regions)
    now = datetime.now(UTC)
    for scope in (Scope("region", w.region_id), Scope("municipality", w.region_id, municipality_id=w.m1)):
        built = await build_dashboard(session, scope, H1, now=now)
        payload = snapshots.encode(built)
        back = snapshots.decode(payload, scope, H1, now)
        assert list(back.tables) == list(built.tables)
        for key, table in built.tables.items():
            assert back.tables[key].export_rows() == table.export_rows(), key
            assert [[c.text for c in row] for row in back.tables[key].rows] == [[c.text for c in r] for r in table.rows]
            assert back.tables[key].definitions == table.definitions
        assert back.series["stromen"] == built.series["stromen"]
        assert (back.published, back.scope_name, back.own_size_class) == (
            built.published, built.scope_name, built.own_size_class)  # fmt: skip
    await session.rollback()


async def test_the_team_page_is_the_days_snapshot_until_refreshed(
    client: httpx.AsyncClient, regions: RegionFactory
) -> None:
    w = await _world(regions)
    await _as(client, w, "team_quality")
    first = await client.get(f"/team/kwaliteit?periode={H1.label}")
    assert first.status_code == 200 and "<td>35</td>" in first.text and "Stand van de cijfers" in first.text
    await _five_more(w, "t")
    again = await client.get(f"/team/kwaliteit?periode={H1.label}")
    assert "<td>35</td>" in again.text and "<td>40</td>" not in again.text  # today's snapshot
    token = await csrf(client, f"/team/kwaliteit?periode={H1.label}")
    bad = await client.post("/team/kwaliteit/bijwerken", data={"_csrf_token": token, "periode": "2026-H7"})
    assert bad.status_code == 422 and "Kies een periode" in bad.text
    done = await client.post("/team/kwaliteit/bijwerken", data={"_csrf_token": token, "periode": H1.label})
    assert done.status_code == 303 and done.headers["location"] == f"/team/kwaliteit?periode={H1.label}"
    fresh = await client.get(done.headers["location"])
    assert "<td>40</td>" in fresh.text and "zijn bijgewerkt" in fresh.text
    rows = await _snapshot_rows(w)
    assert {("region:0", H1.label, "page"), ("region:0", H1.label, "export")} <= set(rows)
    await _as(client, w, "municipality")  # not the team: the button's route refuses
    assert (await client.post("/team/kwaliteit/bijwerken", data={"_csrf_token": await csrf(client),
                                                                  "periode": H1.label})).status_code == 403  # fmt: skip


async def test_the_nightly_job_rebuilds_what_is_outdated(regions: RegionFactory) -> None:
    w = await _world(regions)
    now = datetime(2026, 12, 4, 3, 15, tzinfo=UTC)
    default = default_period(date(2026, 12, 4)).label
    maker = w.inv.region.maker
    async with maker() as s:
        first = await snapshots.refresh_snapshots(s, now=now, region_ids=[w.region_id])
        await s.commit()
    rows = await _snapshot_rows(w)
    expected = {("region:0", default, "page"), ("region:0", default, "export")}
    expected |= {(k, default, "page") for k, _, _ in rows if k.startswith("municipality:")}
    assert set(rows) == expected and len(expected) >= 4 and first["built"] == len(expected)
    async with maker() as s:  # someone looks at a provider's 2026-H1 and at an old period of the team
        await snapshots.dashboard_view(s, Scope("provider", w.region_id, provider_id=w.p), H1, now=now)
        await snapshots.dashboard_view(s, Scope("region", w.region_id), parse_period("2022-K1"), now=now)
        assert (await snapshots.refresh_snapshots(s, now=now, region_ids=[w.region_id]))["built"] == 0  # all current
        await s.commit()
    async with maker() as s:  # the next day: only the team's are outdated; the old period is dropped
        out = await snapshots.refresh_snapshots(s, now=datetime(2026, 12, 5, 3, 15, tzinfo=UTC),
                                                region_ids=[w.region_id])  # fmt: skip
        await s.commit()
    assert out == {"built": 2, "dropped": 1}
    rows = await _snapshot_rows(w)
    assert ("region:0", "2022-K1", "page") not in rows and ("provider:" + str(w.p), H1.label, "page") in rows
    async with maker() as s:  # a new month: the published ones too (the provider's H1 included)
        out = await snapshots.refresh_snapshots(s, now=datetime(2027, 1, 2, 3, 15, tzinfo=UTC),
                                                region_ids=[w.region_id])  # fmt: skip
        await s.commit()
    new_default = default_period(date(2027, 1, 2)).label
    rows = await _snapshot_rows(w)
    assert rows[("provider:" + str(w.p), H1.label, "page")] == datetime(2027, 1, 2, 3, 15, tzinfo=UTC)
    assert ("region:0", new_default, "page") in rows
    assert out["built"] == len([k for k in rows if rows[k] == datetime(2027, 1, 2, 3, 15, tzinfo=UTC)])


async def test_two_requests_at_once_build_a_missing_snapshot_once(
    regions: RegionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = await _world(regions)
    calls: list[str] = []
    real = snapshots.build_dashboard

    async def counting(*args: Any, **kw: Any) -> Any:
        calls.append(args[1].key)
        await asyncio.sleep(0.2)  # long enough for the other request to arrive while this one builds
        return await real(*args, **kw)

    monkeypatch.setattr(snapshots, "build_dashboard", counting)
    scope = Scope("municipality", w.region_id, municipality_id=w.m1)
    now = datetime.now(UTC)

    async def view() -> list[list[Any]]:
        async with w.inv.region.maker() as s:
            dash = await snapshots.dashboard_view(s, scope, H1, now=now)
            await s.commit()
            return dash.tables["kerncijfers"].export_rows()

    a, b = await asyncio.gather(view(), view())
    assert calls == [scope.key] and a == b


async def _team_and_municipality_look(client: httpx.AsyncClient, w: QualityWorld) -> None:
    """The team and a municipality each open their dashboard for H1 (which stores both snapshots)."""
    await _as(client, w, "team_quality")
    await client.get(f"/team/kwaliteit?periode={H1.label}")
    await _as(client, w, "municipality")
    await client.get(f"/gemeente/dashboard?periode={H1.label}")


async def test_new_indicator_settings_drop_the_teams_snapshots(
    client: httpx.AsyncClient, regions: RegionFactory
) -> None:
    w = await _world(regions)
    await _team_and_municipality_look(client, w)
    await _as(client, w, "team_quality")
    token = await csrf(client, "/team/kwaliteit/instellingen")
    saved = await client.post("/team/kwaliteit/instellingen", data={
        "_csrf_token": token, "min_waarderingen": "12", "herinstroom_maanden": "12", "basishalfjaar": "",
    })  # fmt: skip
    assert saved.status_code == 303
    rows = await _snapshot_rows(w)
    assert not [k for k in rows if k[0] == "region:0"]
    assert [k for k in rows if k[0] == f"municipality:{w.m1}"]  # the month's publication stays


async def _team_youths(w: QualityWorld) -> set[Any]:
    """The youths 0–17 of 2026-H1 in the team's stored page snapshot (what the page and its charts read)."""
    async with w.inv.region.maker() as s:
        payload = (await s.execute(select(S.payload).where(S.region_id == w.region_id, S.scope_key == "region:0",
                                                           S.variant == "page"))).scalar_one()  # fmt: skip
    return {row[3][0] for row in payload["tables"]["bevolking"]["rows"] if row[1][1] == "2026-H1"}


async def test_a_population_import_refreshes_the_teams_figures_but_not_the_publication(
    client: httpx.AsyncClient, regions: RegionFactory
) -> None:
    from invoicing.services.population import import_population
    from jeugdregio.audit import Actor
    from jeugdregio.tables import Municipality

    w = await _world(regions)
    await _team_and_municipality_look(client, w)
    before = await _snapshot_rows(w)
    assert 12345 not in await _team_youths(w)
    async with w.inv.region.maker() as s:
        code = (await s.execute(select(Municipality.cbs_code).where(Municipality.id == w.m1))).scalar_one()
        content = f"gemeentecode;jaar;inwoners;jeugdigen_0_17\n{code};2026;77777;12345\n".encode()
        await import_population(s, w.region_id, content, actor=Actor.system("test", w.region_id),
                                now=datetime.now(UTC))  # fmt: skip
        await s.commit()
    await _as(client, w, "team_quality")
    page = await client.get(f"/team/kwaliteit?periode={H1.label}")
    assert page.status_code == 200 and "<td>12.345</td>" in page.text  # the imported youths 0–17, on the page
    assert 12345 in await _team_youths(w)  # rebuilt the same day: the import is newer than the snapshot
    after = await _snapshot_rows(w)
    assert after[("region:0", H1.label, "page")] > before[("region:0", H1.label, "page")]
    key = next(k for k in before if k[0] == f"municipality:{w.m1}")
    assert after[key] == before[key]  # the municipality's publication waits for its month
