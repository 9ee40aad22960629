"""A person logs in with Chromium: the session cookie (Secure, HttpOnly) works on loopback."""

from __future__ import annotations

import pytest

from tests.support.browser import submit
from tests.support.factories import PASSWORD

pytestmark = pytest.mark.browser


async def test_team_member_logs_in_and_out(page, live_server, regions) -> None:
    region = await regions.create()
    email = await region.user("team_admin")
    await page.goto(f"{live_server}/inloggen")
    await page.get_by_label("E-mailadres").fill(email)
    await page.get_by_label("Wachtwoord").fill("niet-het-goede-wachtwoord")
    await submit(page, page.get_by_role("button", name="Inloggen"))
    assert await page.get_by_text("Het e-mailadres of wachtwoord klopt niet.").first.is_visible()
    await page.get_by_label("Wachtwoord").fill(PASSWORD)
    await page.get_by_role("button", name="Inloggen").click()
    await page.wait_for_url(f"{live_server}/team**")
    await page.goto(f"{live_server}/account")
    assert email in await page.content()
    await submit(page, page.get_by_role("button", name="Uitloggen"))
    await page.goto(f"{live_server}/account")
    assert "/inloggen" in page.url
