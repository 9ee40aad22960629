"""What other domains may use from the catalogue."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from catalogue.defaults import DEFAULT_PROFILES
from catalogue.models import CareProfile
from catalogue.services.catalogue_setup import seed_catalogue
from catalogue.services.listings import sync_listing
from catalogue.services.offerings_demo import seed_offerings_demo
from catalogue.services.quality_figures import (
    PublishedFigure,
    figures_of_provider,
    overall_figures,
    publish_quality_figures,
)
from catalogue.services.search import size_caches as size_search_caches
from catalogue.services.search_cache import listen_for_changes as listen_for_catalogue_changes
from catalogue.services.tariffs import TariffView, TypeRow, arrangement_types, tariff_on

__all__ = [
    "DEFAULT_PROFILES",
    "ProfileView",
    "PublishedFigure",
    "TariffView",
    "TypeRow",
    "arrangement_types",
    "create_profile",
    "figures_of_provider",
    "list_profiles",
    "listen_for_catalogue_changes",
    "overall_figures",
    "profiles_by_id",
    "publish_quality_figures",
    "seed_catalogue",
    "seed_offerings_demo",
    "size_search_caches",
    "sync_listing",
    "tariff_on",
]


@dataclass(frozen=True)
class ProfileView:
    id: int
    number: int
    name: str
    description: str
    complexity: str
    illustrative: bool

    @property
    def label(self) -> str:
        return f"Profiel {self.number}: {self.name}"


def _view(p: CareProfile) -> ProfileView:
    assert p.id is not None
    return ProfileView(p.id, p.number, p.name, p.description, p.complexity, p.illustrative)


async def list_profiles(session: AsyncSession, region_id: int) -> list[ProfileView]:
    rows = await session.execute(
        select(CareProfile).where(CareProfile.region_id == region_id).order_by(CareProfile.number)  # type: ignore[arg-type]
    )
    return [_view(p) for p in rows.scalars()]


async def profiles_by_id(session: AsyncSession, region_id: int, ids: list[int]) -> dict[int, ProfileView]:
    if not ids:
        return {}
    rows = await session.execute(
        select(CareProfile).where(CareProfile.region_id == region_id, CareProfile.id.in_(ids))  # type: ignore[union-attr]
    )
    return {p.id: _view(p) for p in rows.scalars() if p.id is not None}


async def create_profile(
    session: AsyncSession, *, region_id: int, number: int, name: str, description: str = "",
    complexity: str = "low", illustrative: bool = False,
) -> int:  # fmt: skip
    profile = CareProfile(
        region_id=region_id, number=number, name=name, description=description,
        complexity=complexity, illustrative=illustrative,
    )  # fmt: skip
    session.add(profile)
    await session.flush()
    assert profile.id is not None
    return profile.id
