"""Browser-test helpers shared by the Playwright tests.

A bare ``click()`` on a submit button or link returns once the click is dispatched, before the browser has
started the navigation; ``wait_for_load_state()`` right after it can resolve on the *old* page, and reading the
page then reads the page that was just left. :func:`submit` waits for the navigation the click starts.
"""

from __future__ import annotations

from typing import Any

from tests.support.factories import PASSWORD


async def submit(page: Any, target: Any) -> None:
    """Click ``target`` (a submit button or a link) and return once the page it leads to has loaded."""
    async with page.expect_navigation():
        await target.click()


async def login(page: Any, base: str, email: str, password: str = PASSWORD) -> None:
    await page.goto(f"{base}/inloggen")
    await page.get_by_label("E-mailadres").fill(email)
    await page.get_by_label("Wachtwoord").fill(password)
    await submit(page, page.get_by_role("button", name="Inloggen"))
