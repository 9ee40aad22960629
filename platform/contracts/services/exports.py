"""The register overview (team), the read-only register (municipalities, referrers) and their exports.

One query builder serves the page, the API and the CSV/Excel downloads, so a filter means the same
everywhere. Evidence problems are aggregated in SQL (services.evidence.evidence_problems); lots and
municipalities come as arrays from grouped subqueries: one round trip per page, never one per row."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from catalogue.public import ProfileView, list_profiles
from contracts.models import ContractLot, FrameworkContract, Provider, ProviderMunicipality
from contracts.queries import contains_pattern, lots_per_contract, providers_visible_to
from contracts.services import access_log
from contracts.services.evidence import evidence_problems
from jeugdregio.auth import Principal
from jeugdregio.errors import FieldError, ValidationFailed
from jeugdregio.spreadsheets import csv_bytes, neutralise, xlsx_bytes
from jeugdregio.tables import Municipality
from jeugdregio.templating import status_label

PER_PAGE = 50
STATUSES = ("active", "suspended", "ended")
PUBLIC_STATUSES = ("active", "suspended")
EVIDENCE_FILTERS = {"expired": "Verlopen", "expiring": "Verloopt binnen 30 dagen", "missing": "Ontbreekt",
                    "any": "Een probleem (verlopen, ontbrekend of bijna verlopen)"}  # fmt: skip


@dataclass(frozen=True)
class RegisterFilter:
    """The URL filters of the register: q (name, KvK, AGB), status, profile, municipality, evidence, page."""

    q: str = ""
    status: str = ""
    profile: int | None = None
    municipality: int | None = None
    evidence: str = ""
    page: int = 1

    def params(self, **override: Any) -> str:
        values = {**self.__dict__, **override}
        return urlencode({k: v for k, v in values.items() if v not in ("", None) and not (k == "page" and v == 1)})

    def as_form(self) -> dict[str, str]:
        return {k: "" if v is None else str(v) for k, v in self.__dict__.items()}


def parse_filter(params: Mapping[str, Any], *, public: bool = False) -> tuple[RegisterFilter, list[FieldError]]:
    """Read only the known filters. Invalid values are reported (field by field) and left out."""
    errors: list[FieldError] = []
    q = str(params.get("q") or "").strip()[:100]
    status = str(params.get("status") or "").strip()
    allowed = PUBLIC_STATUSES if public else STATUSES
    if status and status not in allowed:
        errors.append(FieldError("status", "Kies een status uit de lijst."))
        status = ""
    evidence = "" if public else str(params.get("evidence") or "").strip()
    if evidence and evidence not in EVIDENCE_FILTERS:
        errors.append(FieldError("evidence", "Kies een bewijsprobleem uit de lijst."))
        evidence = ""
    ids: dict[str, int | None] = {}
    for name in ("profile", "municipality", "page"):
        raw = str(params.get(name) or "").strip()
        ids[name] = None
        if raw:
            try:
                ids[name] = int(raw)
                if ids[name] < 1:  # type: ignore[operator]
                    raise ValueError
            except ValueError:
                errors.append(FieldError(name, "Gebruik een positief geheel getal."))
                ids[name] = None
    return RegisterFilter(q, status, ids["profile"], ids["municipality"], evidence, ids["page"] or 1), errors


def parse_filter_strict(params: Mapping[str, Any], *, public: bool = False) -> RegisterFilter:
    filters, errors = parse_filter(params, public=public)
    if errors:
        raise ValidationFailed(errors)
    return filters


@dataclass(frozen=True)
class RegisterRow:
    id: int
    name: str
    kvk: str
    agb: str
    city: str
    status: str
    contact_email: str
    contract_id: int | None
    contract_number: str
    contract_status: str
    lots: list[int] = field(default_factory=list)  # profile numbers
    municipalities: list[str] = field(default_factory=list)
    missing: int = 0
    expired: int = 0
    expiring: int = 0

    @property
    def problems(self) -> int:
        return self.missing + self.expired

    def as_json(self, *, full: bool) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id, "name": self.name, "city": self.city, "status": self.status,
            "contact_email": self.contact_email, "lots": self.lots, "municipalities": self.municipalities,
        }  # fmt: skip
        if full:
            out.update(
                kvk=self.kvk, agb=self.agb, contract_id=self.contract_id, contract_number=self.contract_number,
                contract_status=self.contract_status,
                evidence={"missing": self.missing, "expired": self.expired, "expiring": self.expiring},
            )  # fmt: skip
        return out


@dataclass(frozen=True)
class RegisterPage:
    rows: list[RegisterRow]
    total: int
    filters: RegisterFilter
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def register_query(
    principal: Principal, filters: RegisterFilter, *, today: date, public: bool, provider_id: int | None = None
) -> Any:
    """The provider rows visible to the principal, filtered; columns: Provider + contract, lots, municipalities,
    evidence counts (team only) and the total count (window function)."""
    contract = _latest_contracts(principal.region_id)
    lots = lots_per_contract(principal.region_id)
    served = _served_municipalities(principal.region_id)
    q = (
        providers_visible_to(principal)
        .add_columns(contract.c.id, contract.c.number, contract.c.status, lots.c.profile_ids, served.c.names)
        .outerjoin(contract, contract.c.provider_id == Provider.id)
        .outerjoin(lots, lots.c.contract_id == contract.c.id)
        .outerjoin(served, served.c.provider_id == Provider.id)
    )
    if public:
        q = q.where(col(Provider.status).in_(PUBLIC_STATUSES))
    else:
        q = _with_evidence_problems(q, principal.region_id, filters.evidence, today=today)
    if provider_id is not None:
        q = q.where(Provider.id == provider_id)
    q = _filtered(q, filters, contract_id=contract.c.id)
    return q.add_columns(func.count().over().label("total")).order_by(func.lower(Provider.name), Provider.id)


def _latest_contracts(region_id: int) -> Any:
    """Subquery: the newest framework contract per provider (id, provider_id, number, status)."""
    return (
        select(FrameworkContract.id, FrameworkContract.provider_id, FrameworkContract.number, FrameworkContract.status)
        .where(FrameworkContract.region_id == region_id)
        .distinct(FrameworkContract.provider_id)
        .order_by(FrameworkContract.provider_id, col(FrameworkContract.id).desc())
        .subquery("latest_contract")
    )


def _served_municipalities(region_id: int) -> Any:
    """Subquery: (provider_id, names) with the names of the municipalities a provider serves, sorted."""
    return (
        select(
            ProviderMunicipality.provider_id,
            func.array_agg(aggregate_order_by(Municipality.name, Municipality.name)).label("names"),
        )
        .join(Municipality, Municipality.id == ProviderMunicipality.municipality_id)
        .where(ProviderMunicipality.region_id == region_id)
        .group_by(ProviderMunicipality.provider_id)
        .subquery("served")
    )


def _with_evidence_problems(q: Any, region_id: int, evidence: str, *, today: date) -> Any:
    """The team's columns: evidence problem counts per provider, and the `evidence` filter on them."""
    ev = evidence_problems(region_id, today)
    q = q.add_columns(ev.c.missing, ev.c.expired, ev.c.expiring).outerjoin(ev, ev.c.provider_id == Provider.id)
    problem = {
        "missing": ev.c.missing > 0, "expired": ev.c.expired > 0, "expiring": ev.c.expiring > 0,
        "any": or_(ev.c.missing > 0, ev.c.expired > 0, ev.c.expiring > 0),
    }  # fmt: skip
    return q.where(problem[evidence]) if evidence else q


