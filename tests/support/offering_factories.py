"""Builders for offering tests: arrangement types for a test region and an admitted provider with a listing."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from catalogue.models import ArrangementType, CareSetting, Intensity, Listing
from catalogue.services.listings import sync_listing
from contracts.models import Provider
from jeugdregio.clock import utcnow
from tests.support.factories import TestRegion
from tests.support.world import Objects, build_world


async def ensure_arrangement_types(s: AsyncSession, region: TestRegion, numbers: tuple[int, ...]) -> None:
    """One active type `5NNPL` (perspective, ambulant) per profile number, unless the profile already has one."""
    intensity = (await s.execute(select(Intensity).where(Intensity.region_id == region.id))).scalars().first()
    if intensity is None:
        intensity = Intensity(region_id=region.id, complexity="low", code="P", name="Perspectief")
        s.add(intensity)
    setting = (await s.execute(select(CareSetting).where(CareSetting.region_id == region.id))).scalars().first()
    if setting is None:
        setting = CareSetting(region_id=region.id, code="AMB", name="Ambulant")
        s.add(setting)
    await s.flush()
    assert intensity.id is not None and setting.id is not None
    for number in numbers:
        pid = region.profile_ids[number]
        exists = (await s.execute(
            select(ArrangementType.id).where(ArrangementType.profile_id == pid, ArrangementType.active.is_(True))  # type: ignore[attr-defined]
        )).first()  # fmt: skip
        if exists is None:
            s.add(ArrangementType(
                region_id=region.id, code=f"5{number:02d}PL", profile_id=pid, intensity_id=intensity.id,
                setting_id=setting.id, complexity="low", payment_model="result_50_50",
                ijw_product_code=f"5{number:02d}PL",
            ))  # fmt: skip
    await s.flush()


async def list_provider(region: TestRegion, provider_id: int, numbers: tuple[int, ...] = (1, 2)) -> int:
    """The provider's listing (created or updated with sync_listing, as the register does), offering `numbers`."""
    async with region.maker() as s:
        await ensure_arrangement_types(s, region, numbers)
        p = await s.get(Provider, provider_id)
        assert p is not None
        listing_id = await sync_listing(
            s, region_id=region.id, provider_id=provider_id, name=p.name, city=p.city, status=p.status,
            email=p.contact_email, phone=p.contact_phone or "", street=p.street, postcode=p.postcode,
            profile_ids=[region.profile_ids[n] for n in numbers], municipality_ids=[region.municipality_ids[0]],
            now=utcnow(),
        )  # fmt: skip
        await s.commit()
    return listing_id


@dataclass
class Listed:
    region: TestRegion
    objects: Objects
    listing_id: int

    @property
    def provider_id(self) -> int:
        return self.objects.provider_id

    def profile(self, number: int) -> int:
        return self.region.profile_ids[number]


async def listed_world(region: TestRegion, numbers: tuple[int, ...] = (1, 2)) -> Listed:
    """build_world (an admitted provider, users for every role) plus the provider's listing."""
    objects = await build_world(region)
    return Listed(region, objects, await list_provider(region, objects.provider_id, numbers))


async def get_listing(region: TestRegion, listing_id: int) -> Listing:
    async with region.maker() as s:
        listing = await s.get(Listing, listing_id)
        assert listing is not None
        return listing
