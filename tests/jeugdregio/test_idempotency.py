"""Idempotency-Key on every API write (QUALITY-BAR §2.4 and M2, ADR 0007), through HTTP with real API tokens
and a real PostgreSQL: replay, one effect per key, 409 in flight, 422 for another request, 400 without a key,
keys per client, released keys after errors, and the exactly-once mark in the handler's own transaction."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text

from jeugdregio import audit, idempotency
from jeugdregio.clock import today, utcnow
from jeugdregio.jobs import purge_idempotency_keys
from jeugdregio.scheduler import schedule
from jeugdregio.tables import IdempotencyKey, Membership, User
from tests.support.factories import api_headers, csrf, login
from tests.support.register_helpers import TINY_PDF, requirements, token_for
from tests.support.world import Objects, build_world

INFO = "/api/v1/applications/{}/info-requests"


async def scalar(region, sql: str, **params: Any) -> Any:  # type: ignore[no-untyped-def]
    async with region.maker() as s:
        return (await s.execute(text(sql), params)).scalar_one()


async def info_requests(region, application_id: int) -> int:  # type: ignore[no-untyped-def]
    return await scalar(region, "SELECT count(*) FROM contracts_info_request WHERE application_id = :a",
                        a=application_id)  # fmt: skip


async def effects_of_info_request(region, application_id: int) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    """(info requests, audit events of the transition, mails queued): one logical request → (1, 1, 1)."""
    events = await scalar(
        region, "SELECT count(*) FROM jeugdregio_audit_event WHERE region_id = :r AND object_id = :o "
        "AND action = 'request_info'", r=region.id, o=str(application_id),
    )  # fmt: skip
    mails = await scalar(region, "SELECT count(*) FROM jeugdregio_outbox_message WHERE region_id = :r "
                         "AND subject LIKE 'Aanvullende informatie%'", r=region.id)  # fmt: skip
    return await info_requests(region, application_id), events, mails


async def contract_events(region, contract_id: int, action: str) -> int:  # type: ignore[no-untyped-def]
    return await scalar(
        region, "SELECT count(*) FROM jeugdregio_audit_event WHERE object_type = 'framework_contract' "
        "AND object_id = :o AND action = :a", o=str(contract_id), a=action,
    )  # fmt: skip


async def provider_evidence(region, provider_id: int) -> int:  # type: ignore[no-untyped-def]
    return await scalar(region, "SELECT count(*) FROM contracts_evidence WHERE provider_id = :p", p=provider_id)


async def key_rows(region, key: str) -> list[IdempotencyKey]:  # type: ignore[no-untyped-def]
    async with region.maker() as s:
        rows = await s.execute(select(IdempotencyKey).where(IdempotencyKey.region_id == region.id,
                                                            IdempotencyKey.key == key))  # fmt: skip
        return list(rows.scalars())


async def membership_id(region, email: str) -> int:  # type: ignore[no-untyped-def]
    async with region.maker() as s:
        return (
            await s.execute(
                select(Membership.id).join(User, User.id == Membership.user_id)  # type: ignore[arg-type]
                .where(User.email == email, Membership.region_id == region.id)
            )
        ).scalar_one()


async def setup(regions) -> tuple[Any, Objects, dict[str, str]]:  # type: ignore[no-untyped-def]
    region = await regions.create()
    world = await build_world(region)
    team = await token_for(region, world.users["team_contracts"])
    return region, world, team


def status_change(reason: str) -> dict[str, str]:
    return {"reason": reason, "effective_on": today().isoformat()}


# ---- replay -------------------------------------------------------------------------------------------------


async def test_a_repeated_request_is_replayed_byte_for_byte_and_has_one_effect(client, regions) -> None:
    region, w, team = await setup(regions)
    url = INFO.format(w.open_application_id)
    headers = api_headers(team)
    first = await client.post(url, headers=headers, json={"message": "Graag de polis."})
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    for _ in range(3):
        again = await client.post(url, headers=headers, json={"message": "Graag de polis."})
        assert again.status_code == 201  # without the key: 409, the status no longer allows an info request
        assert again.content == first.content
        assert again.headers["content-type"] == first.headers["content-type"]
        assert again.headers["idempotent-replayed"] == "true"
        assert "content-security-policy" in again.headers  # a replay is a response like any other
    assert await effects_of_info_request(region, w.open_application_id) == (1, 1, 1)
    [row] = await key_rows(region, headers["idempotency-key"])
    assert (row.state, row.response_status, row.token_id is not None) == ("done", 201, True)


async def test_suspend_and_resume_are_replayed_not_redone(client, regions) -> None:
    region, w, team = await setup(regions)
    c = w.contract_id
    suspend = api_headers(team)
    first = await client.post(f"/api/v1/contracts/{c}/suspend", headers=suspend, json=status_change("VOG verlopen"))
    assert first.status_code == 200 and first.json()["status"] == "suspended", first.text
    resumed = await client.post(f"/api/v1/contracts/{c}/resume", headers=api_headers(team),
                                json=status_change("VOG binnen"))  # fmt: skip
    assert resumed.status_code == 200 and resumed.json()["status"] == "active"
    # the suspend retried later (a lost response): the stored answer, and the contract stays active
    retry = await client.post(f"/api/v1/contracts/{c}/suspend", headers=suspend, json=status_change("VOG verlopen"))
    assert (retry.status_code, retry.content) == (200, first.content)
    assert retry.headers["idempotent-replayed"] == "true"
    now = (await client.get(f"/api/v1/contracts/{c}", headers=team)).json()
    assert now["status"] == "active"
    assert (await contract_events(region, c, "suspend"), await contract_events(region, c, "resume")) == (1, 1)


# ---- 422, 400 -----------------------------------------------------------------------------------------------


async def test_the_same_key_for_another_request_is_422(client, regions) -> None:
    region, w, team = await setup(regions)
    url = INFO.format(w.open_application_id)
    headers = api_headers(team)
    assert (await client.post(url, headers=headers, json={"message": "Eerste"})).status_code == 201
    for other in (
        client.post(url, headers=headers, json={"message": "Tweede"}),  # other body
        client.post(url + "?x=1", headers=headers, json={"message": "Eerste"}),  # other query
        client.post(f"/api/v1/contracts/{w.contract_id}/suspend", headers=headers, json=status_change("x")),
    ):
        r = await other
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert "Idempotency-Key" in r.json()["detail"] and "ander verzoek" in r.json()["detail"]
    assert await effects_of_info_request(region, w.open_application_id) == (1, 1, 1)
    assert await contract_events(region, w.contract_id, "suspend") == 0


async def test_a_missing_empty_or_too_long_key_is_400(client, regions) -> None:
    region, w, team = await setup(regions)
    url = INFO.format(w.open_application_id)
    missing = await client.post(url, headers=team, json={"message": "Hoi"})
    assert missing.status_code == 400
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert "De header Idempotency-Key ontbreekt" in missing.json()["detail"]
    for bad in ("", "   ", "k" * 256):
        r = await client.post(url, headers={**team, "idempotency-key": bad}, json={"message": "Hoi"})
        assert r.status_code == 400, bad
        assert "Idempotency-Key" in r.json()["detail"] and "255" in r.json()["detail"]
    assert await info_requests(region, w.open_application_id) == 0
    r = await client.post(url, headers={**team, "idempotency-key": "k" * 255}, json={"message": "Hoi"})
    assert r.status_code == 201


# ---- 409 in flight ------------------------------------------------------------------------------------------


async def test_a_key_still_in_progress_is_409_and_a_stale_one_is_taken_over(client, regions) -> None:
    region, w, team = await setup(regions)
    url = INFO.format(w.open_application_id)
    body = json.dumps({"message": "Graag de polis."}).encode()
    fingerprint = idempotency.fingerprint("POST", url, b"", "application/json", body)
    mid = await membership_id(region, w.users["team_contracts"])
    key = str(uuid.uuid4())
    async with region.maker() as s:
        now = utcnow()
        row = IdempotencyKey(region_id=region.id, membership_id=mid, key=key, request_hash=fingerprint,
                             state="in_progress", lease="other-attempt", created_at=now, started_at=now)  # fmt: skip
        s.add(row)
        await s.commit()
    headers = {**team, "idempotency-key": key, "content-type": "application/json"}
    r = await client.post(url, headers=headers, content=body)
    assert r.status_code == 409 and "nog verwerkt" in r.json()["detail"]
    assert await info_requests(region, w.open_application_id) == 0
    # an attempt that claimed the key 11 minutes ago and committed nothing: the key is taken over
    async with region.maker() as s:
        await s.execute(text("UPDATE jeugdregio_idempotency_key SET started_at = now() - interval '11 minutes' "
                             "WHERE id = :i"), {"i": row.id})  # fmt: skip
        await s.commit()
    r = await client.post(url, headers=headers, content=body)
    assert r.status_code == 201, r.text
    assert await effects_of_info_request(region, w.open_application_id) == (1, 1, 1)
    [stored] = await key_rows(region, key)
    assert (stored.id, stored.state, stored.lease != "other-attempt") == (row.id, "done", True)


async def test_the_older_attempt_cannot_commit_after_its_key_was_taken_over(regions) -> None:
    """The lease: the mark in the work's own transaction fails for an attempt whose key was taken over."""
    region, w, _ = await setup(regions)
    mid = await membership_id(region, w.users["team_contracts"])
    client_id = idempotency.Client(region.id, mid)
    old = await idempotency.claim(region.maker, client_id, "k-lease", "h" * 64, now=utcnow() - timedelta(minutes=11))
    new = await idempotency.claim(region.maker, client_id, "k-lease", "h" * 64, now=utcnow())
    assert isinstance(old, idempotency.Claim) and isinstance(new, idempotency.Claim)
    assert (old.row_id, old.lease != new.lease) == (new.row_id, True)
    async with region.maker() as s:
        with pytest.raises(idempotency.KeyInFlight):
            await idempotency.mark_committed(s, old)
        await s.rollback()
    async with region.maker() as s:
        await idempotency.mark_committed(s, new)
        await s.commit()
    await idempotency.release(region.maker, old)  # the old attempt cleaning up must not free the new one's key
    assert [r.state for r in await key_rows(region, "k-lease")] == ["committed"]


