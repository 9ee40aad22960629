"""Access to every register route for every role (pages and JSON API), foreign objects, and the API itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from contracts.models import FrameworkContract, Provider
from contracts.services import contract_lifecycle as reg
from jeugdregio.audit import Actor
from jeugdregio.clock import today, utcnow
from jeugdregio.security import new_token, token_hash
from jeugdregio.tables import ROLES, TEAM_ROLES, ApiToken, Membership, User
from tests.support import factories
from tests.support.factories import api_headers, csrf, login
from tests.support.register_factories import TINY_PDF, Admitted, admit_committed

MB = 1024 * 1024
CONTRACT_ROLES = ("team_admin", "team_contracts")


async def bearer(region: factories.TestRegion, email: str) -> dict[str, str]:
    """An API token for the user's membership in this region, made directly in the database."""
    async with region.maker() as s:
        m = (
            await s.execute(
                select(Membership).join(User, User.id == Membership.user_id).where(User.email == email)  # type: ignore[arg-type]
            )
        ).scalar_one()
        token = "jr_" + new_token()
        s.add(ApiToken(region_id=region.id, membership_id=m.id, name="test", token_hash=token_hash(token),
                       prefix=token[:10], created_at=utcnow(), created_by=m.user_id))  # fmt: skip
        await s.commit()
    return {"authorization": f"Bearer {token}"}


@dataclass
class World:
    region: factories.TestRegion
    own: Admitted  # the provider the provider role belongs to
    other: Admitted  # another provider in the same region
    ended: Admitted  # a provider whose contract is terminated
    foreign: Admitted  # a provider in another region


async def make_world(regions) -> World:  # type: ignore[no-untyped-def]
    region, elsewhere = await regions.create(), await regions.create()
    own = await admit_committed(region, profiles=(1, 2), municipalities=(0,))
    other = await admit_committed(region, profiles=(3,), municipalities=(1,))
    ended = await admit_committed(region, profiles=(1,), municipalities=(2,))
    async with region.maker() as s:
        who = Actor(user_id=None, label="test", role="team_admin", region_id=region.id)
        await reg.terminate_contract(s, ended.contract_id, reason="Einde", on=today(), actor=who, now=utcnow())
        await s.commit()
    foreign = await admit_committed(elsewhere)
    return World(region, own, other, ended, foreign)


async def user_for(world: World, role: str) -> str:
    if role == "provider":
        return await world.region.user("provider", provider_id=world.own.provider_id)
    return await world.region.user(role)


# (method, path, allowed roles, status for an allowed role when not 200)
def routes(w: World) -> list[tuple[str, str, tuple[str, ...], int]]:
    c, p, ev = w.own.contract_id, w.own.provider_id, w.own.evidence_ids["kvk"]
    register_readers = (*TEAM_ROLES, "municipality", "referrer")
    return [
        ("GET", "/team/register", TEAM_ROLES, 200),
        ("GET", "/team/register.csv", TEAM_ROLES, 200),
        ("GET", "/team/register.xlsx", TEAM_ROLES, 200),
        ("GET", f"/team/aanbieders/{p}", TEAM_ROLES, 200),
        ("GET", f"/team/contracten/{c}/versies/1.pdf", TEAM_ROLES, 200),
        ("POST", f"/team/contracten/{c}/schorsen", CONTRACT_ROLES, 422),
        ("POST", f"/team/contracten/{c}/hervatten", CONTRACT_ROLES, 422),
        ("POST", f"/team/contracten/{c}/beeindigen", CONTRACT_ROLES, 422),
        ("POST", f"/team/contracten/{c}/wijzigen", CONTRACT_ROLES, 422),
        ("GET", f"/documenten/evidence/{ev}", (*TEAM_ROLES, "provider"), 200),
        ("GET", "/portaal", ("provider",), 200),
        ("GET", "/portaal/contract/versies/1.pdf", ("provider",), 200),
        ("POST", "/portaal/bewijs", ("provider",), 422),
        ("GET", "/register", register_readers, 200),
        ("GET", "/api/v1/providers", (*register_readers, "provider"), 200),
        ("GET", f"/api/v1/providers/{p}", (*register_readers, "provider"), 200),
        ("GET", "/api/v1/contracts", (*TEAM_ROLES, "provider"), 200),
        ("GET", f"/api/v1/contracts/{c}", (*TEAM_ROLES, "provider"), 200),
        ("POST", f"/api/v1/contracts/{c}/suspend", CONTRACT_ROLES, 422),
        ("POST", f"/api/v1/contracts/{c}/resume", CONTRACT_ROLES, 422),
        ("POST", f"/api/v1/contracts/{c}/terminate", CONTRACT_ROLES, 422),
        ("POST", f"/api/v1/contracts/{c}/amend", CONTRACT_ROLES, 422),
        ("GET", "/api/v1/evidence", (*TEAM_ROLES, "provider"), 200),
        ("POST", "/api/v1/evidence", ("provider",), 422),
    ]


