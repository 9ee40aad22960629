"""The public catalogue: search with filters from the URL, profile pages, provider pages, comparison, open data.

Read-only use cases for anonymous visitors. Filters arrive as strings (from the URL or the API), are checked
against the region's own choices and become `queries.Criteria`; unknown values are reported per field and
left out. Only active listings are ever shown."""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from catalogue import queries
from catalogue.rules import MAX_WAITING_WEEKS, normalise, trigrams, waiting_time_fresh
from catalogue.services import search_cache
from catalogue.services.quality_figures import ListingQuality, PublishedFigure, quality_of_listings
from jeugdregio.db import driver
from jeugdregio.errors import FieldError, NotFound
from jeugdregio.spreadsheets import csv_bytes
from jeugdregio.tables import Region

PER_PAGE = 20
MAX_PAGE = 500
MAX_TEXT = 200
MAX_COMPARE = 3
MAX_ID = 2**31 - 1  # ids are PostgreSQL integers: anything larger cannot exist
SORTS = {"naam": "Naam (A–Z)", "wachttijd": "Kortste wachttijd", "beoordeling": "Hoogste beoordeling door ouders",
         "relevantie": "Best passend bij de zoektekst"}  # fmt: skip
FILTER_KEYS = ("q", "profiel", "gemeente", "vorm", "wachttijd", "doelgroep", "taal", "identiteit", "sorteer")
FORM_KEYS = ("regio", *FILTER_KEYS)  # Filters' string fields, in order


@dataclass(frozen=True)
class RegionRef:
    id: int
    slug: str
    name: str


# Reads run on an ORM session or, on the hot path, on an AUTOCOMMIT connection (no BEGIN/COMMIT, no unit of work)
Db = AsyncSession | AsyncConnection

_regions: dict[str, tuple[float, int, RegionRef]] = {}
_options: dict[int, tuple[float, int, Options]] = {}


def _cached(cache: dict[Any, tuple[float, int, Any]], key: Any) -> Any:
    hit = cache.get(key)
    # regions and filter choices change rarely: kept as long as the search cache's entries, and never across a
    # catalogue commit (search_cache.generation)
    fresh = hit and time.monotonic() - hit[0] < search_cache.lifetime() and hit[1] == search_cache.generation()
    return hit[2] if hit and fresh else None


def _remember(cache: dict[Any, tuple[float, int, Any]], key: Any, value: Any) -> None:
    if len(cache) > 1000:
        cache.clear()
    cache[key] = (time.monotonic(), search_cache.generation(), value)


async def resolve_region(session: Db, slug: str | None = None) -> RegionRef:
    """The region a public page serves: `regio=<slug>` when given, else the first region (lowest id)."""
    key = (slug or "").strip()
    if len(key) > 40 or not key.isprintable():
        raise NotFound("Deze regio bestaat niet.")
    found = _cached(_regions, key)
    if found is not None:
        return found  # type: ignore[no-any-return]
    stmt = select(Region.id, Region.slug, Region.name)
    stmt = stmt.where(Region.slug == key) if key else stmt.order_by(Region.id).limit(1)  # type: ignore[arg-type]
    row = (await session.execute(stmt)).first()
    if row is None:
        raise NotFound("Deze regio bestaat niet.")
    region = RegionRef(int(row.id), str(row.slug), str(row.name))
    _remember(_regions, key, region)
    return region


# ---- filters -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    key: str  # the value in the URL
    label: str
    id: int = 0


@dataclass(frozen=True)
class Options:
    profiel: tuple[Option, ...] = ()
    gemeente: tuple[Option, ...] = ()
    vorm: tuple[Option, ...] = ()
    doelgroep: tuple[Option, ...] = ()
    taal: tuple[Option, ...] = ()
    identiteit: tuple[Option, ...] = ()

    def find(self, kind: str, key: str) -> Option | None:
        return next((o for o in getattr(self, kind) if o.key == key), None)

    def label(self, kind: str, key: str) -> str:
        found = self.find(kind, key)
        return found.label if found else key


