"""The application workflow's JSON API: Bearer tokens only, row scoping (404 for what is not yours),
Problem Details with field errors, explicit inputs, and the OpenAPI schema."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from contracts.models import Evidence, Provider
from tests.support.factories import api_headers, login
from tests.support.register_helpers import (
    TINY_PDF,
    admitted_provider,
    apply_via_service,
    get_application,
    requirements,
    today_iso,
    token_for,
)


async def evidence_of(region, application_id: int) -> list[int]:  # type: ignore[no-untyped-def]
    async with region.maker() as s:
        rows = await s.execute(select(Evidence.id).where(Evidence.application_id == application_id))
        return list(rows.scalars())


async def test_anonymous_and_cookie_sessions_get_401(client, regions) -> None:
    region = await regions.create()
    app_id, _ = await apply_via_service(region)
    for path in ("/api/v1/requirements", "/api/v1/applications", f"/api/v1/applications/{app_id}"):
        r = await client.get(path)
        assert r.status_code == 401, path
        assert r.headers["content-type"].startswith("application/problem+json")
    r = await client.post(f"/api/v1/applications/{app_id}/decision", json={"decision": "admit"})
    assert r.status_code == 401
    await login(client, await region.user("team_admin"))
    assert (await client.get("/api/v1/applications")).status_code == 401  # cookies never authenticate the API


async def test_team_reviews_requests_information_and_decides_through_the_api(client, regions) -> None:
    region = await regions.create()
    app_id, _ = await apply_via_service(region)
    team = await token_for(region, await region.user("team_contracts"))
    reqs = await requirements(region)

    r = await client.get("/api/v1/requirements", headers=team)
    assert r.status_code == 200
    assert [q["code"] for q in r.json()][:2] == ["kvk", "norm_verantwoorde_werktoedeling"]
    assert {"evidence_required", "validity_months", "title", "description"} <= set(r.json()[0])

    r = await client.get("/api/v1/applications?status=submitted", headers=team)
    assert [a["id"] for a in r.json()] == [app_id]
    assert (await client.get("/api/v1/applications?status=admitted", headers=team)).json() == []
    r = await client.get("/api/v1/applications?status=onzin", headers=team)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "status"

    detail = (await client.get(f"/api/v1/applications/{app_id}", headers=team)).json()
    assert detail["status"] == "submitted" and detail["reviews"] == [] and detail["profile_numbers"] == [1, 2]
    assert len(detail["evidence"]) == sum(q.evidence_required for q in reqs)
    assert detail["evidence"][0]["download_url"].startswith(f"/api/v1/applications/{app_id}/evidence/")
    file = await client.get(detail["evidence"][0]["download_url"], headers=team)
    assert file.status_code == 200 and file.content == TINY_PDF

    # validation errors name the field
    r = await client.post(
        f"/api/v1/applications/{app_id}/reviews", headers=api_headers(team),
        json={"requirement_id": reqs[0].id, "passed": False}
    )
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["field"] == "reason"
    r = await client.post(
        f"/api/v1/applications/{app_id}/reviews", headers=api_headers(team),
        json={"requirement_id": 999999, "passed": True}
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "requirement_id"
    r = await client.post(
        f"/api/v1/applications/{app_id}/reviews", headers=api_headers(team), json={"requirement_id": reqs[0].id}
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "passed"
    r = await client.post(
        f"/api/v1/applications/{app_id}/info-requests", headers=api_headers(team), json={"message": ""}
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "message"

    r = await client.post(
        f"/api/v1/applications/{app_id}/info-requests", headers=api_headers(team), json={"message": "Graag de polis."}
    )
    assert r.status_code == 201 and r.json()["message"] == "Graag de polis."
    assert (await get_application(region, app_id)).status == "info_requested"
    # admitting is not possible from info_requested, nor while requirements have no pass
    r = await client.post(
        f"/api/v1/applications/{app_id}/decision", headers=api_headers(team),
        json={"decision": "admit", "starts_on": today_iso()}
    )
    assert r.status_code == 409
    for q in reqs:
        r = await client.post(
            f"/api/v1/applications/{app_id}/reviews", headers=api_headers(team),
            json={"requirement_id": q.id, "passed": True}
        )
        assert r.status_code == 200 and r.json()["passed"] is True
    assert len((await client.get(f"/api/v1/applications/{app_id}", headers=team)).json()["reviews"]) == len(reqs)


async def test_admit_is_refused_until_every_required_requirement_passed(client, regions) -> None:
    region = await regions.create()
    app_id, _ = await apply_via_service(region)
    team = await token_for(region, await region.user("team_admin"))
    reqs = await requirements(region)
    required = [q for q in reqs if q.evidence_required]
    for q in required[:-1]:
        await client.post(
            f"/api/v1/applications/{app_id}/reviews", headers=api_headers(team),
            json={"requirement_id": q.id, "passed": True}
        )
    body = {
        "decision": "admit",
        "starts_on": today_iso(),
        "status": "admitted",
        "provider_id": 1,
    }  # extra fields ignored
    r = await client.post(f"/api/v1/applications/{app_id}/decision", headers=api_headers(team), json=body)
    assert r.status_code == 422
    error = r.json()["errors"][0]
    assert error["field"] == "decision" and required[-1].title in error["message"]
    assert (await get_application(region, app_id)).status == "submitted"
    await client.post(
        f"/api/v1/applications/{app_id}/reviews", headers=api_headers(team),
        json={"requirement_id": required[-1].id, "passed": True}
    )
    r = await client.post(
        f"/api/v1/applications/{app_id}/decision", headers=api_headers(team), json={"decision": "admit"}
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "starts_on"
    r = await client.post(f"/api/v1/applications/{app_id}/decision", headers=api_headers(team), json=body)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "admitted"
    detail = (await client.get(f"/api/v1/applications/{app_id}", headers=team)).json()
    assert detail["provider_id"] is not None and detail["decision_letter_url"]
    letter = await client.get(detail["decision_letter_url"], headers=team)
    assert letter.status_code == 200 and letter.content.startswith(b"%PDF")
    # the decision is final
    r = await client.post(
        f"/api/v1/applications/{app_id}/decision", headers=api_headers(team), json={"decision": "reject", "reason": "x"}
    )
    assert r.status_code == 409


async def test_a_provider_token_never_reaches_another_providers_application_or_evidence(client, regions) -> None:
    region = await regions.create()
    team_email = await region.user("team_contracts")
    mine, my_email = await admitted_provider(region, team_email)
    theirs, _ = await admitted_provider(region, team_email)
    open_id, _ = await apply_via_service(region)
    headers = await token_for(region, my_email)
    async with region.maker() as s:
        assert (await s.execute(select(Provider).where(Provider.region_id == region.id))).scalars().all()

    listed = (await client.get("/api/v1/applications", headers=headers)).json()
    assert [a["id"] for a in listed] == [mine]
    assert (await client.get(f"/api/v1/applications/{mine}", headers=headers)).json()["reviews"] is None
    their_evidence = (await evidence_of(region, theirs))[0]
    my_evidence = (await evidence_of(region, mine))[0]
    assert (await client.get(f"/api/v1/applications/{mine}/evidence/{my_evidence}", headers=headers)).status_code == 200
    for path in (
        f"/api/v1/applications/{theirs}",
        f"/api/v1/applications/{open_id}",
        f"/api/v1/applications/{theirs}/evidence/{their_evidence}",
        f"/api/v1/applications/{mine}/evidence/{their_evidence}",
        f"/api/v1/applications/{theirs}/decision-letter",
    ):
        assert (await client.get(path, headers=headers)).status_code == 404, path
    r = await client.post(
        f"/api/v1/applications/{theirs}/evidence",
        headers=api_headers(headers),
        data={"requirement_id": str((await requirements(region))[0].id)},
        files={"file": ("x.pdf", TINY_PDF, "application/pdf")},
    )
    assert r.status_code == 404
    # a provider may not review or decide, not even its own application
    r = await client.post(
        f"/api/v1/applications/{mine}/reviews", headers=api_headers(headers), json={"requirement_id": 1, "passed": True}
    )
    assert r.status_code == 403
    r = await client.post(
        f"/api/v1/applications/{theirs}/decision", headers=api_headers(headers), json={"decision": "reject"}
    )
    assert r.status_code == 403


@pytest.mark.parametrize("role", ["municipality", "referrer"])
async def test_municipality_and_referrer_tokens_see_no_applications(client, regions, role) -> None:
    region = await regions.create()
    app_id, _ = await apply_via_service(region)
    headers = await token_for(region, await region.user(role))
    assert (await client.get("/api/v1/requirements", headers=headers)).status_code == 200
    assert (await client.get("/api/v1/applications", headers=headers)).json() == []
    assert (await client.get(f"/api/v1/applications/{app_id}", headers=headers)).status_code == 404
    r = await client.post(
        f"/api/v1/applications/{app_id}/info-requests", headers=api_headers(headers), json={"message": "Hoi"}
    )
    assert r.status_code == 403


async def test_applicant_uploads_evidence_through_the_api(client, regions) -> None:
    region = await regions.create()
    app_id, email = await apply_via_service(region)
    other_id, _ = await apply_via_service(region)
    headers = await token_for(region, email)
    reqs = await requirements(region)
    before = await evidence_of(region, app_id)
    url = f"/api/v1/applications/{app_id}/evidence"
    r = await client.post(
        url,
        headers=api_headers(headers),
        data={"requirement_id": str(reqs[0].id)},
        files={"file": ("nep.pdf", b"GIF89a nope", "application/pdf")},
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "file"
    r = await client.post(
        url,
        headers=api_headers(headers),
        data={"requirement_id": str(reqs[0].id), "valid_until": "2001-01-01"},
        files={"file": ("ok.pdf", TINY_PDF, "application/pdf")},
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "valid_until"
    r = await client.post(
        url, headers=api_headers(headers),
        data={"requirement_id": "999999"},
        files={"file": ("ok.pdf", TINY_PDF, "application/pdf")}
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "requirement_id"
    r = await client.post(
        url, headers=api_headers(headers), files={"requirement_id": (None, str(reqs[0].id))}
    )  # no file part
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "file"
    assert await evidence_of(region, app_id) == before
    r = await client.post(
        url,
        headers=api_headers(headers),
        data={"requirement_id": str(reqs[0].id), "valid_until": today_iso(90)},
        files={"file": ("ok.pdf", TINY_PDF, "application/pdf")},
    )
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["requirement_id"] == reqs[0].id and out["valid_until"] == today_iso(90) and out["state"] == "valid"
    assert out["filename"].startswith("bewijs-AV-")
    r = await client.post(
        f"/api/v1/applications/{other_id}/evidence",
        headers=api_headers(headers),
        data={"requirement_id": str(reqs[0].id)},
        files={"file": ("ok.pdf", TINY_PDF, "application/pdf")},
    )
    assert r.status_code == 404
    # a file over 10 MB
    big = b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024)
    r = await client.post(
        url,
        headers=api_headers(headers),
        data={"requirement_id": str(reqs[0].id)},
        files={"file": ("groot.pdf", big, "application/pdf")},
    )
    assert r.status_code == 422 and "groter dan 10 MB" in r.json()["errors"][0]["message"]


async def test_openapi_documents_the_application_endpoints(client) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    paths = schema["paths"]
    for path in (
        "/api/v1/requirements",
        "/api/v1/applications",
        "/api/v1/applications/{application_id}",
        "/api/v1/applications/{application_id}/reviews",
        "/api/v1/applications/{application_id}/decision",
        "/api/v1/applications/{application_id}/evidence",
    ):
        assert path in paths, path
    assert paths["/api/v1/applications"]["get"]["tags"] == ["applications"]
    assert not any(p.startswith(("/aanmelden", "/team/aanmeldingen", "/mijn-aanmelding")) for p in paths)


async def test_out_of_range_ids_and_pages_are_not_found_rather_than_errors(client, regions) -> None:
    region = await regions.create()
    headers = await token_for(region, await region.user("team_admin"))
    for path in (
        "/api/v1/applications/99999999999",
        "/api/v1/applications/1/evidence/99999999999",
        "/api/v1/applications/0/decision-letter",
    ):
        assert (await client.get(path, headers=headers)).status_code == 404, path
    r = await client.post(
        "/api/v1/applications/99999999999/decision", headers=api_headers(headers), json={"decision": "reject"}
    )
    assert r.status_code == 404
    assert (await client.get("/api/v1/applications?page=99999999999999", headers=headers)).json() == []
