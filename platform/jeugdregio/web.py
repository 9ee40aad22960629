"""The web edge shared by all domains: DB session per request, principal lookup, guards, security headers,
one error mapper (HTML for browsers, Problem Details for the API), and page rendering."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, State
from litestar.enums import ParamType
from litestar.exceptions import (
    ClientException,
    HTTPException,
    NotAuthorizedException,
    PermissionDeniedException,
)
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.handlers import BaseRouteHandler
from litestar.openapi.spec import OpenAPIType, Operation, Schema
from litestar.openapi.spec import Parameter as OpenAPIParameter
from litestar.response import Redirect
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState
from sqlalchemy.ext.asyncio import AsyncSession

from jeugdregio import idempotency
from jeugdregio.auth import SESSION_COOKIE, Principal, principal_from_session, principal_from_token
from jeugdregio.clock import utcnow
from jeugdregio.db import is_unavailable, sqlstate
from jeugdregio.errors import DomainError, RateLimited, ValidationFailed
from jeugdregio.settings import get_settings
from jeugdregio.tables import TEAM_ROLES
from jeugdregio.templating import render_template

log = logging.getLogger("jeugdregio.web")

MAX_BUFFERED_BODY = 11 * 1024 * 1024  # an API write's body is read whole (to fingerprint it), never more than this

FLASH_COOKIE = "jr_flash"
API_PREFIX = "/api/"

SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    ),
    (b"strict-transport-security", b"max-age=63072000; includeSubDomains"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


def request_id_of(scope: Scope) -> str:
    state = scope.setdefault("state", {})  # type: ignore[typeddict-item]
    rid = state.get("request_id")
    if not rid:
        rid = secrets.token_hex(8)
        state["request_id"] = rid
    return str(rid)


async def add_security_headers(message: Message, scope: Scope) -> None:
    """App-level before_send: every response, errors and 404s included, carries the security headers."""
    if message["type"] != "http.response.start":
        return
    headers = list(message.get("headers", []))
    present = {k.lower() for k, _ in headers}
    for name, value in SECURITY_HEADERS:
        if name not in present:
            headers.append((name, value))
    if b"cache-control" not in present:
        # pages may show personal data: never store them; static files set their own caching
        headers.append((b"cache-control", b"no-store"))
    headers.append((b"x-request-id", request_id_of(scope).encode()))
    message["headers"] = headers  # type: ignore[typeddict-unknown-key]


def is_api(path: str) -> bool:
    return path.startswith(API_PREFIX)


class UnknownHost(HTTPException):
    status_code = 400


def allowed_hosts_middleware(app: ASGIApp) -> ASGIApp:
    """Refuse requests whose Host (port ignored) is not configured. Never a wildcard."""
    allowed = {h.lower() for h in get_settings().allowed_hosts}

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = dict(scope["headers"]).get(b"host", b"").decode("latin-1").lower()
            name = host[1:].split("]")[0] if host.startswith("[") else host.rsplit(":", 1)[0] if ":" in host else host
            if name not in allowed:
                raise UnknownHost("Onbekende host.")
        await app(scope, receive, send)

    return middleware


PUBLIC_SEARCH_PREFIXES = ("/catalogus", "/api/v1/catalogue/")


class PublicRateLimit:
    """A sliding one-minute window per client address (X-Forwarded-For only from trusted proxies), in memory
    per worker process: enough to stop one client from scraping or flooding the public search."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self.hits: dict[str, list[float]] = {}

    def allow(self, client: str, now: float) -> int:
        """0 when allowed, else the seconds to wait."""
        recent = [t for t in self.hits.get(client, []) if t > now - 60]
        if len(recent) >= self.per_minute:
            self.hits[client] = recent
            return max(1, int(60 - (now - recent[0])) + 1)
        recent.append(now)
        self.hits[client] = recent
        if len(self.hits) > 10_000:  # forget idle clients
            self.hits = {k: v for k, v in self.hits.items() if v and v[-1] > now - 60}
        return 0