async def test_a_request_still_running_makes_the_same_key_409(client, regions, monkeypatch) -> None:
    region, w, team = await setup(regions)
    url = INFO.format(w.open_application_id)
    headers = api_headers(team)
    started, release = asyncio.Event(), asyncio.Event()
    record = audit.record

    async def slow_record(*args: Any, **kwargs: Any) -> None:
        started.set()
        await release.wait()
        await record(*args, **kwargs)

    monkeypatch.setattr(audit, "record", slow_record)
    first = asyncio.create_task(client.post(url, headers=headers, json={"message": "Eerst"}))
    await asyncio.wait_for(started.wait(), 10)
    second = await client.post(url, headers=headers, json={"message": "Eerst"})
    assert second.status_code == 409 and "nog verwerkt" in second.json()["detail"]
    release.set()
    assert (await first).status_code == 201
    monkeypatch.setattr(audit, "record", record)
    third = await client.post(url, headers=headers, json={"message": "Eerst"})
    assert (third.status_code, third.content) == (201, (await first).content)
    assert await effects_of_info_request(region, w.open_application_id) == (1, 1, 1)


@pytest.mark.parametrize("n", [2, 6])
async def test_identical_requests_at_once_have_exactly_one_effect(client, regions, n) -> None:
    """Uploads have no state machine to hide a double effect: without the key each would add evidence."""
    region, w, _ = await setup(regions)
    provider = await token_for(region, w.users["provider"])
    requirement = next(r for r in await requirements(region) if r.evidence_required)
    before = await provider_evidence(region, w.provider_id)
    headers = api_headers(provider)

    def upload() -> Any:  # httpx picks a new multipart boundary for every request: still the same request
        return client.post("/api/v1/evidence", headers=headers, data={"requirement_id": str(requirement.id)},
                           files={"file": ("vog.pdf", TINY_PDF, "application/pdf")})  # fmt: skip

    responses = await asyncio.gather(*(upload() for _ in range(n)))
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {201, 409} and statuses.count(201) >= 1, statuses
    assert len({r.content for r in responses if r.status_code == 201}) == 1
    assert await provider_evidence(region, w.provider_id) == before + 1
    later = await upload()
    assert later.status_code == 201 and later.headers["idempotent-replayed"] == "true"
    assert await provider_evidence(region, w.provider_id) == before + 1