def _filtered(q: Any, filters: RegisterFilter, *, contract_id: Any) -> Any:
    """The URL filters: free text (name, KvK, AGB), status, a lot of the latest contract, a municipality."""
    if filters.q:
        pattern = contains_pattern(filters.q)
        q = q.where(
            or_(col(Provider.name).ilike(pattern), col(Provider.kvk).ilike(pattern), col(Provider.agb).ilike(pattern))
        )
    if filters.status:
        q = q.where(Provider.status == filters.status)
    if filters.profile is not None:
        q = q.where(
            exists().where(and_(ContractLot.contract_id == contract_id, ContractLot.profile_id == filters.profile))
        )
    if filters.municipality is not None:
        q = q.where(
            exists().where(
                ProviderMunicipality.provider_id == Provider.id,
                ProviderMunicipality.municipality_id == filters.municipality,
            )
        )
    return q


async def register_rows(
    session: AsyncSession, principal: Principal, filters: RegisterFilter, *, today: date, public: bool = False,
    paginate: bool = True, provider_id: int | None = None,
) -> RegisterPage:
    q = register_query(principal, filters, today=today, public=public, provider_id=provider_id)
    if paginate:
        q = q.offset((filters.page - 1) * PER_PAGE).limit(PER_PAGE)
    numbers = {p.id: p.number for p in await list_profiles(session, principal.region_id)}
    rows: list[RegisterRow] = []
    total = 0
    for r in await session.execute(q):
        provider: Provider = r[0]
        assert provider.id is not None
        evidence = (0, 0, 0) if public else (r.missing or 0, r.expired or 0, r.expiring or 0)
        total = r.total
        rows.append(
            RegisterRow(
                provider.id, provider.name, provider.kvk, provider.agb, provider.city, provider.status,
                provider.contact_email, r[1], r[2] or "", r[3] or "",
                sorted(numbers[p] for p in (r.profile_ids or []) if p in numbers), list(r.names or []), *evidence,
            )
        )  # fmt: skip
    if not rows and filters.page > 1:  # past the last page: still report the total
        total = (await register_rows(session, principal, replace(filters, page=1), today=today, public=public)).total
    return RegisterPage(rows, total, filters)


