"""Family plans and arrangements over HTTP: pages and API, BSN visibility, audit of every plan read."""

from __future__ import annotations

from sqlalchemy import func, select

from contracts.models import Arrangement, FamilyPlan
from jeugdregio.clock import today, utcnow
from jeugdregio.tables import AuditEvent
from tests.contracts.test_register_api import bearer
from tests.support.arrangement_factories import VALID_BSN, make_arrangement, make_plan, result_type_id
from tests.support.factories import api_headers, csrf, csrf_from, login
from tests.support.world import build_world


async def _world(regions):  # type: ignore[no-untyped-def]
    region = await regions.create()
    world = await build_world(region, catalogue=True)
    return region, world


async def _plan_reads(region, plan_id: int) -> int:  # type: ignore[no-untyped-def]
    async with region.maker() as s:
        return int((await s.execute(select(func.count()).where(
            AuditEvent.region_id == region.id, AuditEvent.object_type == "family_plan",
            AuditEvent.object_id == str(plan_id), AuditEvent.action == "view"))).scalar_one())  # fmt: skip


async def test_referrer_creates_a_plan_and_invalid_bsn_is_named(client, regions) -> None:
    region, world = await _world(regions)
    await login(client, world.users["referrer"])
    token = await csrf(client, "/verwijzer/gezinsplannen/nieuw")
    form = {"_csrf_token": token, "bsn": "123456789", "youth_name": "Sam de Vries", "birth_date": "2015-04-01",
            "residence_basis": "registered_address", "municipality_id": str(region.municipality_ids[1]),
            "referrer_type": "02", "profile_id": str(region.profile_ids[1]),
            "goals": "Naar school\nVrienden"}  # fmt: skip
    bad = await client.post("/verwijzer/gezinsplannen/nieuw", data=form)
    assert bad.status_code == 422
    assert "Het BSN is niet geldig" in bad.text and 'id="f-gp-bsn"' in bad.text
    form["bsn"] = VALID_BSN
    form["_csrf_token"] = csrf_from(bad.text)
    ok = await client.post("/verwijzer/gezinsplannen/nieuw", data=form)
    assert ok.status_code == 303, ok.text[:300]
    location = ok.headers["location"]
    assert VALID_BSN not in location
    page = await client.get(location)
    assert page.status_code == 200 and VALID_BSN in page.text and "Vrienden" in page.text
    async with region.maker() as s:
        plan = await s.get(FamilyPlan, int(location.rsplit("/", 1)[1]))
        assert plan is not None and plan.region_id == region.id
        assert plan.paying_municipality_id == region.municipality_ids[1] and plan.reference.startswith("GP-")
    home = await client.get("/verwijzer")
    assert home.status_code == 200 and plan.reference in home.text and VALID_BSN not in home.text


