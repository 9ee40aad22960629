"""The dashboard over HTTP with real logins: scoping per role (a municipality sees only its own residents, a
provider only its own figures plus the region as a benchmark), the publication rules on pages and exports
(also across successive monthly publications), charts as SVG, invalid input. Pages, charts and downloads read
the scope's stored snapshot (quality.services.dashboard_snapshots): within a month a municipality or provider
sees one publication; `_next_publication` runs the monthly batch at once.

Fixture (2026-H1), all ended in March with reason 31 unless said otherwise:
  P (provider 'Zorg Een'), municipality M1, profile 1: 12 youths, all goals achieved
  Q ('Zorg Twee'), M2, profile 2: 20 youths, reason 32 (dropout)
  Q, M1, profile 1: 3 youths
Region: 35 ended. M1's residents: 15 (12 at P, 3 at Q). P: 12. Q: 23."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import httpx

from quality.services.dashboard_snapshots import refresh_snapshots
from tests.support.factories import RegionFactory, login
from tests.support.invoicing_factories import invoicing_committed
from tests.support.quality_factories import QualityWorld, add

H1 = "2026-H1"


async def _world(regions: RegionFactory) -> QualityWorld:
    region = await regions.create()
    w = QualityWorld(await invoicing_committed(region, users=True))
    async with region.maker() as s:
        for i in range(12):
            await add(s, w, youth=f"a{i}", provider_id=w.p, municipality_id=w.m1, agreed_on=date(2026, 1, 2),
                      start=date(2026, 1, 5), end=date(2026, 3, 10), reason="31", result="achieved")  # fmt: skip
        for i in range(20):
            await add(s, w, youth=f"b{i}", provider_id=w.q, profile=2, municipality_id=w.m2,
                      agreed_on=date(2026, 1, 2), start=date(2026, 1, 6), end=date(2026, 3, 11), reason="32",
                      result="not")  # fmt: skip
        for i in range(3):
            await add(s, w, youth=f"c{i}", provider_id=w.q, municipality_id=w.m1, agreed_on=date(2026, 1, 2),
                      start=date(2026, 1, 7), end=date(2026, 3, 12), reason="31", result="achieved")  # fmt: skip
        await s.commit()
    return w


async def _as(client: httpx.AsyncClient, w: QualityWorld, role: str) -> None:
    await login(client, w.inv.users[role])


async def _next_publication(w: QualityWorld) -> None:
    """The next monthly batch: every snapshot of the region is built again from the data as it is now."""
    async with w.inv.region.maker() as s:
        await refresh_snapshots(s, now=datetime.now(UTC), region_ids=[w.region_id], force=True)
        await s.commit()


def _csv(response: httpx.Response) -> list[list[str]]:
    assert response.status_code == 200, response.text[:300]
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))


def _row(rows: list[list[str]], first: str) -> list[str]:
    found = [r for r in rows if r and r[0] == first]
    assert found, f"no row {first!r} in {rows}"
    return found[0]


async def test_team_sees_every_provider_with_true_counts(client: httpx.AsyncClient, regions: RegionFactory) -> None:
    w = await _world(regions)
    await _as(client, w, "team_quality")
    r = await client.get(f"/team/kwaliteit?periode={H1}")
    assert r.status_code == 200
    assert "<td>23</td>" in r.text and "<td>12</td>" in r.text and "<td>35</td>" in r.text  # Q, P, region: true
    assert "Definities" in r.text and "einde-reden 32" in r.text  # each figure shows its definition
    assert "Zorg Een" in r.text and "Zorg Twee" in r.text
    # the team's download follows the publication rules: 23 → 25, 12 → 10, 35 → 35
    rows = _csv(await client.get(f"/team/kwaliteit/export?tabel=kerncijfers&formaat=csv&periode={H1}"))
    ended = rows[0].index("Beëindigd")
    assert sorted(r[ended] for r in rows[1:]) == ["10", "25", "35"]


async def test_municipality_sees_only_its_residents(client: httpx.AsyncClient, regions: RegionFactory) -> None:
    w = await _world(regions)
    await _as(client, w, "municipality")  # bound to M1
    page = await client.get(f"/gemeente/dashboard?periode={H1}")
    assert page.status_code == 200
    assert "Profiel 2" not in page.text  # only M2's residents had profile 2
    rows = _csv(await client.get(f"/gemeente/dashboard/export?tabel=kerncijfers&formaat=csv&periode={H1}"))
    ended = rows[0].index("Beëindigd")
    assert [r[0] for r in rows[1:]] == [rows[1][0], "Eigen inwoners, totaal", "Regio (benchmark)"]
    assert rows[1][0].startswith("Profiel 1")
    assert _row(rows, "Eigen inwoners, totaal")[ended] == "15"
    assert _row(rows, "Regio (benchmark)")[ended] == "35"
    # the 20 dropouts of M2's residents never show as M1's outflow
    out = _csv(await client.get(f"/gemeente/dashboard/export?tabel=uitstroom&formaat=csv&periode={H1}"))
    assert "20" not in _row(out, H1)
    assert _row(out, H1)[1:] == ["15", "<8", "<8", "15"] or "<8" in _row(out, H1)
    # another municipality's figures: not by any parameter (the scope comes from the login only)
    other = await client.get(f"/gemeente/dashboard/export?tabel=kerncijfers&formaat=csv&periode={H1}"
                             f"&municipality_id={w.m2}")  # fmt: skip
    assert _csv(other) == rows


async def test_provider_sees_itself_against_the_benchmark(client: httpx.AsyncClient, regions: RegionFactory) -> None:
    w = await _world(regions)
    await _as(client, w, "provider")  # bound to P
    page = await client.get(f"/portaal/kwaliteit?periode={H1}")
    assert page.status_code == 200
    assert "Profiel 2" not in page.text  # Q's profile-2 clients are not P's
    assert "Zorg Een" in page.text and "Zorg Twee" not in page.text
    assert "Bevolkingskengetallen" not in page.text
    rows = _csv(await client.get(f"/portaal/kwaliteit/export?tabel=kerncijfers&formaat=csv&periode={H1}"))
    ended = rows[0].index("Beëindigd")
    assert _row(rows, "Eigen cliënten, totaal")[ended] == "10"  # 12, rounded
    assert _row(rows, "Regio (benchmark)")[ended] == "35"
    assert all("23" not in r and "25" not in r for r in rows)  # never Q's own total
    # a share whose complement is small (12 of 12 achieved: 0 not achieved) is not published
    achieved = rows[0].index("Alle doelen behaald")
    assert _row(rows, "Eigen cliënten, totaal")[achieved] == ""
    q = await client.get(f"/portaal/kwaliteit/export?tabel=bevolking&formaat=csv&periode={H1}")
    assert q.status_code == 422


async def test_other_roles_are_refused(client: httpx.AsyncClient, new_client: object, regions: RegionFactory) -> None:
    w = await _world(regions)
    await _as(client, w, "municipality")
    for path in ("/team/kwaliteit", "/portaal/kwaliteit", "/team/kwaliteit/export", "/portaal/kwaliteit/grafiek"):
        assert (await client.get(path)).status_code == 403, path
    ref = new_client()  # type: ignore[operator]
    await _as(ref, w, "referrer")
    for path in ("/team/kwaliteit", "/gemeente/dashboard", "/portaal/kwaliteit", "/gemeente/dashboard/export"):
        assert (await ref.get(path)).status_code == 403, path
    anon = new_client()  # type: ignore[operator]
    assert (await anon.get("/gemeente/dashboard")).status_code in (302, 303)


async def test_successive_exports_never_show_a_small_change(client: httpx.AsyncClient, regions: RegionFactory) -> None:
    w = await _world(regions)
    await _as(client, w, "municipality")
    url = f"/gemeente/dashboard/export?tabel=kerncijfers&formaat=csv&periode={H1}"
    first = _csv(await client.get(url))
    ended = first[0].index("Beëindigd")
    assert _row(first, "Eigen inwoners, totaal")[ended] == "15"
    async with w.inv.region.maker() as s:  # five more of M1's residents end in H1: 15 → 20 would reveal "5"
        for i in range(5):
            await add(s, w, youth=f"d{i}", provider_id=w.p, municipality_id=w.m1, agreed_on=date(2026, 1, 2),
                      start=date(2026, 1, 5), end=date(2026, 4, 1), reason="31", result="achieved")  # fmt: skip
        await s.commit()
    assert _csv(await client.get(url)) == first  # the same month: the same publication
    await _next_publication(w)
    second = _csv(await client.get(url))
    assert _row(second, "Eigen inwoners, totaal")[ended] == "<8"
    again = _csv(await client.get(url))  # stable: asking again changes nothing
    assert again == second


async def test_charts_are_svg_images_and_bad_input_is_422(client: httpx.AsyncClient, regions: RegionFactory) -> None:
    w = await _world(regions)
    await _as(client, w, "municipality")
    page = await client.get(f"/gemeente/dashboard?periode={H1}")
    assert '<img src="/gemeente/dashboard/grafiek?naam=stromen&amp;periode=2026-H1"' in page.text
    for name in ("stromen", "kerncijfers", "bevolking"):
        r = await client.get(f"/gemeente/dashboard/grafiek?naam={name}&periode={H1}")
        assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
        assert b"<svg" in r.content and b"<script" not in r.content
    bad = await client.get("/gemeente/dashboard?periode=2026-H7")
    assert bad.status_code == 422 and "Kies een periode" in bad.text
    assert (await client.get("/gemeente/dashboard/export?tabel=geheim")).status_code == 422
    assert (await client.get("/gemeente/dashboard/grafiek?naam=geheim")).status_code == 422
    x = await client.get(f"/gemeente/dashboard/export?tabel=bevolking&formaat=xlsx&periode={H1}")
    assert x.status_code == 200 and x.content[:2] == b"PK"


async def test_page_and_download_share_one_publication_history(
    client: httpx.AsyncClient, regions: RegionFactory
) -> None:
    """Seen on the page as 15, the total is 15 in the month's download too, and may not appear as 20 in the next
    publication (a change of 5)."""
    w = await _world(regions)
    await _as(client, w, "municipality")
    page = await client.get(f"/gemeente/dashboard?periode={H1}")
    assert "Eigen inwoners, totaal</th><td>15</td><td>15</td>" in page.text
    async with w.inv.region.maker() as s:
        for i in range(5):
            await add(s, w, youth=f"e{i}", provider_id=w.p, municipality_id=w.m1, agreed_on=date(2026, 1, 2),
                      start=date(2026, 1, 5), end=date(2026, 4, 1), reason="31", result="achieved")  # fmt: skip
        await s.commit()
    url = f"/gemeente/dashboard/export?tabel=kerncijfers&formaat=csv&periode={H1}"
    rows = _csv(await client.get(url))
    assert _row(rows, "Eigen inwoners, totaal")[rows[0].index("Beëindigd")] == "15"
    await _next_publication(w)
    rows = _csv(await client.get(url))
    assert _row(rows, "Eigen inwoners, totaal")[rows[0].index("Beëindigd")] == "<8"


async def test_the_region_total_is_one_figure_for_every_scope(
    client: httpx.AsyncClient, new_client: object, regions: RegionFactory
) -> None:
    """M1 saw the region's 35; after five more end, the provider's first look may not show 40 (a change of 5)."""
    w = await _world(regions)
    await _as(client, w, "municipality")
    first = _csv(await client.get(f"/gemeente/dashboard/export?tabel=kerncijfers&formaat=csv&periode={H1}"))
    ended = first[0].index("Beëindigd")
    assert _row(first, "Regio (benchmark)")[ended] == "35"
    async with w.inv.region.maker() as s:
        for i in range(5):
            await add(s, w, youth=f"f{i}", provider_id=w.q, municipality_id=w.m2, agreed_on=date(2026, 1, 2),
                      start=date(2026, 1, 5), end=date(2026, 4, 1), reason="31", result="achieved")  # fmt: skip
        await s.commit()
    provider = new_client()  # type: ignore[operator]
    await _as(provider, w, "provider")
    rows = _csv(await provider.get(f"/portaal/kwaliteit/export?tabel=kerncijfers&formaat=csv&periode={H1}"))
    assert _row(rows, "Regio (benchmark)")[ended] == "<8"


async def test_indicator_settings_form(client: httpx.AsyncClient, regions: RegionFactory) -> None:
    from sqlalchemy import func, select

    from jeugdregio.tables import AuditEvent
    from tests.support.factories import csrf

    w = await _world(regions)
    await _as(client, w, "team_quality")
    page = await client.get("/team/kwaliteit/instellingen")
    assert page.status_code == 200 and "Norm voor de duur" in page.text
    token = await csrf(client, "/team/kwaliteit/instellingen")
    bad = await client.post("/team/kwaliteit/instellingen", data={
        "_csrf_token": token, "min_waarderingen": "5", "herinstroom_maanden": "12", "basishalfjaar": "2025-K1",
        f"norm_{w.profile(1)}": "abc",
    })  # fmt: skip
    assert bad.status_code == 422
    assert "Minimum aantal waarderingen" in bad.text and "Basishalfjaar" in bad.text and "Norm Profiel 1" in bad.text
    ok = await client.post("/team/kwaliteit/instellingen", data={
        "_csrf_token": token, "min_waarderingen": "15", "herinstroom_maanden": "6", "basishalfjaar": "2026-H1",
        f"norm_{w.profile(1)}": "40",
    })  # fmt: skip
    assert ok.status_code == 303
    async with w.inv.region.maker() as s:
        from quality.services.indicators import indicator_settings, profile_norms

        settings = await indicator_settings(s, w.region_id)
        got = (settings.min_ratings_for_score, settings.reentry_months, settings.index_base_period)
        assert got == (15, 6, "2026-H1")
        norms = await profile_norms(s, w.region_id)
        assert norms[w.profile(1)] == 40 and norms[w.profile(2)] == 182  # the rest keep the default
        n = (await s.execute(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.region_id == w.region_id, AuditEvent.object_type == "quality_indicator_settings")))  # type: ignore[arg-type]
        assert n.scalar_one() == 1
    await _as(client, w, "team_finance")
    assert (await client.get("/team/kwaliteit/instellingen")).status_code == 403