# ---- typo-tolerant text: the region's trigram index, kept per worker like the filter choices --------------

_gram_index: dict[int, tuple[float, int, dict[str, tuple[int, ...]]]] = {}


async def _region_grams(session: Db, region_id: int) -> dict[str, tuple[int, ...]]:
    """trigram -> the ids of the region's active listings that have it (one statement, kept like the search
    cache's entries)."""
    cached = _cached(_gram_index, region_id)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    rows = await session.execute(queries.trigram_postings(region_id))
    index = {str(gram): tuple(ids) for gram, ids in rows}
    _remember(_gram_index, region_id, index)
    return index


async def typo_matches(session: Db, region_id: int, grams: tuple[str, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The listings that share at least `queries.need` of the query's trigrams (what pg_trgm's word similarity
    would find; pg_trgm is not in every PostgreSQL, ADR 0008), with how many each shares: counted over the
    region's trigram index in memory instead of per row in SQL."""
    if not grams:
        return (), ()
    index = await _region_grams(session, region_id)
    shared: Counter[int] = Counter()
    for gram in grams:
        shared.update(index.get(gram, ()))
    enough = queries.need(len(grams))
    found = sorted((listing_id, n) for listing_id, n in shared.items() if n >= enough)
    return tuple(i for i, _ in found), tuple(n for _, n in found)


async def filter_options(session: Db, region_id: int) -> Options:
    """The region's choices for every filter (one statement, then kept per worker like the search cache's entries)."""
    cached = _cached(_options, region_id)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    grouped: dict[str, list[tuple[Any, Option]]] = defaultdict(list)
    for kind, oid, key, label, order in await session.execute(queries.filter_options(region_id)):
        text = f"Profiel {key}: {label}" if kind == "profiel" else label
        grouped[kind].append(((order, label.lower()), Option(str(key), text, int(oid))))
    options = Options(**{k: tuple(o for _, o in sorted(v, key=lambda x: x[0])) for k, v in grouped.items()})
    _remember(_options, region_id, options)
    return options


@dataclass(frozen=True)
class Filters:
    """The filters as given (strings), to fill in the form again and to build links that keep the search."""

    regio: str = ""
    q: str = ""
    profiel: str = ""
    gemeente: str = ""
    vorm: str = ""
    wachttijd: str = ""
    doelgroep: str = ""
    taal: str = ""
    identiteit: str = ""
    sorteer: str = ""
    pagina: int = 1

    def as_form(self) -> dict[str, str]:
        return {k: getattr(self, k) for k in FORM_KEYS}  # not asdict(): it deep-copies, on every search page

    def url(self, path: str = "/catalogus", **changes: Any) -> str:
        values: dict[str, Any] = {**self.as_form(), "pagina": self.pagina, **changes}
        if values["pagina"] == 1:
            values.pop("pagina")
        query = urlencode({k: v for k, v in values.items() if v not in ("", None)})
        return f"{path}?{query}" if query else path

    @property
    def active(self) -> bool:
        return any(getattr(self, k) for k in FILTER_KEYS if k != "sorteer")


def parse_filters(
    params: Mapping[str, str], options: Options, region_id: int
) -> tuple[Filters, queries.Criteria, list[FieldError]]:
    """Strings in, criteria out. Unknown or malformed values become field errors and are left out."""
    raw = {k: str(params.get(k) or "").strip() for k in (*FILTER_KEYS, "regio", "pagina")}
    errors: list[FieldError] = []
    crit: dict[str, Any] = {}
    raw["q"] = text = "".join(ch for ch in raw["q"] if ch.isprintable())
    if len(text) > MAX_TEXT:
        errors.append(FieldError("q", f"Gebruik maximaal {MAX_TEXT} tekens in de zoektekst."))
        raw["q"] = text = ""
    if text:
        crit["text"] = text
        variant = singular_text(text)
        if variant != normalise(text):
            crit["variant"] = variant
        words = [w for w in normalise(text).split() if len(w) >= 3]
        crit["grams"] = tuple(trigrams(" ".join(words)))
    for kind, target, message in (
        ("profiel", "profile_id", "Dit profiel kennen we niet. Kies een profiel uit de lijst."),
        ("gemeente", "municipality_id", "Deze gemeente hoort niet bij de regio. Kies een gemeente uit de lijst."),
        ("vorm", "setting_id", "Deze vorm van hulp kennen we niet. Kies er een uit de lijst."),
    ):
        if raw[kind]:
            found = options.find(kind, raw[kind])
            if found is None:
                errors.append(FieldError(kind, message))
                raw[kind] = ""
            else:
                crit[target] = found.id
    for kind, target, what in (
        ("doelgroep", "target_group", "doelgroep"),
        ("taal", "language", "taal"),
        ("identiteit", "identity", "identiteit"),
    ):
        if raw[kind]:
            if options.find(kind, raw[kind]) is None:
                errors.append(FieldError(kind, f"Geen aanbieder heeft deze {what}. Kies er een uit de lijst."))
                raw[kind] = ""
            else:
                crit[target] = raw[kind]
    if raw["wachttijd"]:
        weeks = _int(raw["wachttijd"], 0, MAX_WAITING_WEEKS)
        if weeks is None:
            errors.append(FieldError("wachttijd", f"Vul een aantal weken in van 0 tot en met {MAX_WAITING_WEEKS}."))
            raw["wachttijd"] = ""
        else:
            crit["max_weeks"] = weeks
    if raw["sorteer"] and raw["sorteer"] not in SORTS:
        errors.append(FieldError("sorteer", "Kies sorteren op naam, wachttijd, beoordeling of zoektekst."))
        raw["sorteer"] = ""
    sort = raw["sorteer"] or ("relevantie" if text else "naam")
    crit["sort"] = "naam" if sort == "relevantie" and not text else sort
    page = _int(raw["pagina"], 1, MAX_PAGE) if raw["pagina"] else 1
    if page is None:
        errors.append(FieldError("pagina", f"Kies een pagina van 1 tot en met {MAX_PAGE}."))
        page = 1
    filters = Filters(**{k: v for k, v in raw.items() if k != "pagina"}, pagina=page)
    return filters, queries.Criteria(region_id=region_id, **crit), errors


def singular_text(text: str) -> str:
    """Undo a Dutch plural with a doubled consonant, which the Snowball stemmer keeps: gezinnen -> gezin."""
    words = []
    for word in normalise(text).split():
        if len(word) >= 6 and word.endswith("en") and word[-3] == word[-4] and word[-3] not in "aeiouy":
            word = word[:-3]
        words.append(word)
    return " ".join(words)


def _int(value: str, low: int, high: int) -> int | None:
    if not value.isascii() or not value.isdigit() or len(value) > 6:
        return None
    number = int(value)
    return number if low <= number <= high else None


# ---- search --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Waiting:
    weeks: int
    confirmed_on: date
    fresh: bool
    profile: int | None = None
    profile_name: str = ""

    def as_json(self) -> dict[str, Any]:
        out = {"weeks": self.weeks, "confirmed_on": self.confirmed_on.isoformat(), "recently_confirmed": self.fresh}
        if self.profile is not None:
            out["profile"] = self.profile
        return out


@dataclass(frozen=True, slots=True)
class Hit:
    id: int
    name: str
    city: str
    profiles: tuple[int, ...]
    shortest: Waiting | None
    identity: str
    languages: tuple[str, ...]
    target_groups: tuple[str, ...]
    quality: PublishedFigure | None = None  # the provider's published overall figures (catalogue_quality_figure)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "city": self.city, "profiles": list(self.profiles),
            "shortest_waiting_time": self.shortest.as_json() if self.shortest else None,
            "religious_identity": self.identity, "languages": list(self.languages),
            "target_groups": list(self.target_groups), "url": f"/catalogus/aanbieders/{self.id}",
            "quality": self.quality.as_json() if self.quality else None,
        }  # fmt: skip