async def test_bsn_only_for_owner_and_team_admin_and_every_read_is_audited(client, new_client, regions) -> None:
    region, world = await _world(regions)
    plan_id = await make_plan(region, world)
    aid = await make_arrangement(region, world, plan_id, status="agreed")
    other_referrer = await region.user("referrer")

    async def page_as(email: str, path: str):  # type: ignore[no-untyped-def]
        c = new_client()
        await login(c, email)
        return await c.get(path)

    reads = await _plan_reads(region, plan_id)
    own = await page_as(world.users["referrer"], f"/verwijzer/gezinsplannen/{plan_id}")
    assert own.status_code == 200 and VALID_BSN in own.text
    admin = await page_as(world.users["team_admin"], f"/team/gezinsplannen/{plan_id}")
    assert admin.status_code == 200 and VALID_BSN in admin.text
    provider = await page_as(world.users["provider"], f"/portaal/gezinsplannen/{plan_id}")
    assert provider.status_code == 200 and VALID_BSN not in provider.text and "de Vries" not in provider.text
    assert "Sam" in provider.text and "Doel nummer 1" in provider.text
    assert await _plan_reads(region, plan_id) == reads + 3
    # no BSN anywhere else
    for email, path, expected in [
        (other_referrer, f"/verwijzer/gezinsplannen/{plan_id}", 404),
        (world.users["team_contracts"], f"/team/gezinsplannen/{plan_id}", 403),
        (world.users["municipality"], f"/gemeente/arrangementen/{aid}", 200),
        (world.users["municipality"], "/gemeente/arrangementen", 200),
        (world.users["provider"], f"/portaal/arrangementen/{aid}", 200),
        (world.users["team_contracts"], f"/team/arrangementen/{aid}", 200),
        (world.users["team_finance"], "/team/arrangementen", 200),
        (world.users["referrer"], f"/verwijzer/arrangementen/{aid}", 200),
    ]:
        response = await page_as(email, path)
        assert response.status_code == expected, (path, response.status_code)
        assert VALID_BSN not in response.text
    assert await _plan_reads(region, plan_id) == reads + 3  # refused reads write nothing
    # the API: full for the owner, limited for the invited provider, 404 for another referrer
    owner = await bearer(region, world.users["referrer"])
    body = (await client.get(f"/api/v1/family-plans/{plan_id}", headers=owner)).json()
    assert body["bsn"] == VALID_BSN
    prov = await bearer(region, world.users["provider"])
    limited = await client.get(f"/api/v1/family-plans/{plan_id}", headers=prov)
    assert limited.status_code == 200 and VALID_BSN not in limited.text and "bsn" not in limited.json()
    other = await bearer(region, other_referrer)
    assert (await client.get(f"/api/v1/family-plans/{plan_id}", headers=other)).status_code == 404
    municipality = await bearer(region, world.users["municipality"])
    listing = await client.get("/api/v1/arrangements", headers=municipality)
    assert listing.status_code == 200 and VALID_BSN not in listing.text
    assert {i["id"] for i in listing.json()["items"]} == {aid, world.arrangement_id}  # both paid by municipality 0
    detail = await client.get(f"/api/v1/arrangements/{aid}", headers=municipality)
    assert detail.status_code == 200 and VALID_BSN not in detail.text and "Doel nummer" not in detail.text
    assert await _plan_reads(region, plan_id) == reads + 5
    async with region.maker() as s:
        events = (await s.execute(select(AuditEvent.summary, AuditEvent.purpose).where(
            AuditEvent.region_id == region.id))).all()  # fmt: skip
        assert all(VALID_BSN not in str(e.summary) for e in events)
        assert all(e.purpose for e in events if e.summary.get("bsn_getoond") is not None)


