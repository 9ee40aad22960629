"""The short-lived cache of the public catalogue search: what it serves, to whom, and when it forgets.

No timings: the cache's own counters and a fake clock show what happened."""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

import pytest
from sqlalchemy import update
from tests.support.factories import login
from tests.support.search_factories import Catalogue, ListingSpec, build_catalogue

from catalogue.models import Listing
from catalogue.services import search, search_cache
from catalogue.services.search_cache import TtlCache
from jeugdregio.clock import today
from jeugdregio.web import SECURITY_HEADERS

SPECS = [
    ListingSpec("Jeugdhulp De Linde", city="Roosendaal", profiles=(1, 2), served=(0, 1), waits={1: (4, 3)}),
    ListingSpec("Gezinsbegeleiding Het Anker", city="Etten-Leur", profiles=(2,), served=(1,), waits={2: (2, 30)}),
]


@pytest.fixture
async def cat(regions) -> Catalogue:  # type: ignore[no-untyped-def]
    region = await regions.create()
    async with region.maker() as s:
        built = await build_catalogue(s, region, SPECS, today=today())
        await s.commit()
    return built


def _url(cat: Catalogue, path: str = "/catalogus", **params: object) -> str:
    return f"{path}?{urlencode({'regio': cat.region.slug, **params})}"


async def test_a_repeated_anonymous_search_is_served_from_the_cache_with_fresh_headers(client, new_client, cat) -> None:
    first = await client.get(_url(cat, profiel=2))
    hits = search.PAGES.hits
    other = new_client()  # another visitor, its own (empty) cookie jar
    again = await other.get(_url(cat, profiel=2))
    assert search.PAGES.hits == hits + 1
    assert again.status_code == first.status_code == 200
    assert again.text == first.text
    assert again.headers["content-type"] == first.headers["content-type"] == "text/html; charset=utf-8"
    for name, value in SECURITY_HEADERS:
        assert again.headers[name.decode()] == value.decode()
    assert again.headers["cache-control"] == "no-store"
    assert again.headers["x-request-id"] != first.headers["x-request-id"]
    assert "jr_csrf" in again.cookies  # the visitor's own CSRF cookie, made per response
    assert again.cookies["jr_csrf"] != first.cookies["jr_csrf"]


async def test_other_parameters_and_their_order_do_not_split_the_cache(client, cat) -> None:
    await client.get(_url(cat, profiel=2, sorteer="naam"))
    hits = search.PAGES.hits
    r = await client.get(f"/catalogus?sorteer=naam&utm_source=x&profiel=2&regio={cat.region.slug}")
    assert r.status_code == 200 and search.PAGES.hits == hits + 1


async def test_a_repeated_api_search_is_served_as_the_same_json_from_the_cache(client, cat) -> None:
    url = _url(cat, "/api/v1/catalogue/providers", profile=2, region=cat.region.slug)
    first = await client.get(url)
    hits = search.API_BODIES.hits
    again = await client.get(url)
    assert search.API_BODIES.hits == hits + 1
    assert again.status_code == first.status_code == 200 and again.headers["content-type"] == "application/json"
    assert again.json() == first.json() and [i["name"] for i in again.json()["items"]] == [
        "Gezinsbegeleiding Het Anker", "Jeugdhulp De Linde"]  # fmt: skip
    bad = _url(cat, "/api/v1/catalogue/providers", profile=42, region=cat.region.slug)
    assert (await client.get(bad)).status_code == 422
    assert (await client.get(bad)).status_code == 422 and search.API_BODIES.hits == hits + 1  # errors: no body


async def test_unknown_filter_values_are_cached_with_their_422(client, cat) -> None:
    first = await client.get(_url(cat, profiel="42"))
    again = await client.get(_url(cat, profiel="42"))
    assert first.status_code == again.status_code == 422
    assert "Dit profiel kennen we niet" in again.text


async def test_a_committed_catalogue_change_is_visible_at_once(client, cat) -> None:
    before = await client.get(_url(cat, profiel=2))
    api_before = await client.get(_url(cat, "/api/v1/catalogue/providers", profile=2, region=cat.region.slug))
    assert "Het Anker" in before.text and "Het Anker" in api_before.text
    async with cat.region.maker() as s:
        await s.execute(
            update(Listing).where(Listing.id == cat.ids["Gezinsbegeleiding Het Anker"]).values(name="De Nieuwe Naam")
        )
        await s.commit()
    after = await client.get(_url(cat, profiel=2))
    api_after = await client.get(_url(cat, "/api/v1/catalogue/providers", profile=2, region=cat.region.slug))
    assert "De Nieuwe Naam" in after.text and "Het Anker" not in after.text
    assert "De Nieuwe Naam" in api_after.text


