"""Finance pages: /team/afrekening (runs, start a month, detail) and /team/grootboek (filters, reversal). Finance
only; another region's run is 404."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from contracts.models import Provider
from invoicing.models import LedgerEntry
from tests.invoicing.test_settlement import seed
from tests.support.factories import csrf, login

ROLES = ["team_admin", "team_contracts", "team_finance", "team_quality", "municipality", "referrer", "provider"]
FINANCE = ("team_admin", "team_finance")


@pytest.mark.parametrize("role", ROLES)
async def test_only_finance_reaches_settlement_and_ledger(client, regions, role) -> None:
    region = await regions.create()
    data = await seed(region)
    email = await region.user(role, **({"provider_id": data.world.provider_id} if role == "provider" else {}))
    await login(client, email)
    for path in ("/team/afrekening", "/team/grootboek"):
        r = await client.get(path)
        assert r.status_code == (200 if role in FINANCE else 403), (role, path)
    token = await csrf(client, "/account")
    r = await client.post("/team/afrekening", data={"_csrf_token": token, "periode": "2026-02"})
    assert r.status_code == (303 if role in FINANCE else 403)


async def test_finance_settles_a_month_sees_totals_and_reverses_an_entry(client, regions) -> None:
    region, other = await regions.create(), await regions.create()
    data = await seed(region)
    await login(client, await region.user("team_finance"))
    token = await csrf(client, "/team/afrekening")
    bad = await client.post("/team/afrekening", data={"_csrf_token": token, "periode": "februari"})
    assert bad.status_code == 422 and "JJJJ-MM" in bad.text
    future = await client.post("/team/afrekening", data={"_csrf_token": token, "periode": "2999-01"})
    assert future.status_code == 422
    r = await client.post("/team/afrekening", data={"_csrf_token": token, "periode": "2026-02"})
    assert r.status_code == 303
    detail = await client.get(r.headers["location"])
    assert detail.status_code == 200 and "Klaar" in detail.text and "Gemeente" in detail.text
    assert "Tweede 50 % (resultaat)" in detail.text
    async with region.maker() as s:
        name_q = select(Provider.name).where(Provider.id == data.world.provider_id)
        provider_name = (await s.execute(name_q)).scalar_one()
    assert provider_name in detail.text  # totals per provider, by name
    again = await client.post("/team/afrekening", data={"_csrf_token": token, "periode": "2026-02"})
    assert again.status_code == 303 and again.headers["location"] == r.headers["location"]
    listing = await client.get("/team/afrekening")
    assert "02-2026" in listing.text
    ledger = await client.get("/team/grootboek?soort=month&periode=2026-02")
    assert ledger.status_code == 200 and "month:" in ledger.text
    assert (await client.get("/team/grootboek?periode=feb")).status_code == 422
    async with region.maker() as s:
        entry_id = (await s.execute(select(LedgerEntry.id).where(LedgerEntry.region_id == region.id)
                                    .limit(1))).scalar_one()  # fmt: skip
    no_reason = await client.post("/team/grootboek/terugdraaien", data={"_csrf_token": token, "boeking": entry_id})
    assert no_reason.status_code == 422 and "Reden" in no_reason.text
    ok = await client.post("/team/grootboek/terugdraaien",
                           data={"_csrf_token": token, "boeking": entry_id, "reden": "Dubbel betaald"})  # fmt: skip
    assert ok.status_code == 303
    twice = await client.post("/team/grootboek/terugdraaien",
                              data={"_csrf_token": token, "boeking": entry_id, "reden": "Nog eens"})  # fmt: skip
    assert twice.status_code == 409 and "al teruggedraaid" in twice.text
    # another region's entry and run: 404
    await seed(other)
    async with other.maker() as s:
        from invoicing.services.settlement import run_settlement
        from tests.support.invoicing_factories import at, finance_actor

        result = await run_settlement(other.maker, region_id=other.id, period=at(2026, 2, 1).date(),
                                      actor=finance_actor(other.id), now=at(2026, 3, 5))  # fmt: skip
        foreign_entry = (await s.execute(select(LedgerEntry.id).where(LedgerEntry.region_id == other.id)
                                         .limit(1))).scalar_one()  # fmt: skip
    assert (await client.get(f"/team/afrekening/{result.run_id}")).status_code == 404
    r = await client.post("/team/grootboek/terugdraaien",
                          data={"_csrf_token": token, "boeking": foreign_entry, "reden": "x"})  # fmt: skip
    assert r.status_code == 404
