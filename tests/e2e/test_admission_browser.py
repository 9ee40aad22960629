"""The admission walk in a real browser: a provider applies with evidence → the team reviews and admits →
the decision letter downloads → the provider logs in and sees its framework contract."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from jeugdregio.clock import today
from tests.support.browser import login, submit

pytestmark = pytest.mark.browser

TINY_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ORG = "Gezinsbegeleiding De Browsertest"


async def test_apply_review_admit_letter_and_contract(browser, live_server, regions) -> None:
    region = await regions.create()
    team_email = await region.user("team_contracts")
    applicant_email = f"directie-{region.slug}@browsertest.example"
    applicant_password = "aanvraag-wachtwoord-1"

    # 1. the provider applies, with evidence for every requirement
    applicant = await (await browser.new_context(locale="nl-NL")).new_page()
    await applicant.goto(f"{live_server}/aanmelden?regio={region.slug}")
    await applicant.get_by_label("Naam van de organisatie").fill(ORG)
    await applicant.get_by_label("KvK-nummer").fill("61234567")
    await applicant.get_by_label("AGB-code").fill("98123456")
    await applicant.get_by_label("Straat en huisnummer").fill("Molenstraat 12")
    await applicant.get_by_label("Postcode").fill("4701ab")
    await applicant.get_by_label("Plaats").fill("Roosendaal")
    await applicant.locator("#f-contact_name").fill("Dana Directeur")
    await applicant.locator("#f-contact_email").fill(applicant_email)
    await applicant.get_by_label("Uw visie op zorg").fill("Systemisch werken, dicht bij huis.")
    await applicant.locator("input[name=profile_ids]").first.check()
    await applicant.locator("input[name=municipality_ids]").first.check()
    files = applicant.locator("input[type=file]")
    for i in range(await files.count()):
        await files.nth(i).set_input_files(
            files=[{"name": f"bewijs-{i}.pdf", "mimeType": "application/pdf", "buffer": TINY_PDF}]
        )
    await applicant.locator("#f-password").fill(applicant_password)
    await applicant.locator("#f-password_confirm").fill(applicant_password)
    await applicant.get_by_role("button", name="Aanmelding versturen").click()
    await applicant.wait_for_url(f"{live_server}/mijn-aanmelding**")
    assert "Ingediend" in await applicant.content()

    # 2. the team reviews every requirement, records the intake and admits
    team = await (await browser.new_context(locale="nl-NL", accept_downloads=True)).new_page()
    await login(team, live_server, team_email)
    await team.goto(f"{live_server}/team/aanmeldingen")
    await submit(team, team.get_by_role("row", name=ORG).get_by_role("link").first)
    await submit(team, team.get_by_role("button", name="In behandeling nemen"))
    radios = team.locator("input[type=radio][value=pass]")
    for i in range(await radios.count()):
        await radios.nth(i).check()
    await submit(team, team.get_by_role("button", name="Beoordeling opslaan"))
    await team.locator("#f-held_on").fill(today().isoformat())
    await team.locator("#f-participants").fill("Karim (regioteam), Dana (directeur)")
    await submit(team, team.get_by_role("button", name="Intakegesprek vastleggen"))
    await team.locator("input[name=decision][value=admit]").check()
    await team.locator("#f-starts_on").fill(today().isoformat())
    await team.locator("#f-reason").fill("Voldoet aan alle eisen; visie past bij de regio.")
    await submit(team, team.get_by_role("button", name="Besluit vastleggen"))
    assert "Toegelaten" in await team.content()

    # 3. the decision letter downloads as a real PDF naming the provider and the decision
    async with team.expect_download() as info:
        await team.locator("a[href$='besluit.pdf']").first.click()
    download = await info.value
    pdf = await download.path()
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(open(pdf, "rb").read())).pages)  # noqa: ASYNC230
    assert ORG in text
    assert "toegelaten" in text.lower()

    # 4. the provider logs in (fresh browser) and sees its framework contract
    provider = await (await browser.new_context(locale="nl-NL")).new_page()
    await login(provider, live_server, applicant_email, applicant_password)
    await provider.goto(f"{live_server}/portaal")
    content = await provider.content()
    assert ORG in content
    assert "RO-" in content  # the contract number
    assert "volume" in content.lower()  # no volume guarantee, stated on the page
