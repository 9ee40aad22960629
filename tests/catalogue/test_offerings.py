"""Provider offerings: the portal and team pages, validation, waiting times and their freshness, audit, search."""

from __future__ import annotations

import random
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, func, select
from tests.support.factories import csrf_from, login
from tests.support.offering_factories import Listed, get_listing, list_provider, listed_world
from tests.support.register_helpers import principal_for
from tests.support.world import build_world

from catalogue.models import Listing, ListingLocation, ListingMunicipality, OfferedType, WaitingTime
from catalogue.rules import trigrams
from catalogue.services import offerings, offerings_demo
from jeugdregio.clock import today, utcnow
from jeugdregio.errors import NotFound, ValidationFailed
from jeugdregio.tables import AuditEvent

PORTAL = "/portaal/catalogus"


def team_path(provider_id: int) -> str:
    return f"/team/catalogus/aanbieders/{provider_id}"


def listing_form(listed: Listed, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "description": "Wij helpen gezinnen.", "website": "https://voorbeeld.nl", "email": "info@voorbeeld.nl",
        "phone": "0165 123456", "target_groups": "ouders, 12-18 jaar", "specialisms": "systeemtherapie",
        "languages": "Nederlands\nEngels", "religious_identity": "algemeen", "accessibility": "Lift aanwezig",
        "municipality_ids": [str(listed.region.municipality_ids[0])],
    }  # fmt: skip
    data.update(overrides)
    return data


async def portal_client(new_client, listed: Listed, role: str = "provider"):  # type: ignore[no-untyped-def]
    c = new_client()
    await login(c, listed.objects.users[role])
    return c


async def post_form(client, path: str, data: dict[str, object], page: str = PORTAL):  # type: ignore[no-untyped-def]
    token = csrf_from((await client.get(page)).text)
    return await client.post(path, data={**data, "_csrf_token": token})


async def audit_actions(listed: Listed) -> list[str]:
    async with listed.region.maker() as s:
        rows = await s.execute(
            select(AuditEvent.action).where(AuditEvent.object_type == "catalogue_listing",
                                            AuditEvent.object_id == str(listed.listing_id)).order_by(AuditEvent.id)  # type: ignore[arg-type]
        )  # fmt: skip
        return list(rows.scalars())


async def waits(listed: Listed) -> dict[int, tuple[int, date]]:
    async with listed.region.maker() as s:
        rows = await s.execute(select(WaitingTime).where(WaitingTime.listing_id == listed.listing_id))
        return {w.profile_id: (w.weeks, w.confirmed_on) for w in rows.scalars()}


# ---- pages: who may edit ---------------------------------------------------------------------------------------


async def test_the_provider_edits_its_listing_and_search_fields_follow(regions, new_client) -> None:
    listed = await listed_world(await regions.create())
    c = await portal_client(new_client, listed)
    page = await c.get(PORTAL)
    assert page.status_code == 200 and "Wachttijden per profiel" in page.text
    data = listing_form(listed, specialisms="Hechtingsproblematiek, EMDR, emdr", languages="Nederlands, Tigrinya")
    response = await post_form(c, PORTAL, data)
    assert response.status_code == 303, response.text[:2000]
    listing = await get_listing(listed.region, listed.listing_id)
    assert listing.specialisms == ["Hechtingsproblematiek", "EMDR"]  # trimmed, de-duplicated
    assert listing.languages == ["Nederlands", "Tigrinya"]
    assert listing.website == "https://voorbeeld.nl" and listing.religious_identity == "algemeen"
    assert listing.search_vector is not None
    assert set(trigrams("hechtingsproblematiek")) <= set(listing.search_trigrams)
    assert "update" in await audit_actions(listed)
    async with listed.region.maker() as s:
        event = (await s.execute(select(AuditEvent).where(
            AuditEvent.action == "update", AuditEvent.object_id == str(listed.listing_id)))).scalar_one()  # fmt: skip
    assert event.summary["specialisms"]["na"] == ["Hechtingsproblematiek", "EMDR"]
    assert event.summary["specialisms"]["voor"] == []