@dataclass(frozen=True)
class SearchPage:
    hits: tuple[Hit, ...]
    total: int
    page: int
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    def as_json(self) -> dict[str, Any]:
        return {"items": [h.as_json() for h in self.hits], "total": self.total, "page": self.page,
                "per_page": self.per_page, "pages": self.pages}  # fmt: skip


async def search_listings(session: Db, criteria: queries.Criteria, *, page: int, today: date) -> SearchPage:
    """One statement for the page and the total (a window count); a separate count only past the last page."""
    offset = (page - 1) * PER_PAGE
    sql, arguments = queries.search_page(criteria, limit=PER_PAGE, offset=offset)
    rows = await _fetch(session, sql, arguments)
    hits = tuple(
        Hit(
            id=r["id"],
            name=r["name"],
            city=r["city"],
            profiles=tuple(r["profiles"] or ()),
            shortest=Waiting(r["weeks"], r["confirmed_on"], waiting_time_fresh(r["confirmed_on"], today))
            if r["weeks"] is not None
            else None,
            identity=r["religious_identity"],
            languages=tuple(r["languages"]),
            target_groups=tuple(r["target_groups"]),
            quality=_published(r),
        )
        for r in rows
    )
    if rows:
        total = int(rows[0]["total"])
    elif offset == 0:
        total = 0
    else:  # a page beyond the last: count separately
        count, arguments = queries.search_count(criteria)
        total = int((await _fetch(session, count, arguments))[0]["total"])
    return SearchPage(hits, total, page)


