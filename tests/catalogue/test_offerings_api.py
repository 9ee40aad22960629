"""The offerings JSON API: the provider's own listing and waiting times, the team's corrections, no mass
assignment, Problem Details with field errors, and object-level authorization."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from tests.support.factories import api_headers
from tests.support.offering_factories import Listed, get_listing, listed_world
from tests.support.register_helpers import token_for

from catalogue.models import WaitingTime
from catalogue.rules import trigrams
from jeugdregio.clock import today
from jeugdregio.tables import AuditEvent

ME = "/api/v1/listings/me"


async def tokens(listed: Listed, *roles: str) -> list[dict[str, str]]:
    return [await token_for(listed.region, listed.objects.users[role]) for role in roles]


async def actions(listed: Listed) -> list[str]:
    async with listed.region.maker() as s:
        rows = await s.execute(
            select(AuditEvent.action).where(AuditEvent.object_type == "catalogue_listing",
                                            AuditEvent.object_id == str(listed.listing_id)).order_by(AuditEvent.id)  # type: ignore[arg-type]
        )  # fmt: skip
        return list(rows.scalars())


async def test_the_provider_reads_and_patches_its_listing(client, regions) -> None:
    listed = await listed_world(await regions.create())
    (auth,) = await tokens(listed, "provider")
    got = await client.get(ME, headers=auth)
    assert got.status_code == 200
    body = got.json()
    assert body["provider_id"] == listed.provider_id and body["arrangement_types"] == ["501PL", "502PL"]
    assert [w["weeks"] for w in body["waiting_times"]] == [None, None]
    r = await client.patch(ME, json={"specialisms": ["Traumabehandeling", " traumabehandeling "],
                                     "languages": ["Nederlands", "Arabisch"]}, headers=api_headers(auth))  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["specialisms"] == ["Traumabehandeling"] and r.json()["languages"] == ["Nederlands", "Arabisch"]
    listing = await get_listing(listed.region, listed.listing_id)
    assert listing.search_vector is not None and set(trigrams("Traumabehandeling")) <= set(listing.search_trigrams)
    assert await actions(listed) == ["update"]


@pytest.mark.parametrize("field", ["name", "status", "arrangement_types", "provider_id", "search_trigrams"])
async def test_no_mass_assignment(client, regions, field) -> None:
    listed = await listed_world(await regions.create())
    (auth,) = await tokens(listed, "provider")
    before = await get_listing(listed.region, listed.listing_id)
    r = await client.patch(ME, json={"description": "Nieuw", field: "Overgenomen"}, headers=api_headers(auth))
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert {"field": field, "message": f"Het veld '{field}' kunt u hier niet wijzigen."} in r.json()["errors"]
    after = await get_listing(listed.region, listed.listing_id)
    assert (after.name, after.status, after.description) == (before.name, before.status, "")
    assert await actions(listed) == []


async def test_put_replaces_the_whole_listing_and_needs_every_field(client, regions) -> None:
    listed = await listed_world(await regions.create())
    (auth,) = await tokens(listed, "provider")
    r = await client.put(ME, json={"description": "Alleen dit"}, headers=api_headers(auth))
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} >= {"website", "municipality_ids"}
    full = {"description": "Volledig", "website": "http://voorbeeld.nl", "email": "a@b.nl", "phone": "+31 165 12",
            "target_groups": ["ouders"], "specialisms": [], "languages": ["Nederlands"], "religious_identity": "",
            "accessibility": "", "municipality_ids": listed.region.municipality_ids[:2]}  # fmt: skip
    r = await client.put(ME, json=full, headers=api_headers(auth))
    assert r.status_code == 200, r.text
    assert r.json()["municipality_ids"] == sorted(listed.region.municipality_ids[:2])
    bad = await client.put(ME, json={**full, "website": "javascript:alert(1)", "municipality_ids": []},
                           headers=api_headers(auth))  # fmt: skip
    assert bad.status_code == 422
    assert {e["field"]: e["message"] for e in bad.json()["errors"]} == {
        "website": "Website: geef een adres dat begint met http:// of https://.",
        "municipality_ids": "Gemeenten waar u zorg levert: kies minstens één gemeente.",
    }


@pytest.mark.parametrize("bad", [-1, 105])
async def test_waiting_times_api_refuses_out_of_range_and_stores_nothing(client, regions, bad) -> None:
    listed = await listed_world(await regions.create())
    (auth,) = await tokens(listed, "provider")
    p1, p2 = listed.profile(1), listed.profile(2)
    path = ME + "/waiting-times"
    r = await client.put(path, json=[{"profile_id": p1, "weeks": 3}, {"profile_id": p2, "weeks": bad}],
                         headers=api_headers(auth))  # fmt: skip
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {"field": f"weeks_{p2}", "message": "Wachttijd profiel 2: vul een heel aantal weken in van 0 tot en met 104."}
    ]
    async with listed.region.maker() as s:
        assert (await s.execute(select(WaitingTime).where(WaitingTime.listing_id == listed.listing_id))).first() is None
    text = await client.put(path, json=[{"profile_id": p1, "weeks": "abc"}], headers=api_headers(auth))
    assert text.status_code in (400, 422) and "errors" in text.json()
    other = await client.put(path, json=[{"profile_id": listed.profile(5), "weeks": 3}], headers=api_headers(auth))
    assert other.status_code == 422
    ok = await client.put(path, json=[{"profile_id": p1, "weeks": 0}, {"profile_id": p2, "weeks": 104}],
                          headers=api_headers(auth))  # fmt: skip
    assert ok.status_code == 200
    assert [(w["weeks"], w["confirmed_on"], w["fresh"]) for w in ok.json()["waiting_times"]] == [
        (0, today().isoformat(), True), (104, today().isoformat(), True)
    ]


async def test_confirm_via_the_api(client, regions) -> None:
    listed = await listed_world(await regions.create())
    (auth,) = await tokens(listed, "provider")
    old = today() - timedelta(days=45)
    async with listed.region.maker() as s:
        s.add(WaitingTime(region_id=listed.region.id, listing_id=listed.listing_id, profile_id=listed.profile(1),
                          weeks=9, confirmed_on=old, updated_at=old))  # fmt: skip
        await s.commit()
    assert [w["fresh"] for w in (await client.get(ME, headers=auth)).json()["waiting_times"]] == [False, None]
    r = await client.post(ME + "/waiting-times/confirm", headers=api_headers(auth))
    assert r.status_code == 200
    assert r.json()["waiting_times"][0] | {"profile_name": ""} == {
        "profile_id": listed.profile(1), "profile_number": 1, "profile_name": "", "weeks": 9,
        "confirmed_on": today().isoformat(), "fresh": True,
    }  # fmt: skip
    assert await actions(listed) == ["confirm_waiting_times"]


async def test_writes_need_an_idempotency_key(client, regions) -> None:
    listed = await listed_world(await regions.create())
    (auth,) = await tokens(listed, "provider")
    assert (await client.patch(ME, json={"description": "x"}, headers=auth)).status_code == 400


async def test_the_team_reads_and_corrects_listings_of_its_region_only(client, regions) -> None:
    region = await regions.create()
    listed = await listed_world(region)
    foreign = await listed_world(await regions.create())
    admin, finance, provider = await tokens(listed, "team_admin", "team_finance", "provider")
    path = f"/api/v1/listings/{listed.provider_id}"
    assert (await client.get(path, headers=finance)).status_code == 200
    assert (await client.patch(path, json={"description": "x"}, headers=api_headers(finance))).status_code == 403
    r = await client.patch(path, json={"religious_identity": "reformatorisch"}, headers=api_headers(admin))
    assert r.status_code == 200 and r.json()["religious_identity"] == "reformatorisch"
    assert (await client.patch(path, json={"status": "ended"}, headers=api_headers(admin))).status_code == 422
    foreign_path = f"/api/v1/listings/{foreign.provider_id}"
    assert (await client.get(foreign_path, headers=admin)).status_code == 404
    assert (await client.patch(foreign_path, json={"description": "x"}, headers=api_headers(admin))).status_code == 404
    # providers use /me only; the team routes are refused for them
    assert (await client.get(path, headers=provider)).status_code == 403
    assert (await client.patch(path, json={"description": "x"}, headers=api_headers(provider))).status_code == 403
    assert (await get_listing(foreign.region, foreign.listing_id)).description == ""


@pytest.mark.parametrize("role", ["team_admin", "municipality", "referrer"])
async def test_only_providers_have_a_me_listing(client, regions, role) -> None:
    listed = await listed_world(await regions.create())
    (auth,) = await tokens(listed, role)
    assert (await client.get(ME, headers=auth)).status_code == 403
    assert (await client.patch(ME, json={"description": "x"}, headers=api_headers(auth))).status_code == 403