async def test_a_rolled_back_change_keeps_the_cache(client, cat) -> None:
    await client.get(_url(cat, profiel=1))
    generation = search_cache.generation()
    async with cat.region.maker() as s:
        await s.execute(update(Listing).where(Listing.id == cat.ids["Jeugdhulp De Linde"]).values(name="Weg"))
        await s.rollback()
    assert search_cache.generation() == generation


async def test_logged_in_pages_are_never_taken_from_or_put_in_the_cache(client, new_client, cat) -> None:
    anonymous = await new_client().get(_url(cat, profiel=1))
    assert "Uitloggen" not in anonymous.text
    email = await cat.region.user("team_admin")
    await login(client, email)
    stored = len(search.PAGES)
    mine = await client.get(_url(cat, profiel=1))
    assert mine.status_code == 200 and "Uitloggen" in mine.text  # the personal header, not the cached page
    assert len(search.PAGES) == stored
    assert "Uitloggen" not in (await new_client().get(_url(cat, profiel=1))).text


async def test_a_page_with_a_flash_message_is_not_cached(client, cat) -> None:
    client.cookies.set("jr_flash", "Gelukt", domain="testserver.local")
    r = await client.get(_url(cat, gemeente=cat.region.municipality_ids[0]))
    assert "Gelukt" in r.text
    client.cookies.delete("jr_flash")
    r = await client.get(_url(cat, gemeente=cat.region.municipality_ids[0]))
    assert "Gelukt" not in r.text


# ---- the cache itself ----------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(search_cache.time, "monotonic", fake)
    return fake


def test_entries_expire_after_their_seconds(clock: Clock) -> None:
    cache: TtlCache[str] = TtlCache(seconds=30)
    cache.put("k", "v", 10)
    clock.now += 29.9
    assert cache.get("k") == "v"
    clock.now += 0.2
    assert cache.get("k") is None and len(cache) == 0


def test_an_invalidation_forgets_every_entry(clock: Clock) -> None:
    cache: TtlCache[str] = TtlCache()
    cache.put("k", "v", 10)
    search_cache.invalidate()
    assert cache.get("k") is None


def test_memory_is_bounded_least_recently_used_out(clock: Clock) -> None:
    cache: TtlCache[str] = TtlCache(max_bytes=400)
    for key in "abcd":
        cache.put(key, key, 100)
    assert cache.get("a") == "a"  # now the most recently used
    cache.put("e", "e", 100)
    assert cache.get("b") is None and cache.get("a") == "a" and cache.get("e") == "e"
    cache.put("huge", "x", 101)  # more than a quarter of the budget: never stored
    assert cache.get("huge") is None


class GatedMaker:
    """A value maker that counts its calls and waits for `release` before answering `v<call number>`."""

    def __init__(self) -> None:
        self.calls = 0
        self.release = asyncio.Event()

    async def __call__(self) -> str:
        self.calls += 1
        number = self.calls
        await self.release.wait()
        return f"v{number}"


async def test_identical_misses_at_the_same_time_run_one_query(clock: Clock) -> None:
    cache: TtlCache[str] = TtlCache()
    make = GatedMaker()

    tasks = [asyncio.create_task(cache.get_or_make("k", make, len)) for _ in range(5)]
    await asyncio.sleep(0)
    make.release.set()
    assert await asyncio.gather(*tasks) == ["v1"] * 5
    assert make.calls == 1
    assert await cache.get_or_make("k", make, len) == "v1" and make.calls == 1


async def test_a_failed_query_is_not_cached_and_each_waiter_tries_again(clock: Clock) -> None:
    cache: TtlCache[str] = TtlCache()
    calls = 0

    async def failing() -> str:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0)
        raise RuntimeError("database away")

    results = await asyncio.gather(*(cache.get_or_make("k", failing, len) for _ in range(3)), return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results)
    assert calls == 3 and len(cache) == 0


async def test_a_result_computed_across_an_invalidation_is_not_stored(clock: Clock) -> None:
    cache: TtlCache[str] = TtlCache()

    async def make() -> str:
        search_cache.invalidate()  # a catalogue commit while the query ran
        return "old"

    assert await cache.get_or_make("k", make, len) == "old"
    assert len(cache) == 0


