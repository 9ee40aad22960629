"""The public catalogue for parents and referrers (no login) and its read-only JSON API.

Thin handlers, one service call each. Every filter lives in the URL; unknown filter values give a message on
the page (422) or Problem Details (422) in the API. Pages serve the first region unless `?regio=<slug>`."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import MediaType, Request, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter
from litestar.serialization import encode_json
from sqlalchemy.ext.asyncio import AsyncSession

from catalogue.routes.fragments import filter_select, hit_cards
from catalogue.services import search, search_cache
from jeugdregio.clock import today
from jeugdregio.errors import ValidationFailed
from jeugdregio.web import FLASH_COOKIE, page

PUBLIC_CACHE = {"cache-control": "public, max-age=60"}  # public data only: no personal data on these pages


def _download(content: bytes, media_type: str, filename: str) -> Response[bytes]:
    return Response(
        content, media_type=media_type,
        headers={"content-disposition": f'attachment; filename="{filename}"', **PUBLIC_CACHE},
    )  # fmt: skip


# ---- pages ---------------------------------------------------------------------------------------------


@get("/catalogus", include_in_schema=False)
async def catalogue_search(request: Request[Any, Any, Any]) -> Response[Any]:
    """The search page. Anonymous visitors without a flash message get the page from the short-lived cache
    (search.PAGES, public data only; cookies and security headers are still made per response)."""
    params, day = request.query_params, today()
    key = search.search_key(params, day)
    anonymous = request.scope.get("user") is None and FLASH_COOKIE not in request.cookies
    if anonymous:
        cached, refresh = search.PAGES.lookup(key)
        if cached is not None:
            if refresh:  # ageing: answer now, make the new page after the answer
                search_cache.in_background(_search_page(request, day, key, anonymous=True))
            return Response(cached[1], media_type="text/html", status_code=cached[0])
    return await _search_page(request, day, key, anonymous=anonymous)


async def _search_page(
    request: Request[Any, Any, Any], day: date, key: tuple[str, ...], *, anonymous: bool
) -> Response[str]:
    """The search page from a (new, for a cached page) result; an anonymous page is cached as it is sent."""
    made_in = search_cache.generation()
    found = await search.cached_search(request.app.state.autocommit_engine, request.query_params, today=day,
                                       key=key, reuse=not anonymous)  # fmt: skip
    response = page(
        request, "catalogue/public_search.html", status_code=422 if found.errors else 200, found=found,
        errors=found.error_dict(), form=found.filters.as_form(), sorts=search.SORTS,
        cards=hit_cards(found.result.hits, found.filters.regio), select=filter_select,
    )  # fmt: skip
    if anonymous and isinstance(response.content, str):
        body = response.content.encode("utf-8")
        search.PAGES.put(key, (response.status_code, body), len(body) + 200, made_in=made_in)
    return response


@get("/catalogus/profielen", include_in_schema=False)
async def profile_guide(request: Request[Any, Any, Any], db: AsyncSession) -> Response[str]:
    region, profiles = await search.profile_guide(db, request.query_params.get("regio"))
    return page(request, "catalogue/public_profiles.html", region=region, profiles=profiles)


@get("/catalogus/profielen/{number:int}", include_in_schema=False)
async def profile_detail(request: Request[Any, Any, Any], db: AsyncSession, number: int) -> Response[str]:
    profile, found = await search.profile_providers(db, number, request.query_params, today=today())
    return page(request, "catalogue/public_profile.html", profile=profile, found=found,
                cards=hit_cards(found.result.hits, found.filters.regio, compare=False))  # fmt: skip


@get("/catalogus/aanbieders/{listing_id:int}", include_in_schema=False)
async def provider_detail(request: Request[Any, Any, Any], db: AsyncSession, listing_id: int) -> Response[str]:
    detail = await search.provider_page(db, listing_id, request.query_params.get("regio"), today=today())
    return page(request, "catalogue/public_provider.html", detail=detail, regio=request.query_params.get("regio", ""))


@get("/catalogus/vergelijk", include_in_schema=False)
async def compare(request: Request[Any, Any, Any], db: AsyncSession) -> Response[str]:
    details, message = await search.compare_providers(
        db, request.query_params.getall("id", []), request.query_params.get("regio"), today=today()
    )
    return page(request, "catalogue/public_compare.html", details=details, message=message,
                status_code=422 if message and not details else 200)  # fmt: skip


@get("/catalogus/open-data.csv", include_in_schema=False)
async def open_data_csv(request: Request[Any, Any, Any], db: AsyncSession) -> Response[bytes]:
    region, items = await search.open_data_export(db, request.query_params.get("regio"))
    return _download(search.to_csv(items), "text/csv; charset=utf-8", f"catalogus-{region.slug}.csv")


@get("/catalogus/open-data.json", include_in_schema=False)
async def open_data_json(request: Request[Any, Any, Any], db: AsyncSession) -> Response[bytes]:
    region, items = await search.open_data_export(db, request.query_params.get("regio"))
    return _download(search.to_json(region, items, today=today()), "application/json", f"catalogus-{region.slug}.json")


# ---- JSON API (public reads) ---------------------------------------------------------------------------

API_SORTS = {"name": "naam", "waiting_time": "wachttijd", "rating": "beoordeling", "relevance": "relevantie"}
FIELD_NAMES = {"q": "q", "profiel": "profile", "gemeente": "municipality", "vorm": "setting", "wachttijd": "max_weeks",
               "doelgroep": "target_group", "taal": "language", "identiteit": "identity", "sorteer": "sort",
               "pagina": "page"}  # fmt: skip


@get(
    "/api/v1/catalogue/providers", tags=["catalogue"], security=[{}],
    # the body is sent as cached JSON bytes; the schema is that of the object they encode
    responses={200: ResponseSpec(data_container=dict[str, Any], description="A page of matching providers",
                                generate_examples=False)},
)  # fmt: skip
async def api_catalogue_providers(
    request: Request[Any, Any, Any],
    q: Annotated[str, Parameter(description="free text (Dutch full text, typo tolerant)")] = "",
    profile: Annotated[str, Parameter(description="care profile number, e.g. 2")] = "",
    municipality: Annotated[str, Parameter(description="municipality id (served, or a location there)")] = "",
    setting: Annotated[str, Parameter(description="setting code")] = "",
    max_weeks: Annotated[str, Parameter(description="maximum waiting time in weeks (0-104)")] = "",
    target_group: str = "",
    language: str = "",
    identity: Annotated[str, Parameter(description="religious identity")] = "",
    sort: Annotated[str, Parameter(description="name | waiting_time | rating | relevance")] = "",
    page_nr: Annotated[str, Parameter(query="page", description="page number, 20 per page")] = "",
    region: Annotated[str, Parameter(description="region slug; default: the first region")] = "",
) -> Response[bytes]:
    """Active providers in the public catalogue with the same filters as /catalogus (422 for unknown values)."""
    # public data, the same for every caller: served through the short-lived search cache (search_cache)
    sort_key = API_SORTS.get(sort, sort and "?")
    params = {"q": q, "profiel": profile, "gemeente": municipality, "vorm": setting, "wachttijd": max_weeks,
              "doelgroep": target_group, "taal": language, "identiteit": identity, "sorteer": sort_key,
              "pagina": page_nr, "regio": region}  # fmt: skip
    day = today()
    key = search.search_key(params, day)
    body, refresh = search.API_BODIES.lookup(key)
    if body is None:
        body = await _api_body(request, params, day, key)
    elif refresh:  # ageing: answer now, make the new body after the answer
        search_cache.in_background(_api_body(request, params, day, key))
    return Response(body, media_type=MediaType.JSON)


async def _api_body(request: Request[Any, Any, Any], params: dict[str, str], day: date, key: tuple[str, ...]) -> bytes:
    made_in = search_cache.generation()
    found = await search.cached_search(request.app.state.autocommit_engine, params, today=day, key=key,
                                       reuse=False)  # fmt: skip
    if found.errors:
        raise ValidationFailed(
            [type(e)(FIELD_NAMES.get(e.field, e.field), e.message) for e in found.errors],
            "Een of meer filters hebben een onbekende waarde.",
        )
    body = encode_json(found.result.as_json())
    search.API_BODIES.put(key, body, len(body) + 200, made_in=made_in)
    return body


@get("/api/v1/catalogue/providers/{listing_id:int}", tags=["catalogue"], security=[{}])
async def api_catalogue_provider(db: AsyncSession, listing_id: int, region: str = "") -> dict[str, Any]:
    """One active provider: offered arrangement types, locations, municipalities, waiting times (404 otherwise)."""
    detail = await search.provider_page(db, listing_id, region, today=today())
    return detail.as_json()


@get("/api/v1/catalogue/profiles", tags=["catalogue"], security=[{}])
async def api_catalogue_profiles(db: AsyncSession, region: str = "") -> dict[str, Any]:
    """The region's care profiles with their plain-language descriptions."""
    _region, profiles = await search.profile_guide(db, region)
    return {"items": [p.as_json() for p in profiles]}


ROUTES = [
    catalogue_search, profile_guide, profile_detail, provider_detail, compare, open_data_csv, open_data_json,
    api_catalogue_providers, api_catalogue_provider, api_catalogue_profiles,
]  # fmt: skip
