"""The public rating page in a real browser: a parent opens the link, answers with the labels (no JavaScript
needed), sees the thank-you page; axe-core finds nothing serious or critical on the form, on the form with errors
and on the 410 page."""

from __future__ import annotations

from typing import Any

import pytest

from jeugdregio.clock import utcnow
from tests.e2e.conftest import browser, chromium_path, live_server, page  # noqa: F401  (fixtures)
from tests.e2e.test_catalogue_browser import _axe_problems
from tests.quality.rating_world import prepared
from tests.support.browser import submit

pytestmark = pytest.mark.browser


async def test_a_parent_rates_the_help_and_axe_finds_nothing_serious(page: Any, live_server: str, regions) -> None:  # noqa: F811
    region = await regions.create()
    _rw, tokens = await prepared(region, n=1, now=utcnow())
    await page.goto(f"{live_server}/beoordelen/{tokens[0]}")
    assert await page.locator("h1").inner_text() == "Wat vond u van de hulp?"
    assert await _axe_problems(page) == []
    await submit(page, page.get_by_role("button", name="Versturen"))  # nothing chosen: the form comes back
    assert "Er is een probleem" in await page.content()
    assert await _axe_problems(page) == []
    await page.get_by_label("8", exact=True).check()
    await page.get_by_label("Nu niet, misschien later").check()
    await page.get_by_label("Wilt u nog iets vertellen? (niet verplicht)").fill("Fijne hulp.")
    await submit(page, page.get_by_role("button", name="Versturen"))
    assert await page.locator("h1").inner_text() == "Dank u wel!"
    await page.goto(f"{live_server}/beoordelen/{tokens[0]}")
    assert await page.locator("h1").inner_text() == "Deze link werkt niet meer"
    assert await _axe_problems(page) == []