async def test_a_provider_without_a_listing_gets_a_polite_page(regions, new_client) -> None:
    region = await regions.create()
    objects = await build_world(region)
    async with region.maker() as s:  # as before admission wired the listing (or when it was never made)
        ids = select(Listing.id).where(Listing.provider_id == objects.provider_id)
        for table in (ListingLocation, ListingMunicipality, OfferedType, WaitingTime):
            await s.execute(delete(table).where(table.listing_id.in_(ids)))  # type: ignore[attr-defined]
        await s.execute(delete(Listing).where(Listing.provider_id == objects.provider_id))
        await s.commit()
    c = new_client()
    await login(c, objects.users["provider"])
    page = await c.get(PORTAL)
    assert page.status_code == 200 and "nog geen vermelding in de openbare catalogus" in page.text
    token = csrf_from(page.text)
    refused = await c.post(PORTAL, data={"_csrf_token": token, "description": "x"})
    assert refused.status_code == 404


@pytest.mark.parametrize("role", ["team_admin", "team_contracts"])
async def test_the_team_corrects_a_listing(regions, new_client, role) -> None:
    listed = await listed_world(await regions.create())
    c = await portal_client(new_client, listed, role)
    path = team_path(listed.provider_id)
    assert (await c.get(path)).status_code == 200
    response = await post_form(c, path, listing_form(listed, description="Door het team gecorrigeerd."), page=path)
    assert response.status_code == 303
    assert (await get_listing(listed.region, listed.listing_id)).description == "Door het team gecorrigeerd."
    async with listed.region.maker() as s:
        role_of = (await s.execute(select(AuditEvent.actor_role).where(
            AuditEvent.action == "update", AuditEvent.object_id == str(listed.listing_id)))).scalar_one()  # fmt: skip
    assert role_of == role


async def test_other_team_roles_only_view_and_other_roles_are_refused(regions, new_client) -> None:
    listed = await listed_world(await regions.create())
    path = team_path(listed.provider_id)
    finance = await portal_client(new_client, listed, "team_finance")
    page = await finance.get(path)
    assert page.status_code == 200 and "Gegevens opslaan" not in page.text
    assert (await post_form(finance, path, listing_form(listed), page=path)).status_code == 403
    for role in ("municipality", "referrer", "applicant", "provider"):
        c = await portal_client(new_client, listed, role)
        assert (await c.get(path)).status_code == 403, role
    for role in ("municipality", "referrer", "applicant", "team_admin"):
        c = await portal_client(new_client, listed, role)
        assert (await c.get(PORTAL)).status_code == 403, role


async def test_no_one_edits_another_providers_or_another_regions_listing(regions, new_client) -> None:
    region = await regions.create()
    own = await listed_world(region)
    neighbour = await listed_world(region)
    foreign = await listed_world(await regions.create())
    before = await get_listing(neighbour.region, neighbour.listing_id)
    team = await portal_client(new_client, own, "team_admin")
    path = team_path(foreign.provider_id)
    assert (await team.get(path)).status_code == 404
    token = csrf_from((await team.get(team_path(own.provider_id))).text)
    response = await team.post(path, data={**listing_form(own), "_csrf_token": token})
    assert response.status_code == 404
    # a provider can only address its own listing: the service refuses any other provider id
    provider = await principal_for(region, own.objects.users["provider"])
    async with region.maker() as s:
        with pytest.raises(NotFound):
            await offerings.update_listing(s, provider, neighbour.provider_id, {"description": "x"}, now=utcnow())
    assert (await get_listing(neighbour.region, neighbour.listing_id)).description == before.description
    assert (await get_listing(foreign.region, foreign.listing_id)).description == ""


# ---- validation ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("website", "javascript:alert(1)", "Website: geef een adres dat begint met http:// of https://."),
        ("website", "ftp://voorbeeld.nl", "Website: geef een adres dat begint met http:// of https://."),
        ("description", "x" * 4001, "Beschrijving: maximaal 4.000 tekens."),
        ("email", "geen-adres", "E-mailadres: vul een geldig e-mailadres in."),
        ("languages", ", ".join(f"taal{i}" for i in range(21)), "Talen: noem er maximaal 20."),
        ("specialisms", "x" * 61, "Specialismen: elk item mag maximaal 60 tekens hebben."),
        ("religious_identity", "r" * 101, "Levensbeschouwelijke identiteit: maximaal 100 tekens."),
        ("municipality_ids", [], "Gemeenten waar u zorg levert: kies minstens één gemeente."),
    ],
)
async def test_bad_listing_input_is_refused_per_field_and_nothing_is_stored(
    regions, new_client, field, value, message
) -> None:
    listed = await listed_world(await regions.create())
    c = await portal_client(new_client, listed)
    response = await post_form(c, PORTAL, listing_form(listed, **{field: value, "description": "Nieuw"}
                                                       if field != "description" else {field: value}))  # fmt: skip
    assert response.status_code == 422
    assert message in response.text
    assert f'id="f-{field}"' in response.text
    assert (await get_listing(listed.region, listed.listing_id)).description == ""
    assert "update" not in await audit_actions(listed)


