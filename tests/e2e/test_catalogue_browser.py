"""The public catalogue in a real browser: a parent searches by profile and municipality and opens a provider
page; axe-core (bundled by axe-playwright-python, no network) finds no serious or critical violations on the
home page, the results, a provider page and the profile guide."""

from __future__ import annotations

from typing import Any

import pytest

from jeugdregio.clock import today
from tests.support.browser import submit
from tests.support.search_factories import ListingSpec, build_catalogue

pytestmark = pytest.mark.browser

SPECS = [
    ListingSpec("Jeugdhulp De Linde", city="Roosendaal", profiles=(1, 2), served=(0, 1), located_in=0,
                waits={1: (4, 3), 2: (10, 45)}, languages=("Nederlands", "Arabisch"), target_groups=("0-12 jaar",),
                description="Hulp bij ruzie tussen ouders na een scheiding."),
    ListingSpec("Gezinsbegeleiding Het Anker", city="Etten-Leur", profiles=(2,), settings=("AMB", "DAG"), served=(1,),
                waits={2: (2, 3)}, identity="Reformatorisch", languages=("Nederlands",)),
    ListingSpec("Zorgboerderij De Klaver", city="Zundert", profiles=(2, 3), served=(2,), waits={2: (1, 3)}),
    ListingSpec("Geschorst Gezinshuis", status="suspended", profiles=(2,), served=(1,), waits={2: (0, 1)}),
]  # fmt: skip


async def _axe_problems(page: Any) -> list[str]:
    from axe_playwright_python.async_playwright import Axe

    results = await Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} – {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]


async def test_parent_searches_by_profile_and_municipality_and_axe_finds_nothing_serious(
    page, live_server, regions
) -> None:
    region = await regions.create()
    async with region.maker() as s:
        cat = await build_catalogue(s, region, SPECS, today=today())
        await s.commit()
    second = region.municipality_ids[1]

    await page.goto(f"{live_server}/catalogus?regio={region.slug}")
    await page.get_by_label("Profiel", exact=True).select_option("2")
    await page.get_by_label("Gemeente").select_option(str(second))
    await page.get_by_label("Sorteren op").select_option("wachttijd")
    await submit(page, page.get_by_role("button", name="Zoeken"))
    assert "profiel=2" in page.url and f"gemeente={second}" in page.url  # the search can be shared
    names = await page.locator(".cat-hit h3").all_inner_texts()
    assert names == ["Gezinsbegeleiding Het Anker", "Jeugdhulp De Linde"]  # shortest waiting time first
    results_url = page.url
    assert "niet recent bevestigd" in await page.locator(".cat-hit").nth(1).inner_text()

    await submit(page, page.get_by_role("link", name="Jeugdhulp De Linde"))
    assert await page.get_by_role("heading", level=1).inner_text() == "Jeugdhulp De Linde"
    assert await page.get_by_role("heading", name="Kwaliteit").is_visible()
    assert "Nog geen kwaliteitscijfers beschikbaar" in await page.content()
    provider_url = page.url
    assert provider_url.endswith(f"/catalogus/aanbieders/{cat.ids['Jeugdhulp De Linde']}?regio={region.slug}")

    problems: dict[str, list[str]] = {}
    for url in (f"{live_server}/", results_url, provider_url, f"{live_server}/catalogus/profielen?regio={region.slug}",
                f"{live_server}/catalogus/vergelijk?regio={region.slug}&id={cat.ids['Jeugdhulp De Linde']}"
                f"&id={cat.ids['Gezinsbegeleiding Het Anker']}"):  # fmt: skip
        await page.goto(url)
        found = await _axe_problems(page)
        if found:
            problems[url] = found
    assert not problems, problems


async def test_compare_without_javascript(browser, live_server, regions) -> None:
    region = await regions.create()
    async with region.maker() as s:
        await build_catalogue(s, region, SPECS, today=today())
        await s.commit()
    context = await browser.new_context(locale="nl-NL", java_script_enabled=False)
    page = await context.new_page()
    try:
        await page.goto(f"{live_server}/catalogus?regio={region.slug}&profiel=2")
        await page.get_by_label("Vergelijk Jeugdhulp De Linde").check()
        await page.get_by_label("Vergelijk Zorgboerderij De Klaver").check()
        await submit(page, page.get_by_role("button", name="Vergelijk gekozen aanbieders"))
        assert "/catalogus/vergelijk" in page.url
        headers = await page.locator(".cat-compare-table thead th").all_inner_texts()
        assert headers == ["Jeugdhulp De Linde", "Zorgboerderij De Klaver"]
    finally:
        await context.close()