# ---- per client -----------------------------------------------------------------------------------------------


async def test_keys_belong_to_one_client(client, regions) -> None:
    region = await regions.create()
    w = await build_world(region)
    second_app = (await build_world(region)).open_application_id
    alice = await token_for(region, w.users["team_contracts"])
    bob = await token_for(region, await region.user("team_admin"))
    key = str(uuid.uuid4())
    a = await client.post(INFO.format(w.open_application_id), headers=api_headers(alice, key=key),
                          json={"message": "Van Alice"})  # fmt: skip
    assert a.status_code == 201
    # the same key value and the identical request from another team member: Bob's own request, which runs
    # (and finds the application already waiting), never Alice's stored response
    same = await client.post(INFO.format(w.open_application_id), headers=api_headers(bob, key=key),
                             json={"message": "Van Alice"})  # fmt: skip
    assert same.status_code == 409 and "idempotent-replayed" not in same.headers
    assert same.content != a.content
    b = await client.post(INFO.format(second_app), headers=api_headers(bob, key=key), json={"message": "Van Bob"})
    assert b.status_code == 201 and "idempotent-replayed" not in b.headers
    assert b.json()["message"] == "Van Bob" and b.json()["id"] != a.json()["id"]
    # another token of Alice's own membership is the same client: the stored response
    alice2 = await token_for(region, w.users["team_contracts"])
    again = await client.post(INFO.format(w.open_application_id), headers=api_headers(alice2, key=key),
                              json={"message": "Van Alice"})  # fmt: skip
    assert (again.status_code, again.content) == (201, a.content)
    assert len(await key_rows(region, key)) == 2