# roles that pass a route's guard but may not see this object get 404 (row scoping), not 403
ROW_SCOPED = {"/documenten/evidence/": ("municipality", "referrer", "applicant")}


@pytest.mark.parametrize("role", [*ROLES, "anonymous"])
async def test_every_role_on_every_register_route(client, regions, role) -> None:
    world = await make_world(regions)
    token_headers: dict[str, str] = {}
    if role != "anonymous":
        email = await user_for(world, role)
        await login(client, email)
        token_headers = await bearer(world.region, email)
    token = await csrf(client, "/account" if role != "anonymous" else "/inloggen")
    failures = []
    for method, path, allowed, allowed_status in routes(world):
        api = path.startswith("/api/")
        headers = token_headers if api else {}
        if method == "GET":
            r = await client.get(path, headers=headers)
        elif api:
            write = api_headers(headers)
            r = await client.post(path, json={}, headers=write) if "evidence" not in path else await client.post(
                path, headers=write, files={"file": ("a.txt", b"text", "text/plain")})  # fmt: skip
        elif path == "/portaal/bewijs":
            r = await client.post(path, data={"_csrf_token": token}, files={"file": ("a.txt", b"x", "text/plain")})
        else:
            r = await client.post(path, data={"_csrf_token": token})
        scoped = any(path.startswith(prefix) and role in roles for prefix, roles in ROW_SCOPED.items())
        if role == "anonymous":
            want = 401 if api else 303
        elif role in allowed:
            want = allowed_status
        else:
            want = 404 if scoped else 403
        if r.status_code != want or (want == 303 and not r.headers["location"].startswith("/inloggen")):
            failures.append(f"{role} {method} {path}: {r.status_code}, wanted {want}")
        if api and r.status_code >= 400:
            assert r.headers["content-type"].startswith("application/problem+json"), path
    assert not failures, "\n".join(failures)
    async with world.region.maker() as s:  # denied and invalid requests changed nothing
        contract = await s.get(FrameworkContract, world.own.contract_id)
        assert (contract.status, contract.version) == ("active", 1)


async def test_team_never_reaches_another_regions_objects(client, regions) -> None:
    w = await make_world(regions)
    f = w.foreign
    email = await w.region.user("team_admin")
    await login(client, email)
    headers = await bearer(w.region, email)
    for path in (f"/team/aanbieders/{f.provider_id}", f"/team/contracten/{f.contract_id}/versies/1.pdf",
                 f"/documenten/evidence/{f.evidence_ids['kvk']}"):  # fmt: skip
        assert (await client.get(path)).status_code == 404, path
    token = await csrf(client, "/account")
    r = await client.post(f"/team/contracten/{f.contract_id}/schorsen",
                          data={"_csrf_token": token, "reason": "x", "effective_on": today().isoformat()})  # fmt: skip
    assert r.status_code == 404
    for path in (f"/api/v1/providers/{f.provider_id}", f"/api/v1/contracts/{f.contract_id}",
                 f"/api/v1/evidence?provider_id={f.provider_id}"):  # fmt: skip
        assert (await client.get(path, headers=headers)).status_code == 404, path
    r = await client.post(f"/api/v1/contracts/{f.contract_id}/suspend", headers=api_headers(headers),
                          json={"reason": "x", "effective_on": today().isoformat()})  # fmt: skip
    assert r.status_code == 404
    listed = (await client.get("/api/v1/providers", headers=headers)).json()
    assert f.provider_id not in {p["id"] for p in listed["items"]}
    async with w.region.maker() as s:
        assert (await s.get(Provider, f.provider_id)).status == "active"


