"""Catalogue data for the public search tests, built straight on the models and services.listings.sync_listing
(independent of the tariff and offering screens). Every listing is described by a ListingSpec, so tests can
compute their expectations from the specs in plain Python."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from catalogue.models import (
    ArrangementType,
    CareSetting,
    Intensity,
    Listing,
    ListingLocation,
    OfferedType,
    WaitingTime,
)
from catalogue.services.listings import refresh_search, sync_listing
from contracts.models import Provider
from jeugdregio.clock import utcnow
from tests.support.factories import TestRegion

SETTINGS = {"AMB": "Ambulant", "DAG": "Dagbehandeling", "VER": "Verblijf"}
INTENSITIES = {"A": "Acuut", "P": "Perspectief"}
_numbers = itertools.count(1)


@dataclass
class ListingSpec:
    name: str
    city: str = "Teststad"
    status: str = "active"
    profiles: tuple[int, ...] = (1,)  # profile numbers (contract lots)
    settings: tuple[str, ...] = ("AMB",)  # the offered types are limited to these settings
    served: tuple[int, ...] = ()  # indexes into region.municipality_ids
    located_in: int | None = None  # index of the municipality of its one location
    waits: dict[int, tuple[int, int]] = field(default_factory=dict)  # profile -> (weeks, confirmed days ago)
    target_groups: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    identity: str = ""
    description: str = ""
    specialisms: tuple[str, ...] = ()


@dataclass
class Catalogue:
    region: TestRegion
    setting_ids: dict[str, int]
    ids: dict[str, int] = field(default_factory=dict)  # listing name -> id
    specs: dict[str, ListingSpec] = field(default_factory=dict)

    def spec_of(self, listing_id: int) -> ListingSpec:
        return next(self.specs[n] for n, i in self.ids.items() if i == listing_id)


async def arrangement_types(s: AsyncSession, region: TestRegion) -> dict[str, int]:
    """Settings, two intensities and a type per profile × intensity × setting (idempotent per region)."""
    found = (await s.execute(select(CareSetting).where(CareSetting.region_id == region.id))).scalars().all()
    if found:
        return {c.code: c.id for c in found if c.id is not None}
    setting_ids: dict[str, int] = {}
    for order, (code, name) in enumerate(SETTINGS.items()):
        setting = CareSetting(region_id=region.id, code=code, name=name, sort_order=order)
        s.add(setting)
        await s.flush()
        assert setting.id is not None
        setting_ids[code] = setting.id
    intensity_ids: dict[str, int] = {}
    for order, (code, name) in enumerate(INTENSITIES.items()):
        intensity = Intensity(region_id=region.id, complexity="low", code=code, name=name, sort_order=order)
        s.add(intensity)
        await s.flush()
        assert intensity.id is not None
        intensity_ids[code] = intensity.id
    for number, profile_id in region.profile_ids.items():
        for icode, iid in intensity_ids.items():
            for scode, sid in setting_ids.items():
                s.add(ArrangementType(
                    region_id=region.id, code=f"5{number:02d}{icode}L{scode[0]}", profile_id=profile_id,
                    intensity_id=iid, setting_id=sid, complexity="low", payment_model="result_50_50",
                    ijw_product_code=f"5{number:02d}{icode}{scode[0]}",
                ))  # fmt: skip
    await s.flush()
    return setting_ids


async def _provider(s: AsyncSession, region: TestRegion, spec: ListingSpec) -> int:
    n = next(_numbers)
    provider = Provider(
        region_id=region.id, name=spec.name[:200], kvk=f"{70000000 + n}", agb=f"97{n:06d}", street="Zoekstraat 1",
        postcode="1234 AB", city=spec.city, contact_name="Contact", contact_email=f"c{n}@aanbieder.example",
        status="active", admitted_on=date(2025, 1, 1), created_at=utcnow(),
    )  # fmt: skip
    s.add(provider)
    await s.flush()
    assert provider.id is not None
    return provider.id


async def add_listing(s: AsyncSession, cat: Catalogue, spec: ListingSpec, *, today: date) -> int:
    region = cat.region
    listing_id = await sync_listing(
        s, region_id=region.id, provider_id=await _provider(s, region, spec), name=spec.name, city=spec.city,
        status=spec.status, email="info@aanbieder.example", phone="0165 123456", street="Zoekstraat 1",
        postcode="1234 AB", profile_ids=[region.profile_ids[p] for p in spec.profiles],
        municipality_ids=[region.municipality_ids[i] for i in spec.served], now=utcnow(),
    )  # fmt: skip
    keep = [cat.setting_ids[c] for c in spec.settings]
    await s.execute(
        delete(OfferedType).where(
            OfferedType.listing_id == listing_id,  # type: ignore[arg-type]
            OfferedType.arrangement_type_id.in_(  # type: ignore[attr-defined]
                select(ArrangementType.id).where(ArrangementType.setting_id.not_in(keep))  # type: ignore[attr-defined]
            ),
        )
    )
    location = None if spec.located_in is None else region.municipality_ids[spec.located_in]
    await s.execute(
        update(ListingLocation).where(ListingLocation.listing_id == listing_id).values(municipality_id=location)  # type: ignore[arg-type]
    )
    await s.execute(
        update(Listing).where(Listing.id == listing_id).values(  # type: ignore[arg-type]
            target_groups=list(spec.target_groups), languages=list(spec.languages),
            religious_identity=spec.identity,
            description=spec.description, specialisms=list(spec.specialisms),
        )
    )
    for number, (weeks, days_ago) in spec.waits.items():
        s.add(WaitingTime(region_id=region.id, listing_id=listing_id, profile_id=region.profile_ids[number],
                          weeks=weeks, confirmed_on=today - timedelta(days=days_ago), updated_at=utcnow()))  # fmt: skip
    await s.flush()
    s.expire_all()
    await refresh_search(s, listing_id)
    cat.ids[spec.name] = listing_id
    cat.specs[spec.name] = spec
    return listing_id


async def build_catalogue(s: AsyncSession, region: TestRegion, specs: list[ListingSpec], *, today: date) -> Catalogue:
    cat = Catalogue(region, await arrangement_types(s, region))
    for spec in specs:
        await add_listing(s, cat, spec, today=today)
    return cat
