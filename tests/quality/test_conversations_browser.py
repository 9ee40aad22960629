"""Contract conversations in Chromium: the team records an action on a provider's conversation with the form (by
label, no JavaScript), the provider marks it done on its portal page; no CSP violations (the `page` fixture)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import browser, chromium_path, live_server, page  # noqa: F401  (fixtures)
from tests.quality.test_conversations_http import _conversation
from tests.support.browser import login, submit
from tests.support.factories import RegionFactory
from tests.support.invoicing_factories import invoicing_committed

pytestmark = pytest.mark.browser


async def test_team_agrees_an_action_and_the_provider_completes_it(
    page: Any, live_server: str, regions: RegionFactory  # noqa: F811
) -> None:
    world = await invoicing_committed(await regions.create(), users=True)
    cid = await _conversation(world, world.provider_id)

    await login(page, live_server, world.users["team_contracts"])
    await page.goto(f"{live_server}/team/contractgesprekken")
    await submit(page, page.get_by_role("link", name="Zorg Een"))
    await page.wait_for_url(f"{live_server}/team/contractgesprekken/{cid}")
    await page.get_by_label("Omschrijving van de actie").fill("Wachttijden per profiel aanleveren")
    await page.get_by_label("Wie voert de actie uit?").select_option("provider")
    await page.get_by_label("Naam van de uitvoerder").fill("Jan Jansen")
    await page.get_by_label("Deadline").fill("2026-06-01")
    await submit(page, page.get_by_role("button", name="Actie vastleggen"))
    assert await page.get_by_text("De actie is vastgelegd.").is_visible()
    assert await page.get_by_role("cell", name="Wachttijden per profiel aanleveren").is_visible()

    await page.context.clear_cookies()
    await login(page, live_server, world.users["provider"])
    await page.goto(f"{live_server}/portaal/contractgesprekken")
    await submit(page, page.get_by_role("link", name="2026-K1"))
    await page.get_by_label("Status van de actie").select_option("done")
    await page.get_by_label("Toelichting").fill("Aangeleverd")
    await submit(page, page.get_by_role("button", name="Opslaan"))
    assert await page.get_by_text("De status van de actie is bijgewerkt.").is_visible()
    assert await page.get_by_text("Afgerond").first.is_visible()