def public_rate_limit_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        limiter: PublicRateLimit | None = scope["litestar_app"].state.get("public_rate_limit")
        if limiter and limiter.per_minute and scope["type"] == "http" and scope["path"].startswith(
            PUBLIC_SEARCH_PREFIXES
        ):
            wait = limiter.allow(client_ip(scope), time.monotonic())
            if wait:
                raise RateLimited("U doet te veel zoekopdrachten achter elkaar. Probeer het zo weer.", retry_after=wait)
        await app(scope, receive, send)

    return middleware


def principal_middleware(app: ASGIApp) -> ASGIApp:
    """Resolves the principal: Bearer tokens on /api/ (cookies are ignored there), the session cookie elsewhere."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        principal: Principal | None = None
        rid = request_id_of(scope)
        headers = dict(scope["headers"])
        engine = scope["litestar_app"].state.autocommit_engine
        if is_api(scope["path"]):
            auth = headers.get(b"authorization", b"").decode("latin-1")
            if auth.lower().startswith("bearer "):
                async with engine.connect() as conn:
                    principal = await principal_from_token(conn, auth[7:].strip(), now=utcnow(), request_id=rid)
                if principal is None:
                    raise NotAuthorizedException("Ongeldig of ingetrokken API-token.")
        else:
            cookie = _cookie(headers.get(b"cookie", b"").decode("latin-1"), SESSION_COOKIE)
            if cookie:
                async with engine.connect() as conn:
                    principal = await principal_from_session(conn, cookie, now=utcnow(), request_id=rid)
        scope["user"] = principal
        await app(scope, receive, send)

    return middleware


WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
IDEMPOTENCY_HEADER = idempotency.HEADER.lower().encode()


def idempotency_middleware(app: ASGIApp) -> ASGIApp:
    """Every API write by an authenticated client carries an Idempotency-Key (QUALITY-BAR §2.4, ADR 0007).

    Before the handler: read the body (up to the route's size limit), fingerprint the request and claim the
    key in a short transaction of its own, or answer from the earlier request with the same key (replay, 409,
    422). During: provide_db marks the key in the handler's own transaction. After the response has been sent:
    store it for replay, or release the key when nothing was committed. Anonymous requests, reads and pages
    pass through untouched (the guards answer 401 where needed)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        method = scope.get("method", "")
        if scope["type"] != "http" or method not in WRITE_METHODS or not is_api(scope["path"]) or not scope.get("user"):
            await app(scope, receive, send)
            return
        principal: Principal = scope["user"]
        headers = scope["headers"]
        key = idempotency.check_key(
            next((v.decode("latin-1") for k, v in headers if k.lower() == IDEMPOTENCY_HEADER), None)
        )
        body = await _read_body(scope, receive)
        content_type = next((v.decode("latin-1") for k, v in headers if k.lower() == b"content-type"), "")
        request_hash = idempotency.fingerprint(
            method, scope["path"], scope.get("query_string", b""), content_type, body
        )
        client = idempotency.Client(principal.region_id, principal.membership_id, principal.token_id)
        maker = scope["litestar_app"].state.sessionmaker
        claim = await idempotency.claim(maker, client, key, request_hash, now=utcnow())
        if isinstance(claim, idempotency.Stored):
            await _replay(claim, send)
            return
        scope.setdefault("state", {})[idempotency.SCOPE_KEY] = claim  # type: ignore[typeddict-item]
        response = _Captured()
        replayed = False

        async def replay_receive() -> Any:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        async def capture_send(message: Message) -> None:
            response.add(message)
            await send(message)

        try:
            await app(scope, replay_receive, capture_send)
        finally:
            await _finish(maker, claim, response)

    return middleware


def document_idempotency(route_handlers: list[Any]) -> None:
    """Let the OpenAPI schema show the required Idempotency-Key header on every API write operation."""
    for handler in route_handlers:
        paths = getattr(handler, "paths", ())
        methods = getattr(handler, "http_methods", ())
        if any(is_api(p) for p in paths) and WRITE_METHODS & set(methods):
            handler.operation_class = IdempotentOperation


@dataclass
class IdempotentOperation(Operation):
    def __post_init__(self) -> None:
        header = OpenAPIParameter(
            name=idempotency.HEADER,
            param_in=ParamType.HEADER,
            required=True,
            description=(
                "Unique per logical request (e.g. a UUID), 1-255 characters; send the same value when retrying. "
                "The same key and request: the stored response is replayed (header Idempotent-Replayed: true). "
                "Still running: 409. Another request: 422. Missing: 400. Keys are per client, kept 24 hours."
            ),
            schema=Schema(type=OpenAPIType.STRING, min_length=1, max_length=idempotency.MAX_KEY_LENGTH),
        )
        self.parameters = [*(self.parameters or []), header]


class _Captured:
    """The response as it was sent: status, content type and body."""

    def __init__(self) -> None:
        self.status: int | None = None
        self.content_type = ""
        self.chunks: list[bytes] = []
        self.complete = False

    def add(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
            for name, value in message.get("headers", []):
                if name.lower() == b"content-type":
                    self.content_type = bytes(value).decode("latin-1")
        elif message["type"] == "http.response.body":
            self.chunks.append(bytes(message.get("body", b"")))
            if not message.get("more_body", False):
                self.complete = True


async def _finish(maker: Any, claim: idempotency.Claim, response: _Captured) -> None:
    """Store the response for replay, or release the key. Never fails the request: a row left behind is
    'committed' (a later attempt gets 409: already processed) or 'in_progress' (taken over after 10 minutes)."""
    try:
        status = response.status
        if status is not None and response.complete and status < 500 and (claim.committed or status < 400):
            stored = idempotency.Stored(status, response.content_type, b"".join(response.chunks))
            await idempotency.store_response(maker, claim, stored, now=utcnow())
        else:  # a 5xx, an error before anything was committed, or a response that was not sent completely
            await idempotency.release(maker, claim)
    except Exception:
        log.exception("could not store or release an Idempotency-Key (row %s)", claim.row_id)


async def _read_body(scope: Scope, receive: Receive) -> bytes:
    """The whole request body, refusing more than the route allows (413, as Litestar itself would)."""
    route_handler = scope.get("route_handler")
    limit = getattr(route_handler, "resolve_request_max_body_size", lambda: None)() or MAX_BUFFERED_BODY
    limit = min(limit, MAX_BUFFERED_BODY)
    announced = next((v for k, v in scope["headers"] if k.lower() == b"content-length"), None)
    if announced is not None and announced.isdigit() and int(announced) > limit:
        raise RequestEntityTooLarge
    chunks: list[bytes] = []
    total = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientException("De verbinding werd verbroken voordat het verzoek binnen was.")
        chunk = message.get("body", b"")
        if chunk:
            total += len(chunk)
            if total > limit:
                raise RequestEntityTooLarge
            chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _replay(stored: idempotency.Stored, send: Send) -> None:
    headers = [(b"content-length", str(len(stored.body)).encode()), (b"idempotent-replayed", b"true")]
    if stored.content_type:
        headers.insert(0, (b"content-type", stored.content_type.encode("latin-1")))
    await send({"type": "http.response.start", "status": stored.status, "headers": headers})
    await send({"type": "http.response.body", "body": stored.body, "more_body": False})


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name and value:
            return value
    return None


async def provide_db(state: State, request: Request[Any, Any, Any]) -> AsyncIterator[AsyncSession]:
    """Request-scoped session: committed before the response is sent; rolled back when the handler raised.

    An API write's Idempotency-Key is marked used in this same transaction, so the work and the mark are
    committed together or not at all (idempotency_middleware, ADR 0007)."""
    claim: idempotency.Claim | None = request.scope.get("state", {}).get(idempotency.SCOPE_KEY)
    async with state.sessionmaker() as session:
        try:
            yield session
            if claim is not None:
                await idempotency.mark_committed(session, claim)
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()
            if claim is not None:
                claim.committed = True


def provide_principal(request: Request[Any, Any, Any]) -> Principal | None:
    return request.scope.get("user")  # type: ignore[return-value]


# ---- guards --------------------------------------------------------------------------------------------


class NotAuthenticated(NotAuthorizedException):
    pass


def _current(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    principal = connection.scope.get("user")
    if principal is None:
        raise NotAuthenticated("Log in om deze pagina te zien.")
    return principal  # type: ignore[return-value]


async def requires_login(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Any logged-in principal. Guards are async so Litestar does not push them to a thread pool."""
    _current(connection)


requires_login.allowed_roles = None  # type: ignore[attr-defined]  # None: every logged-in role


def requires_roles(*roles: str) -> Any:
    allowed = set(roles)

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        if _current(connection).role not in allowed:
            raise PermissionDeniedException("U heeft geen toegang tot deze functie.")

    guard.__name__ = "requires_" + "_or_".join(sorted(allowed))
    guard.allowed_roles = frozenset(allowed)  # type: ignore[attr-defined]
    return guard


requires_team = requires_roles(*TEAM_ROLES)
requires_team_contracts = requires_roles("team_admin", "team_contracts")
requires_provider = requires_roles("provider")
requires_applicant = requires_roles("applicant")


# ---- pages ---------------------------------------------------------------------------------------------


def csrf_token(request: Request[Any, Any, Any]) -> str:
    return ScopeState.from_scope(request.scope).csrf_token or ""  # type: ignore[return-value]


def page(
    request: Request[Any, Any, Any],
    template: str,
    *,
    status_code: int = 200,
    **context: Any,
) -> Response[str]:
    flash = request.cookies.get(FLASH_COOKIE)
    context.setdefault("errors", {})
    context.setdefault("form", {})
    html = render_template(
        template,
        request=request,
        principal=request.scope.get("user"),
        csrf_token=csrf_token(request),
        flash=unquote(flash) if flash else None,
        region_name=request.app.state.get("region_name", "Jeugdregio"),
        **context,
    )
    response: Response[str] = Response(html, media_type="text/html", status_code=status_code)
    if flash:
        response.delete_cookie(FLASH_COOKIE)
    return response


def redirect(path: str, flash: str | None = None) -> Redirect:
    """POST → 303 redirect, with an optional one-time message shown on the next page."""
    response = Redirect(path, status_code=303)
    if flash:
        response.set_cookie(
            Cookie(
                key=FLASH_COOKIE, value=quote(flash), httponly=True, samesite="lax",
                secure=get_settings().cookie_secure, path="/", max_age=60,
            )
        )  # fmt: skip
    return response


def form_errors(exc: ValidationFailed) -> dict[str, str]:
    return exc.by_field()


def client_ip(scope: Scope) -> str:
    """The client address; X-Forwarded-For is believed only when the peer is a configured trusted proxy."""
    peer = (scope.get("client") or ("unknown", 0))[0]
    trusted = get_settings().trusted_proxies
    if peer in trusted:
        forwarded = dict(scope["headers"]).get(b"x-forwarded-for", b"").decode("latin-1")
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        for hop in reversed(hops):
            if hop not in trusted:
                return hop
    return str(peer)


# ---- the one error mapper ------------------------------------------------------------------------------


def _problem(status: int, title: str, detail: str, request: Request[Any, Any, Any], **extra: Any) -> Response[Any]:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    body["request_id"] = request_id_of(request.scope)
    return Response(body, status_code=status, media_type="application/problem+json")


def _error_page(status: int, title: str, detail: str, request: Request[Any, Any, Any], **extra: Any) -> Response[Any]:
    try:
        html = render_template(
            "errors/error.html",
            request=request,
            principal=request.scope.get("user"),
            csrf_token=csrf_token(request),
            flash=None,
            region_name="Jeugdregio",
            status=status,
            title=title,
            detail=detail,
            request_id=request_id_of(request.scope),
            **extra,
        )
    except Exception:  # the error page itself must never fail
        log.exception("error page failed")
        html = f"<!doctype html><title>{status}</title><h1>Fout {status}</h1>"
    return Response(html, status_code=status, media_type="text/html")


def _wants_json(request: Request[Any, Any, Any]) -> bool:
    if is_api(request.url.path):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


HTTP_TITLES = {
    400: "Ongeldig verzoek",
    401: "Niet ingelogd",
    403: "Geen toegang",
    404: "Niet gevonden",
    405: "Methode niet toegestaan",
    409: "Conflict",
    410: "Niet meer geldig",
    413: "Bestand te groot",
    415: "Bestandstype niet toegestaan",
    422: "Controleer de invoer",
    429: "Te veel verzoeken",
    503: "Tijdelijk niet beschikbaar",
}


def handle_exception(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Map every error to one response shape. Unexpected errors: 500 with a request id, logged once."""
    json = _wants_json(request)
    respond = _problem if json else _error_page
    headers: dict[str, str] = {}
    extra: dict[str, Any] = {}
    if isinstance(exc, NotAuthenticated) and not json:
        return Redirect("/inloggen?volgende=" + quote(request.url.path), status_code=303)
    if isinstance(exc, DomainError):
        status, title, detail = exc.status_code, exc.title, exc.message
        if isinstance(exc, ValidationFailed):
            extra["errors"] = [e.as_dict() for e in exc.errors]
        if isinstance(exc, RateLimited):
            headers["Retry-After"] = str(exc.retry_after)
    elif isinstance(exc, HTTPException):
        status = exc.status_code
        title = HTTP_TITLES.get(status, "Fout")
        detail = _dutch_detail(status, str(exc.detail))
        if status == 400 and isinstance(exc.extra, list):  # Litestar's own validation: keep the field details
            extra["errors"] = [
                {"field": str(e.get("key", "")), "message": str(e.get("message", ""))}
                for e in exc.extra
                if isinstance(e, dict)
            ]
    elif sqlstate(exc) in ("22003", "22P02"):  # an id out of range or malformed: it cannot exist
        status, title = 404, HTTP_TITLES[404]
        detail = _dutch_detail(404, "")
        if status == 401 and json:
            headers["WWW-Authenticate"] = "Bearer"
    elif is_unavailable(exc):
        log.warning("database unavailable: %s", type(exc).__name__)
        status, title = 503, HTTP_TITLES[503]
        detail = "De database is even niet bereikbaar. Probeer het over enkele seconden opnieuw."
        headers["Retry-After"] = "5"
    else:
        log.exception("unexpected error (request %s)", request_id_of(request.scope))
        status, title = 500, "Er ging iets mis"
        detail = "Er ging iets mis aan onze kant. Noem het verzoeknummer als u contact opneemt."
    response = respond(status, title, detail, request, **extra)
    response.headers.update(headers)
    return response


def _dutch_detail(status: int, detail: str) -> str:
    if status == 403 and "CSRF" in detail:
        return (
            "Het formulier is verlopen of niet geldig (CSRF-controle). "
            "Laad de pagina opnieuw en probeer het nog eens."
        )
    if status == 404:
        return "Deze pagina bestaat niet of u heeft er geen toegang toe."
    if status == 413:
        return "Het verzoek is te groot. Bestanden mogen maximaal 10 MB zijn."
    if status == 400 and "host" in detail.lower():
        return "Onbekende host."
    if (detail and any(ch in detail for ch in "éëèà")) or detail.startswith(("Log in", "U heeft", "Ongeldig")):
        return detail
    return HTTP_TITLES.get(status, "Fout") + "."


def dependencies() -> dict[str, Any]:
    from litestar.di import Provide

    return {
        "db": Provide(provide_db),
        "principal": Provide(provide_principal, sync_to_thread=False),
    }
