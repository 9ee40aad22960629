"""The public rating page and API: one-time links, abuse (reuse, tampering, another arrangement's token, expiry,
20 concurrent submits), bad answers, throttling, and the team's moderation of free text."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from jeugdregio.clock import utcnow
from quality.models import Rating, RatingInvitation
from tests.quality.rating_world import anonymous_client, prepared
from tests.support.factories import csrf_from, login

GOOD = {"usefulness": "8", "help_again": "02", "comment": ""}


async def _ratings(region, arrangement_id: int | None = None) -> list[Rating]:
    async with region.maker() as s:
        q = select(Rating).where(Rating.region_id == region.id)
        if arrangement_id is not None:
            q = q.where(Rating.arrangement_id == arrangement_id)
        return list((await s.execute(q)).scalars())


async def _submit_form(client, token: str, answers: dict[str, str], **extra: str):
    page = await client.get(f"/beoordelen/{token}")
    assert page.status_code == 200, page.text[:300]
    return await client.post("/beoordelen", data={**answers, **extra, "token": token,
                                                  "_csrf_token": csrf_from(page.text)})  # fmt: skip


async def test_a_link_works_once_then_gives_a_friendly_410(app, regions) -> None:
    region = await regions.create()
    rw, tokens = await prepared(region, n=1, now=utcnow())
    async with anonymous_client(app) as c:
        page = await c.get(f"/beoordelen/{tokens[0]}")
        assert page.status_code == 200
        assert "Verwacht u in de toekomst opnieuw hulp nodig te hebben?" in page.text
        for label in ("Ja, even zware of zwaardere hulp", "Ja, lichtere hulp", "Nu niet, misschien later", "Nee"):
            assert label in page.text
        done = await c.post("/beoordelen", data={**GOOD, "comment": "Fijne begeleiding.", "token": tokens[0],
                                                 "_csrf_token": csrf_from(page.text)})  # fmt: skip
        assert done.status_code == 303 and done.headers["location"] == "/beoordelen/bedankt"
        assert (await c.get("/beoordelen/bedankt")).status_code == 200
        again = await c.get(f"/beoordelen/{tokens[0]}")
        assert again.status_code == 410 and "Deze link werkt niet meer" in again.text
        repost = await c.post("/beoordelen", data={**GOOD, "token": tokens[0], "_csrf_token": csrf_from(page.text)})
        assert repost.status_code == 410
        api = await c.post("/api/v1/ratings", json={**GOOD, "token": tokens[0]})
        assert api.status_code == 410
    [rating] = await _ratings(region)
    assert (rating.arrangement_id, rating.informant, rating.usefulness, rating.help_again) == (
        rw.arrangement_ids[0], "parent", 8, "02")
    assert rating.comment == "Fijne begeleiding." and rating.comment_status == "pending"


async def test_tampered_and_unknown_tokens_give_410_and_store_nothing(app, regions, caplog) -> None:
    region = await regions.create()
    _rw, tokens = await prepared(region, n=1, now=utcnow())
    token = tokens[0]
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    async with anonymous_client(app) as c:
        for bad in (flipped, token[:-2], "x" * 43, "kort", token + "A", "%00" + token):
            r = await c.get(f"/beoordelen/{bad}")
            assert r.status_code == 410, bad
            api = await c.post("/api/v1/ratings", json={**GOOD, "token": bad})
            assert api.status_code == 410, bad
        assert (await c.post("/api/v1/ratings", json=GOOD)).status_code == 410  # no token at all
    assert await _ratings(region) == []
    assert any("rating link refused" in r.getMessage() for r in caplog.records)
    ours = [r for r in caplog.records if not r.name.startswith("httpx")]  # the test client logs its own URLs
    assert not any(token in r.getMessage() or flipped in r.getMessage() for r in ours)  # never the token


async def test_a_token_rates_only_its_own_arrangement(app, regions) -> None:
    region = await regions.create()
    rw, tokens = await prepared(region, n=2, now=utcnow())
    first, second = rw.arrangement_ids
    async with anonymous_client(app) as c:
        # the second arrangement's token, with the first arrangement's id slipped into the form
        r = await _submit_form(c, tokens[1], GOOD, arrangement_id=str(first), informant="youth")
        assert r.status_code == 303
    ratings = await _ratings(region)
    assert [(x.arrangement_id, x.informant) for x in ratings] == [(second, "parent")]
    async with anonymous_client(app) as c:
        assert (await c.get(f"/beoordelen/{tokens[0]}")).status_code == 200  # the first link still works


async def test_an_expired_link_gives_410(app, regions, monkeypatch) -> None:
    issued = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    region = await regions.create()
    _rw, tokens = await prepared(region, n=1, now=issued)
    import quality.routes.ratings as routes

    async with anonymous_client(app) as c:
        monkeypatch.setattr(routes, "utcnow", lambda: issued + timedelta(days=30) - timedelta(seconds=1))
        assert (await c.get(f"/beoordelen/{tokens[0]}")).status_code == 200
        monkeypatch.setattr(routes, "utcnow", lambda: issued + timedelta(days=30))
        assert (await c.get(f"/beoordelen/{tokens[0]}")).status_code == 410
        r = await c.post("/api/v1/ratings", json={**GOOD, "token": tokens[0]})
        assert r.status_code == 410
    assert await _ratings(region) == []


async def test_twenty_concurrent_submits_with_one_token_store_exactly_one_rating(app, regions) -> None:
    region = await regions.create()
    _rw, tokens = await prepared(region, n=1, now=utcnow())
    async with anonymous_client(app) as c:
        answers = [{"token": tokens[0], "usefulness": str(1 + i % 10), "help_again": "04"} for i in range(20)]
        responses = await asyncio.gather(*(c.post("/api/v1/ratings", json=a) for a in answers))
    codes = sorted(r.status_code for r in responses)
    assert codes.count(201) == 1 and codes.count(410) == 19, codes
    assert len(await _ratings(region)) == 1
    async with region.maker() as s:
        used = (await s.execute(select(func.count()).select_from(RatingInvitation).where(
            RatingInvitation.region_id == region.id, RatingInvitation.used_at.is_not(None)))).scalar_one()  # type: ignore[union-attr]
    assert used == 1


async def test_answers_out_of_range_give_the_form_with_messages_and_the_link_keeps_working(app, regions) -> None:
    region = await regions.create()
    _rw, tokens = await prepared(region, n=1, now=utcnow())
    async with anonymous_client(app) as c:
        for usefulness, help_again, field_text in (
            ("0", "02", "1 tot en met 10"), ("11", "02", "1 tot en met 10"), ("zeven", "02", "1 tot en met 10"),
            ("", "02", "Kies een cijfer"), ("7", "05", "Kies een antwoord"), ("7", "", "Kies een antwoord"),
        ):
            r = await _submit_form(c, tokens[0], {"usefulness": usefulness, "help_again": help_again})
            assert r.status_code == 422, (usefulness, help_again)
            assert field_text in r.text and "Er is een probleem" in r.text
        long = await _submit_form(c, tokens[0], {**GOOD, "comment": "x" * 2001})
        assert long.status_code == 422 and "maximaal 2000 tekens" in long.text
        for body in ({"usefulness": 11, "help_again": "01"}, {"usefulness": 5.5, "help_again": "01"},
                     {"usefulness": True, "help_again": "01"}, {"usefulness": 5, "help_again": 1}):
            api = await c.post("/api/v1/ratings", json={**body, "token": tokens[0]})
            assert api.status_code == 422, body
            assert api.headers["content-type"].startswith("application/problem+json")
            assert {e["field"] for e in api.json()["errors"]} <= {"usefulness", "help_again"}
        assert await _ratings(region) == []
        ok = await c.post("/api/v1/ratings", json={"usefulness": 10, "help_again": "01", "token": tokens[0]})
        assert ok.status_code == 201
    [rating] = await _ratings(region)
    assert rating.usefulness == 10 and rating.comment_status == "none"


async def test_rating_links_are_throttled_per_client_and_x_forwarded_for_does_not_dodge_it(app, regions) -> None:
    from quality.routes.ratings import RATING_REQUESTS_PER_MINUTE

    assert RATING_REQUESTS_PER_MINUTE > 0
    async with anonymous_client(app) as c:
        for i in range(RATING_REQUESTS_PER_MINUTE):
            r = await c.get("/beoordelen/" + "y" * 43, headers={"x-forwarded-for": f"192.0.2.{i}"})
            assert r.status_code == 410
        refused = await c.get("/beoordelen/" + "y" * 43, headers={"x-forwarded-for": "198.51.100.7"})
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        assert (await c.post("/api/v1/ratings", json=GOOD)).status_code == 429
    async with anonymous_client(app) as other:  # another client address is not affected
        assert (await other.get("/beoordelen/" + "y" * 43)).status_code == 410


async def test_team_quality_moderates_free_text(app, regions, new_client) -> None:
    region = await regions.create()
    _rw, tokens = await prepared(region, n=1, now=utcnow())
    async with anonymous_client(app) as c:
        assert (await _submit_form(c, tokens[0], {**GOOD, "comment": "Heel fijn geholpen."})).status_code == 303
    [rating] = await _ratings(region)
    for role in ("team_admin", "provider", "referrer"):
        other = new_client()
        await login(other, await region.user(role, **({"provider_id": _rw.world.provider_id} if role == "provider"
                                                      else {})))  # fmt: skip
        assert (await other.get("/team/kwaliteit/opmerkingen")).status_code == 403
    team = new_client()
    await login(team, await region.user("team_quality"))
    page = await team.get("/team/kwaliteit/opmerkingen")
    assert page.status_code == 200 and "Heel fijn geholpen." in page.text
    r = await team.post("/team/kwaliteit/opmerkingen", data={"rating_id": str(rating.id), "decision": "approve",
                                                             "_csrf_token": csrf_from(page.text)})  # fmt: skip
    assert r.status_code == 303
    [rating] = await _ratings(region)
    assert rating.comment_status == "approved" and rating.moderated_at is not None
    again = await team.post("/team/kwaliteit/opmerkingen", data={"rating_id": str(rating.id), "decision": "reject",
                                                                 "_csrf_token": csrf_from(page.text)})  # fmt: skip
    assert again.status_code == 404  # no longer pending


async def test_invitation_page_sends_mail_and_prints_letters_for_the_team(app, regions, new_client) -> None:
    region = await regions.create()
    rw, _tokens = await prepared(region, n=1, now=utcnow())
    team = new_client()
    await login(team, await region.user("team_quality"))
    path = f"/kwaliteit/uitnodigingen/{rw.arrangement_ids[0]}"
    page = await team.get(path)
    assert page.status_code == 200 and "ouder of verzorger" in page.text
    bad = await team.post(path + "/email", data={"informant": "parent", "email": "nee",
                                                 "_csrf_token": csrf_from(page.text)})  # fmt: skip
    assert bad.status_code == 422 and "geldig e-mailadres" in bad.text
    sent = await team.post(path + "/email", data={"informant": "parent", "email": "ouder@example.org",
                                                  "_csrf_token": csrf_from(page.text)})  # fmt: skip
    assert sent.status_code == 303
    letter = await team.post(path + "/brief", data={"informant": "parent", "_csrf_token": csrf_from(page.text)})
    assert letter.status_code == 200 and letter.headers["content-type"] == "application/pdf"
    provider = new_client()
    await login(provider, await region.user("provider", provider_id=rw.world.provider_id))
    assert (await provider.get(path)).status_code == 403