async def _fetch(session: Db, sql: queries.Sql, arguments: list[Any]) -> list[Any]:
    """Run a precompiled statement on the driver's connection (asyncpg prepares and caches it per connection)
    in the session's or connection's current transaction, if any."""
    return list(await (await driver(session)).fetch(sql.text, *arguments))


def _published(r: Any) -> PublishedFigure | None:
    """The published overall quality figures joined into a search row (queries.QUALITY_COLUMNS)."""
    if r["q_period_label"] is None:
        return None
    return PublishedFigure(
        provider_id=0, profile_id=None, period_start=r["q_period_start"], period_end=r["q_period_end"],
        period_label=r["q_period_label"], n_ended=r["q_n_ended"], share_achieved_pct=r["q_share_achieved_pct"],
        n_ratings=r["q_n_ratings"], rating_mean_x10=r["q_rating_mean_x10"], definition=r["q_definition"],
    )  # fmt: skip


# ---- one provider --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OfferedTypeView:
    code: str
    profile: int
    profile_name: str
    intensity: str
    setting: str


@dataclass(frozen=True)
class ProviderDetail:
    id: int
    name: str
    city: str
    description: str
    website: str
    email: str
    phone: str
    identity: str
    languages: tuple[str, ...]
    target_groups: tuple[str, ...]
    specialisms: tuple[str, ...]
    accessibility: str
    types: tuple[OfferedTypeView, ...] = ()
    locations: tuple[dict[str, str], ...] = ()
    municipalities: tuple[str, ...] = ()
    waiting: tuple[Waiting, ...] = ()
    profiles: tuple[tuple[int, str], ...] = field(default=())
    quality: ListingQuality | None = None  # published quality figures, overall and per profile

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["waiting"] = [w.as_json() | {"profile_name": w.profile_name} for w in self.waiting]
        out["profiles"] = [{"number": n, "name": name} for n, name in self.profiles]
        out["religious_identity"] = out.pop("identity")
        out["quality"] = self.quality.as_json() if self.quality else None
        return out


