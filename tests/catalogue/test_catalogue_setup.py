"""Seeding a region's default catalogue: intensities, settings, 45 arrangement types and their tariffs."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from tests.support.catalogue_factories import SEED_FROM, seed_in

from catalogue.models import ArrangementType, CareSetting, Intensity, Tariff
from catalogue.services.catalogue_setup import seed_catalogue
from catalogue.services.tariffs import tariff_on


async def _count(session, model, region_id: int) -> int:  # type: ignore[no-untyped-def]
    return int((await session.execute(select(func.count()).select_from(model).where(model.region_id == region_id)))
               .scalar_one())  # fmt: skip


async def test_seed_creates_the_default_catalogue(session, regions) -> None:
    region = await regions.create()
    ids = await seed_in(session, region)
    assert len(ids) == 45
    assert await _count(session, Intensity, region.id) == 9
    assert await _count(session, CareSetting, region.id) == 5
    assert await _count(session, Tariff, region.id) == 45
    for code in ("501PL", "501AL", "507DL", "508DL", "509H1H", "510H3H", "506ILV"):
        assert code in ids
    types = {t.code: t for t in (await session.execute(
        select(ArrangementType).where(ArrangementType.region_id == region.id))).scalars()}  # fmt: skip
    assert [types[f"50{p}DL"].max_months for p in range(1, 9)] == [12, 3, 3, 3, 3, 6, 12, 6]
    assert types["507DL"].payment_model == "monthly" and types["501PL"].payment_model == "result_50_50"
    assert types["501PL"].ijw_product_category == "45" and types["501PL"].unit == "82"
    assert len({t.ijw_product_code for t in types.values()}) == 45
    assert all(len(t.ijw_product_code) == 5 and t.ijw_product_code.isdigit() for t in types.values())
    assert types["509H1H"].complexity == "high" and types["501AL"].complexity == "low"


async def test_seeded_tariffs_are_the_published_wbw_amounts(session, regions) -> None:
    region = await regions.create()
    ids = await seed_in(session, region)
    day = date(2025, 6, 1)

    async def amount(code: str) -> int:
        view = await tariff_on(session, ids[code], day)
        assert view is not None and view.valid_from == SEED_FROM and view.valid_until is None
        return view.amount_cents

    assert {await amount(f"50{p}AL") for p in range(1, 9)} == {131_400}
    assert {await amount(f"50{p}DL") for p in range(1, 9)} == {137_100}
    assert (await amount("501PL"), await amount("501IL")) == (417_000, 702_400)
    assert (await amount("503PL"), await amount("503IL")) == (73_800, 284_200)
    assert (await amount("506PL"), await amount("506IL")) == (953_400, 2_009_000)
    assert (await amount("508PL"), await amount("508IL")) == (714_000, 1_034_800)


async def test_seed_is_idempotent_per_region(session, regions) -> None:
    region = await regions.create()
    await seed_in(session, region)
    again = await seed_catalogue(session, region_id=region.id, profile_ids=region.profile_ids,
                                 valid_from=date(2026, 1, 1))  # fmt: skip
    assert again == {"intensities": 0, "settings": 0, "arrangement_types": 0, "tariffs": 0}
    assert await _count(session, Tariff, region.id) == 45
    other = await regions.create()
    created = await seed_catalogue(session, region_id=other.id, profile_ids=other.profile_ids, valid_from=SEED_FROM)
    assert created == {"intensities": 9, "settings": 5, "arrangement_types": 45, "tariffs": 45}


async def test_seed_skips_types_of_missing_profiles(session, regions) -> None:
    region = await regions.create()
    only_low = {n: i for n, i in region.profile_ids.items() if n <= 8}
    created = await seed_catalogue(session, region_id=region.id, profile_ids=only_low, valid_from=SEED_FROM)
    assert created["arrangement_types"] == 37  # 32 ambulant low-complex + 5 setting variants