async def test_municipalities_must_belong_to_the_region(regions, session) -> None:
    listed = await listed_world(await regions.create())
    other = await regions.create()
    provider = await principal_for(listed.region, listed.objects.users["provider"])
    with pytest.raises(ValidationFailed) as exc:
        await offerings.update_listing(session, provider, listed.provider_id,
                                       {"municipality_ids": [other.municipality_ids[0]]}, now=utcnow())  # fmt: skip
    message = "Gemeenten waar u zorg levert: kies alleen gemeenten van de regio."
    assert exc.value.by_field() == {"municipality_ids": message}
    mids = listed.region.municipality_ids[1:]
    await offerings.update_listing(session, provider, listed.provider_id, {"municipality_ids": mids}, now=utcnow())
    served = (await session.execute(select(ListingMunicipality.municipality_id).where(
        ListingMunicipality.listing_id == listed.listing_id))).scalars().all()  # fmt: skip
    assert sorted(served) == sorted(mids)


# ---- waiting times ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["-1", "105", "abc", "2.5"])
async def test_waiting_time_is_0_to_104_weeks_and_nothing_is_half_stored(regions, new_client, bad) -> None:
    listed = await listed_world(await regions.create())
    c = await portal_client(new_client, listed)
    p1, p2 = listed.profile(1), listed.profile(2)
    response = await post_form(c, PORTAL + "/wachttijden", {f"weeks_{p1}": "4", f"weeks_{p2}": bad})
    assert response.status_code == 422
    assert "Wachttijd profiel 2: vul een heel aantal weken in van 0 tot en met 104." in response.text
    assert await waits(listed) == {}
    ok = await post_form(c, PORTAL + "/wachttijden", {f"weeks_{p1}": "0", f"weeks_{p2}": "104"})
    assert ok.status_code == 303
    assert await waits(listed) == {p1: (0, today()), p2: (104, today())}
    assert await audit_actions(listed) == ["waiting_times"]


async def test_waiting_time_only_for_offered_profiles(regions, new_client, session) -> None:
    listed = await listed_world(await regions.create(), numbers=(1,))
    c = await portal_client(new_client, listed)
    page = await c.get(PORTAL)
    assert f"weeks_{listed.profile(1)}" in page.text and f"weeks_{listed.profile(3)}" not in page.text
    response = await post_form(c, PORTAL + "/wachttijden", {f"weeks_{listed.profile(1)}": "3",
                                                            f"weeks_{listed.profile(3)}": "3"})  # fmt: skip
    assert response.status_code == 422
    assert "alleen een wachttijd opgeven voor profielen die u aanbiedt" in response.text
    assert await waits(listed) == {}


async def test_the_freshness_badge_shows_after_30_days(regions, session) -> None:
    listed = await listed_world(await regions.create())
    provider = await principal_for(listed.region, listed.objects.users["provider"])
    p1, p2 = listed.profile(1), listed.profile(2)
    day = date(2026, 1, 1)
    await offerings.set_waiting_times(session, provider, listed.provider_id, {p1: 3, p2: 5}, now=utcnow(), today=day)
    view = await offerings.offering_view(session, provider, listed.provider_id, today=day + timedelta(days=30))
    assert [(w.weeks, w.confirmed_on, w.fresh) for w in view.waiting_times] == [(3, day, True), (5, day, True)]
    view = await offerings.offering_view(session, provider, listed.provider_id, today=day + timedelta(days=31))
    assert [w.fresh for w in view.waiting_times] == [False, False]
    # changing one value confirms that one; the unchanged one keeps its date
    later = day + timedelta(days=40)
    await offerings.set_waiting_times(session, provider, listed.provider_id, {p1: 3, p2: 6}, now=utcnow(), today=later)
    view = await offerings.offering_view(session, provider, listed.provider_id, today=later)
    assert [(w.weeks, w.confirmed_on, w.fresh) for w in view.waiting_times] == [(3, day, False), (6, later, True)]