async def test_conversation_over_pages(new_client, regions) -> None:
    region, world = await _world(regions)
    plan_id = await make_plan(region, world)
    provider = new_client()
    await login(provider, world.users["provider"])
    listing = await provider.get("/portaal/arrangementen")
    assert listing.status_code == 200 and f"/portaal/gezinsplannen/{plan_id}" in listing.text
    plan_page = await provider.get(f"/portaal/gezinsplannen/{plan_id}")
    async with region.maker() as s:
        tid = await result_type_id(s, region.id, world.provider_id)
    bad = await provider.post(f"/portaal/gezinsplannen/{plan_id}/voorstel",
                              data={"_csrf_token": csrf_from(plan_page.text), "arrangement_type_id": "999999",
                                    "planned_start": today(utcnow()).isoformat()})  # fmt: skip
    assert bad.status_code == 422 and "percelen" in bad.text
    made = await provider.post(f"/portaal/gezinsplannen/{plan_id}/voorstel",
                               data={"_csrf_token": csrf_from(bad.text), "arrangement_type_id": str(tid),
                                     "planned_start": today(utcnow()).isoformat()})  # fmt: skip
    assert made.status_code == 303
    aid = int(made.headers["location"].rsplit("/", 1)[1])
    referrer = new_client()
    await login(referrer, world.users["referrer"])
    home = await referrer.get("/verwijzer")
    assert f"/verwijzer/arrangementen/{aid}" in home.text
    mine = await referrer.get("/verwijzer/arrangementen?status=proposed")
    assert mine.status_code == 200 and f"/verwijzer/arrangementen/{aid}" in mine.text
    detail = await referrer.get(f"/verwijzer/arrangementen/{aid}")
    token = csrf_from(detail.text)
    agreed = await referrer.post(f"/verwijzer/arrangementen/{aid}/akkoord", data={"_csrf_token": token})
    assert agreed.status_code == 303
    bad = await referrer.post(f"/verwijzer/arrangementen/{aid}/gezin", data={"_csrf_token": token, "note": ""})
    assert bad.status_code == 422 and "Noteer wie" in bad.text
    ok = await referrer.post(f"/verwijzer/arrangementen/{aid}/gezin", data={"_csrf_token": token, "note": "Moeder"})
    assert ok.status_code == 303
    again = await referrer.post(f"/verwijzer/arrangementen/{aid}/akkoord", data={"_csrf_token": token})
    assert again.status_code == 409
    unknown = await referrer.post(f"/verwijzer/arrangementen/{aid}/schorsen", data={"_csrf_token": token})
    assert unknown.status_code == 404
    async with region.maker() as s:
        a = await s.get(Arrangement, aid)
        assert a is not None and a.status == "agreed" and a.tariff_cents
    page = await provider.get(f"/portaal/arrangementen/{aid}")
    assert f"/portaal/declaraties/nieuw?arrangement={aid}&amp;soort=start" in page.text
    team = new_client()
    await login(team, world.users["team_contracts"])
    filtered = await team.get(f"/team/arrangementen?status=agreed&provider_id={world.provider_id}")
    assert filtered.status_code == 200 and f"/team/arrangementen/{aid}" in filtered.text
    assert (await team.get("/team/arrangementen?status=bogus")).status_code == 422