async def provider_details(
    session: AsyncSession, region_id: int, listing_ids: list[int], *, today: date
) -> list[ProviderDetail]:
    """Active listings of the region, in the order asked; unknown ids are left out (five statements in all)."""
    listing_ids = [i for i in listing_ids if 0 < i <= MAX_ID]
    if not listing_ids:
        return []
    found = (await session.execute(queries.listing_rows(region_id, listing_ids))).all()
    if not found:
        return []
    ids = [r.id for r in found]
    types: dict[int, list[OfferedTypeView]] = defaultdict(list)
    for r in await session.execute(queries.offered_types(ids)):
        types[r.listing_id].append(OfferedTypeView(r.code, r.number, r.profile_name, r.intensity, r.setting))
    places: dict[int, list[dict[str, str]]] = defaultdict(list)
    for r in await session.execute(queries.locations(ids)):
        places[r.listing_id].append({"street": r.street, "postcode": r.postcode, "city": r.city,
                                     "municipality": r.municipality or ""})  # fmt: skip
    munis: dict[int, list[str]] = defaultdict(list)
    for r in await session.execute(queries.municipalities_served(ids)):
        munis[r.listing_id].append(r.name)
    waits: dict[int, list[Waiting]] = defaultdict(list)
    for r in await session.execute(queries.waiting_times(ids)):
        waits[r.listing_id].append(
            Waiting(r.weeks, r.confirmed_on, waiting_time_fresh(r.confirmed_on, today), r.number, r.name)
        )
    quality = await quality_of_listings(session, region_id, ids)
    by_id = {r.id: r for r in found}
    out = []
    for lid in dict.fromkeys(listing_ids):
        r = by_id.get(lid)
        if r is None:
            continue
        profiles = tuple(dict.fromkeys((t.profile, t.profile_name) for t in types[lid]))
        out.append(ProviderDetail(
            id=r.id, name=r.name, city=r.city, description=r.description, website=r.website, email=r.email,
            phone=r.phone, identity=r.religious_identity, languages=tuple(r.languages),
            target_groups=tuple(r.target_groups), specialisms=tuple(r.specialisms), accessibility=r.accessibility,
            types=tuple(types[lid]), locations=tuple(places[lid]), municipalities=tuple(munis[lid]),
            waiting=tuple(waits[lid]), profiles=profiles, quality=quality.get(lid),
        ))  # fmt: skip
    return out


async def provider_detail(session: AsyncSession, region_id: int, listing_id: int, *, today: date) -> ProviderDetail:
    found = await provider_details(session, region_id, [listing_id], today=today)
    if not found:
        raise NotFound("Deze aanbieder staat niet (meer) in de catalogus.")
    return found[0]


def parse_compare_ids(values: list[str]) -> tuple[list[int], str]:
    """The ids to compare and a message when there are too many or malformed ones."""
    ids = [int(v) for v in values if v.isascii() and v.isdigit() and len(v) <= 9]
    ids = list(dict.fromkeys(ids))
    if len(ids) != len(values):
        return ids[:MAX_COMPARE], "Niet alle gekozen aanbieders zijn geldig. Kies aanbieders uit de zoekresultaten."
    if len(ids) > MAX_COMPARE:
        return ids[
            :MAX_COMPARE
        ], f"U kunt maximaal {MAX_COMPARE} aanbieders vergelijken. We tonen de eerste {MAX_COMPARE}."
    return ids, ""


# ---- open data -----------------------------------------------------------------------------------------


async def open_data(session: AsyncSession, region: RegionRef) -> list[dict[str, Any]]:
    assert region.id is not None
    rows = await session.execute(queries.open_data(region.id))
    return [
        {
            "id": r.id,
            "name": r.name,
            "city": r.city,
            "website": r.website,
            "email": r.email,
            "phone": r.phone,
            "religious_identity": r.religious_identity,
            "languages": list(r.languages),
            "target_groups": list(r.target_groups),
            "profiles": list(r.profiles or ()),
            "arrangement_types": list(r.codes or ()),
            "municipalities": list(r.municipalities or ()),
            "waiting_times": [dict(w) for w in (r.waiting_times or ())],
        }
        for r in rows
    ]


