"""The register keeps the public catalogue listing in step with admission, status changes and amendments."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from catalogue.models import ArrangementType, CareProfile, Listing, OfferedType
from contracts.services.contract_lifecycle import amend_contract, resume_contract, suspend_contract
from jeugdregio.audit import Actor
from jeugdregio.clock import utcnow
from tests.support.world import build_world


async def _listing(maker, provider_id: int) -> tuple[Listing, set[int]]:
    async with maker() as s:
        listing = (await s.execute(select(Listing).where(Listing.provider_id == provider_id))).scalar_one()
        profiles = set(
            (
                await s.execute(
                    select(CareProfile.number)
                    .join(ArrangementType, ArrangementType.profile_id == CareProfile.id)
                    .join(OfferedType, OfferedType.arrangement_type_id == ArrangementType.id)
                    .where(OfferedType.listing_id == listing.id)
                )
            ).scalars()
        )
        return listing, profiles


async def test_admission_status_and_amendment_reach_the_listing(regions, maker) -> None:
    region = await regions.create()
    world = await build_world(region, catalogue=True)
    listing, profiles = await _listing(maker, world.provider_id)
    assert listing.status == "active" and listing.name.startswith("Testaanbieder")
    assert profiles == {1}  # the lot applied for
    assert listing.search_trigrams  # searchable from the start

    actor = Actor(user_id=None, label="test", role="team_admin", region_id=region.id)
    async with maker() as s:
        await suspend_contract(s, world.contract_id, reason="Verlopen bewijs", on=date.today(), actor=actor,
                               now=utcnow())  # fmt: skip
        await s.commit()
    listing, _ = await _listing(maker, world.provider_id)
    assert listing.status == "suspended"

    async with maker() as s:
        await resume_contract(s, world.contract_id, reason="Bewijs aangeleverd", on=date.today(), actor=actor,
                              now=utcnow())  # fmt: skip
        await amend_contract(s, world.contract_id, reason="Perceel 2 erbij", on=date.today(), actor=actor,
                             now=utcnow(), profile_ids=[region.profile_ids[1], region.profile_ids[2]])  # fmt: skip
        await s.commit()
    listing, profiles = await _listing(maker, world.provider_id)
    assert listing.status == "active"
    assert profiles == {1, 2}