async def test_a_disabled_cache_always_asks(clock: Clock) -> None:
    cache: TtlCache[str] = TtlCache()
    cache.enabled = False
    calls = 0

    async def make() -> str:
        nonlocal calls
        calls += 1
        return "v"

    await cache.get_or_make("k", make, len)
    await cache.get_or_make("k", make, len)
    assert calls == 2 and len(cache) == 0


def test_an_ageing_entry_is_recomputed_by_one_caller_while_the_others_keep_it(clock: Clock) -> None:
    cache: TtlCache[str] = TtlCache(seconds=60, refresh_after=30)
    cache.put("k", "v1", 10)
    clock.now += 29
    assert cache.get("k") == "v1"  # young: everyone gets it
    clock.now += 2
    assert cache.get("k") is None  # the first caller after 30 s recomputes ...
    assert cache.get("k") == "v1" and cache.get("k") == "v1"  # ... the others are not held up
    clock.now += search_cache.REFRESH_PATIENCE + 1  # that refresh never came back (failed)
    assert cache.get("k") is None  # so another caller tries
    cache.put("k", "v2", 10)
    assert cache.get("k") == "v2"
    clock.now += 59
    assert cache.get("k") is None  # 59 s after the new value: due for its own refresh
    clock.now += 2
    assert cache.get("k") is None and len(cache) == 0  # never served beyond its 60 s


def test_an_ageing_entry_is_not_served_after_an_invalidation(clock: Clock) -> None:
    cache: TtlCache[str] = TtlCache(seconds=60, refresh_after=30)
    cache.put("k", "v", 10)
    clock.now += 40
    search_cache.invalidate()
    assert cache.get("k") is None and cache.get("k") is None


async def test_without_reuse_a_value_is_made_anew_but_still_shared_with_identical_calls(clock: Clock) -> None:
    cache: TtlCache[str] = TtlCache()
    make = GatedMaker()

    make.release.set()
    assert await cache.get_or_make("k", make, len) == "v1"
    assert await cache.get_or_make("k", make, len) == "v1" and make.calls == 1  # reused
    make.release.clear()
    tasks = [asyncio.create_task(cache.get_or_make("k", make, len, reuse=False)) for _ in range(3)]
    await asyncio.sleep(0)
    make.release.set()
    assert await asyncio.gather(*tasks) == ["v2"] * 3 and make.calls == 2  # new, made once for the three
    assert cache.get("k") == "v2"


def test_lookup_hands_the_ageing_entry_to_everyone_and_the_recomputation_to_one(clock: Clock) -> None:
    cache: TtlCache[str] = TtlCache(seconds=60, refresh_after=30)
    cache.put("k", "v1", 10)
    assert cache.lookup("k") == ("v1", False)
    clock.now += 31
    assert cache.lookup("k") == ("v1", True)  # this caller answers with v1 and recomputes
    assert cache.lookup("k") == ("v1", False) and cache.refreshes == 1  # the others just get v1
    cache.put("k", "v2", 10)
    assert cache.lookup("k") == ("v2", False)
    clock.now += 61
    assert cache.lookup("k") == (None, False)  # expired: nobody gets it


def test_a_value_made_before_a_catalogue_commit_is_not_stored(clock: Clock) -> None:
    cache: TtlCache[str] = TtlCache()
    made_in = search_cache.generation()
    search_cache.invalidate()  # a commit arrived while the value was being made
    cache.put("k", "old", 10, made_in=made_in)
    assert cache.get("k") is None
    cache.put("k", "new", 10, made_in=search_cache.generation())
    assert cache.get("k") == "new"


async def test_an_ageing_page_and_api_body_are_answered_at_once_and_renewed_after_the_answer(client, cat) -> None:
    page_url = _url(cat, profiel=2)
    api_url = _url(cat, "/api/v1/catalogue/providers", profile=2, region=cat.region.slug)
    assert "Het Anker" in (await client.get(page_url)).text and "Het Anker" in (await client.get(api_url)).text
    async with cat.region.maker() as s:  # renamed as another worker would: this process's cache is not told
        conn = await s.connection()
        await conn.execute(update(Listing).where(Listing.id == cat.ids["Gezinsbegeleiding Het Anker"])
                           .values(name="Elders Hernoemd"))  # fmt: skip
        await s.commit()
    generation = search_cache.generation()
    assert (await client.get(page_url)).text.count("Elders Hernoemd") == 0  # young entries: still the old page
    for cache in (search.PAGES, search.API_BODIES):  # every entry is ageing from now on (its renewal time passed)
        for k, (expires, gen, size, value, _renew) in list(cache._entries.items()):
            cache._entries[k] = (expires, gen, size, value, 0.0)
    refreshes = search.PAGES.refreshes + search.API_BODIES.refreshes
    aged_page, aged_api = await client.get(page_url), await client.get(api_url)
    assert aged_page.status_code == aged_api.status_code == 200
    assert "Het Anker" in aged_page.text and "Het Anker" in aged_api.text  # answered at once from the cache
    assert search.PAGES.refreshes + search.API_BODIES.refreshes == refreshes + 2
    assert search_cache._BACKGROUND  # the new page and body are being made
    await asyncio.gather(*list(search_cache._BACKGROUND))
    assert search_cache.generation() == generation
    renewed_page, renewed_api = await client.get(page_url), await client.get(api_url)
    assert "Elders Hernoemd" in renewed_page.text and "Het Anker" not in renewed_page.text
    assert "Elders Hernoemd" in renewed_api.text


