"""The public catalogue API: anonymous reads under /api/v1/catalogue, the page's filters, 422 Problem Details
for unknown filter values, 404 for providers that are not (or no longer) in the catalogue."""

from __future__ import annotations

import pytest
from tests.support.search_factories import Catalogue, ListingSpec, build_catalogue

from jeugdregio.clock import today

SPECS = [
    ListingSpec("Jeugdhulp De Linde", city="Roosendaal", profiles=(1, 2), served=(0,), waits={1: (4, 3), 2: (9, 40)},
                languages=("Nederlands", "Arabisch")),
    ListingSpec("Gezinsbegeleiding Het Anker", profiles=(2,), settings=("DAG",), served=(1,), waits={2: (2, 1)},
                identity="Reformatorisch"),
    ListingSpec("Geschorst Gezinshuis", status="suspended", profiles=(2,), served=(0, 1), waits={2: (0, 1)}),
]  # fmt: skip


@pytest.fixture
async def cat(regions) -> Catalogue:  # type: ignore[no-untyped-def]
    region = await regions.create()
    async with region.maker() as s:
        built = await build_catalogue(s, region, SPECS, today=today())
        await s.commit()
    return built


async def test_providers_anonymous_with_filters(client, cat) -> None:
    r = await client.get("/api/v1/catalogue/providers", params={"region": cat.region.slug})
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 2 and body["per_page"] == 20 and body["page"] == 1
    assert [i["name"] for i in body["items"]] == ["Gezinsbegeleiding Het Anker", "Jeugdhulp De Linde"]
    r = await client.get("/api/v1/catalogue/providers", params={
        "region": cat.region.slug, "profile": "2", "sort": "waiting_time", "max_weeks": "9",
    })  # fmt: skip
    items = r.json()["items"]
    assert [i["name"] for i in items] == ["Gezinsbegeleiding Het Anker", "Jeugdhulp De Linde"]
    assert items[1]["shortest_waiting_time"] == {
        "weeks": 9, "confirmed_on": items[1]["shortest_waiting_time"]["confirmed_on"], "recently_confirmed": False
    }  # fmt: skip
    r = await client.get("/api/v1/catalogue/providers", params={
        "region": cat.region.slug, "municipality": str(cat.region.municipality_ids[0]), "language": "Arabisch",
    })  # fmt: skip
    assert [i["name"] for i in r.json()["items"]] == ["Jeugdhulp De Linde"]
    r = await client.get("/api/v1/catalogue/providers", params={"region": cat.region.slug, "q": "gezinsbegeleidng"})
    assert [i["name"] for i in r.json()["items"]] == ["Gezinsbegeleiding Het Anker"]
    r = await client.get("/api/v1/catalogue/providers", params={"region": cat.region.slug, "setting": "DAG",
                                                                 "identity": "Reformatorisch"})  # fmt: skip
    assert r.json()["total"] == 1


@pytest.mark.parametrize(
    ("params", "field"),
    [({"profile": "12"}, "profile"), ({"municipality": "x"}, "municipality"), ({"setting": "RAKET"}, "setting"),
     ({"max_weeks": "200"}, "max_weeks"), ({"language": "Klingon"}, "language"), ({"sort": "price"}, "sort"),
     ({"page": "-1"}, "page"), ({"identity": "onbekend"}, "identity"), ({"target_group": "x"}, "target_group")],
)  # fmt: skip
async def test_unknown_filter_values_are_422_problem_details(client, cat, params, field) -> None:
    r = await client.get("/api/v1/catalogue/providers", params={"region": cat.region.slug, **params})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in r.json()["errors"]] == [field]


async def test_provider_detail_and_404s(client, cat, regions) -> None:
    lid = cat.ids["Jeugdhulp De Linde"]
    r = await client.get(f"/api/v1/catalogue/providers/{lid}", params={"region": cat.region.slug})
    assert r.status_code == 200
    body = r.json()
    assert body["name"] == "Jeugdhulp De Linde" and body["quality"] is None
    assert {w["profile"]: w["weeks"] for w in body["waiting"]} == {1: 4, 2: 9}
    assert [p["number"] for p in body["profiles"]] == [1, 2]
    assert body["types"] and all(t["code"].startswith(("501", "502")) for t in body["types"])
    suspended = cat.ids["Geschorst Gezinshuis"]
    assert (await client.get(f"/api/v1/catalogue/providers/{suspended}?region={cat.region.slug}")).status_code == 404
    other = await regions.create()
    assert (await client.get(f"/api/v1/catalogue/providers/{lid}?region={other.slug}")).status_code == 404
    assert (await client.get("/api/v1/catalogue/providers/0")).status_code == 404


async def test_profiles(client, cat) -> None:
    r = await client.get("/api/v1/catalogue/profiles", params={"region": cat.region.slug})
    assert r.status_code == 200
    assert [p["number"] for p in r.json()["items"]] == list(range(1, 11))


async def test_a_bad_token_is_still_refused_on_public_reads(client, cat) -> None:
    r = await client.get("/api/v1/catalogue/profiles", headers={"authorization": "Bearer nope"})
    assert r.status_code == 401


async def test_openapi_lists_the_catalogue_endpoints_without_security(client) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    for path in ("/api/v1/catalogue/providers", "/api/v1/catalogue/providers/{listing_id}",
                 "/api/v1/catalogue/profiles"):
        op = schema["paths"][path]["get"]
        assert op["tags"] == ["catalogue"] and op.get("security") == [{}]  # fmt: skip
        ok = op["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok["type"] == "object", path  # the search's cached JSON bytes are documented as the object
