"""The provider's catalogue listing, kept in step with the register (called by contracts via catalogue.public)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, literal, literal_column, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from catalogue.models import (
    ArrangementType,
    Listing,
    ListingLocation,
    ListingMunicipality,
    OfferedType,
    WaitingTime,
)
from catalogue.rules import trigrams


async def refresh_search(session: AsyncSession, listing_id: int) -> None:
    """Recompute the full-text vector (Dutch) and the trigrams of a listing from its current fields."""
    listing = await session.get(Listing, listing_id)
    if listing is None:
        return
    words = " ".join([listing.name, listing.city, *listing.specialisms, *listing.target_groups])
    document = " ".join(
        [listing.name, listing.city, listing.description, *listing.specialisms, *listing.target_groups,
         *listing.languages, listing.religious_identity]
    )  # fmt: skip
    await session.execute(
        update(Listing)
        .where(Listing.id == listing_id)
        .values(
            search_vector=func.setweight(func.to_tsvector("dutch", listing.name), literal_column("'A'"))
            .op("||")(func.to_tsvector("dutch", document)),
            search_trigrams=trigrams(words),
        )
    )


async def sync_listing(
    session: AsyncSession,
    *,
    region_id: int,
    provider_id: int,
    name: str,
    city: str,
    status: str,
    email: str,
    phone: str,
    street: str,
    postcode: str,
    profile_ids: list[int],
    municipality_ids: list[int] | None,
    now: datetime,
) -> int:
    """Create the listing on admission, or update what the register owns (name, city, status, offered types).
    Contact data, location and municipalities are only seeded on creation: afterwards the provider keeps them."""
    existing = (
        await session.execute(
            select(Listing).where(Listing.region_id == region_id, Listing.provider_id == provider_id)
        )
    ).scalar_one_or_none()
    if existing is None:
        listing = Listing(
            region_id=region_id, provider_id=provider_id, name=name, city=city, status=status, email=email,
            phone=phone, updated_at=now,
        )  # fmt: skip
        session.add(listing)
        await session.flush()
        assert listing.id is not None
        session.add(ListingLocation(region_id=region_id, listing_id=listing.id, street=street, postcode=postcode,
                                    city=city))  # fmt: skip
        if municipality_ids:
            await session.execute(
                insert(ListingMunicipality).values(
                    [{"region_id": region_id, "listing_id": listing.id, "municipality_id": m} for m in municipality_ids]
                ).on_conflict_do_nothing()
            )
        listing_id = listing.id
    else:
        assert existing.id is not None
        listing_id = existing.id
        existing.name, existing.city, existing.status, existing.updated_at = name, city, status, now
    await _offer_types(session, region_id=region_id, listing_id=listing_id, profile_ids=profile_ids)
    await _drop_unoffered_waiting_times(session, listing_id)
    await session.flush()
    await refresh_search(session, listing_id)
    return listing_id


async def _offer_types(session: AsyncSession, *, region_id: int, listing_id: int, profile_ids: list[int]) -> None:
    """The contract lots (profiles) become the active arrangement types of those profiles."""
    await session.execute(delete(OfferedType).where(OfferedType.listing_id == listing_id))
    if not profile_ids:
        return
    types = select(
        literal(region_id), literal(listing_id), ArrangementType.id
    ).where(
        ArrangementType.region_id == region_id,
        ArrangementType.profile_id.in_(profile_ids),  # type: ignore[attr-defined]
        ArrangementType.active.is_(True),  # type: ignore[attr-defined]
    )
    await session.execute(
        insert(OfferedType).from_select(["region_id", "listing_id", "arrangement_type_id"], types)
    )


async def _drop_unoffered_waiting_times(session: AsyncSession, listing_id: int) -> None:
    """A profile no longer among the contract lots keeps no waiting time (the catalogue would show it)."""
    offered = (
        select(ArrangementType.profile_id)
        .join(OfferedType, OfferedType.arrangement_type_id == ArrangementType.id)  # type: ignore[arg-type]
        .where(OfferedType.listing_id == listing_id)
    )
    await session.execute(
        delete(WaitingTime).where(
            WaitingTime.listing_id == listing_id,
            WaitingTime.profile_id.not_in(offered),  # type: ignore[attr-defined]
        )
    )
