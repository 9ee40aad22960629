"""The foundation: headers, errors, login, CSRF, rate limit, tokens, audit immutability, migrations."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.support.factories import PASSWORD, csrf, csrf_from, login

HEADERS = ("content-security-policy", "strict-transport-security", "x-content-type-options", "referrer-policy")


@pytest.mark.parametrize("path", ["/", "/inloggen", "/bestaat-niet", "/api/v1/bestaat-niet", "/team"])
async def test_security_headers_on_every_response(client, path) -> None:
    response = await client.get(path)
    for header in HEADERS:
        assert header in response.headers, (path, header)
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "access-control-allow-origin" not in response.headers


async def test_unknown_host_is_refused(client) -> None:
    response = await client.get("/", headers={"host": "evil.example"})
    assert response.status_code == 400
    assert "content-security-policy" in response.headers


async def test_cors_is_not_wildcard(client) -> None:
    response = await client.options("/api/v1/me", headers={"origin": "https://evil.example",
                                                                     "access-control-request-method": "GET"})
    assert response.headers.get("access-control-allow-origin") in (None, "")


async def test_404_is_dutch_html_for_browsers_and_problem_json_for_api(client) -> None:
    html = await client.get("/nergens", headers={"accept": "text/html"})
    assert html.status_code == 404
    assert "Niet gevonden" in html.text
    api = await client.get("/api/v1/nergens")
    assert api.status_code in (401, 404)
    assert api.headers["content-type"].startswith("application/problem+json")


async def test_login_sets_secure_session_cookie_and_new_id_each_time(client, new_client, regions) -> None:
    region = await regions.create()
    email = await region.user("team_admin")
    first = await login(client, email)
    cookie = first.headers["set-cookie"]
    assert "jr_session=" in cookie and "HttpOnly" in cookie and "Secure" in cookie and "SameSite=lax" in cookie
    other = new_client()
    second = await login(other, email)
    assert client.cookies.get("jr_session") != other.cookies.get("jr_session")
    assert second.headers["location"] == "/team"
    me = await client.get("/account")
    assert me.status_code == 200 and email in me.text


async def test_wrong_password_gives_dutch_error_and_counts(client, regions) -> None:
    region = await regions.create()
    email = await region.user("referrer")
    token = await csrf(client, "/inloggen")
    form = {"email": email, "password": "fout-wachtwoord!", "_csrf_token": token}
    response = await client.post("/inloggen", data=form)
    assert response.status_code == 422
    assert "klopt niet" in response.text
    assert "jr_session" not in response.headers.get("set-cookie", "")


async def test_login_rate_limit_cannot_be_dodged_with_x_forwarded_for(client, regions) -> None:
    region = await regions.create()
    email = await region.user("referrer")
    for i in range(5):
        token = await csrf(client, "/inloggen")
        r = await client.post("/inloggen", data={"email": email, "password": "nee", "_csrf_token": token},
                              headers={"x-forwarded-for": f"10.0.0.{i}"})
        assert r.status_code == 422
    token = await csrf(client, "/inloggen")
    r = await client.post("/inloggen", data={"email": email, "password": PASSWORD, "_csrf_token": token},
                          headers={"x-forwarded-for": "10.9.9.9"})
    assert r.status_code == 429
    assert "Retry-After" in r.headers


async def test_post_without_csrf_token_is_refused(client, regions) -> None:
    region = await regions.create()
    email = await region.user("team_admin")
    await client.get("/inloggen")
    r = await client.post("/inloggen", data={"email": email, "password": PASSWORD})
    assert r.status_code == 403
    assert "CSRF" in r.text
    await login(client, email)
    r = await client.post("/uitloggen", data={"_csrf_token": "x" * 80})
    assert r.status_code == 403


async def test_logout_ends_the_server_side_session(client, regions) -> None:
    region = await regions.create()
    email = await region.user("team_admin")
    await login(client, email)
    stolen = client.cookies.get("jr_session")
    token = csrf_from((await client.get("/account")).text)
    r = await client.post("/uitloggen", data={"_csrf_token": token})
    assert r.status_code == 303
    client.cookies.set("jr_session", stolen, domain="testserver.local")
    r = await client.get("/account")
    assert r.status_code == 303 and r.headers["location"].startswith("/inloggen")


async def test_api_token_lifecycle(client, new_client, regions) -> None:
    region = await regions.create()
    email = await region.user("team_admin")
    await login(client, email)
    token = csrf_from((await client.get("/tokens")).text)
    r = await client.post("/tokens", data={"name": "Koppeling", "_csrf_token": token})
    assert r.status_code == 200
    import re

    secret = re.search(r'id="nieuw-token">([^<]+)<', r.text).group(1)
    api = new_client()
    ok = await api.get("/api/v1/me", headers={"authorization": f"Bearer {secret}"})
    assert ok.status_code == 200, ok.text
    token_id = re.search(r'/tokens/(\d+)/intrekken', r.text).group(1)
    token = csrf_from((await client.get("/tokens")).text)
    r = await client.post(f"/tokens/{token_id}/intrekken", data={"_csrf_token": token})
    assert r.status_code == 303
    refused = await api.get("/api/v1/me", headers={"authorization": f"Bearer {secret}"})
    assert refused.status_code == 401
    # cookies never authenticate the API
    cookie_only = await client.get("/api/v1/me")
    assert cookie_only.status_code == 401


async def test_audit_events_cannot_be_changed_or_deleted(maker) -> None:
    async with maker() as s:
        await s.execute(text("INSERT INTO jeugdregio_audit_event (at, actor_label, actor_role, on_behalf_of, "
                             "object_type, object_id, action, purpose, request_id) VALUES (now(), 't', 't', '', "
                             "'x', '1', 'test', '', '')"))
        await s.commit()
    for statement in ("UPDATE jeugdregio_audit_event SET action = 'x'", "DELETE FROM jeugdregio_audit_event",
                      "TRUNCATE jeugdregio_audit_event"):
        async with maker() as s:
            with pytest.raises(DBAPIError, match="append-only"):
                await s.execute(text(statement))
            await s.rollback()


async def test_migrations_down_to_base_and_up_again(db_url) -> None:
    import asyncpg

    from jeugdregio import migrate
    from jeugdregio.embedded import EmbeddedPostgres  # noqa: F401  (same server as db_url)

    # a separate database, so the shared test schema is untouched
    base = db_url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(base.replace("/jeugdregio_test", "/postgres"))
    await conn.execute('DROP DATABASE IF EXISTS "jr_migrations" WITH (FORCE)')
    await conn.execute('CREATE DATABASE "jr_migrations"')
    await conn.close()
    url = db_url.replace("/jeugdregio_test", "/jr_migrations")
    migrate.upgrade(url)
    migrate.check(url)  # the models and the migrations agree
    migrate.downgrade(url, "base")
    check = await asyncpg.connect(base.replace("/jeugdregio_test", "/jr_migrations"))
    left = await check.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
    )
    await check.close()
    assert left == []
    migrate.upgrade(url)


async def test_database_unavailable_gives_503_with_retry_after_not_500() -> None:
    import httpx

    from jeugdregio.asgi import close_database, create_app, open_database

    with __import__("socket").socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    url = f"postgresql+asyncpg://nobody:x@127.0.0.1:{closed_port}/nowhere"
    app = create_app(database_url=url)
    await open_database(app, url)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver.local") as c:
            page = await c.get("/inloggen", headers={"cookie": "jr_session=abc"})
            assert page.status_code == 503
            assert page.headers["retry-after"]
            assert "niet bereikbaar" in page.text
            api = await c.get("/api/v1/me", headers={"authorization": "Bearer jr_x"})
            assert api.status_code == 503
            assert api.json()["status"] == 503
    finally:
        await close_database(app)


async def test_team_home_shows_the_register_figures(client, regions) -> None:
    from tests.support.world import build_world

    region = await regions.create()
    objects = await build_world(region)
    await login(client, objects.users["team_quality"])
    page = await client.get("/team")
    assert page.status_code == 200
    assert "1 ingediend" in page.text  # the world's open application
    assert "1 actieve aanbieders" in page.text


async def test_public_search_rate_limit_cannot_be_dodged_with_x_forwarded_for(db_url) -> None:
    import dataclasses

    import httpx

    from jeugdregio.asgi import close_database, create_app, open_database
    from jeugdregio.settings import get_settings

    app = create_app(dataclasses.replace(get_settings(), public_requests_per_minute=3), database_url=db_url)
    await open_database(app, db_url)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver.local") as c:
            for i in range(3):
                ok = await c.get("/api/v1/catalogue/profiles", headers={"x-forwarded-for": f"10.1.1.{i}"})
                assert ok.status_code != 429
            refused = await c.get("/catalogus", headers={"x-forwarded-for": "10.9.9.9"})
            assert refused.status_code == 429
            assert int(refused.headers["retry-after"]) >= 1
            assert "te veel zoekopdrachten" in refused.text
            assert "content-security-policy" in refused.headers
            assert (await c.get("/inloggen")).status_code == 200  # only the public search is limited
    finally:
        await close_database(app)