async def test_api_conversation_and_dispute(client, regions) -> None:
    region, world = await _world(regions)
    referrer = await bearer(region, world.users["referrer"])
    provider = await bearer(region, world.users["provider"])
    team = await bearer(region, world.users["team_contracts"])
    body = {"bsn": "12345678", "youth_name": "Noor", "birth_date": "2012-01-01",
            "municipality_id": region.municipality_ids[0], "referrer_type": "01",
            "profile_id": region.profile_ids[1], "goals": []}  # fmt: skip
    bad = await client.post("/api/v1/family-plans", json=body, headers=api_headers(referrer))
    assert bad.status_code == 422 and {e["field"] for e in bad.json()["errors"]} >= {"bsn", "goals"}
    body.update(bsn=VALID_BSN, goals=["Zelfstandig reizen"])
    made = await client.post("/api/v1/family-plans", json=body, headers=api_headers(referrer))
    assert made.status_code == 201 and VALID_BSN not in made.text
    plan_id = made.json()["id"]
    assert (await client.post(f"/api/v1/family-plans/{plan_id}/arrangements", json={},
                              headers=api_headers(provider))).status_code == 404  # not invited  # fmt: skip
    invited = await client.post(f"/api/v1/family-plans/{plan_id}/invite", json={"provider_id": world.provider_id},
                                headers=api_headers(referrer))  # fmt: skip
    assert invited.status_code == 200
    offers = await client.get("/api/v1/family-plans", headers=provider)
    assert plan_id in [p["id"] for p in offers.json()["items"]] and VALID_BSN not in offers.text
    async with region.maker() as s:
        tid = await result_type_id(s, region.id, world.provider_id)
    proposed = await client.post(f"/api/v1/family-plans/{plan_id}/arrangements",
                                 json={"arrangement_type_id": tid, "planned_start": today(utcnow()).isoformat()},
                                 headers=api_headers(provider))  # fmt: skip
    assert proposed.status_code == 201, proposed.text
    aid = proposed.json()["id"]
    forbidden = await client.post(f"/api/v1/arrangements/{aid}/confirm", json={}, headers=api_headers(provider))
    assert forbidden.status_code == 403
    r = await client.post(f"/api/v1/arrangements/{aid}/agree", json={}, headers=api_headers(referrer))
    assert r.status_code == 200 and r.json()["status"] == "proposed"
    r = await client.post(f"/api/v1/arrangements/{aid}/family-consent", json={"note": "Vader"},
                          headers=api_headers(referrer))  # fmt: skip
    assert r.status_code == 200 and r.json()["status"] == "agreed" and r.json()["tariff_cents"] > 0
    from contracts.public import mark_ended, mark_started
    from jeugdregio.audit import Actor

    async with region.maker() as s:
        actor = Actor(user_id=None, label="t", role="provider", region_id=region.id)
        await mark_started(s, region_id=region.id, provider_id=world.provider_id, arrangement_id=aid,
                           start_date=today(utcnow()), actor=actor, now=utcnow())  # fmt: skip
        await mark_ended(s, region_id=region.id, provider_id=world.provider_id, arrangement_id=aid,
                         end_date=today(utcnow()), end_reason="31", outcomes={1: "achieved"}, actor=actor,
                         now=utcnow())  # fmt: skip
        await s.commit()
    r = await client.post(f"/api/v1/arrangements/{aid}/dispute", json={"reason": ""}, headers=api_headers(referrer))
    assert r.status_code == 422
    r = await client.post(f"/api/v1/arrangements/{aid}/dispute", json={"reason": "Niet behaald"},
                          headers=api_headers(referrer))  # fmt: skip
    assert r.status_code == 200 and r.json()["status"] == "disputed"
    r = await client.post(f"/api/v1/arrangements/{aid}/resolve", json={"resolution": "Gesprek", "result": "partly"},
                          headers=api_headers(team))  # fmt: skip
    assert r.status_code == 200 and r.json()["status"] == "confirmed" and r.json()["result"] == "partly"
    r = await client.post(f"/api/v1/arrangements/{aid}/resolve", json={"resolution": "x"}, headers=api_headers(team))
    assert r.status_code == 409
    listing = await client.get("/api/v1/arrangements?status=confirmed", headers=provider)
    assert listing.status_code == 200 and [i["id"] for i in listing.json()["items"]] == [aid]
    assert VALID_BSN not in listing.text
    assert (await client.get("/api/v1/arrangements?status=nope", headers=provider)).status_code == 422