async def test_providers_never_see_each_others_stored_responses(client, regions) -> None:
    region = await regions.create()
    mine, theirs = await build_world(region), await build_world(region)
    requirement = next(r for r in await requirements(region) if r.evidence_required)
    key = str(uuid.uuid4())
    out = {}
    for w in (mine, theirs):
        token = await token_for(region, w.users["provider"])
        r = await client.post("/api/v1/evidence", headers=api_headers(token, key=key),
                              data={"requirement_id": str(requirement.id)},
                              files={"file": ("vog.pdf", TINY_PDF, "application/pdf")})  # fmt: skip
        assert r.status_code == 201 and "idempotent-replayed" not in r.headers
        out[w.provider_id] = r.json()
    assert {p: body["provider_id"] for p, body in out.items()} == {mine.provider_id: mine.provider_id,
                                                                   theirs.provider_id: theirs.provider_id}
    # a colleague at the same provider (another membership) is another client, too
    colleague = await token_for(region, await region.user("provider", provider_id=mine.provider_id))
    r = await client.post("/api/v1/evidence", headers=api_headers(colleague, key=key),
                          data={"requirement_id": str(requirement.id)},
                          files={"file": ("vog.pdf", TINY_PDF, "application/pdf")})  # fmt: skip
    assert r.status_code == 201 and r.json()["id"] not in {b["id"] for b in out.values()}


# ---- errors release the key -----------------------------------------------------------------------------------


async def test_a_server_error_releases_the_key_and_the_retry_runs(client, regions, monkeypatch) -> None:
    region, w, team = await setup(regions)
    url = INFO.format(w.open_application_id)
    headers = api_headers(team)

    async def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("storing failed")

    record = audit.record
    monkeypatch.setattr(audit, "record", broken)
    r = await client.post(url, headers=headers, json={"message": "Graag de polis."})
    assert r.status_code == 500
    assert await key_rows(region, headers["idempotency-key"]) == []
    assert await info_requests(region, w.open_application_id) == 0
    monkeypatch.setattr(audit, "record", record)
    r = await client.post(url, headers=headers, json={"message": "Graag de polis."})
    assert r.status_code == 201 and "idempotent-replayed" not in r.headers
    assert await effects_of_info_request(region, w.open_application_id) == (1, 1, 1)


async def test_a_refused_request_releases_the_key(client, regions) -> None:
    region, w, team = await setup(regions)
    url = INFO.format(w.open_application_id)
    headers = api_headers(team)
    r = await client.post(url, headers=headers, json={"message": ""})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "message"
    assert await key_rows(region, headers["idempotency-key"]) == []
    r = await client.post(url, headers=headers, json={"message": "Nu wel"})  # corrected: the same key may run
    assert r.status_code == 201
    provider = await token_for(region, w.users["provider"])
    forbidden = await client.post(url, headers=api_headers(provider), json={"message": "x"})
    assert forbidden.status_code == 403