CSV_COLUMNS = ("id", "naam", "plaats", "website", "e-mail", "telefoon", "identiteit", "talen", "doelgroepen",
               "profielen", "arrangementtypen", "gemeenten", "wachttijden")  # fmt: skip


def to_csv(items: list[dict[str, Any]]) -> bytes:
    """Semicolon-separated with a BOM (Excel in Dutch opens it as is); lists joined with ' | '."""
    return csv_bytes([CSV_COLUMNS, *(_csv_cells(it) for it in items)])


def _csv_cells(it: dict[str, Any]) -> list[str]:
    waits = " | ".join(f"profiel {w['profile']}: {w['weeks']} weken (bevestigd {w['confirmed_on']})"
                       for w in it["waiting_times"])  # fmt: skip
    return [str(it["id"]), it["name"], it["city"], it["website"], it["email"], it["phone"],
            it["religious_identity"], " | ".join(it["languages"]), " | ".join(it["target_groups"]),
            " | ".join(str(p) for p in it["profiles"]), " | ".join(it["arrangement_types"]),
            " | ".join(it["municipalities"]), waits]  # fmt: skip


def to_json(region: RegionRef, items: list[dict[str, Any]], *, today: date) -> bytes:
    body = {"region": {"slug": region.slug, "name": region.name}, "generated_on": today.isoformat(),
            "listings": items}  # fmt: skip
    return json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8")


# ---- pages: one call per handler -------------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogueSearch:
    region: RegionRef
    options: Options
    filters: Filters
    errors: tuple[FieldError, ...]
    result: SearchPage

    def error_dict(self) -> dict[str, str]:
        return {e.field: e.message for e in self.errors}


async def search_catalogue(
    session: Db, params: Mapping[str, str], *, today: date, fixed: Mapping[str, str] | None = None
) -> CatalogueSearch:
    """Resolve the region, check the filters against its choices and run the search (unknown values left out).
    `fixed` overrides parameters (the profile page fixes the profile)."""
    region = await resolve_region(session, params.get("regio"))
    assert region.id is not None
    options = await filter_options(session, region.id)
    merged = {**params, **(fixed or {})}
    filters, criteria, errors = parse_filters(merged, options, region.id)
    if criteria.grams:
        ids, shares = await typo_matches(session, region.id, criteria.grams)
        criteria = replace(criteria, typo_ids=ids, typo_shares=shares)
    result = await search_listings(session, criteria, page=filters.pagina, today=today)
    return CatalogueSearch(region, options, filters, tuple(errors), result)


# ---- the hot path: anonymous searches (pages and API) ----------------------------------------------------

SEARCH_KEYS = (*FILTER_KEYS, "regio", "pagina")
# What is kept per worker. Rendered pages (UTF-8 bytes, sent as they are) and API bodies are plain bytes, which
# the cyclic garbage collector never scans, so they can be many: JEUGDREGIO_SEARCH_CACHE_MB (default 256 MB per
# worker, size_caches) holds a few thousand distinct searches a minute (the bench's mix has about 2,300; a page is
# ~50–100 kB, an API body ~20 kB). Result objects are GC-tracked (every full collection walks them and stalls the
# event loop), so only a few hundred are kept: for logged-in pages, and to let identical misses share one query.
# An entry in the last quarter of its life is renewed after answering one request with it (in the background).
RESULTS: search_cache.TtlCache[CatalogueSearch] = search_cache.TtlCache(max_bytes=4 * 1024 * 1024, refresh_after=True)
PAGES: search_cache.TtlCache[tuple[int, bytes]] = search_cache.TtlCache(  # (status, UTF-8 HTML)
    max_bytes=192 * 1024 * 1024, refresh_after=True
)
API_BODIES: search_cache.TtlCache[bytes] = search_cache.TtlCache(  # JSON of a successful API search
    max_bytes=64 * 1024 * 1024, refresh_after=True
)


