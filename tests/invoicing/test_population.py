"""The population CSV import (all or nothing, Dutch errors per row and column), lump-sum and population-budget
forms."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from invoicing.models import LumpSum, PopulationBudget, PopulationFigure
from invoicing.services.population import import_population
from jeugdregio.audit import Actor
from jeugdregio.errors import ValidationFailed
from tests.invoicing.money_world import NOW, add_provider
from tests.support.factories import RegionFactory, TestRegion, csrf, login

HEADER = "gemeentecode;jaar;inwoners;jeugdigen_0_17;gewicht\n"


async def _codes(region: TestRegion) -> list[str]:
    from jeugdregio.tables import Municipality

    async with region.maker() as s:
        query = select(Municipality.id, Municipality.cbs_code).where(Municipality.region_id == region.id)
        rows = await s.execute(query)
        by_id = dict(rows.all())
    return [by_id[m] for m in region.municipality_ids]


def _actor(region: TestRegion) -> Actor:
    return Actor(user_id=None, label="test", role="team_finance", region_id=region.id)


async def _count(s: AsyncSession, region_id: int) -> int:
    return int((await s.execute(select(func.count()).where(PopulationFigure.region_id == region_id))).scalar_one())


async def test_errors_name_row_and_column_and_nothing_is_stored(session: AsyncSession, regions: RegionFactory) -> None:
    region = await regions.create()
    c1, c2, c3 = await _codes(region)
    content = (
        HEADER
        + f"{c1};2026;10000;2000;1,05\n"  # row 2: fine
        + "9999;2026;500;100;\n"  # row 3: unknown municipality code
        + f"{c2};2026;-5;0;\n"  # row 4: negative inhabitants
        + f"{c3};2026;1000;veel;\n"  # row 5: non-numeric youths
        + f"{c2};twintig;1000;10;\n"  # row 6: year not a year
        + f"{c3};2027;100;101;\n"  # row 7: more youths than inhabitants
        + f"{c1};2026;10000;2000;\n"  # row 8: duplicate of row 2
        + f"{c2};2027;100;10;0\n"  # row 9: weight not positive
        + f"{c2};2028;100\n"  # row 10: too few columns
    ).encode()

    with pytest.raises(ValidationFailed) as caught:
        await import_population(session, region.id, content, actor=_actor(region), now=NOW)

    found = {(e.row, e.field) for e in caught.value.errors}
    assert found == {
        (3, "gemeentecode"), (4, "inwoners"), (5, "jeugdigen_0_17"), (6, "jaar"), (7, "jeugdigen_0_17"),
        (8, "gemeentecode"), (9, "gewicht"), (10, "bestand"),
    }  # fmt: skip
    messages = " | ".join(e.message for e in caught.value.errors)
    assert "Regel 3, kolom gemeentecode: onbekende gemeentecode '9999'" in messages
    assert "Regel 4, kolom inwoners: het aantal kan niet negatief zijn" in messages
    assert "Regel 5, kolom jeugdigen_0_17: 'veel' is geen heel getal" in messages
    assert "meer jeugdigen (101) dan inwoners (100)" in messages
    assert "staan ook op regel 2" in messages
    assert await _count(session, region.id) == 0


async def test_a_clean_file_upserts_per_municipality_and_year(session: AsyncSession, regions: RegionFactory) -> None:
    region = await regions.create()
    c1, c2, _c3 = await _codes(region)
    first = f"{HEADER}{c1};2026;10000;2000;1,05\n{c2};2026;5000;900;\n".encode()
    second = f"\ufeffgemeentecode;jaar;inwoners;jeugdigen_0_17\n{c1};2026;11000;2100\n{c1};2027;11500;2200\n".encode()

    assert await import_population(session, region.id, first, actor=_actor(region), now=NOW) == 2
    assert await import_population(session, region.id, second, actor=_actor(region), now=NOW) == 2

    rows = {
        (r.municipality_id, r.year): (r.inhabitants, r.youths, r.weight_basis_points)
        for r in (
            await session.execute(select(PopulationFigure).where(PopulationFigure.region_id == region.id))
        ).scalars()
    }
    m1, m2 = region.municipality_ids[:2]
    assert rows == {(m1, 2026): (11000, 2100, 10000), (m2, 2026): (5000, 900, 10000), (m1, 2027): (11500, 2200, 10000)}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "leeg"),
        (b"gemeentecode,jaar,inwoners,jeugdigen_0_17\n0001,2026,1,1\n", "puntkomma"),
        (b"code;jaar;inwoners;jeugd\n", "de kolommen moeten zijn"),
        ("gemeentecode;jaar;inwoners;jeugdigen_0_17\n0001;2026;1;1\n".encode("utf-16"), "UTF-8"),
        (b"gemeentecode;jaar;inwoners;jeugdigen_0_17\n", "geen regels"),
    ],
)
async def test_file_level_errors(session: AsyncSession, regions: RegionFactory, content: bytes, message: str) -> None:
    region = await regions.create()
    with pytest.raises(ValidationFailed) as caught:
        await import_population(session, region.id, content, actor=_actor(region), now=NOW)
    assert message in caught.value.errors[0].message


async def test_import_and_forms_over_http(client: httpx.AsyncClient, regions: RegionFactory) -> None:
    region = await regions.create()
    c1, *_ = await _codes(region)
    async with region.maker() as s:
        provider_id = await add_provider(s, region.id, "Wijkteam Noord")
        await s.commit()
    await login(client, await region.user("team_finance"))
    token = await csrf(client, "/team/populatiebudgetten")

    url = "/team/populatiebudgetten/bevolking"
    bad_file = f"{HEADER}{c1};2026;10;20;\n".encode()
    bad = await client.post(url, data={"_csrf_token": token}, files={"bestand": ("b.csv", bad_file, "text/csv")})
    assert bad.status_code == 422 and "meer jeugdigen (20) dan inwoners (10)" in bad.text
    good_file = f"{HEADER}{c1};2026;100;20;1,1\n".encode()
    good = await client.post(url, data={"_csrf_token": token}, files={"bestand": ("b.csv", good_file, "text/csv")})
    assert good.status_code == 303

    wrong = await client.post("/team/populatiebudgetten", data={
        "_csrf_token": token, "provider_id": "999999", "year": "2026", "per_youth": "-3"})  # fmt: skip
    assert wrong.status_code == 422 and "Kies een aanbieder" in wrong.text and "negatief" in wrong.text
    made = await client.post("/team/populatiebudgetten", data={
        "_csrf_token": token, "provider_id": str(provider_id), "year": "2026", "per_youth": "310,50",
        "weighted": "1"})  # fmt: skip
    assert made.status_code == 303
    twice = await client.post("/team/populatiebudgetten", data={
        "_csrf_token": token, "provider_id": str(provider_id), "year": "2026", "per_youth": "1"})  # fmt: skip
    assert twice.status_code == 422 and "Er is al een populatiebudget" in twice.text

    lump_bad = await client.post("/team/lump-sums", data={
        "_csrf_token": token, "provider_id": str(provider_id), "municipality_id": str(region.municipality_ids[0]),
        "year": "twee", "yearly": "abc"})  # fmt: skip
    assert lump_bad.status_code == 422 and "jaartal" in lump_bad.text and "geen bedrag" in lump_bad.text
    lump = await client.post("/team/lump-sums", data={
        "_csrf_token": token, "provider_id": str(provider_id), "municipality_id": str(region.municipality_ids[0]),
        "year": "2026", "yearly": "120.000,00", "description": "Wijkteam"})  # fmt: skip
    assert lump.status_code == 303
    listing = await client.get("/team/lump-sums")
    assert "Wijkteam Noord" in listing.text and "€ 10.000,00" in listing.text  # twelve instalments

    async with region.maker() as s:
        pb = (await s.execute(select(PopulationBudget).where(PopulationBudget.region_id == region.id))).scalar_one()
        ls = (await s.execute(select(LumpSum).where(LumpSum.region_id == region.id))).scalar_one()
        fig = (await s.execute(select(PopulationFigure).where(PopulationFigure.region_id == region.id))).scalar_one()
    assert (pb.cents_per_youth, pb.weighted) == (31_050, True)
    assert ls.yearly_cents == 12_000_000
    assert (fig.youths, fig.weight_basis_points) == (20, 11_000)
    page = await client.get("/team/populatiebudgetten")
    assert page.status_code == 200 and "1,1" in page.text


async def test_only_finance_writes(client: httpx.AsyncClient, regions: RegionFactory) -> None:
    region = await regions.create()
    await login(client, await region.user("team_contracts"))
    token = await csrf(client, "/team/lump-sums")
    assert (await client.get("/team/lump-sums")).status_code == 200
    assert "Nieuwe lump sum" not in (await client.get("/team/lump-sums")).text
    response = await client.post("/team/lump-sums", data={"_csrf_token": token, "year": "2026"})
    assert response.status_code == 403