async def test_work_committed_but_response_lost_is_never_done_twice(client, regions, monkeypatch) -> None:
    """A crash between the handler's commit and storing the response: the key was marked in the same
    transaction as the work, so the retry is refused instead of doing the work again."""
    region, w, team = await setup(regions)
    url = INFO.format(w.open_application_id)
    headers = api_headers(team)

    async def crash(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("the process died here")

    monkeypatch.setattr(idempotency, "store_response", crash)
    first = await client.post(url, headers=headers, json={"message": "Graag de polis."})
    assert first.status_code == 201
    [row] = await key_rows(region, headers["idempotency-key"])
    assert row.state == "committed"
    monkeypatch.undo()
    retry = await client.post(url, headers=headers, json={"message": "Graag de polis."})
    assert retry.status_code == 409 and "al verwerkt" in retry.json()["detail"]
    assert await effects_of_info_request(region, w.open_application_id) == (1, 1, 1)


async def test_a_body_over_the_route_limit_is_413_and_claims_nothing(client, regions) -> None:
    region, w, team = await setup(regions)
    headers = api_headers(team)
    r = await client.post(INFO.format(w.open_application_id), headers=headers,
                          json={"message": "x" * 1_100_000})  # fmt: skip
    assert r.status_code == 413
    assert await key_rows(region, headers["idempotency-key"]) == []


# ---- what is not affected -------------------------------------------------------------------------------------


async def test_reads_anonymous_requests_and_cookie_pages_need_no_key(client, regions) -> None:
    region, w, team = await setup(regions)
    assert (await client.get("/api/v1/applications", headers=team)).status_code == 200
    assert (await client.get(f"/api/v1/contracts/{w.contract_id}", headers=team)).status_code == 200
    anonymous = await client.post(INFO.format(w.open_application_id), json={"message": "x"})
    assert anonymous.status_code == 401
    await login(client, w.users["team_contracts"])
    token = await csrf(client, "/account")
    page = await client.post(f"/team/contracten/{w.contract_id}/schorsen",
                             data={"_csrf_token": token, **status_change("Via de pagina")})  # fmt: skip
    assert page.status_code == 303, page.text[:300]
    assert await contract_events(region, w.contract_id, "suspend") == 1
    async with region.maker() as s:
        count = select(func.count()).where(IdempotencyKey.region_id == region.id)
        assert (await s.execute(count)).scalar_one() == 0


# ---- the purge job ----------------------------------------------------------------------------------------------


async def test_keys_older_than_a_day_are_purged_by_the_hourly_job(session, regions) -> None:
    region = await regions.create()
    email = await region.user("team_contracts")
    mid = await membership_id(region, email)
    now = utcnow()
    for key, age in (("oud", timedelta(hours=25)), ("nieuw", timedelta(hours=23))):
        session.add(IdempotencyKey(region_id=region.id, membership_id=mid, key=key, request_hash="h" * 64,
                                   state="done", lease="l", response_status=200, content_type="application/json",
                                   body=b"{}", created_at=now - age, started_at=now - age))  # fmt: skip
    await session.flush()
    summary = await purge_idempotency_keys(session, now=now)
    assert summary["purged"] >= 1
    left = await session.execute(select(IdempotencyKey.key).where(IdempotencyKey.region_id == region.id))
    assert list(left.scalars()) == ["nieuw"]
    job = next(j for j in schedule() if j.name == "purge_idempotency_keys")
    assert job.cron == {"minute": 17} and job.period(now) == now.strftime("%Y-%m-%dT%H")


async def test_the_openapi_schema_requires_the_header_on_writes_only(client) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    write = paths["/api/v1/contracts/{contract_id}/suspend"]["post"]
    [header] = [p for p in write["parameters"] if p["name"] == "Idempotency-Key"]
    assert header["in"] == "header" and header["required"] is True and header["schema"]["maxLength"] == 255
    for path, operations in paths.items():
        for method, operation in operations.items():
            names = {p["name"] for p in operation.get("parameters", [])}
            assert ("Idempotency-Key" in names) == (method in ("post", "put", "patch", "delete")), (path, method)