def test_the_page_and_body_caches_share_the_configured_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    for cache in (search.PAGES, search.API_BODIES):
        monkeypatch.setattr(cache, "max_bytes", cache.max_bytes)  # restored afterwards
    search.size_caches(64)
    assert search.PAGES.max_bytes == 48 * 1024 * 1024 and search.API_BODIES.max_bytes == 16 * 1024 * 1024


# ---- other processes: LISTEN/NOTIFY -------------------------------------------------------------------------


async def test_a_catalogue_commit_notifies_every_process_and_a_rollback_does_not(cat, engine) -> None:
    heard: list[str] = []
    async with engine.connect() as conn:  # another process's listening connection
        driver = (await conn.get_raw_connection()).driver_connection
        await driver.add_listener(search_cache.CHANNEL, lambda *args: heard.append(args[2]))
        async with cat.region.maker() as s:
            await s.execute(update(Listing).where(Listing.id == cat.ids["Jeugdhulp De Linde"]).values(name="Weg"))
            await s.rollback()
        await driver.fetchval("SELECT 1")
        assert heard == []
        async with cat.region.maker() as s:
            await s.execute(update(Listing).where(Listing.id == cat.ids["Jeugdhulp De Linde"]).values(name="Nieuw"))
            await s.commit()
        for _ in range(50):
            if heard:
                break
            await asyncio.sleep(0.02)
        assert heard == [search_cache.CHANNEL]


async def test_a_listening_process_forgets_its_cache_when_another_commits(engine, monkeypatch) -> None:
    monkeypatch.setattr(search_cache, "LISTEN_CHECK_SECONDS", 0.2)
    stop = asyncio.Event()
    assert search_cache.lifetime() == search_cache.SECONDS
    listener = asyncio.create_task(search_cache.listen_for_changes(engine, stop))
    try:
        for _ in range(100):
            if search_cache._listening:
                break
            await asyncio.sleep(0.02)
        assert search_cache.lifetime() == search_cache.LISTENED_SECONDS  # commits reach us: entries may live long
        cache: TtlCache[str] = TtlCache()
        cache.put("k", "v", 10)
        generation = search_cache.generation()
        async with engine.connect() as conn:  # another process's commit
            driver = (await conn.get_raw_connection()).driver_connection
            await driver.execute(f"NOTIFY {search_cache.CHANNEL}")
        for _ in range(100):
            if search_cache.generation() != generation:
                break
            await asyncio.sleep(0.02)
        assert search_cache.generation() > generation and cache.get("k") is None
    finally:
        stop.set()
        await listener
    assert search_cache.lifetime() == search_cache.SECONDS  # no longer listening: short lives again


async def test_without_a_connection_entries_live_short_and_listening_keeps_trying(monkeypatch) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    monkeypatch.setattr(search_cache, "LISTEN_CHECK_SECONDS", 0.1)
    broken = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")  # nothing listens there
    stop = asyncio.Event()
    listener = asyncio.create_task(search_cache.listen_for_changes(broken, stop))
    await asyncio.sleep(0.5)
    assert not listener.done() and search_cache.lifetime() == search_cache.SECONDS
    stop.set()
    await asyncio.wait_for(listener, 5)
    await broken.dispose()


def test_an_entry_made_while_listening_lives_long_and_is_renewed_in_its_last_quarter(
    clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_cache, "_listening", True)
    cache: TtlCache[str] = TtlCache(refresh_after=True)
    cache.put("k", "v", 10)
    clock.now += search_cache.LISTENED_SECONDS * 0.75 - 1
    assert cache.lookup("k") == ("v", False)
    clock.now += 2
    assert cache.lookup("k") == ("v", True)
    clock.now += search_cache.LISTENED_SECONDS * 0.25
    assert cache.lookup("k") == (None, False)
