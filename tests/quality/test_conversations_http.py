"""Contract-conversation pages over HTTP: roles, the provider's own conversations only (another's → 404), the pack
download, notes and actions through the forms (422 with a Dutch message on bad input, 403 without CSRF)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx
import pytest
from sqlalchemy import func, insert, select

from quality.models import ContractConversation, ConversationAction
from tests.support.factories import RegionFactory, csrf, login
from tests.support.invoicing_factories import InvoicingWorld, invoicing_committed

NOW = datetime(2026, 5, 10, 8, 0, tzinfo=UTC)
TEAM = ("team_admin", "team_contracts", "team_quality")
ROLES = ["team_admin", "team_contracts", "team_finance", "team_quality", "municipality", "referrer", "provider"]


async def _conversation(world: InvoicingWorld, provider_id: int, label: str = "2026-K1") -> int:
    t = ContractConversation.__table__  # type: ignore[attr-defined]
    async with world.region.maker() as s:
        cid = (await s.execute(insert(t).values(
            region_id=world.region.id, provider_id=provider_id, frequency="quarter", period_label=label,
            period_start=date(2026, 1, 1), period_end=date(2026, 3, 31), planned_on=date(2026, 4, 21),
            status="planned", created_at=NOW, updated_at=NOW,
        ).returning(t.c.id))).scalar_one()  # fmt: skip
        await s.commit()
    return int(cid)


async def _action(world: InvoicingWorld, conversation_id: int, provider_id: int, owner_side: str, text: str) -> int:
    t = ConversationAction.__table__  # type: ignore[attr-defined]
    async with world.region.maker() as s:
        aid = (await s.execute(insert(t).values(
            region_id=world.region.id, conversation_id=conversation_id, provider_id=provider_id, description=text,
            owner_side=owner_side, owner_name="Jan", due_on=date(2026, 6, 1), status="open", status_note="",
            created_at=NOW, updated_at=NOW,
        ).returning(t.c.id))).scalar_one()  # fmt: skip
        await s.commit()
    return int(aid)


@pytest.fixture
async def world(regions: RegionFactory) -> InvoicingWorld:
    region = await regions.create()
    return await invoicing_committed(region, users=True)


@pytest.mark.parametrize("role", ROLES)
async def test_the_schedule_page_by_role(client: httpx.AsyncClient, world: InvoicingWorld, role: str) -> None:
    await _conversation(world, world.provider_id)
    await login(client, world.users[role])
    r = await client.get("/team/contractgesprekken")
    assert r.status_code == (200 if role in TEAM else 403)
    if role in TEAM:
        assert "Zorg Een" in r.text and "2026-K1" in r.text


async def test_anonymous_is_sent_to_the_login_page(client: httpx.AsyncClient, world: InvoicingWorld) -> None:
    cid = await _conversation(world, world.provider_id)
    for path in ("/team/contractgesprekken", f"/team/contractgesprekken/{cid}", "/portaal/contractgesprekken"):
        r = await client.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/inloggen"), path


async def test_filters_and_a_bad_filter(client: httpx.AsyncClient, world: InvoicingWorld) -> None:
    await _conversation(world, world.provider_id)
    await _conversation(world, world.other_provider_id)
    await login(client, world.users["team_quality"])
    r = await client.get("/team/contractgesprekken", params={"provider_id": str(world.other_provider_id)})
    assert r.status_code == 200
    rows = r.text.split("<tbody>")[1]
    assert "Zorg Twee" in rows and "Zorg Een" not in rows
    bad = await client.get("/team/contractgesprekken", params={"status": "verzonnen"})
    assert bad.status_code == 422 and "Kies een bestaande status." in bad.text


async def test_team_writes_notes_and_actions_and_downloads_the_pack(
    client: httpx.AsyncClient, world: InvoicingWorld
) -> None:
    cid = await _conversation(world, world.provider_id)
    await login(client, world.users["team_contracts"])
    page = await client.get(f"/team/contractgesprekken/{cid}")
    assert page.status_code == 200 and "Zorg Een" in page.text
    token = await csrf(client, f"/team/contractgesprekken/{cid}")

    added = await client.post(f"/team/contractgesprekken/{cid}/acties", data={
        "omschrijving": "Wachttijden per profiel aanleveren", "eigenaar": "provider", "naam": "Jan Jansen",
        "deadline": "2026-06-01", "_csrf_token": token,
    })  # fmt: skip
    assert added.status_code == 303
    bad = await client.post(f"/team/contractgesprekken/{cid}/acties", data={
        "omschrijving": "", "eigenaar": "provider", "naam": "Jan", "deadline": "1 juni", "_csrf_token": token,
    })  # fmt: skip
    assert bad.status_code == 422
    assert "Beschrijf de actie." in bad.text and "De deadline is geen geldige datum" in bad.text
    no_csrf = await client.post(f"/team/contractgesprekken/{cid}/acties", data={"omschrijving": "x"})
    assert no_csrf.status_code == 403
    held = await client.post(f"/team/contractgesprekken/{cid}/verslag", data={
        "uitkomst": "held", "gehouden_op": "2026-04-21", "verslag": "Wachttijden besproken.", "_csrf_token": token,
    })  # fmt: skip
    assert held.status_code == 303
    page = await client.get(f"/team/contractgesprekken/{cid}")
    assert "Wachttijden per profiel aanleveren" in page.text and "Gehouden" in page.text

    pdf = await client.get(f"/team/contractgesprekken/{cid}/gesprekspakket.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    async with world.region.maker() as s:
        n = (await s.execute(select(func.count()).select_from(ConversationAction)
                             .where(ConversationAction.conversation_id == cid))).scalar_one()  # type: ignore[arg-type]  # fmt: skip
    assert n == 1


async def test_planning_now_creates_the_schedule_once(client: httpx.AsyncClient, world: InvoicingWorld) -> None:
    await login(client, world.users["team_admin"])
    token = await csrf(client, "/team/contractgesprekken")
    first = await client.post("/team/contractgesprekken/plannen", data={"_csrf_token": token})
    again = await client.post("/team/contractgesprekken/plannen", data={"_csrf_token": token})
    assert first.status_code == again.status_code == 303
    async with world.region.maker() as s:
        n = (await s.execute(select(func.count()).select_from(ContractConversation)
                             .where(ContractConversation.region_id == world.region.id))).scalar_one()  # type: ignore[arg-type]  # fmt: skip
    assert n == 2  # one per provider; the second click created nothing


async def test_a_provider_sees_only_its_own_conversations(client: httpx.AsyncClient, world: InvoicingWorld) -> None:
    mine = await _conversation(world, world.provider_id, "2026-K1")
    theirs = await _conversation(world, world.other_provider_id, "2025-K4")
    own_action = await _action(world, mine, world.provider_id, "provider", "Rapportage aanleveren")
    team_action = await _action(world, mine, world.provider_id, "team", "Tarief bespreken")
    their_action = await _action(world, theirs, world.other_provider_id, "provider", "Iets van een ander")
    await login(client, world.users["provider"])

    listing = await client.get("/portaal/contractgesprekken")
    assert listing.status_code == 200
    assert f"/portaal/contractgesprekken/{mine}" in listing.text
    assert f"/portaal/contractgesprekken/{theirs}" not in listing.text
    assert (await client.get(f"/portaal/contractgesprekken/{mine}")).status_code == 200
    assert (await client.get(f"/portaal/contractgesprekken/{theirs}")).status_code == 404
    assert (await client.get(f"/portaal/contractgesprekken/{theirs}/gesprekspakket.pdf")).status_code == 404
    own_pdf = await client.get(f"/portaal/contractgesprekken/{mine}/gesprekspakket.pdf")
    assert own_pdf.status_code == 200 and own_pdf.content.startswith(b"%PDF")
    assert (await client.get(f"/team/contractgesprekken/{mine}")).status_code == 403

    token = await csrf(client, f"/portaal/contractgesprekken/{mine}")
    ok = await client.post(f"/portaal/contractgesprekken/{mine}/actie-status",
                           data={"actie": str(own_action), "status": "done", "_csrf_token": token})  # fmt: skip
    assert ok.status_code == 303
    refused = [
        await client.post(f"/portaal/contractgesprekken/{mine}/actie-status",
                          data={"actie": str(team_action), "status": "done", "_csrf_token": token}),
        await client.post(f"/portaal/contractgesprekken/{theirs}/actie-status",
                          data={"actie": str(their_action), "status": "done", "_csrf_token": token}),
        await client.post(f"/portaal/contractgesprekken/{mine}/actie-status",
                          data={"actie": str(their_action), "status": "done", "_csrf_token": token}),
    ]  # fmt: skip
    assert [r.status_code for r in refused] == [404, 404, 404]
    async with world.region.maker() as s:
        statuses = dict((await s.execute(select(ConversationAction.id, ConversationAction.status)
                                         .where(ConversationAction.region_id == world.region.id))).all())  # type: ignore[arg-type]  # fmt: skip
    assert statuses == {own_action: "done", team_action: "open", their_action: "open"}


async def test_another_regions_conversation_is_404_for_the_team(
    client: httpx.AsyncClient, world: InvoicingWorld, regions: RegionFactory
) -> None:
    other = await invoicing_committed(await regions.create())
    foreign = await _conversation(other, other.provider_id)
    await login(client, world.users["team_admin"])
    assert (await client.get(f"/team/contractgesprekken/{foreign}")).status_code == 404
    assert (await client.get(f"/team/contractgesprekken/{foreign}/gesprekspakket.pdf")).status_code == 404
    token = await csrf(client, "/team/contractgesprekken")
    r = await client.post(f"/team/contractgesprekken/{foreign}/acties", data={
        "omschrijving": "x", "eigenaar": "team", "naam": "x", "deadline": "2026-06-01", "_csrf_token": token,
    })  # fmt: skip
    assert r.status_code == 404


async def test_the_region_settings_form(client: httpx.AsyncClient, world: InvoicingWorld) -> None:
    await login(client, world.users["team_contracts"])
    token = await csrf(client, "/team/contractgesprekken")
    bad = await client.post("/team/contractgesprekken/instellingen", data={
        "hoogcomplex": "maandelijks", "overig": "year", "dagen_na_periode": "400", "weken_vroeg": "8",
        "_csrf_token": token,
    })  # fmt: skip
    assert bad.status_code == 422
    assert "Kies per kwartaal, per half jaar of per jaar." in bad.text and "van 0 tot en met 90" in bad.text
    ok = await client.post("/team/contractgesprekken/instellingen", data={
        "hoogcomplex": "quarter", "overig": "half_year", "dagen_na_periode": "14", "weken_vroeg": "6",
        "_csrf_token": token,
    })  # fmt: skip
    assert ok.status_code == 303
    plan = await client.post("/team/contractgesprekken/plannen", data={"_csrf_token": token})
    assert plan.status_code == 303
    async with world.region.maker() as s:
        labels = (await s.execute(select(ContractConversation.period_label)
                                  .where(ContractConversation.region_id == world.region.id))).scalars().all()  # type: ignore[arg-type]  # fmt: skip
    assert len(labels) == 2 and all("-H" in label for label in labels)  # half-yearly now
    await login(client, world.users["team_quality"])  # may read the schedule, not change the settings
    token = await csrf(client, "/account")
    refused = await client.post("/team/contractgesprekken/instellingen", data={"_csrf_token": token})
    assert refused.status_code == 403