async def test_change_dispute_and_cancel_over_pages(new_client, regions) -> None:
    region, world = await _world(regions)
    started = await make_arrangement(region, world, await make_plan(region, world), status="started")
    ended = await make_arrangement(region, world, await make_plan(region, world), status="ended")
    agreed = await make_arrangement(region, world, await make_plan(region, world), status="agreed")
    referrer = new_client()
    await login(referrer, world.users["referrer"])
    page = await referrer.get(f"/verwijzer/arrangementen/{started}")
    assert page.status_code == 200 and "Arrangement wijzigen" in page.text
    token = csrf_from(page.text)
    async with region.maker() as s:
        old = await s.get(Arrangement, started)
        assert old is not None
        from contracts.services.arrangements import proposable_types

        types = await proposable_types(s, region_id=region.id, provider_id=world.provider_id, on=today(utcnow()))
        new_type = next(t.id for t in types if t.id != old.arrangement_type_id and t.tariff)
    bad = await referrer.post(f"/verwijzer/arrangementen/{started}/wijzigen",
                              data={"_csrf_token": token, "arrangement_type_id": str(new_type),
                                    "planned_start": "gisteren"})  # fmt: skip
    assert bad.status_code == 422 and "geen geldige datum" in bad.text
    changed = await referrer.post(f"/verwijzer/arrangementen/{started}/wijzigen",
                                  data={"_csrf_token": token, "arrangement_type_id": str(new_type),
                                        "planned_start": today(utcnow()).isoformat()})  # fmt: skip
    assert changed.status_code == 303
    async with region.maker() as s:
        q = select(Arrangement).where(Arrangement.previous_arrangement_id == started)
        successor = (await s.execute(q)).scalar_one()
        assert successor.link_kind == "change" and successor.status == "proposed"
    # dispute by the referrer, resolution by the team (team_finance may read but not resolve)
    disputed = await referrer.post(f"/verwijzer/arrangementen/{ended}/betwisten",
                                   data={"_csrf_token": token, "reason": "Doel 2 niet gehaald"})  # fmt: skip
    assert disputed.status_code == 303
    finance = new_client()
    await login(finance, world.users["team_finance"])
    view = await finance.get(f"/team/arrangementen/{ended}")
    assert view.status_code == 200 and "Geschil afhandelen" not in view.text
    refused = await finance.post(f"/team/arrangementen/{ended}/geschil", data={"_csrf_token": csrf_from(view.text)})
    assert refused.status_code == 403
    team = new_client()
    await login(team, world.users["team_contracts"])
    view = await team.get(f"/team/arrangementen/{ended}")
    assert "Geschil afhandelen" in view.text and "Doel 2 niet gehaald" in view.text
    bad = await team.post(f"/team/arrangementen/{ended}/geschil",
                          data={"_csrf_token": csrf_from(view.text), "resolution": ""})  # fmt: skip
    assert bad.status_code == 422
    done = await team.post(f"/team/arrangementen/{ended}/geschil",
                           data={"_csrf_token": csrf_from(view.text), "resolution": "Besproken",
                                 "result": "not"})  # fmt: skip
    assert done.status_code == 303
    # the provider cancels an agreed arrangement before the start
    provider = new_client()
    await login(provider, world.users["provider"])
    view = await provider.get(f"/portaal/arrangementen/{agreed}")
    cancelled = await provider.post(f"/portaal/arrangementen/{agreed}/annuleren",
                                    data={"_csrf_token": csrf_from(view.text), "reason": "Geen plek"})  # fmt: skip
    assert cancelled.status_code == 303
    async with region.maker() as s:
        assert (await s.get(Arrangement, ended)).result == "not"  # type: ignore[union-attr]
        assert (await s.get(Arrangement, agreed)).status == "cancelled"  # type: ignore[union-attr]


async def test_agreement_without_a_tariff_explains_why(new_client, regions) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from catalogue.models import Tariff
    from contracts.services.arrangements import record_family_consent
    from tests.support.arrangement_factories import actor_for, membership_of

    region, world = await _world(regions)
    aid = await make_arrangement(region, world, await make_plan(region, world), status="proposed")
    async with region.maker() as s:
        mid, uid = await membership_of(s, region.id, world.users["referrer"])
        a = await s.get(Arrangement, aid)
        assert a is not None
        await record_family_consent(s, region_id=region.id, referrer_membership_id=mid, arrangement_id=aid,
                                    note="Moeder", actor=actor_for(region.id, uid, "referrer"),
                                    now=utcnow())  # fmt: skip
        await s.execute(update(Tariff).where(Tariff.arrangement_type_id == a.arrangement_type_id)
                        .values(valid_from=today(utcnow()) + timedelta(days=30)))  # fmt: skip
        await s.commit()
    referrer = new_client()
    await login(referrer, world.users["referrer"])
    page = await referrer.get(f"/verwijzer/arrangementen/{aid}")
    refused = await referrer.post(f"/verwijzer/arrangementen/{aid}/akkoord", data={"_csrf_token": csrf_from(page.text)})
    assert refused.status_code == 422 and "geen tarief vastgesteld" in refused.text
    async with region.maker() as s:
        a = await s.get(Arrangement, aid)
        assert a is not None and a.status == "proposed" and a.referrer_agreed_at is None  # rolled back
