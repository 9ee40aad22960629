"""The public catalogue pages over HTTP (no login): search with filters in the URL, messages for unknown values,
provider pages, the profile guide and profile pages, open data downloads, the compare view and escaping."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from urllib.parse import urlencode

import pytest
from tests.support.search_factories import Catalogue, ListingSpec, build_catalogue

from jeugdregio.clock import today

SPECS = [
    ListingSpec("Jeugdhulp De Linde", city="Roosendaal", profiles=(1, 2), served=(0, 1), located_in=0,
                waits={1: (4, 3), 2: (10, 31)}, languages=("Nederlands", "Arabisch"), target_groups=("0-12 jaar",),
                description="Hulp bij ruzie tussen ouders na een scheiding.", specialisms=("systeemtherapie",)),
    ListingSpec("Gezinsbegeleiding Het Anker", city="Etten-Leur", profiles=(2,), settings=("AMB", "DAG"), served=(1,),
                waits={2: (2, 30)}, identity="Reformatorisch", languages=("Nederlands",)),
    ListingSpec("=HYPERLINK(\"http://x\")", city="+31 Stad", profiles=(3,), served=(2,), waits={3: (1, 1)}),
    ListingSpec("<script>alert('x')</script> & Zn", profiles=(4,), served=(2,), description="<b>vet</b>"),
    ListingSpec("Geschorst Gezinshuis", status="suspended", profiles=(1,), served=(0,), waits={1: (0, 1)}),
    ListingSpec("Beeindigd Jeugdhuis", status="ended", profiles=(1,), served=(0,)),
]  # fmt: skip


@pytest.fixture
async def cat(regions) -> Catalogue:  # type: ignore[no-untyped-def]
    region = await regions.create()
    async with region.maker() as s:
        built = await build_catalogue(s, region, SPECS, today=today())
        await s.commit()
    return built


def _url(cat: Catalogue, path: str = "/catalogus", **params: object) -> str:
    return f"{path}?{urlencode({'regio': cat.region.slug, **params})}"


def _hits(html: str) -> list[str]:
    return re.findall(r'<h3><a href="/catalogus/aanbieders/\d+[^"]*">([^<]*)</a></h3>', html)


async def test_search_page_with_filters_in_the_url(client, cat) -> None:
    r = await client.get(_url(cat))
    assert r.status_code == 200
    assert "Zoek jeugdhulp" in r.text and 'role="search"' in r.text
    assert "Geschorst" not in r.text and "Beeindigd" not in r.text
    assert len(_hits(r.text)) == 4
    r = await client.get(_url(cat, profiel=2, gemeente=cat.region.municipality_ids[1]))
    assert sorted(_hits(r.text)) == ["Gezinsbegeleiding Het Anker", "Jeugdhulp De Linde"]
    assert '<option value="2" selected>' in r.text  # the form keeps the search
    r = await client.get(_url(cat, q="jeugdhlp"))
    assert _hits(r.text) == ["Jeugdhulp De Linde"]
    r = await client.get(_url(cat, vorm="DAG"))
    assert _hits(r.text) == ["Gezinsbegeleiding Het Anker"]


async def test_results_show_waiting_time_freshness_identity_and_languages(client, cat) -> None:
    r = await client.get(_url(cat, profiel=2, sorteer="wachttijd"))
    assert _hits(r.text) == ["Gezinsbegeleiding Het Anker", "Jeugdhulp De Linde"]
    anker, linde = r.text.split("Jeugdhulp De Linde</a></h3>")
    assert "2 weken" in anker and "niet recent bevestigd" not in anker.split("Het Anker</a></h3>")[1]  # 30 days
    assert "10 weken" in linde and "niet recent bevestigd" in linde  # 31 days
    assert "Reformatorisch" in anker and "Nederlands, Arabisch" in linde


@pytest.mark.parametrize(
    ("params", "message"),
    [({"profiel": "42"}, "Dit profiel kennen we niet"), ({"gemeente": "abc"}, "Deze gemeente hoort niet"),
     ({"vorm": "RAKET"}, "Deze vorm van hulp kennen we niet"), ({"wachttijd": "999"}, "van 0 tot en met 104"),
     ({"taal": "Klingon"}, "Geen aanbieder heeft deze taal"), ({"sorteer": "prijs"}, "Kies sorteren")],
)  # fmt: skip
async def test_unknown_filter_values_give_a_friendly_message(client, cat, params, message) -> None:
    r = await client.get(_url(cat, **params))
    assert r.status_code == 422
    assert "Er is een probleem" in r.text and message in r.text
    assert len(_hits(r.text)) == 4  # the search still runs without the unknown value


async def test_unknown_region_is_404(client) -> None:
    assert (await client.get("/catalogus?regio=bestaat-niet")).status_code == 404


async def test_hostile_input_is_escaped_and_harmless(client, cat) -> None:
    for q in ("'; drop table catalogue_listing; --", "%_", "<script>alert(1)</script>", "\" onmouseover=\"x"):
        r = await client.get(_url(cat, q=q))
        assert r.status_code == 200, q
        assert "<script>alert(1)" not in r.text and 'onmouseover="x' not in r.text
    r = await client.get(_url(cat))
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Zn" in r.text
    assert "<script>alert('x')" not in r.text
    detail = await client.get(_url(cat, f"/catalogus/aanbieders/{cat.ids[SPECS[3].name]}"))
    assert "&lt;b&gt;vet&lt;/b&gt;" in detail.text and "<script>alert" not in detail.text


async def test_provider_page(client, cat) -> None:
    r = await client.get(_url(cat, f"/catalogus/aanbieders/{cat.ids['Jeugdhulp De Linde']}"))
    assert r.status_code == 200
    page = r.text
    for text in ("Jeugdhulp De Linde", "Hulp bij ruzie", "Wachttijden", "4 weken", "niet recent bevestigd",
                 "501ALA", "Perspectief", "Ambulant", "Gemeente ", "Kwaliteit",
                 "Nog geen kwaliteitscijfers beschikbaar", "info@aanbieder.example", "Arabisch", "systeemtherapie"):
        assert text in page, text  # fmt: skip
    assert r.headers["cache-control"] == "no-store" or "public" in r.headers["cache-control"]


async def test_provider_page_404s(client, cat, regions) -> None:
    for name in ("Geschorst Gezinshuis", "Beeindigd Jeugdhuis"):
        assert (await client.get(_url(cat, f"/catalogus/aanbieders/{cat.ids[name]}"))).status_code == 404
    assert (await client.get(_url(cat, "/catalogus/aanbieders/999999999"))).status_code == 404
    assert (await client.get(_url(cat, "/catalogus/aanbieders/99999999999999"))).status_code == 404
    other = await regions.create()  # a listing is only shown in its own region
    r = await client.get(f"/catalogus/aanbieders/{cat.ids['Jeugdhulp De Linde']}?regio={other.slug}")
    assert r.status_code == 404


async def test_profile_guide_and_profile_page(client, cat) -> None:
    r = await client.get(_url(cat, "/catalogus/profielen"))
    assert r.status_code == 200 and "Welk profiel past bij ons?" in r.text
    for n in range(1, 11):
        assert f'href="/catalogus/profielen/{n}?regio={cat.region.slug}"' in r.text
    r = await client.get(_url(cat, "/catalogus/profielen/2"))
    assert r.status_code == 200 and "Profiel 2" in r.text
    assert _hits(r.text) == ["Gezinsbegeleiding Het Anker", "Jeugdhulp De Linde"]  # shortest waiting time first
    r = await client.get(_url(cat, "/catalogus/profielen/1"))
    assert _hits(r.text) == ["Jeugdhulp De Linde"]
    assert (await client.get(_url(cat, "/catalogus/profielen/11"))).status_code == 404


async def test_open_data_csv_and_json_parse_back(client, cat) -> None:
    r = await client.get(_url(cat, "/catalogus/open-data.csv"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    names = {row["naam"] for row in rows}
    assert names == {"Jeugdhulp De Linde", "Gezinsbegeleiding Het Anker", "'=HYPERLINK(\"http://x\")",
                     "<script>alert('x')</script> & Zn"}  # fmt: skip
    hyper = next(row for row in rows if row["naam"].startswith("'="))
    assert hyper["plaats"] == "'+31 Stad"
    linde = next(row for row in rows if row["naam"] == "Jeugdhulp De Linde")
    assert linde["profielen"] == "1 | 2" and "501ALA" in linde["arrangementtypen"]
    assert "profiel 2: 10 weken" in linde["wachttijden"]
    r = await client.get(_url(cat, "/catalogus/open-data.json"))
    body = json.loads(r.content)
    assert body["region"]["slug"] == cat.region.slug
    listings = {item["name"]: item for item in body["listings"]}
    assert set(listings) == {s.name for s in SPECS if s.status == "active"}
    linde_json = listings["Jeugdhulp De Linde"]
    assert linde_json["profiles"] == [1, 2] and len(linde_json["municipalities"]) == 2
    waits = {w["profile"]: w for w in linde_json["waiting_times"]}
    assert waits[1]["weeks"] == 4 and date.fromisoformat(waits[1]["confirmed_on"])


async def test_compare_view(client, cat) -> None:
    ids = [cat.ids["Jeugdhulp De Linde"], cat.ids["Gezinsbegeleiding Het Anker"]]
    r = await client.get(_url(cat, "/catalogus/vergelijk") + "".join(f"&id={i}" for i in ids))
    assert r.status_code == 200
    assert "Jeugdhulp De Linde" in r.text and "Gezinsbegeleiding Het Anker" in r.text and "@media" not in r.text
    assert "Vergelijking van 2 aanbieders" in r.text
    four = [*ids, cat.ids["Geschorst Gezinshuis"], cat.ids[SPECS[2].name]]
    r = await client.get(_url(cat, "/catalogus/vergelijk") + "".join(f"&id={i}" for i in [*four, 1]))
    assert "maximaal 3 aanbieders" in r.text
    r = await client.get(_url(cat, "/catalogus/vergelijk") + f"&id={cat.ids['Geschorst Gezinshuis']}&id=abc")
    assert "Niet alle gekozen aanbieders" in r.text and "Geschorst" not in r.text
    r = await client.get(_url(cat, "/catalogus/vergelijk"))
    assert "Kies in de zoekresultaten" in r.text


async def test_search_results_offer_the_compare_form_without_javascript(client, cat) -> None:
    r = await client.get(_url(cat))
    assert '<form method="get" action="/catalogus/vergelijk" id="vergelijk"' in r.text
    assert r.text.count('form="vergelijk" name="id"') == 4
