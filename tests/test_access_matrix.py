"""A1: every role × every route, generated from the app's route table.

- Routes without path parameters: a role the guards allow gets its page (200); any other role is refused
  (anonymous: redirect to the login page or 401 on the API; logged in: 403). Every route must be
  classified: a new route without a guard must be added to PUBLIC on purpose.
- Routes with path parameters are called with the ids of another region's objects (for providers and
  applicants also another provider's objects in their own region): never a 2xx, never a 5xx, and no
  change in the other region's audit trail (nothing read or changed there)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
from sqlalchemy import func, select

from jeugdregio.tables import AuditEvent
from tests.support.factories import csrf_from, login
from tests.support.world import Objects, build_world

ROLES = ["team_admin", "team_contracts", "team_finance", "team_quality", "municipality", "referrer", "provider",
         "applicant"]  # fmt: skip
PUBLIC = {("GET", "/"), ("GET", "/inloggen"), ("POST", "/inloggen"), ("GET", "/aanmelden"), ("POST", "/aanmelden"),
          ("POST", "/uitloggen"),
          # the public catalogue (catalogue/routes/public.py): public data only, anonymous reads by design
          ("GET", "/catalogus"), ("GET", "/catalogus/profielen"), ("GET", "/catalogus/profielen/{number:int}"),
          ("GET", "/catalogus/aanbieders/{listing_id:int}"), ("GET", "/catalogus/vergelijk"),
          ("GET", "/catalogus/open-data.csv"), ("GET", "/catalogus/open-data.json"),
          ("GET", "/api/v1/catalogue/providers"), ("GET", "/api/v1/catalogue/providers/{listing_id:int}"),
          ("GET", "/api/v1/catalogue/profiles"),
          # the current tariff list is public information (catalogue/routes/tariffs.py)
          ("GET", "/tarieven.pdf"), ("GET", "/tarieven.csv"),
          # families rate the care through a one-time link, without an account (quality/routes/ratings.py)
          ("GET", "/beoordelen/{token:str}"), ("POST", "/beoordelen"), ("GET", "/beoordelen/bedankt"),
          ("POST", "/api/v1/ratings")}  # fmt: skip
SKIP_PREFIXES = ("/static", "/schema")
# POSTs whose effect on the caller's own session/data would disturb the rest of the matrix
NO_POST_PROBE = {"/uitloggen", "/inloggen", "/aanmelden", "/mijn-aanmelding/intrekken"}
# parameters that select within the caller's own objects (e.g. /portaal/contract/versies/{filename}):
# a route with only these has no foreign object to probe
OWN_SCOPED_PARAMS = {"filename", "year"}


def route_table(app: Any) -> list[tuple[str, str, dict[str, Any], frozenset[str] | None, bool]]:
    """(method, path, path parameters, allowed roles (None = every logged-in role), public)."""
    rows = []
    for route in app.routes:
        if route.path.startswith(SKIP_PREFIXES):
            continue
        for handler in getattr(route, "route_handlers", []):
            for method in sorted(set(handler.http_methods) - {"OPTIONS", "HEAD"}):
                guards = handler.resolve_guards()
                allowed: frozenset[str] | None = None
                for guard in guards:
                    roles = getattr(getattr(guard, "func", guard), "allowed_roles", "missing")
                    assert roles != "missing", f"{method} {route.path}: guard without declared roles"
                    if roles is not None:
                        allowed = frozenset(roles) if allowed is None else allowed & frozenset(roles)
                public = not guards
                if public:
                    assert (method, route.path) in PUBLIC, f"{method} {route.path} has no guard: add one or list it"
                rows.append((method, route.path, dict(route.path_parameters), allowed, public))
    return rows


def fill(path: str, objects: Objects, token_id: int) -> str:
    values = {
        "application_id": objects.open_application_id,
        "evidence_id": objects.open_evidence_id,
        "provider_id": objects.provider_id,
        "contract_id": objects.contract_id,
        "token_id": token_id,
        "filename": "1.pdf",
        "type_id": objects.arrangement_type_id,
        "listing_id": objects.listing_id,
        "year": objects.schedule_year,
        "slug": "schorsen",
    }

    def one(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[0]
        if name in values:
            return str(values[name])
        assert hasattr(objects, name), f"{path}: add a foreign object for the path parameter '{name}' (world.py)"
        return str(getattr(objects, name))

    return re.sub(r"\{([^}]+)\}", one, path)


async def _clients(new_client: Any, objects: Objects) -> dict[str, httpx.AsyncClient]:
    clients = {"anonymous": new_client()}
    for role in ROLES:
        c = new_client()
        await login(c, objects.users[role])
        clients[role] = c
    return clients


async def _token(client: httpx.AsyncClient) -> str:
    return csrf_from((await client.get("/account")).text) if "jr_session" in client.cookies else ""


async def _call(client: httpx.AsyncClient, method: str, path: str, csrf_token: str) -> httpx.Response:
    if method == "GET":
        return await client.get(path)
    if path.startswith("/api/"):
        return await client.request(method, path, json={}, headers={"idempotency-key": str(uuid.uuid4())})
    return await client.request(method, path, data={"_csrf_token": csrf_token} if csrf_token else {})


def _refused(role: str, path: str, response: httpx.Response) -> bool:
    if role == "anonymous":
        if path.startswith("/api/"):
            return response.status_code == 401
        return response.status_code in (303, 403) and (
            response.status_code == 403 or response.headers["location"].startswith("/inloggen")
        )
    return response.status_code == 403


async def _api_clients(clients: dict[str, httpx.AsyncClient], new_client: Any) -> dict[str, httpx.AsyncClient]:
    """API routes take Bearer tokens only; roles that may hold a token get one."""
    out: dict[str, httpx.AsyncClient] = {"anonymous": new_client()}
    for role, c in clients.items():
        if role == "anonymous":
            continue
        api = new_client()
        token = await _api_token_for(c)
        if token:
            api.headers["authorization"] = f"Bearer {token}"
        out[role] = api
    return out


async def _api_token_for(client: httpx.AsyncClient) -> str | None:
    page = await client.get("/tokens")
    if page.status_code != 200:
        return None
    made = await client.post("/tokens", data={"name": "matrix", "_csrf_token": csrf_from(page.text)})
    match = re.search(r'id="nieuw-token">([^<]+)<', made.text)
    return match.group(1) if match else None


async def test_every_role_on_every_route_without_parameters(app, regions, new_client) -> None:
    region = await regions.create()
    own = await build_world(region, catalogue=True)
    clients = await _clients(new_client, own)
    problems: list[str] = []
    for method, path, params, allowed, public in route_table(app):
        if params or public or (method == "POST" and path in NO_POST_PROBE):
            continue
        for role, client in clients.items():
            csrf_token = await _token(client) if method != "GET" else ""
            response = await _call(client, method, path, csrf_token)
            may = role != "anonymous" and (allowed is None or role in allowed)
            if path.startswith("/api/") and role != "anonymous":
                continue  # cookies never authenticate the API: covered below with tokens
            if response.status_code >= 500:
                problems.append(f"{role} {method} {path}: {response.status_code}")
            elif may and method == "GET" and response.status_code != 200:
                problems.append(f"{role} {method} {path}: allowed but got {response.status_code}")
            elif not may and not _refused(role, path, response):
                problems.append(f"{role} {method} {path}: should be refused, got {response.status_code}")
    assert not problems, "\n".join(problems)


async def test_api_routes_with_tokens_follow_the_guards(app, regions, new_client) -> None:
    region = await regions.create()
    own = await build_world(region, catalogue=True)
    clients = await _api_clients(await _clients(new_client, own), new_client)
    problems: list[str] = []
    for method, path, params, allowed, _public in route_table(app):
        if params or not path.startswith("/api/"):
            continue
        for role, client in clients.items():
            if role != "anonymous" and "authorization" not in client.headers:
                continue  # this role holds no API token
            response = await _call(client, method, path, "")
            may = _public or (role != "anonymous" and (allowed is None or role in allowed))
            if response.status_code >= 500:
                problems.append(f"{role} {method} {path}: {response.status_code}")
            elif may and method == "GET" and response.status_code != 200:
                problems.append(f"{role} {method} {path}: allowed but got {response.status_code}")
            elif not may and not _refused(role, path, response):
                problems.append(f"{role} {method} {path}: should be refused, got {response.status_code}")
    assert not problems, "\n".join(problems)


async def _audit_count(maker: Any, region_id: int) -> int:
    async with maker() as s:
        return int((await s.execute(select(func.count()).where(AuditEvent.region_id == region_id))).scalar_one())


async def test_no_role_reaches_another_regions_or_providers_objects(app, regions, new_client, maker) -> None:
    region = await regions.create()
    own = await build_world(region, catalogue=True)
    neighbour = await build_world(region, catalogue=True)  # another provider and application in the same region
    other_region = await regions.create()
    foreign = await build_world(other_region, catalogue=True)
    foreign_token_id = await _foreign_token(other_region, foreign)
    pages = await _clients(new_client, own)
    apis = await _api_clients(pages, new_client)
    before = await _audit_count(maker, other_region.id)
    problems: list[str] = []
    for method, path, params, _allowed, public in route_table(app):
        if not params or set(params) <= OWN_SCOPED_PARAMS or public:
            continue  # public routes show public data only (the catalogue: tests/catalogue)
        for role in ["anonymous", *ROLES]:
            targets = [("other region", foreign)]
            if role in ("provider", "applicant"):
                targets.append(("other provider", neighbour))
            client = apis[role] if path.startswith("/api/") else pages[role]
            csrf_token = await _token(pages[role]) if method != "GET" and not path.startswith("/api/") else ""
            for label, objects in targets:
                target = fill(path, objects, foreign_token_id)
                response = await _call(client, method, target, csrf_token)
                if response.status_code >= 500 or 200 <= response.status_code < 300:
                    problems.append(f"{role} {method} {target} ({label}): {response.status_code}")
                if response.status_code == 303 and not response.headers["location"].startswith("/inloggen"):
                    problems.append(f"{role} {method} {target} ({label}): redirected to {response.headers['location']}")
    assert not problems, "\n".join(problems)
    assert await _audit_count(maker, other_region.id) == before, "another region's objects were read or changed"


async def _foreign_token(region: Any, objects: Objects) -> int:
    from jeugdregio import auth
    from jeugdregio.clock import utcnow
    from jeugdregio.tables import Membership, User

    async with region.maker() as s:
        user, membership = (
            await s.execute(
                select(User, Membership)
                .join(Membership, Membership.user_id == User.id)
                .where(User.email == objects.users["provider"])
            )
        ).one()
        principal = auth._principal(user, membership, via_token=False, request_id="")
        _secret, row = await auth.create_api_token(s, principal, name="vreemd", now=utcnow())
        await s.commit()
        assert row.id is not None
        return row.id


async def test_every_menu_link_opens_for_the_role_that_sees_it(regions, new_client) -> None:
    """The main menu of each role's start page only offers pages that role may open."""
    region = await regions.create()
    own = await build_world(region, catalogue=True)
    clients = await _clients(new_client, own)
    problems: list[str] = []
    for role in ROLES:
        home = await clients[role].get("/", follow_redirects=True)
        assert home.status_code == 200, role
        menu = home.text.split('aria-label="Hoofdmenu"', 1)[1].split("</nav>", 1)[0]
        links = re.findall(r'href="(/[^"]*)"', menu)
        assert links, f"{role}: no menu"
        for href in links:
            response = await clients[role].get(href)
            if response.status_code != 200:
                problems.append(f"{role}: menu link {href} gives {response.status_code}")
    assert not problems, "\n".join(problems)
