"""Select builders for the public catalogue (SQLAlchemy Core, bound parameters only).

The search is one statement for the page and one for the count: every filter is an EXISTS or a column
predicate on the listing, the shortest waiting time a LATERAL subquery, the profiles offered an ARRAY
subquery — no per-row round trips. Typo matches arrive as listing ids (search.typo_matches). Only listings
with status 'active' are ever selected."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    Float,
    Integer,
    Select,
    String,
    Table,
    and_,
    bindparam,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    type_coerce,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY as PG_ARRAY
from sqlalchemy.dialects.postgresql import JSON, aggregate_order_by
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.sql.elements import ColumnElement, Grouping

from catalogue.models import (
    ArrangementType,
    CareProfile,
    CareSetting,
    Intensity,
    Listing,
    ListingLocation,
    ListingMunicipality,
    OfferedType,
    QualityFigure,
    WaitingTime,
)
from jeugdregio.tables import Municipality


def _t(model: Any) -> Table:
    return cast(Table, model.__table__)


L = _t(Listing)
LOC = _t(ListingLocation)
LM = _t(ListingMunicipality)
OT = _t(OfferedType)
AT = _t(ArrangementType)
CP = _t(CareProfile)
CS = _t(CareSetting)
INT = _t(Intensity)
WT = _t(WaitingTime)
MUN = _t(Municipality)
QF = _t(QualityFigure)

WORD_SIMILARITY = 0.6  # share of the query's trigrams found in the listing (pg_trgm's word_similarity default)


@dataclass(frozen=True)
class Criteria:
    """Validated filters, in database terms (ids, codes)."""

    region_id: int
    text: str = ""
    variant: str = ""  # the text with plural endings undone, searched as well
    grams: tuple[str, ...] = ()
    typo_ids: tuple[int, ...] = ()  # listings sharing enough of `grams` (search.typo_matches) ...
    typo_shares: tuple[int, ...] = ()  # ... and how many of them each shares
    profile_id: int | None = None
    municipality_id: int | None = None
    setting_id: int | None = None
    max_weeks: int | None = None
    target_group: str = ""
    language: str = ""
    identity: str = ""
    sort: str = "naam"  # naam | wachttijd | relevantie | beoordeling


# The search statements are built and compiled once per *shape* (which filters are set, which sort) with named
# bind parameters and kept as SQL text (`Sql`): a search then only supplies the values (`_params`). Building a
# statement of this size costs SQLAlchemy a few milliseconds, more than PostgreSQL needs to answer it.


def _b(name: str, type_: Any) -> ColumnElement[Any]:
    return bindparam(name, type_=type_)


def _tsquery(c: Criteria) -> ColumnElement[Any]:
    dutch: ColumnElement[Any] = literal_column("'dutch'::regconfig")
    tsq: ColumnElement[Any] = func.websearch_to_tsquery(dutch, _b("text", String()))
    if c.variant:  # Dutch plurals the Snowball stemmer leaves apart: 'gezinnen' -> 'gezinn', but 'gezin'
        tsq = tsq.op("||")(func.plainto_tsquery(dutch, _b("variant", String())))
    return tsq


def need(n_grams: int) -> int:
    """How many of the query's n trigrams a listing must have to match as a typo (pg_trgm's word_similarity)."""
    return max(1, math.ceil(WORD_SIMILARITY * n_grams))


def _typo_ids() -> ColumnElement[Any]:
    return _b("typo_ids", PG_ARRAY(Integer))


def _text_match(c: Criteria) -> ColumnElement[bool]:
    """Dutch full text (GIN index on search_vector) OR one of the listings whose trigrams matched the query's
    (`typo_ids`, found by the service in the region's trigram index, search.typo_matches)."""
    fts = L.c.search_vector.op("@@")(_tsquery(c))
    if not c.typo_ids:
        return fts
    return or_(fts, L.c.id == func.any(_typo_ids()))


def _typo_share() -> ColumnElement[Any]:
    """The share (0–1) of the query's trigrams the listing has: its entry in `typo_shares`, else 0."""
    shares = type_coerce(Grouping(_b("typo_shares", PG_ARRAY(Integer))), PG_ARRAY(Integer))
    at = func.array_position(_typo_ids(), L.c.id)  # (shares)[position of the listing's id], NULL when absent
    return func.coalesce(shares[at], 0) / _b("n_grams", Float())


def _offers(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    """The listing offers an arrangement type meeting the conditions. The few matching type ids are collected
    once (an uncorrelated ARRAY subquery, run before the scan), so each listing is one index probe on
    (listing_id, arrangement_type_id) instead of a join per listing (2-3x faster at 1,500 listings)."""
    type_ids = func.array(select(AT.c.id).where(*conditions).scalar_subquery())
    return (
        select(literal(1))
        .where(OT.c.listing_id == L.c.id, OT.c.arrangement_type_id == func.any(type_ids))
        .exists()
    )


def _where(c: Criteria) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [L.c.region_id == _b("region_id", Integer()), L.c.status == "active"]
    if c.text:
        where.append(_text_match(c))
    if c.profile_id is not None:
        where.append(_offers(AT.c.profile_id == _b("profile_id", Integer())))
    if c.setting_id is not None:
        where.append(_offers(AT.c.setting_id == _b("setting_id", Integer())))
    if c.municipality_id is not None:
        municipality = _b("municipality_id", Integer())
        served = select(literal(1)).where(LM.c.listing_id == L.c.id, LM.c.municipality_id == municipality)
        located = select(literal(1)).where(LOC.c.listing_id == L.c.id, LOC.c.municipality_id == municipality)
        where.append(or_(served.exists(), located.exists()))
    if c.max_weeks is not None:
        waits = [WT.c.listing_id == L.c.id, WT.c.weeks <= _b("max_weeks", Integer())]
        if c.profile_id is not None:
            waits.append(WT.c.profile_id == _b("profile_id", Integer()))
        where.append(select(literal(1)).where(*waits).exists())
    if c.target_group:
        where.append(_b("target_group", String()) == func.any(L.c.target_groups))
    if c.language:
        where.append(_b("language", String()) == func.any(L.c.languages))
    if c.identity:
        where.append(L.c.religious_identity == _b("identity", String()))
    return where


def _shape(c: Criteria) -> tuple[Any, ...]:
    """What the statement's text depends on (not the values)."""
    return (
        bool(c.text), bool(c.variant), bool(c.typo_ids), c.profile_id is not None, c.setting_id is not None,
        c.municipality_id is not None, c.max_weeks is not None, bool(c.target_group), bool(c.language),
        bool(c.identity), c.sort,
    )  # fmt: skip


def _params(c: Criteria) -> dict[str, Any]:
    """The bind values of a search (only those its shape uses)."""
    values: dict[str, Any] = {"region_id": c.region_id}
    if c.text:
        values["text"] = c.text
        if c.variant:
            values["variant"] = c.variant
        if c.typo_ids:
            values.update(typo_ids=list(c.typo_ids), typo_shares=list(c.typo_shares), n_grams=float(len(c.grams)))
    for name in ("profile_id", "setting_id", "municipality_id", "max_weeks"):
        if getattr(c, name) is not None:
            values[name] = getattr(c, name)
    for name in ("target_group", "language", "identity"):
        if getattr(c, name):
            values[name] = getattr(c, name)
    return values


@dataclass(frozen=True)
class Sql:
    """A statement compiled once for asyncpg: its text, its parameters' names in `$n` order and the values of
    its constant parameters. Plain strings and tuples: no SQLAlchemy objects stay alive for it (the cyclic
    garbage collector would have to walk them on every full collection)."""

    text: str
    names: tuple[str, ...]
    constants: tuple[tuple[str, Any], ...]

    def arguments(self, values: dict[str, Any]) -> list[Any]:
        fixed = dict(self.constants)
        return [values[n] if n in values else fixed[n] for n in self.names]


_DIALECT = PGDialect_asyncpg()


def _compile(stmt: Select[Any]) -> Sql:
    compiled = stmt.compile(dialect=_DIALECT)
    names = tuple(compiled.positiontup or ())
    constants = tuple((n, compiled.binds[n].value) for n in names if compiled.binds[n].value is not None)
    return Sql(str(compiled), names, constants)


_PAGE_STATEMENTS: dict[tuple[Any, ...], Sql] = {}
_COUNT_STATEMENTS: dict[tuple[Any, ...], Sql] = {}


def profile_numbers(listing_id: Any) -> Any:
    """The numbers of the profiles a listing offers (a correlated ARRAY subquery)."""
    inner = (
        select(CP.c.number)
        .select_from(OT.join(AT, AT.c.id == OT.c.arrangement_type_id).join(CP, CP.c.id == AT.c.profile_id))
        .where(OT.c.listing_id == listing_id)
        .distinct()
        .order_by(CP.c.number)
    )
    return func.array(inner.scalar_subquery())


def search_page(c: Criteria, *, limit: int, offset: int) -> tuple[Sql, list[Any]]:
    """The page statement for this search's shape (built and compiled once) and its arguments."""
    shape = _shape(c)
    sql = _PAGE_STATEMENTS.get(shape)
    if sql is None:
        sql = _PAGE_STATEMENTS[shape] = _compile(_search_page(c))
    return sql, sql.arguments({**_params(c), "limit": limit, "offset": offset})


def _search_page(c: Criteria) -> Select[Any]:
    """Two steps in one statement: the filtered ids are sorted and cut to the page first (with the total of
    all matches as a window count); only those 20 rows get their shortest waiting time and profile numbers."""
    inner = select(L.c.id.label("id"), func.lower(L.c.name).label("lname"))
    if c.sort == "wachttijd":  # each listing's shortest wait, grouped once and joined (not a subquery per row)
        per_listing = [WT.c.region_id == _b("region_id", Integer())]
        if c.profile_id is not None:
            per_listing.append(WT.c.profile_id == _b("profile_id", Integer()))
        shortest_wait = (
            select(WT.c.listing_id, func.min(WT.c.weeks).label("weeks"))
            .where(*per_listing)
            .group_by(WT.c.listing_id)
            .subquery("shortest_wait")
        )
        inner = inner.select_from(L.outerjoin(shortest_wait, shortest_wait.c.listing_id == L.c.id))
        key: ColumnElement[Any] = shortest_wait.c.weeks
    elif c.sort == "beoordeling":  # the published mean score, highest first; providers without one last
        key = select(QF.c.rating_mean_x10 * -1).where(*_overall_figure(L)).scalar_subquery()
    elif c.sort == "relevantie" and c.text:
        rank: ColumnElement[Any] = func.ts_rank_cd(L.c.search_vector, _tsquery(c))
        if c.typo_ids:
            rank = rank + _typo_share()
        key = -rank
    else:
        key = literal(0)
    page = (
        inner.add_columns(key.label("k"), func.count().over().label("total"))
        .where(*_where(c))
        .order_by(key.asc().nulls_last(), func.lower(L.c.name), L.c.id)
        .limit(bindparam("limit", type_=Integer()))
        .offset(bindparam("offset", type_=Integer()))
        .subquery("page")
    )
    outer_waits = [WT.c.listing_id == page.c.id]
    if c.profile_id is not None:
        outer_waits.append(WT.c.profile_id == _b("profile_id", Integer()))
    shortest = (
        select(WT.c.weeks, WT.c.confirmed_on)
        .where(*outer_waits)
        .order_by(WT.c.weeks, WT.c.confirmed_on.desc())
        .limit(1)
        .lateral("shortest")
    )
    return (
        select(
            L.c.id,
            L.c.name,
            L.c.city,
            L.c.religious_identity,
            L.c.languages,
            L.c.target_groups,
            shortest.c.weeks,
            shortest.c.confirmed_on,
            profile_numbers(L.c.id).label("profiles"),
            page.c.total,
            *QUALITY_COLUMNS,
        )
        .select_from(
            page.join(L, L.c.id == page.c.id).outerjoin(shortest, true()).outerjoin(QF, and_(*_overall_figure(L)))
        )
        .order_by(page.c.k.asc().nulls_last(), page.c.lname, page.c.id)
    )


def _overall_figure(listing: Any) -> list[ColumnElement[bool]]:
    """The provider's published overall quality row (catalogue_quality_figure with profile_id NULL)."""
    return [QF.c.region_id == listing.c.region_id, QF.c.provider_id == listing.c.provider_id, QF.c.profile_id.is_(None)]


QUALITY_COLUMNS = [
    QF.c.period_start.label("q_period_start"), QF.c.period_end.label("q_period_end"),
    QF.c.period_label.label("q_period_label"), QF.c.n_ended.label("q_n_ended"),
    QF.c.share_achieved_pct.label("q_share_achieved_pct"), QF.c.n_ratings.label("q_n_ratings"),
    QF.c.rating_mean_x10.label("q_rating_mean_x10"), QF.c.definition.label("q_definition"),
]  # fmt: skip


def search_count(c: Criteria) -> tuple[Sql, list[Any]]:
    shape = _shape(c)
    sql = _COUNT_STATEMENTS.get(shape)
    if sql is None:
        sql = _COUNT_STATEMENTS[shape] = _compile(select(func.count().label("total")).select_from(L).where(*_where(c)))
    return sql, sql.arguments(_params(c))


def trigram_postings(region_id: int) -> Select[Any]:
    """(trigram, ids of the region's active listings that have it), for the in-memory typo index
    (search.typo_matches): grouped in SQL, so the worker only receives one row per distinct trigram."""
    gram = func.unnest(L.c.search_trigrams).table_valued("g").render_derived(name="lg")
    return (
        select(gram.c.g, func.array_agg(L.c.id))
        .select_from(L.join(gram, true()))
        .where(L.c.region_id == region_id, L.c.status == "active")
        .group_by(gram.c.g)
    )


def filter_options(region_id: int) -> Select[Any]:
    """Every filter's choices in one statement: (kind, key, label, sort)."""
    active = and_(L.c.region_id == region_id, L.c.status == "active")
    tg = func.unnest(L.c.target_groups).table_valued("v").render_derived()
    lang = func.unnest(L.c.languages).table_valued("v").render_derived()
    parts = [
        select(literal("profiel"), CP.c.id, CP.c.number.cast(String), CP.c.name, CP.c.number).where(
            CP.c.region_id == region_id
        ),
        select(literal("gemeente"), MUN.c.id, MUN.c.id.cast(String), MUN.c.name, literal(0)).where(
            MUN.c.region_id == region_id
        ),
        select(literal("vorm"), CS.c.id, CS.c.code, CS.c.name, CS.c.sort_order).where(CS.c.region_id == region_id),
        select(literal("doelgroep"), literal(0), tg.c.v, tg.c.v, literal(0))
        .select_from(L.join(tg, true()))
        .where(active)
        .distinct(),
        select(literal("taal"), literal(0), lang.c.v, lang.c.v, literal(0))
        .select_from(L.join(lang, true()))
        .where(active)
        .distinct(),
        select(literal("identiteit"), literal(0), L.c.religious_identity, L.c.religious_identity, literal(0))
        .where(active, L.c.religious_identity != "")
        .distinct(),
    ]
    return union_all(*parts).subquery("o").select()


# ---- one listing ---------------------------------------------------------------------------------------


def listing_rows(region_id: int, listing_ids: list[int]) -> Select[Any]:
    columns = [c for c in L.c if c.name not in ("search_vector", "search_trigrams")]
    return select(*columns).where(L.c.region_id == region_id, L.c.id.in_(listing_ids), L.c.status == "active")


def offered_types(listing_ids: list[int]) -> Select[Any]:
    return (
        select(
            OT.c.listing_id,
            AT.c.code,
            CP.c.number,
            CP.c.name.label("profile_name"),
            INT.c.code.label("intensity_code"),
            INT.c.name.label("intensity"),
            CS.c.name.label("setting"),
        )
        .select_from(
            OT.join(AT, AT.c.id == OT.c.arrangement_type_id)
            .join(CP, CP.c.id == AT.c.profile_id)
            .join(INT, INT.c.id == AT.c.intensity_id)
            .join(CS, CS.c.id == AT.c.setting_id)
        )
        .where(OT.c.listing_id.in_(listing_ids))
        .order_by(OT.c.listing_id, CP.c.number, INT.c.sort_order, CS.c.sort_order, AT.c.code)
    )


def locations(listing_ids: list[int]) -> Select[Any]:
    return (
        select(LOC.c.listing_id, LOC.c.street, LOC.c.postcode, LOC.c.city, MUN.c.name.label("municipality"))
        .select_from(LOC.outerjoin(MUN, MUN.c.id == LOC.c.municipality_id))
        .where(LOC.c.listing_id.in_(listing_ids))
        .order_by(LOC.c.listing_id, LOC.c.city, LOC.c.street)
    )


def municipalities_served(listing_ids: list[int]) -> Select[Any]:
    return (
        select(LM.c.listing_id, MUN.c.name)
        .select_from(LM.join(MUN, MUN.c.id == LM.c.municipality_id))
        .where(LM.c.listing_id.in_(listing_ids))
        .order_by(LM.c.listing_id, MUN.c.name)
    )


def waiting_times(listing_ids: list[int]) -> Select[Any]:
    return (
        select(WT.c.listing_id, CP.c.number, CP.c.name, WT.c.weeks, WT.c.confirmed_on)
        .select_from(WT.join(CP, CP.c.id == WT.c.profile_id))
        .where(WT.c.listing_id.in_(listing_ids))
        .order_by(WT.c.listing_id, CP.c.number)
    )


def active_ids(region_id: int, listing_ids: list[int]) -> Select[Any]:
    return select(L.c.id).where(L.c.region_id == region_id, L.c.status == "active", L.c.id.in_(listing_ids))


# ---- open data -----------------------------------------------------------------------------------------


def open_data(region_id: int) -> Select[Any]:
    """The whole active catalogue, one row per listing, lists aggregated in SQL."""
    codes = func.array(
        select(AT.c.code)
        .select_from(OT.join(AT, AT.c.id == OT.c.arrangement_type_id))
        .where(OT.c.listing_id == L.c.id)
        .order_by(AT.c.code)
        .scalar_subquery()
    )
    munis = func.array(
        select(MUN.c.name)
        .select_from(LM.join(MUN, MUN.c.id == LM.c.municipality_id))
        .where(LM.c.listing_id == L.c.id)
        .order_by(MUN.c.name)
        .scalar_subquery()
    )
    wait = func.json_build_object("profile", CP.c.number, "weeks", WT.c.weeks, "confirmed_on", WT.c.confirmed_on)
    waits = (
        select(func.json_agg(aggregate_order_by(wait, CP.c.number), type_=JSON))
        .select_from(WT.join(CP, CP.c.id == WT.c.profile_id))
        .where(WT.c.listing_id == L.c.id)
        .scalar_subquery()
    )
    return (
        select(
            L.c.id,
            L.c.name,
            L.c.city,
            L.c.website,
            L.c.email,
            L.c.phone,
            L.c.religious_identity,
            L.c.languages,
            L.c.target_groups,
            profile_numbers(L.c.id).label("profiles"),
            codes.label("codes"),
            munis.label("municipalities"),
            waits.label("waiting_times"),
        )
        .where(L.c.region_id == region_id, L.c.status == "active")
        .order_by(func.lower(L.c.name), L.c.id)
    )


def profiles(region_id: int) -> Select[Any]:
    return (
        select(CP.c.id, CP.c.number, CP.c.name, CP.c.description, CP.c.complexity, CP.c.illustrative)
        .where(CP.c.region_id == region_id)
        .order_by(CP.c.number)
    )
