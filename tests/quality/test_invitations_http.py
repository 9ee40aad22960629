"""The invitation pages: the list for the team and the confirming referrer, and the region's link settings."""

from __future__ import annotations

from sqlalchemy import select

from contracts.models import Arrangement
from jeugdregio.clock import utcnow
from jeugdregio.tables import User
from quality.models import RatingSettings
from tests.quality.rating_world import prepared, set_confirmed_by
from tests.support.factories import csrf_from, login


async def _reference(region, arrangement_id: int) -> str:
    async with region.maker() as s:
        q = select(Arrangement.reference).where(Arrangement.id == arrangement_id)
        return str((await s.execute(q)).scalar_one())


async def test_the_list_shows_the_team_every_open_invitation_and_a_referrer_only_its_own(app, regions, new_client):
    region = await regions.create()
    rw, _tokens = await prepared(region, n=2, now=utcnow())  # both links issued: not open any more
    async with region.maker() as s:
        from quality.models import RatingInvitation

        table = RatingInvitation.__table__  # type: ignore[attr-defined]
        await s.execute(table.update().where(table.c.region_id == region.id)
                        .values(token_hash=None, issued_at=None, expires_at=None))  # fmt: skip
        await s.commit()
    first, second = [await _reference(region, a) for a in rw.arrangement_ids]
    team = new_client()
    await login(team, await region.user("team_quality"))
    page = await team.get("/kwaliteit/uitnodigingen")
    assert page.status_code == 200 and first in page.text and second in page.text
    email = await region.user("referrer")
    async with region.maker() as s:
        user_id = (await s.execute(select(User.id).where(User.email == email))).scalar_one()
        await set_confirmed_by(s, rw.arrangement_ids[0], user_id)
        await s.commit()
    referrer = new_client()
    await login(referrer, email)
    own = await referrer.get("/kwaliteit/uitnodigingen")
    assert own.status_code == 200 and first in own.text and second not in own.text
    assert "Instellingen van de regio" not in own.text
    assert (await referrer.get(f"/kwaliteit/uitnodigingen/{rw.arrangement_ids[0]}")).status_code == 200
    assert (await referrer.get(f"/kwaliteit/uitnodigingen/{rw.arrangement_ids[1]}")).status_code == 404


async def test_the_team_sets_the_link_validity_and_the_youth_age(app, regions, new_client):
    region = await regions.create()
    team = new_client()
    await login(team, await region.user("team_quality"))
    page = await team.get("/kwaliteit/uitnodigingen")
    token = csrf_from(page.text)
    bad = await team.post("/kwaliteit/uitnodigingen/instellingen",
                          data={"link_valid_days": "0", "youth_min_age": "twaalf", "_csrf_token": token})  # fmt: skip
    assert bad.status_code == 422 and "1 tot en met 365" in bad.text and "0 tot en met 18" in bad.text
    ok = await team.post("/kwaliteit/uitnodigingen/instellingen",
                         data={"link_valid_days": "14", "youth_min_age": "13", "_csrf_token": token})  # fmt: skip
    assert ok.status_code == 303
    async with region.maker() as s:
        row = (await s.execute(select(RatingSettings).where(RatingSettings.region_id == region.id))).scalar_one()
    assert (row.link_valid_days, row.youth_min_age) == (14, 13)
    contracts = new_client()
    await login(contracts, await region.user("team_contracts"))
    token = csrf_from((await contracts.get("/kwaliteit/uitnodigingen")).text)
    refused = await contracts.post("/kwaliteit/uitnodigingen/instellingen",
                                   data={"link_valid_days": "60", "youth_min_age": "12", "_csrf_token": token})
    assert refused.status_code == 403