async def test_a_provider_token_never_reaches_another_providers_contract_or_evidence(client, regions) -> None:
    w = await make_world(regions)
    headers = await bearer(w.region, await user_for(w, "provider"))
    o = w.other
    paths = (f"/api/v1/contracts/{o.contract_id}", f"/api/v1/providers/{o.provider_id}",
             f"/api/v1/evidence?provider_id={o.provider_id}", f"/api/v1/contracts/{w.foreign.contract_id}")
    for path in paths:
        r = await client.get(path, headers=headers)
        assert r.status_code == 404, path
    contracts = (await client.get("/api/v1/contracts", headers=headers)).json()["items"]
    assert [c["id"] for c in contracts] == [w.own.contract_id]
    assert (await client.get(f"/api/v1/contracts?provider_id={o.provider_id}", headers=headers)).json()["items"] == []
    providers = (await client.get("/api/v1/providers", headers=headers)).json()
    assert [p["id"] for p in providers["items"]] == [w.own.provider_id] and providers["total"] == 1
    vault = (await client.get("/api/v1/evidence", headers=headers)).json()["items"]
    assert {row["provider_id"] for row in vault} == {w.own.provider_id}
    ids = {row["evidence"]["id"] for row in vault if row["evidence"]}
    assert o.evidence_ids["kvk"] not in ids and w.own.evidence_ids["kvk"] in ids
    # a cookie never authenticates the API, even for a logged-in provider
    await login(client, await user_for(w, "provider"))
    assert (await client.get("/api/v1/evidence")).status_code == 401


async def test_api_provider_views_per_role(client, regions) -> None:
    w = await make_world(regions)
    team = await bearer(w.region, await w.region.user("team_contracts"))
    r = await client.get("/api/v1/providers", headers=team)
    body = r.json()
    assert r.status_code == 200 and body["total"] == 3 and body["per_page"] == 50
    row = next(p for p in body["items"] if p["id"] == w.own.provider_id)
    assert row["kvk"] == w.own.kvk and row["lots"] == [1, 2] and row["evidence"]["missing"] == 0
    assert row["contract_id"] == w.own.contract_id
    filtered = await client.get("/api/v1/providers", params={"profile": w.region.profile_ids[3]}, headers=team)
    assert [p["id"] for p in filtered.json()["items"]] == [w.other.provider_id]
    ended = await client.get("/api/v1/providers", params={"status": "ended"}, headers=team)
    assert [p["id"] for p in ended.json()["items"]] == [w.ended.provider_id]
    bad = await client.get("/api/v1/providers", params={"status": "weg", "profile": "x"}, headers=team)
    assert bad.status_code == 422 and {e["field"] for e in bad.json()["errors"]} == {"status", "profile"}
    detail = (await client.get(f"/api/v1/providers/{w.own.provider_id}", headers=team)).json()
    assert detail["contact_name"] == "Tess Test" and detail["street"] == "Teststraat 1"

    municipality = await bearer(w.region, await w.region.user("municipality"))
    public = (await client.get("/api/v1/providers", headers=municipality)).json()
    assert {p["id"] for p in public["items"]} == {w.own.provider_id, w.other.provider_id}
    assert all(set(p) == {"id", "name", "city", "status", "contact_email", "lots", "municipalities"}
               for p in public["items"])  # fmt: skip
    assert (await client.get(f"/api/v1/providers/{w.ended.provider_id}", headers=municipality)).status_code == 404
    one = (await client.get(f"/api/v1/providers/{w.own.provider_id}", headers=municipality)).json()
    assert "kvk" not in one and "contact_name" not in one