def size_caches(megabytes: int) -> None:
    """The memory per worker for cached public search pages (three quarters) and API bodies (a quarter)."""
    PAGES.max_bytes = megabytes * 1024 * 1024 * 3 // 4
    API_BODIES.max_bytes = megabytes * 1024 * 1024 // 4


def search_key(params: Mapping[str, str], today: date) -> tuple[str, ...]:
    """What a search depends on: the parameters it reads, as it reads them (first value, stripped), and the day
    (the freshness of waiting times). Other parameters do not change the result and are left out."""
    return (today.isoformat(), *(str(params.get(k) or "").strip() for k in SEARCH_KEYS))


def _size(found: CatalogueSearch) -> int:
    return 2_000 + 600 * len(found.result.hits)  # a rough estimate of the objects' memory


async def cached_search(
    engine: AsyncEngine, params: Mapping[str, str], *, today: date, key: tuple[str, ...] | None = None,
    reuse: bool = True,
) -> CatalogueSearch:
    """`search_catalogue` through the short-lived cache (search_cache), on an AUTOCOMMIT connection when it
    has to ask the database: one statement for page and total, no transaction, no ORM session. Callers that
    cache what they build (a page, an API body) pass `reuse=False`, so that their entry is never older than
    the life of a cache entry in all."""

    async def run() -> CatalogueSearch:
        async with engine.connect() as conn:
            return await search_catalogue(conn, params, today=today)

    return await RESULTS.get_or_make(key or search_key(params, today), run, _size, reuse=reuse)


@dataclass(frozen=True)
class ProfileView:
    id: int
    number: int
    name: str
    description: str
    complexity: str
    illustrative: bool

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


async def profiles_of(session: AsyncSession, region_id: int) -> list[ProfileView]:
    rows = await session.execute(queries.profiles(region_id))
    return [ProfileView(r.id, r.number, r.name, r.description, r.complexity, r.illustrative) for r in rows]


async def profile_guide(session: AsyncSession, slug: str | None) -> tuple[RegionRef, list[ProfileView]]:
    region = await resolve_region(session, slug)
    assert region.id is not None
    return region, await profiles_of(session, region.id)


async def profile_providers(
    session: AsyncSession, number: int, params: Mapping[str, str], *, today: date
) -> tuple[ProfileView, CatalogueSearch]:
    """A profile and the active listings offering a type of it, shortest waiting time first."""
    region = await resolve_region(session, params.get("regio"))
    assert region.id is not None
    profile = next((p for p in await profiles_of(session, region.id) if p.number == number), None)
    if profile is None:
        raise NotFound("Dit profiel bestaat niet in deze regio.")
    fixed = {"profiel": str(number), "sorteer": params.get("sorteer") or "wachttijd"}
    return profile, await search_catalogue(session, params, today=today, fixed=fixed)


async def provider_page(session: AsyncSession, listing_id: int, slug: str | None, *, today: date) -> ProviderDetail:
    region = await resolve_region(session, slug)
    assert region.id is not None
    return await provider_detail(session, region.id, listing_id, today=today)


async def compare_providers(
    session: AsyncSession, values: list[str], slug: str | None, *, today: date
) -> tuple[list[ProviderDetail], str]:
    """Up to three active listings side by side, and a message when some could not be shown."""
    region = await resolve_region(session, slug)
    assert region.id is not None
    ids, message = parse_compare_ids(values)
    details = await provider_details(session, region.id, ids, today=today)
    if len(details) < len(ids) and not message:
        message = "Niet alle gekozen aanbieders staan (nog) in de catalogus. We tonen de aanbieders die we vonden."
    if not values:
        message = "Kies in de zoekresultaten twee of drie aanbieders om te vergelijken."
    return details, message


async def open_data_export(session: AsyncSession, slug: str | None) -> tuple[RegionRef, list[dict[str, Any]]]:
    region = await resolve_region(session, slug)
    return region, await open_data(session, region)