async def register_contacts(
    session: AsyncSession, principal: Principal, filters: RegisterFilter, *, today: date, public: bool,
    now: datetime,
) -> RegisterPage:  # fmt: skip
    """A page of the register for a list that shows every provider's contact e-mail address (the read-only
    register, the API list). One audited read per list view, with the filter and the providers shown; a
    provider's list holds only itself (its own organisation) and is not audited."""
    result = await register_rows(session, principal, filters, today=today, public=public)
    if principal.role != "provider":
        await access_log.log_read(
            session, principal, object_type="provider", object_id="lijst", now=now,
            purpose=access_log.provider_purpose(principal, None),
            summary={"filter": {k: v for k, v in filters.__dict__.items() if v not in ("", None)},
                     "aantal": len(result.rows), "aanbieders": [r.id for r in result.rows]},
        )  # fmt: skip
    return result


# ---- exports ---------------------------------------------------------------------------------------------

EXPORT_HEADER: list[object] = [
    "Naam", "KvK-nummer", "AGB-code", "Plaats", "Status", "Contractnummer", "Contractstatus", "Percelen (profielen)",
    "Gemeenten", "Bewijs ontbreekt", "Bewijs verlopen", "Bewijs verloopt binnen 30 dagen",
]  # fmt: skip


def export_rows(rows: Iterable[RegisterRow]) -> Iterable[list[object]]:
    yield list(EXPORT_HEADER)
    for r in rows:
        yield [
            neutralise(v)
            for v in (
                r.name, r.kvk, r.agb, r.city, status_label(r.status), r.contract_number,
                status_label(r.contract_status) if r.contract_status else "", ", ".join(map(str, r.lots)),
                ", ".join(r.municipalities), r.missing, r.expired, r.expiring,
            )
        ]


def to_csv(rows: Iterable[RegisterRow]) -> bytes:
    return csv_bytes(export_rows(rows))


def to_xlsx(rows: Iterable[RegisterRow]) -> bytes:
    return xlsx_bytes("Register", export_rows(rows))


@dataclass(frozen=True)
class FilterOptions:
    profiles: list[ProfileView]
    municipalities: list[tuple[int, str]]

    @property
    def profile_choices(self) -> list[tuple[int, str]]:
        return [(p.id, p.label) for p in self.profiles]


async def filter_options(session: AsyncSession, region_id: int) -> FilterOptions:
    """The choices of the filter form: the region's profiles and municipalities."""
    municipalities = await session.execute(
        select(Municipality.id, Municipality.name)
        .where(Municipality.region_id == region_id)
        .order_by(Municipality.name)
    )
    return FilterOptions(await list_profiles(session, region_id), [(m, n) for m, n in municipalities.all()])