async def test_api_contract_actions(client, regions) -> None:
    w = await make_world(regions)
    headers = await bearer(w.region, await w.region.user("team_contracts"))
    c = w.own.contract_id
    detail = (await client.get(f"/api/v1/contracts/{c}", headers=headers)).json()
    assert detail["version"] == 1 and detail["lots"] == [1, 2] and detail["volume_guarantee"] is False
    assert [v["version"] for v in detail["versions"]] == [1]

    r = await client.post(
        f"/api/v1/contracts/{c}/suspend", headers=api_headers(headers), json={"reason": "", "effective_on": "x"}
    )
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"reason", "effective_on"}

    # fields that are not part of the input are ignored (no mass assignment)
    r = await client.post(f"/api/v1/contracts/{c}/suspend", headers=api_headers(headers),
                          json={"reason": "VOG verlopen", "effective_on": today().isoformat(), "status": "terminated",
                                "version": 99, "provider_id": w.other.provider_id})  # fmt: skip
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["version"], r.json()["provider_id"]) == ("suspended", 1, w.own.provider_id)
    again = await client.post(f"/api/v1/contracts/{c}/suspend", headers=api_headers(headers),
                              json={"reason": "nogmaals", "effective_on": today().isoformat()})  # fmt: skip
    assert again.status_code == 409 and "kan niet bij status" in again.json()["detail"]
    r = await client.post(f"/api/v1/contracts/{c}/resume", headers=api_headers(headers),
                          json={"reason": "Aangeleverd", "effective_on": today().isoformat()})  # fmt: skip
    assert r.status_code == 200 and r.json()["status"] == "active"

    r = await client.post(f"/api/v1/contracts/{c}/amend", headers=api_headers(headers),
                          json={"reason": "Perceel 7 erbij", "effective_on": today().isoformat(),
                                "profile_ids": [w.region.profile_ids[1], w.region.profile_ids[7]]})  # fmt: skip
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["version"] == 2 and body["lots"] == [1, 7]
    assert (body["versions"][0]["version"], body["versions"][0]["reason"]) == (2, "Perceel 7 erbij")
    r = await client.post(f"/api/v1/contracts/{c}/amend", headers=api_headers(headers),
                          json={"reason": "Verlenging", "effective_on": today().isoformat(),
                                "ends_on": (today() - timedelta(days=3650)).isoformat()})  # fmt: skip
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "ends_on"

    r = await client.post(f"/api/v1/contracts/{c}/terminate", headers=api_headers(headers),
                          json={"reason": "Faillissement", "effective_on": today().isoformat()})  # fmt: skip
    assert r.status_code == 200 and r.json()["status"] == "terminated"
    provider = (await client.get(f"/api/v1/providers/{w.own.provider_id}", headers=headers)).json()
    assert provider["status"] == "ended"
    listed = (await client.get("/api/v1/contracts", params={"status": "terminated"}, headers=headers)).json()
    assert {x["id"] for x in listed["items"]} == {c, w.ended.contract_id}


async def test_api_evidence_vault_and_upload(client, regions) -> None:
    w = await make_world(regions)
    headers = await bearer(w.region, await user_for(w, "provider"))
    vault = (await client.get("/api/v1/evidence", headers=headers)).json()["items"]
    by_code = {row["requirement_code"]: row for row in vault}
    assert by_code["kvk"]["state"] == "valid" and by_code["kwaliteitssysteem"]["state"] == "optional"
    requirement = by_code["vog"]["requirement_id"]
    old = by_code["vog"]["evidence"]["id"]

    r = await client.post("/api/v1/evidence", headers=api_headers(headers), data={"requirement_id": str(requirement)},
                          files={"file": ("vog.pdf", TINY_PDF, "application/pdf")})  # fmt: skip
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["provider_id"] == w.own.provider_id and new["valid_until"]
    vault = (await client.get("/api/v1/evidence", params={"state": "valid"}, headers=headers)).json()["items"]
    assert {row["requirement_code"]: row["evidence"]["id"] for row in vault}["vog"] == new["id"] != old

    r = await client.post("/api/v1/evidence", headers=api_headers(headers),
                          data={"requirement_id": str(requirement), "valid_until": "2000-01-01"},
                          files={"file": ("x.exe", b"MZ\x90\x00", "application/pdf")})  # fmt: skip
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"file", "valid_until"}
    r = await client.post("/api/v1/evidence", headers=api_headers(headers), data={"requirement_id": str(requirement)},
                          files={"file": ("big.pdf", b"%PDF-" + b"0" * (11 * MB), "application/pdf")})  # fmt: skip
    assert r.status_code == 413
    bad = await client.get("/api/v1/evidence", params={"state": "weg"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "state"

    team = await bearer(w.region, await w.region.user("team_quality"))
    r = await client.get("/api/v1/evidence", params={"provider_id": w.other.provider_id}, headers=team)
    assert r.status_code == 200 and {row["provider_id"] for row in r.json()["items"]} == {w.other.provider_id}
    r = await client.post("/api/v1/evidence", headers=api_headers(team), data={"requirement_id": str(requirement)},
                          files={"file": ("vog.pdf", TINY_PDF, "application/pdf")})  # fmt: skip
    assert r.status_code == 403


async def test_register_api_is_documented(client) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    for path, methods in (("/api/v1/providers", ["get"]), ("/api/v1/contracts/{contract_id}/amend", ["post"]),
                          ("/api/v1/evidence", ["get", "post"])):  # fmt: skip
        for method in methods:
            operation = schema["paths"][path][method]
            assert operation["tags"] == ["register"]
            assert operation.get("description") or operation.get("summary")
    assert not any(p.startswith(("/team/", "/portaal", "/register", "/documenten")) for p in schema["paths"])
