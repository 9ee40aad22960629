"""The catalogue search (service level, real PostgreSQL): every filter and combinations checked against
expectations computed here in plain Python from the fixture specs; typo tolerance, Dutch stemming, sorting,
paging, unknown values, hostile input and the freshness of waiting times."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import text
from tests.support.search_factories import Catalogue, ListingSpec, build_catalogue

from catalogue.services.search import PER_PAGE, search_catalogue

TODAY = date(2026, 11, 23)

SPECS = [
    ListingSpec("Jeugdhulp De Linde", city="Roosendaal", profiles=(1, 2), settings=("AMB",), served=(0, 1),
                located_in=0, waits={1: (4, 3), 2: (10, 40)}, target_groups=("0-12 jaar",),
                languages=("Nederlands", "Arabisch"), description="Hulp bij ruzie tussen ouders na een scheiding.",
                specialisms=("systeemtherapie",)),
    ListingSpec("Gezinsbegeleiding Het Anker", city="Etten-Leur", profiles=(2,), settings=("AMB", "DAG"), served=(1,),
                located_in=1, waits={2: (2, 10)}, target_groups=("0-12 jaar", "12-18 jaar"), languages=("Nederlands",),
                identity="Reformatorisch", description="Wij begeleiden ouders thuis bij de opvoeding."),
    ListingSpec("Zorgboerderij De Klaver", city="Zundert", profiles=(3, 4), settings=("DAG",), served=(2,),
                waits={3: (12, 5), 4: (1, 60)}, target_groups=("12-18 jaar",), languages=("Nederlands", "Engels"),
                identity="Christelijk", description="Dagbesteding op de boerderij voor het hele gezin."),
    ListingSpec("Stichting Kompas", city="Roosendaal", profiles=(1, 4, 5), settings=("AMB", "VER"), located_in=2,
                waits={5: (20, 1), 1: (8, 2)}, target_groups=("18-23 jaar",), languages=("Turks", "Nederlands"),
                identity="Islamitisch"),
    ListingSpec("Praktijk Horizon", city="Breda", profiles=(6,), settings=("VER",), served=(0, 1, 2),
                languages=("Nederlands",)),
    ListingSpec("Geschorst Gezinshuis", status="suspended", profiles=(1, 2), served=(0,), waits={1: (0, 1)},
                target_groups=("0-12 jaar",), languages=("Nederlands", "Pools"), identity="Reformatorisch"),
    ListingSpec("Beeindigd Jeugdhuis", status="ended", profiles=(1,), served=(0, 1, 2), waits={1: (0, 1)},
                languages=("Nederlands",)),
]  # fmt: skip


@pytest.fixture
async def catalogue(session, regions) -> Catalogue:  # type: ignore[no-untyped-def]
    region = await regions.create()
    return await build_catalogue(session, region, SPECS, today=TODAY)


def expected(cat: Catalogue, f: dict[str, Any]) -> set[str]:
    """The names a filter combination must find, from the specs alone."""
    out = set()
    for name, sp in cat.specs.items():
        if sp.status != "active":
            continue
        if "profiel" in f and f["profiel"] not in sp.profiles:
            continue
        if "vorm" in f and f["vorm"] not in sp.settings:
            continue
        if "gemeente" in f and f["gemeente"] not in sp.served and f["gemeente"] != sp.located_in:
            continue
        if "wachttijd" in f:
            weeks = [w for p, (w, _) in sp.waits.items() if "profiel" not in f or p == f["profiel"]]
            if not any(w <= f["wachttijd"] for w in weeks):
                continue
        if "doelgroep" in f and f["doelgroep"] not in sp.target_groups:
            continue
        if "taal" in f and f["taal"] not in sp.languages:
            continue
        if "identiteit" in f and f["identiteit"] != sp.identity:
            continue
        out.add(name)
    return out


def _params(cat: Catalogue, f: dict[str, Any]) -> dict[str, str]:
    params = {"regio": cat.region.slug}
    for key, value in f.items():
        params[key] = str(cat.region.municipality_ids[value]) if key == "gemeente" else str(value)
    return params


async def _names(session, cat: Catalogue, f: dict[str, Any]) -> list[str]:  # type: ignore[no-untyped-def]
    found = await search_catalogue(session, _params(cat, f), today=TODAY)
    assert not found.errors, found.errors
    return [h.name for h in found.result.hits]


FILTERS: list[dict[str, Any]] = [
    {},
    *({"profiel": n} for n in range(1, 8)),
    *({"gemeente": i} for i in range(3)),
    *({"vorm": c} for c in ("AMB", "DAG", "VER")),
    *({"wachttijd": w} for w in (0, 1, 2, 4, 8, 104)),
    {"doelgroep": "0-12 jaar"}, {"doelgroep": "12-18 jaar"}, {"doelgroep": "18-23 jaar"},
    {"taal": "Nederlands"}, {"taal": "Arabisch"}, {"taal": "Turks"}, {"taal": "Engels"},
    {"identiteit": "Reformatorisch"}, {"identiteit": "Christelijk"}, {"identiteit": "Islamitisch"},
    {"profiel": 1, "wachttijd": 4}, {"profiel": 2, "wachttijd": 4}, {"profiel": 4, "wachttijd": 1},
    {"profiel": 1, "gemeente": 0}, {"profiel": 1, "gemeente": 2}, {"profiel": 2, "vorm": "DAG"},
    {"gemeente": 1, "taal": "Nederlands", "doelgroep": "0-12 jaar"}, {"vorm": "AMB", "identiteit": "Reformatorisch"},
    {"profiel": 4, "gemeente": 2, "vorm": "AMB", "wachttijd": 104, "taal": "Turks", "identiteit": "Islamitisch",
     "doelgroep": "18-23 jaar"},
    {"profiel": 6, "wachttijd": 104},
]  # fmt: skip


async def test_each_filter_and_combinations_match_the_independent_expectation(session, catalogue) -> None:
    nonempty = 0
    for f in FILTERS:
        names = await _names(session, catalogue, f)
        assert set(names) == expected(catalogue, f), f
        assert len(names) == len(set(names)), f"duplicates for {f}"
        nonempty += bool(names)
    assert nonempty >= len(FILTERS) - 5  # the fixture exercises the filters, not only empty results


async def test_suspended_and_ended_listings_never_appear(session, catalogue) -> None:
    for q in ("Geschorst Gezinshuis", "Beeindigd Jeugdhuis", "gezinshuis", "jeugdhuis"):
        assert not {"Geschorst Gezinshuis", "Beeindigd Jeugdhuis"} & set(await _names(session, catalogue, {"q": q}))
    assert "Pools" not in {o.key for o in (await search_catalogue(
        session, {"regio": catalogue.region.slug}, today=TODAY)).options.taal}  # fmt: skip


@pytest.mark.parametrize(
    ("query", "name"),
    [("jeugdhlp", "Jeugdhulp De Linde"), ("gezinsbegeleidng", "Gezinsbegeleiding Het Anker"),
     ("zorgboerdrij", "Zorgboerderij De Klaver"), ("Kompass", "Stichting Kompas"), ("linde", "Jeugdhulp De Linde"),
     ("systeemtherapie", "Jeugdhulp De Linde")],
)  # fmt: skip
async def test_typos_still_find_the_listing(session, catalogue, query: str, name: str) -> None:
    names = await _names(session, catalogue, {"q": query})
    assert names and names[0] == name, names  # ranked first (default sort with text: relevance)


async def test_dutch_stemming_and_words_from_the_description(session, catalogue) -> None:
    assert "Zorgboerderij De Klaver" in await _names(session, catalogue, {"q": "gezinnen"})  # 'gezin' in the text
    assert "Jeugdhulp De Linde" in await _names(session, catalogue, {"q": "scheidingen"})
    assert "Gezinsbegeleiding Het Anker" in await _names(session, catalogue, {"q": "opvoeding ouders"})
    assert await _names(session, catalogue, {"q": "xylofoonmuseum"}) == []


async def test_text_combines_with_filters(session, catalogue) -> None:
    assert await _names(session, catalogue, {"q": "roosendaal", "profiel": 5}) == ["Stichting Kompas"]
    assert set(await _names(session, catalogue, {"q": "roosendaal"})) == {"Jeugdhulp De Linde", "Stichting Kompas"}


async def test_sorting_by_waiting_time_and_name(session, catalogue) -> None:
    active = [sp for sp in catalogue.specs.values() if sp.status == "active"]
    by_name = sorted((sp.name for sp in active), key=str.lower)
    assert await _names(session, catalogue, {}) == by_name
    assert await _names(session, catalogue, {"sorteer": "naam"}) == by_name

    def shortest(sp: ListingSpec, profile: int | None) -> float:
        weeks = [w for p, (w, _) in sp.waits.items() if profile is None or p == profile]
        return min(weeks) if weeks else float("inf")

    for profile in (None, 1, 4):
        chosen = [sp for sp in active if profile is None or profile in sp.profiles]
        want = [sp.name for sp in sorted(chosen, key=lambda sp: (shortest(sp, profile), sp.name.lower()))]
        f: dict[str, Any] = {"sorteer": "wachttijd"} | ({"profiel": profile} if profile else {})
        assert await _names(session, catalogue, f) == want


async def test_results_show_profiles_and_shortest_waiting_time(session, catalogue) -> None:
    found = await search_catalogue(session, {"regio": catalogue.region.slug, "q": "kompas"}, today=TODAY)
    hit = found.result.hits[0]
    assert hit.profiles == (1, 4, 5) and hit.city == "Roosendaal" and hit.identity == "Islamitisch"
    assert hit.shortest is not None and hit.shortest.weeks == 8 and hit.shortest.fresh
    assert set(hit.languages) == {"Turks", "Nederlands"}
    by_profile = await search_catalogue(session, {"regio": catalogue.region.slug, "q": "kompas", "profiel": "5"},
                                        today=TODAY)  # fmt: skip
    assert by_profile.result.hits[0].shortest.weeks == 20  # type: ignore[union-attr]


async def test_freshness_at_30_and_31_days(session, regions) -> None:
    region = await regions.create()
    cat = await build_catalogue(session, region, [
        ListingSpec("Dertig Dagen", waits={1: (3, 30)}), ListingSpec("Eenendertig Dagen", waits={1: (3, 31)}),
    ], today=TODAY)  # fmt: skip
    found = await search_catalogue(session, {"regio": cat.region.slug}, today=TODAY)
    fresh = {h.name: h.shortest.fresh for h in found.result.hits if h.shortest}
    assert fresh == {"Dertig Dagen": True, "Eenendertig Dagen": False}


@pytest.mark.parametrize(
    ("params", "field"),
    [({"profiel": "11"}, "profiel"), ({"profiel": "een"}, "profiel"), ({"gemeente": "999999999"}, "gemeente"),
     ({"vorm": "XYZ"}, "vorm"), ({"wachttijd": "105"}, "wachttijd"), ({"wachttijd": "-1"}, "wachttijd"),
     ({"wachttijd": "٣"}, "wachttijd"), ({"doelgroep": "onbekend"}, "doelgroep"), ({"taal": "Klingon"}, "taal"),
     ({"identiteit": "Pastafari"}, "identiteit"), ({"sorteer": "prijs"}, "sorteer"), ({"pagina": "0"}, "pagina"),
     ({"pagina": "abc"}, "pagina"), ({"q": "x" * 201}, "q")],
)  # fmt: skip
async def test_unknown_values_are_reported_and_left_out(session, catalogue, params, field) -> None:
    found = await search_catalogue(session, {"regio": catalogue.region.slug, **params}, today=TODAY)
    assert [e.field for e in found.errors] == [field]
    assert found.errors[0].message
    assert {h.name for h in found.result.hits} == expected(catalogue, {})


async def test_another_regions_municipality_is_unknown(session, catalogue, regions) -> None:
    other = await regions.create()
    found = await search_catalogue(
        session, {"regio": catalogue.region.slug, "gemeente": str(other.municipality_ids[0])}, today=TODAY
    )
    assert [e.field for e in found.errors] == ["gemeente"]


@pytest.mark.parametrize("query", ["'; drop table catalogue_listing; --", "%_", "%", "_", "\\", "a & b | !c",
                                   "(", "\"unterminated", ":*", "'", "<script>", "OR 1=1", "\x00"])  # fmt: skip
async def test_hostile_text_is_just_text(session, catalogue, query: str) -> None:
    found = await search_catalogue(session, {"regio": catalogue.region.slug, "q": query}, today=TODAY)
    assert found.result.total <= len(expected(catalogue, {}))
    assert (await session.execute(text("SELECT count(*) FROM catalogue_listing"))).scalar_one() >= len(SPECS)


async def test_pages_of_twenty(session, regions) -> None:
    region = await regions.create()
    specs = [ListingSpec(f"Aanbieder {i:02d}") for i in range(PER_PAGE + 5)]
    cat = await build_catalogue(session, region, specs, today=TODAY)
    first = await search_catalogue(session, {"regio": cat.region.slug}, today=TODAY)
    second = await search_catalogue(session, {"regio": cat.region.slug, "pagina": "2"}, today=TODAY)
    beyond = await search_catalogue(session, {"regio": cat.region.slug, "pagina": "5"}, today=TODAY)
    assert first.result.total == second.result.total == beyond.result.total == PER_PAGE + 5
    assert [h.name for h in first.result.hits + second.result.hits] == [s.name for s in specs]
    assert first.result.pages == 2 and beyond.result.hits == ()