async def test_the_badge_appears_on_the_page(regions, new_client) -> None:
    listed = await listed_world(await regions.create())
    async with listed.region.maker() as s:
        provider = await principal_for(listed.region, listed.objects.users["provider"])
        await offerings.set_waiting_times(s, provider, listed.provider_id, {listed.profile(1): 2},
                                          now=utcnow(), today=today() - timedelta(days=31))  # fmt: skip
        await s.commit()
    c = await portal_client(new_client, listed)
    badge = '<span class="badge badge-expiring">niet recent bevestigd</span>'
    assert badge in (await c.get(PORTAL)).text
    response = await post_form(c, PORTAL + "/wachttijden/bevestigen", {})
    assert response.status_code == 303
    assert badge not in (await c.get(PORTAL)).text


async def test_confirm_updates_every_confirmed_on_without_changing_weeks(regions, session) -> None:
    listed = await listed_world(await regions.create())
    provider = await principal_for(listed.region, listed.objects.users["provider"])
    p1, p2 = listed.profile(1), listed.profile(2)
    old, now_day = date(2026, 1, 1), date(2026, 3, 1)
    await offerings.set_waiting_times(session, provider, listed.provider_id, {p1: 7, p2: 12}, now=utcnow(), today=old)
    count = await offerings.confirm_waiting_times(session, provider, listed.provider_id, now=utcnow(), today=now_day)
    assert count == 2
    rows = (await session.execute(select(WaitingTime).where(WaitingTime.listing_id == listed.listing_id))).scalars()
    assert sorted((w.weeks, w.confirmed_on) for w in rows) == [(7, now_day), (12, now_day)]
    actions = (await session.execute(select(AuditEvent.action, AuditEvent.summary).where(
        AuditEvent.object_id == str(listed.listing_id), AuditEvent.object_type == "catalogue_listing"
    ).order_by(AuditEvent.id))).all()  # fmt: skip
    assert [a for a, _ in actions] == ["waiting_times", "confirm_waiting_times"]
    assert actions[0][1] == {"profiel 1": {"voor": None, "na": 7}, "profiel 2": {"voor": None, "na": 12}}
    assert actions[1][1] == {"profiel 1": {"voor": "2026-01-01", "na": "2026-03-01"},
                             "profiel 2": {"voor": "2026-01-01", "na": "2026-03-01"}}  # fmt: skip


async def test_an_empty_field_removes_the_waiting_time(regions, session) -> None:
    listed = await listed_world(await regions.create())
    provider = await principal_for(listed.region, listed.objects.users["provider"])
    p1, p2 = listed.profile(1), listed.profile(2)
    pid = listed.provider_id
    await offerings.set_waiting_times(session, provider, pid, {p1: 1, p2: 2}, now=utcnow(), today=today())
    await offerings.set_waiting_times(session, provider, pid, {p1: 1, p2: ""}, now=utcnow(), today=today())
    rows = (await session.execute(select(WaitingTime.profile_id).where(WaitingTime.listing_id == listed.listing_id)))
    assert list(rows.scalars()) == [p1]


# ---- locations ----------------------------------------------------------------------------------------------


