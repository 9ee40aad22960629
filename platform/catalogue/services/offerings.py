"""Provider offerings: what a provider keeps in its public listing (description, contact, target groups,
specialisms, languages, identity, accessibility, locations, municipalities served) and its waiting time per
profile with the date it was last confirmed. The provider edits its own listing; the regional team any listing
of its region. Every change is validated as a whole (nothing half-stored), audited and re-indexed for search."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from catalogue.models import (
    ArrangementType,
    CareProfile,
    CareSetting,
    Intensity,
    Listing,
    ListingLocation,
    ListingMunicipality,
    OfferedType,
    WaitingTime,
)
from catalogue.rules import waiting_time_fresh
from catalogue.services.listings import refresh_search
from catalogue.services.offering_input import (
    EDITABLE,
    LIST_FIELDS,
    OUTSIDE_REGION,
    POSTCODE,
    clean_changes,
    parse_weeks,
)
from jeugdregio import audit
from jeugdregio.auth import Principal
from jeugdregio.errors import ErrorCollector, NotFound, ValidationFailed
from jeugdregio.tables import Municipality

NO_LISTING = "Er is nog geen catalogusvermelding voor deze aanbieder."


# ---- views -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LocationView:
    id: int
    street: str
    postcode: str
    city: str
    municipality_id: int | None
    municipality: str  # the name, or "buiten de regio"


@dataclass(frozen=True)
class OfferedTypeView:
    code: str
    profile_number: int
    intensity: str
    setting: str


@dataclass(frozen=True)
class WaitingTimeView:
    profile_id: int
    number: int
    name: str
    weeks: int | None
    confirmed_on: date | None
    fresh: bool | None  # None: no waiting time given

    def as_json(self) -> dict[str, Any]:
        return {"profile_id": self.profile_id, "profile_number": self.number, "profile_name": self.name,
                "weeks": self.weeks, "confirmed_on": self.confirmed_on.isoformat() if self.confirmed_on else None,
                "fresh": self.fresh}  # fmt: skip


@dataclass(frozen=True)
class OfferingView:
    listing: Listing
    locations: list[LocationView]
    served_ids: list[int]
    municipalities: list[tuple[int, str]]  # the region's member municipalities (id, name)
    offered_types: list[OfferedTypeView]
    waiting_times: list[WaitingTimeView]  # one per offered profile
    today: date = field(default_factory=date.today)

    def form(self) -> dict[str, Any]:
        """The current values as the edit form shows them."""
        item = self.listing
        out: dict[str, Any] = {
            name: getattr(item, name)
            for name in ("description", "website", "email", "phone", "religious_identity", "accessibility")
        }
        out.update({name: "\n".join(getattr(item, name)) for name in LIST_FIELDS})
        out["municipality_ids"] = [str(m) for m in self.served_ids]
        out.update({f"weeks_{w.profile_id}": "" if w.weeks is None else str(w.weeks) for w in self.waiting_times})
        return out

    def as_json(self) -> dict[str, Any]:
        item = self.listing
        return {
            "provider_id": item.provider_id, "name": item.name, "status": item.status, "city": item.city,
            **{name: getattr(item, name) for name in EDITABLE if name != "municipality_ids"},
            "municipality_ids": self.served_ids,
            "locations": [{"id": loc.id, "street": loc.street, "postcode": loc.postcode, "city": loc.city,
                           "municipality_id": loc.municipality_id} for loc in self.locations],
            "arrangement_types": [t.code for t in self.offered_types],
            "waiting_times": [w.as_json() for w in self.waiting_times],
            "updated_at": item.updated_at.isoformat() if item.updated_at else None,
        }  # fmt: skip


# ---- finding the listing (row scoping) -------------------------------------------------------------------


async def find_listing(
    session: AsyncSession, principal: Principal, provider_id: int, *, for_update: bool = False
) -> Listing | None:
    """The listing of a provider as the principal may see it: a provider only its own, the team its region's."""
    if principal.role == "provider":
        if principal.provider_id != provider_id:
            return None
    elif not principal.is_team:
        return None
    query = select(Listing).where(Listing.region_id == principal.region_id, Listing.provider_id == provider_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def _listing(
    session: AsyncSession, principal: Principal, provider_id: int, *, for_update: bool = True
) -> Listing:
    listing = await find_listing(session, principal, provider_id, for_update=for_update)
    if listing is None or listing.id is None:
        raise NotFound(NO_LISTING)
    return listing


async def offering_view(session: AsyncSession, principal: Principal, provider_id: int, *, today: date) -> OfferingView:
    listing = await _listing(session, principal, provider_id, for_update=False)
    return await _view(session, listing, today=today)


async def _municipalities(session: AsyncSession, region_id: int) -> list[tuple[int, str]]:
    rows = await session.execute(
        select(Municipality.id, Municipality.name)
        .where(Municipality.region_id == region_id)
        .order_by(Municipality.name)  # type: ignore[arg-type]
    )
    return [(int(r[0]), str(r[1])) for r in rows]


async def _offered_profiles(session: AsyncSession, listing_id: int) -> list[CareProfile]:
    query = (
        select(CareProfile)
        .where(CareProfile.id.in_(  # type: ignore[union-attr]
            select(ArrangementType.profile_id)
            .join(OfferedType, OfferedType.arrangement_type_id == ArrangementType.id)  # type: ignore[arg-type]
            .where(OfferedType.listing_id == listing_id)
        ))
        .order_by(CareProfile.number)  # type: ignore[arg-type]
    )  # fmt: skip
    return list((await session.execute(query)).scalars())


async def _view(session: AsyncSession, listing: Listing, *, today: date) -> OfferingView:
    assert listing.id is not None
    await session.refresh(listing)
    municipalities = await _municipalities(session, listing.region_id)
    names = dict(municipalities)
    locations = [
        LocationView(loc.id or 0, loc.street, loc.postcode, loc.city, loc.municipality_id,
                     names.get(loc.municipality_id, "buiten de regio") if loc.municipality_id else "buiten de regio")
        for loc in (await session.execute(
            select(ListingLocation).where(ListingLocation.listing_id == listing.id).order_by(ListingLocation.id)  # type: ignore[arg-type]
        )).scalars()
    ]  # fmt: skip
    served = sorted((await session.execute(
        select(ListingMunicipality.municipality_id).where(ListingMunicipality.listing_id == listing.id)
    )).scalars())  # fmt: skip
    types = [
        OfferedTypeView(code, number, intensity, setting)
        for code, number, intensity, setting in await session.execute(
            select(ArrangementType.code, CareProfile.number, Intensity.name, CareSetting.name)
            .join(OfferedType, OfferedType.arrangement_type_id == ArrangementType.id)  # type: ignore[arg-type]
            .join(CareProfile, CareProfile.id == ArrangementType.profile_id)  # type: ignore[arg-type]
            .join(Intensity, Intensity.id == ArrangementType.intensity_id)  # type: ignore[arg-type]
            .join(CareSetting, CareSetting.id == ArrangementType.setting_id)  # type: ignore[arg-type]
            .where(OfferedType.listing_id == listing.id)
            .order_by(ArrangementType.code)
        )
    ]  # fmt: skip
    current = {w.profile_id: w for w in (await session.execute(
        select(WaitingTime).where(WaitingTime.listing_id == listing.id)
    )).scalars()}  # fmt: skip
    waits = []
    for profile in await _offered_profiles(session, listing.id):
        assert profile.id is not None
        w = current.get(profile.id)
        waits.append(WaitingTimeView(
            profile.id, profile.number, profile.name, w.weeks if w else None, w.confirmed_on if w else None,
            waiting_time_fresh(w.confirmed_on, today) if w else None,
        ))  # fmt: skip
    return OfferingView(listing, locations, served, municipalities, types, waits, today)


async def _clean(session: AsyncSession, region_id: int, changes: Mapping[str, Any]) -> dict[str, Any]:
    municipality_ids: set[int] = set()
    if "municipality_ids" in changes:
        municipality_ids = {m for m, _ in await _municipalities(session, region_id)}
    return clean_changes(changes, municipality_ids)


def _snapshot(listing: Listing, served: list[int]) -> dict[str, Any]:
    return {**{n: getattr(listing, n) for n in EDITABLE if n != "municipality_ids"}, "municipality_ids": served}


# ---- use cases ---------------------------------------------------------------------------------------------


async def update_listing(
    session: AsyncSession, principal: Principal, provider_id: int, changes: Mapping[str, Any], *, now: datetime
) -> None:
    """Set the given editable fields (all validated first; an unknown field is refused, never ignored)."""
    listing = await _listing(session, principal, provider_id)
    clean = await _clean(session, listing.region_id, changes)
    served = sorted((await session.execute(
        select(ListingMunicipality.municipality_id).where(ListingMunicipality.listing_id == listing.id)
    )).scalars())  # fmt: skip
    before = _snapshot(listing, served)
    for name, value in clean.items():
        if name != "municipality_ids":
            setattr(listing, name, value)
    if "municipality_ids" in clean and clean["municipality_ids"] != served:
        await session.execute(delete(ListingMunicipality).where(ListingMunicipality.listing_id == listing.id))  # type: ignore[arg-type]
        await session.execute(insert(ListingMunicipality).values([
            {"region_id": listing.region_id, "listing_id": listing.id, "municipality_id": m}
            for m in clean["municipality_ids"]
        ]))  # fmt: skip
        served = clean["municipality_ids"]
    summary = audit.changes(before, _snapshot(listing, served))
    await _changed(session, principal, listing, "update", summary, now=now)


async def _changed(
    session: AsyncSession, principal: Principal, listing: Listing, action: str, summary: dict[str, Any], *,
    now: datetime,
) -> None:  # fmt: skip
    """Audit a change and bring the search fields up to date (nothing happens when nothing changed)."""
    if not summary:
        return
    assert listing.id is not None
    listing.updated_at = now
    await session.flush()
    await audit.record(session, principal.actor(), object_type="catalogue_listing", object_id=listing.id,
                       action=action, now=now, summary=summary)  # fmt: skip
    await refresh_search(session, listing.id)


async def set_waiting_times(
    session: AsyncSession, principal: Principal, provider_id: int, values: Mapping[int, Any], *,
    now: datetime, today: date,
) -> None:  # fmt: skip
    """Replace the waiting times: `values` maps profile id → weeks (None or "" removes it). Only offered
    profiles; all or nothing. A changed or new value counts as confirmed today; an unchanged one keeps its date."""
    listing = await _listing(session, principal, provider_id)
    assert listing.id is not None
    offered = {p.id: p for p in await _offered_profiles(session, listing.id)}
    errors = ErrorCollector()
    wanted: dict[int, int] = {}
    for pid, raw in values.items():
        profile = offered.get(pid)
        if profile is None:
            errors.add(f"weeks_{pid}", "U kunt alleen een wachttijd opgeven voor profielen die u aanbiedt.")
        elif raw is not None and str(raw).strip() != "":
            weeks = parse_weeks(raw, f"profiel {profile.number}", f"weeks_{pid}", errors)
            if weeks is not None:
                wanted[pid] = weeks
    errors.raise_if_any()
    current = {w.profile_id: w for w in (await session.execute(
        select(WaitingTime).where(WaitingTime.listing_id == listing.id).with_for_update()
    )).scalars()}  # fmt: skip
    summary: dict[str, Any] = {}
    for pid in set(current) | set(wanted):
        old, new = current.get(pid), wanted.get(pid)
        if old is not None and new is None:
            await session.delete(old)
        elif old is None and new is not None:
            session.add(WaitingTime(region_id=listing.region_id, listing_id=listing.id, profile_id=pid, weeks=new,
                                    confirmed_on=today, updated_at=now))  # fmt: skip
        elif old is not None and new is not None and old.weeks != new:
            old.weeks, old.confirmed_on, old.updated_at = new, today, now
        else:
            continue
        number = offered[pid].number if pid in offered else pid
        summary[f"profiel {number}"] = {"voor": old.weeks if old else None, "na": new}
    await _changed(session, principal, listing, "waiting_times", summary, now=now)


async def confirm_waiting_times(
    session: AsyncSession, principal: Principal, provider_id: int, *, now: datetime, today: date
) -> int:
    """Re-confirm every current waiting time with today's date, without changing the weeks. Returns how many."""
    listing = await _listing(session, principal, provider_id)
    before = (await session.execute(
        select(CareProfile.number, WaitingTime.confirmed_on)
        .join(CareProfile, CareProfile.id == WaitingTime.profile_id)  # type: ignore[arg-type]
        .where(WaitingTime.listing_id == listing.id)
        .order_by(CareProfile.number)  # type: ignore[arg-type]
        .with_for_update(of=WaitingTime)  # type: ignore[arg-type]
    )).all()  # fmt: skip
    await session.execute(
        update(WaitingTime).where(WaitingTime.listing_id == listing.id).values(confirmed_on=today, updated_at=now)
    )
    summary = {f"profiel {n}": {"voor": d.isoformat(), "na": today.isoformat()} for n, d in before}
    await _changed(session, principal, listing, "confirm_waiting_times", summary, now=now)
    count = len(before)
    return count


async def add_location(
    session: AsyncSession, principal: Principal, provider_id: int, data: Mapping[str, Any], *, now: datetime
) -> int:
    """A location: street, postcode (NNNN AA), city and a member municipality or "buiten" (outside the region)."""
    listing = await _listing(session, principal, provider_id)
    errors = ErrorCollector()
    street, city = str(data.get("street") or "").strip(), str(data.get("city") or "").strip()
    if not street or len(street) > 200:
        errors.add("street", "Straat en huisnummer: vul dit in (maximaal 200 tekens).")
    match = POSTCODE.match(str(data.get("postcode") or "").strip())
    if match is None:
        errors.add("postcode", "Postcode: vul een postcode in als 1234 AB.")
    if not city or len(city) > 100:
        errors.add("city", "Plaats: vul dit in (maximaal 100 tekens).")
    choice = str(data.get("municipality_id") or "").strip()
    region_ids = {m for m, _ in await _municipalities(session, listing.region_id)}
    if choice != OUTSIDE_REGION and not (choice.isdigit() and int(choice) in region_ids):
        errors.add("municipality_id", "Gemeente: kies een gemeente van de regio of 'buiten de regio'.")
    errors.raise_if_any()
    assert match is not None
    loc = ListingLocation(region_id=listing.region_id, listing_id=listing.id or 0, street=street,
                          postcode=f"{match.group(1)} {match.group(2).upper()}", city=city,
                          municipality_id=None if choice == OUTSIDE_REGION else int(choice))  # fmt: skip
    session.add(loc)
    await session.flush()
    assert loc.id is not None
    await _changed(session, principal, listing, "add_location",
                   {"locatie": {"voor": None, "na": f"{loc.street}, {loc.postcode} {loc.city}"}}, now=now)  # fmt: skip
    return loc.id


async def remove_location(
    session: AsyncSession, principal: Principal, provider_id: int, location_id: Any, *, now: datetime
) -> None:
    listing = await _listing(session, principal, provider_id)
    loc = None
    if str(location_id or "").strip().isdigit() and int(str(location_id).strip()) < 2**31:
        loc = (await session.execute(select(ListingLocation).where(
            ListingLocation.id == int(str(location_id).strip()), ListingLocation.listing_id == listing.id
        ))).scalar_one_or_none()  # fmt: skip
    if loc is None:
        raise ValidationFailed.single("location_id", "Deze locatie bestaat niet (meer).")
    await session.delete(loc)
    await _changed(session, principal, listing, "remove_location",
                   {"locatie": {"voor": f"{loc.street}, {loc.postcode} {loc.city}", "na": None}}, now=now)  # fmt: skip
