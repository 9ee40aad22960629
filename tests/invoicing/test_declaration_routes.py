"""Declarations over HTTP: the provider's web form and upload, the JSON API, M2 (idempotency on the declaration
and CSV endpoints) and access (another provider's arrangement is 404; declarations are visible to their owner)."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from invoicing.models import Declaration
from jeugdregio import audit
from tests.support.factories import api_headers, csrf, login
from tests.support.invoicing_factories import InvoicingWorld, add_arrangement, invoicing_committed
from tests.support.register_helpers import token_for

HEADER = "referentie;soort;datum;eenheden;bedrag_cent;reden_einde;resultaten;eigen_referentie"


async def world_with(regions, **arrangements: dict[str, Any]) -> tuple[InvoicingWorld, dict[str, int]]:  # type: ignore[no-untyped-def]
    region = await regions.create()
    world = await invoicing_committed(region, users=True)
    ids = {}
    async with region.maker() as s:
        for name, kw in arrangements.items():
            if kw.get("provider_id") == "other":
                kw = {**kw, "provider_id": world.other_provider_id}
            ids[name] = await add_arrangement(s, world, reference=f"AR-{name.upper()}", **kw)
        await s.commit()
    return world, ids


async def declarations_of(world: InvoicingWorld) -> int:
    async with world.region.maker() as s:
        return int((await s.execute(select(func.count()).where(Declaration.region_id == world.region.id)))
                   .scalar_one())  # fmt: skip


# ---- web -----------------------------------------------------------------------------------------------------


async def test_the_web_form_accepts_a_start_and_explains_a_second_one(client, regions) -> None:
    world, _ = await world_with(regions, a={"tariff_cents": 100_000}, theirs={"provider_id": "other"})
    await login(client, world.users["provider"])
    form = await client.get("/portaal/declaraties/nieuw?arrangement=AR-A&soort=start")
    assert form.status_code == 200 and 'value="AR-A"' in form.text
    token = await csrf(client, "/portaal/declaraties/nieuw")
    data = {"_csrf_token": token, "referentie": "AR-A", "soort": "start", "datum": date.today().isoformat()}
    r = await client.post("/portaal/declaraties/nieuw", data=data)
    assert r.status_code == 303, r.text[:2000]
    detail = await client.get(r.headers["location"])
    assert detail.status_code == 200 and "eerste 50 %" in detail.text and "€ 500,00" in detail.text
    again = await client.post("/portaal/declaraties/nieuw", data=data)
    assert again.status_code == 409 and "al gestart" in again.text
    bad = await client.post("/portaal/declaraties/nieuw", data={**data, "referentie": "AR-A", "bedrag_cent": "x"})
    assert bad.status_code == 422 and "geen geheel getal" in bad.text
    foreign = await client.post("/portaal/declaraties/nieuw", data={**data, "referentie": "AR-THEIRS"})
    assert foreign.status_code == 404
    listing = await client.get("/portaal/declaraties")
    assert listing.status_code == 200 and "AR-A" in listing.text and "Geaccepteerd" in listing.text
    assert await declarations_of(world) == 1


async def test_the_upload_page_lists_every_error_and_stores_nothing(client, regions) -> None:
    world, _ = await world_with(regions, m={"model": "monthly", "status": "started", "start_date": date(2026, 1, 5)})
    await login(client, world.users["provider"])
    token = await csrf(client, "/portaal/declaraties/upload")
    bad = f"{HEADER}\nAR-M;maand;2026-01;;;;;\nAR-M;maand;2026-01;;;;;\nAR-X;maand;2026-02;;;;;\n"
    r = await client.post("/portaal/declaraties/upload", data={"_csrf_token": token},
                          files={"bestand": ("maart.csv", bad.encode(), "text/csv")})  # fmt: skip
    assert r.status_code == 422 and "2 fouten" in r.text and "rij 2" in r.text and "AR-X" in r.text
    assert await declarations_of(world) == 0
    good = f"{HEADER}\nAR-M;maand;2026-01;;;;;\nAR-M;maand;2026-02;;;;;\n"
    r = await client.post("/portaal/declaraties/upload", data={"_csrf_token": token},
                          files={"bestand": ("maart.csv", good.encode(), "text/csv")})  # fmt: skip
    assert r.status_code == 303 and "batch=" in r.headers["location"]
    assert await declarations_of(world) == 2


@pytest.mark.parametrize("role", ["team_finance", "municipality", "referrer", "team_contracts"])
async def test_only_providers_declare(client, regions, role) -> None:
    world, _ = await world_with(regions, a={})
    await login(client, world.users[role])
    token = await csrf(client, "/account")
    r = await client.post("/portaal/declaraties/nieuw", data={"_csrf_token": token, "referentie": "AR-A",
                                                              "soort": "start", "datum": "2026-01-10"})  # fmt: skip
    assert r.status_code == 403


# ---- API -----------------------------------------------------------------------------------------------------


def start_body(reference: str = "AR-A") -> dict[str, Any]:
    return {"kind": "start", "date": date.today().isoformat(), "arrangement_reference": reference}


async def test_api_declare_list_and_detail(client, regions) -> None:
    world, _ = await world_with(regions, a={"tariff_cents": 100_001})
    token = await token_for(world.region, world.users["provider"])
    r = await client.post("/api/v1/declarations", headers=api_headers(token), json=start_body())
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["kind"], body["status"], body["amount_cents"]) == ("start", "accepted", 50_000)
    assert (await client.get(f"/api/v1/declarations/{body['id']}", headers=token)).json()["id"] == body["id"]
    listing = (await client.get("/api/v1/declarations", headers=token)).json()
    assert listing["total"] == 1
    second = await client.post("/api/v1/declarations", headers=api_headers(token), json=start_body())
    assert second.status_code == 409 and "al gestart" in second.json()["detail"]
    wrong = await client.post("/api/v1/declarations", headers=api_headers(token),
                              json={**start_body(), "kind": "end", "date": "2020-01-01", "end_reason": "31",
                                    "outcomes": {"1": "achieved", "2": "achieved"}})  # fmt: skip
    assert wrong.status_code == 422 and "vóór de startdatum" in wrong.json()["errors"][0]["message"]
    # another provider: the declaration is not visible, its arrangement not found
    other = await token_for(world.region, world.users["provider_other"])
    assert (await client.get(f"/api/v1/declarations/{body['id']}", headers=other)).status_code == 404
    assert (await client.get("/api/v1/declarations", headers=other)).json()["total"] == 0
    r = await client.post("/api/v1/declarations", headers=api_headers(other), json=start_body())
    assert r.status_code == 404


async def test_api_batch_and_csv_are_all_or_nothing(client, regions) -> None:
    world, _ = await world_with(regions, m={"model": "monthly", "status": "started", "start_date": date(2026, 1, 5)},
                                a={"tariff_cents": 10_000})  # fmt: skip
    token = await token_for(world.region, world.users["provider"])
    lines = "\n".join(json.dumps(o) for o in [
        {"kind": "month", "date": "2026-01", "arrangement_reference": "AR-M"},
        {"kind": "month", "date": "2026-02", "arrangement_reference": "AR-M", "amount_cents": 1},
        "not an object",
    ])  # fmt: skip
    r = await client.post("/api/v1/declarations/batch", headers={**api_headers(token),
                          "content-type": "application/x-ndjson"}, content=lines.encode())  # fmt: skip
    assert r.status_code == 422, r.text
    assert sorted((e["row"], e["field"]) for e in r.json()["errors"]) == [(2, "bedrag_cent"), (3, "regel")]
    assert await declarations_of(world) == 0
    ok = "\n".join(json.dumps(o) for o in [{"kind": "month", "date": "2026-01", "arrangement_reference": "AR-M"},
                                          {"kind": "start", "date": date.today().isoformat(),
                                           "arrangement_reference": "AR-A"}])  # fmt: skip
    r = await client.post("/api/v1/declarations/batch", headers={**api_headers(token),
                          "content-type": "application/x-ndjson"}, content=ok.encode())  # fmt: skip
    assert r.status_code == 201 and r.json()["per_kind"] == {"maand": 1, "start": 1}
    csv_body = f"{HEADER}\nAR-M;maand;2026-02;;;;;\nAR-M;maand;2026-02;;;;;\n".encode()
    r = await client.post("/api/v1/declarations/csv", headers={**api_headers(token), "content-type": "text/csv"},
                          content=csv_body)  # fmt: skip
    assert r.status_code == 422 and [(e["row"], e["field"]) for e in r.json()["errors"]] == [(3, "referentie")]
    assert "1 fout" in r.json()["detail"]
    assert await declarations_of(world) == 2


# ---- M2: idempotency -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["json", "csv"])
async def test_idempotency_on_declarations(client, regions, monkeypatch, endpoint) -> None:
    world, _ = await world_with(regions, a={"tariff_cents": 100_000}, b={"tariff_cents": 100_000})
    token = await token_for(world.region, world.users["provider"])
    today = date.today().isoformat()
    if endpoint == "json":
        url, first_body, other_body = "/api/v1/declarations", json.dumps(start_body("AR-A")), json.dumps(
            start_body("AR-B"))
        content_type = "application/json"
    else:
        url, content_type = "/api/v1/declarations/csv", "text/csv"
        first_body, other_body = f"{HEADER}\nAR-A;start;{today};;;;;\n", f"{HEADER}\nAR-B;start;{today};;;;;\n"
    key = str(uuid.uuid4())
    headers = {**api_headers(token, key=key), "content-type": content_type}
    first = await client.post(url, headers=headers, content=first_body.encode())
    assert first.status_code == 201, first.text
    replay = await client.post(url, headers=headers, content=first_body.encode())
    assert (replay.status_code, replay.content) == (201, first.content)
    assert replay.headers.get("idempotent-replayed") == "true"
    assert await declarations_of(world) == 1
    other = await client.post(url, headers=headers, content=other_body.encode())
    assert other.status_code == 422 and await declarations_of(world) == 1
    no_key = await client.post(url, headers={**token, "content-type": content_type}, content=other_body.encode())
    assert no_key.status_code == 400 and "Idempotency-Key" in no_key.json()["detail"]
    # another provider with the same key: its own request (the arrangement is not theirs → 404), never the replay
    theirs = await token_for(world.region, world.users["provider_other"])
    stranger = await client.post(url, headers={**api_headers(theirs, key=key), "content-type": content_type},
                                 content=first_body.encode())  # fmt: skip
    assert stranger.status_code in (404, 422) and "idempotent-replayed" not in stranger.headers
    assert stranger.content != first.content
    # 409 while the first request with a key is still running
    started, release = asyncio.Event(), asyncio.Event()
    record = audit.record

    async def slow_record(*args: Any, **kwargs: Any) -> None:
        started.set()
        await release.wait()
        await record(*args, **kwargs)

    monkeypatch.setattr(audit, "record", slow_record)
    slow_headers = {**api_headers(token), "content-type": content_type}
    running = asyncio.create_task(client.post(url, headers=slow_headers, content=other_body.encode()))
    await asyncio.wait_for(started.wait(), 30)
    busy = await client.post(url, headers=slow_headers, content=other_body.encode())
    assert busy.status_code == 409 and "nog verwerkt" in busy.json()["detail"]
    release.set()
    assert (await running).status_code == 201
    assert await declarations_of(world) == 2