async def test_locations_are_added_and_removed(regions, new_client) -> None:
    listed = await listed_world(await regions.create())
    c = await portal_client(new_client, listed)
    bad = await post_form(c, PORTAL + "/locaties", {"street": "", "postcode": "123 AB", "city": "Roosendaal",
                                                    "municipality_id": "999999"})  # fmt: skip
    assert bad.status_code == 422
    for message in ("Straat en huisnummer: vul dit in", "Postcode: vul een postcode in als 1234 AB.",
                    "Gemeente: kies een gemeente van de regio"):  # fmt: skip
        assert message in bad.text
    mid = listed.region.municipality_ids[1]
    ok = await post_form(c, PORTAL + "/locaties", {"street": "Markt 1", "postcode": "4701pa", "city": "Roosendaal",
                                                   "municipality_id": str(mid)})  # fmt: skip
    assert ok.status_code == 303
    outside = await post_form(c, PORTAL + "/locaties", {"street": "Dam 1", "postcode": "1012 JS",
                                                        "city": "Amsterdam", "municipality_id": "buiten"})  # fmt: skip
    assert outside.status_code == 303
    async with listed.region.maker() as s:
        locs = list((await s.execute(select(ListingLocation).where(
            ListingLocation.listing_id == listed.listing_id).order_by(ListingLocation.id))).scalars())  # type: ignore[arg-type]  # fmt: skip
    assert [(loc.postcode, loc.municipality_id) for loc in locs[1:]] == [("4701 PA", mid), ("1012 JS", None)]
    assert "buiten de regio" in (await c.get(PORTAL)).text
    removed = await post_form(c, PORTAL + "/locaties/verwijderen", {"location_id": str(locs[1].id)})
    assert removed.status_code == 303
    # a location of another listing cannot be removed
    other = await listed_world(listed.region)
    async with listed.region.maker() as s:
        foreign_loc = (await s.execute(select(ListingLocation.id).where(
            ListingLocation.listing_id == other.listing_id))).scalars().first()  # fmt: skip
    refused = await post_form(c, PORTAL + "/locaties/verwijderen", {"location_id": str(foreign_loc)})
    assert refused.status_code == 422
    async with listed.region.maker() as s:
        count = select(func.count()).where(ListingLocation.listing_id == other.listing_id)
        left = (await s.execute(count)).scalar_one()
    assert left == 1
    assert await audit_actions(listed) == ["add_location", "add_location", "remove_location"]


# ---- the register keeps name and offered types; demo data -----------------------------------------------------


async def test_sync_listing_keeps_what_the_provider_maintains(regions) -> None:
    listed = await listed_world(await regions.create())
    provider = await principal_for(listed.region, listed.objects.users["provider"])
    async with listed.region.maker() as s:
        await offerings.update_listing(s, provider, listed.provider_id, {"description": "Eigen tekst"}, now=utcnow())
        await offerings.set_waiting_times(s, provider, listed.provider_id, {listed.profile(1): 1, listed.profile(2): 2},
                                          now=utcnow(), today=today())  # fmt: skip
        await s.commit()
    await list_provider(listed.region, listed.provider_id, (1,))  # a contract change: only profile 1 now
    listing = await get_listing(listed.region, listed.listing_id)
    assert listing.description == "Eigen tekst"
    async with listed.region.maker() as s:
        view = await offerings.offering_view(s, provider, listed.provider_id, today=today())
    assert [w.number for w in view.waiting_times] == [1]
    assert [t.code for t in view.offered_types] == ["501PL"]
    assert set(await waits(listed)) == {listed.profile(1)}  # profile 2 is no longer offered: its waiting time goes


async def test_seed_offerings_demo(regions, session) -> None:
    region = await regions.create()
    listed = [await listed_world(region) for _ in range(3)]
    day = date(2026, 6, 1)
    count = await offerings_demo.seed_offerings_demo(session, region_id=region.id, rng=random.Random(7), today=day)
    assert count == 3
    rows = list((await session.execute(select(Listing).where(Listing.region_id == region.id))).scalars())
    for listing in rows:
        await session.refresh(listing)
        assert "Demotekst" in listing.description and listing.languages[0] == "Nederlands"
        assert listing.specialisms and listing.target_groups and listing.search_vector is not None
        assert set(trigrams(listing.specialisms[0])) <= set(listing.search_trigrams)
    assert "reformatorisch" in [r.religious_identity for r in rows]
    wait_rows = list((await session.execute(select(WaitingTime).where(WaitingTime.region_id == region.id))).scalars())
    assert len(wait_rows) == 6  # two offered profiles each
    assert all(0 <= w.weeks <= 104 and w.confirmed_on <= day for w in wait_rows)
    again = await offerings_demo.seed_offerings_demo(session, region_id=region.id, rng=random.Random(8), today=day)
    assert again == 3 and len(listed) == 3


async def test_seed_spreads_confirmations(regions, session) -> None:
    rng = random.Random(1)
    dates = [offerings_demo._demo_confirmed(rng, date(2026, 6, 1)) for _ in range(2000)]
    stale = sum(1 for d in dates if (date(2026, 6, 1) - d).days > 30) / len(dates)
    assert 0.12 < stale < 0.18
    assert re.search(r"\d", "1")
