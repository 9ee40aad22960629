"""Published quality figures in the catalogue: the catalogue stores and shows what the quality monitor publishes.

The figures arrive already through the publication rules (counts rounded, small cells suppressed as NULL, a mean
score only from enough ratings): the catalogue never computes or un-suppresses anything. Each publication
replaces the region's whole set in the caller's transaction. The writes go through the ORM session, so the
public search cache (search_cache) is invalidated when the transaction commits in this process; another
process (the worker) sees its cache refresh within search_cache.SECONDS."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from catalogue.models import CareProfile, Listing, QualityFigure


@dataclass(frozen=True)
class PublishedFigure:
    """One published row: a provider overall (`profile_id` None) or one profile of it."""

    provider_id: int
    profile_id: int | None
    period_start: date
    period_end: date
    period_label: str
    n_ended: int | None  # rounded; None = suppressed
    share_achieved_pct: int | None  # None = suppressed
    n_ratings: int | None  # rounded; None = suppressed
    rating_mean_x10: int | None  # None = fewer ratings than the minimum
    definition: str

    @property
    def shown(self) -> bool:
        """Whether any figure of the row is published."""
        return any(v is not None for v in (self.n_ended, self.share_achieved_pct, self.n_ratings,
                                           self.rating_mean_x10))  # fmt: skip

    def as_json(self) -> dict[str, object]:
        """For the public API: suppressed figures are null."""
        return {
            "period": {"start": self.period_start.isoformat(), "end_exclusive": self.period_end.isoformat(),
                       "label": self.period_label},
            "ended": self.n_ended, "all_goals_achieved_pct": self.share_achieved_pct, "ratings": self.n_ratings,
            "rating_mean": None if self.rating_mean_x10 is None else self.rating_mean_x10 / 10,
            "definition": self.definition,
        }  # fmt: skip

    @property
    def rating_mean(self) -> str | None:
        """The mean score as Dutch text, e.g. '7,8'."""
        if self.rating_mean_x10 is None:
            return None
        return f"{self.rating_mean_x10 // 10},{self.rating_mean_x10 % 10}"


async def publish_quality_figures(
    session: AsyncSession, *, region_id: int, figures: list[PublishedFigure], published_at: datetime
) -> int:
    """Replace the region's published figures by `figures` (one DELETE, one multi-row INSERT)."""
    await session.execute(delete(QualityFigure).where(QualityFigure.region_id == region_id))  # type: ignore[arg-type]
    if figures:
        rows = [{**asdict(f), "region_id": region_id, "published_at": published_at} for f in figures]
        await session.execute(insert(QualityFigure), rows)
    return len(figures)


def _view(row: QualityFigure) -> PublishedFigure:
    return PublishedFigure(
        provider_id=row.provider_id, profile_id=row.profile_id, period_start=row.period_start,
        period_end=row.period_end, period_label=row.period_label, n_ended=row.n_ended,
        share_achieved_pct=row.share_achieved_pct, n_ratings=row.n_ratings, rating_mean_x10=row.rating_mean_x10,
        definition=row.definition,
    )  # fmt: skip


async def figures_of_provider(session: AsyncSession, region_id: int, provider_id: int) -> list[PublishedFigure]:
    """The provider's published rows, overall first, then per profile id."""
    rows = (
        await session.execute(
            select(QualityFigure)
            .where(QualityFigure.region_id == region_id, QualityFigure.provider_id == provider_id)
            .order_by(QualityFigure.profile_id.is_not(None), QualityFigure.profile_id)  # type: ignore[union-attr]
        )
    ).scalars()
    return [_view(r) for r in rows]


async def overall_figures(session: AsyncSession, region_id: int, provider_ids: list[int]) -> dict[int, PublishedFigure]:
    """The overall row per provider (for search results)."""
    if not provider_ids:
        return {}
    rows = (
        await session.execute(
            select(QualityFigure).where(
                QualityFigure.region_id == region_id,
                QualityFigure.provider_id.in_(provider_ids),  # type: ignore[attr-defined]
                QualityFigure.profile_id.is_(None),  # type: ignore[union-attr]
            )
        )
    ).scalars()
    return {r.provider_id: _view(r) for r in rows}


@dataclass(frozen=True)
class ListingQuality:
    """What a provider page shows: the overall row and the rows per profile (number and name)."""

    overall: PublishedFigure | None
    profiles: tuple[tuple[int, str, PublishedFigure], ...]

    def as_json(self) -> dict[str, object] | None:
        if self.overall is None:
            return None
        return {**self.overall.as_json(),
                "profiles": [{"number": n, "name": name, **f.as_json()} for n, name, f in self.profiles]}  # fmt: skip


async def quality_of_listings(session: Any, region_id: int, listing_ids: list[int]) -> dict[int, ListingQuality]:
    """Published figures per listing id (one statement): overall first, then per profile number."""
    if not listing_ids:
        return {}
    rows = (
        await session.execute(
            select(Listing.id, QualityFigure, CareProfile.number, CareProfile.name)
            .join(QualityFigure, and_(QualityFigure.region_id == Listing.region_id,
                                      QualityFigure.provider_id == Listing.provider_id))
            .outerjoin(CareProfile, CareProfile.id == QualityFigure.profile_id)
            .where(Listing.region_id == region_id, Listing.id.in_(listing_ids))  # type: ignore[union-attr]
            .order_by(Listing.id, col(CareProfile.number).nulls_first())
        )
    ).all()  # fmt: skip
    overall: dict[int, PublishedFigure] = {}
    per_profile: dict[int, list[tuple[int, str, PublishedFigure]]] = {}
    for listing_id, figure, number, name in rows:
        if figure.profile_id is None:
            overall[listing_id] = _view(figure)
        else:
            per_profile.setdefault(listing_id, []).append((int(number), str(name), _view(figure)))
    return {
        lid: ListingQuality(overall.get(lid), tuple(per_profile.get(lid, ())))
        for lid in listing_ids if lid in overall or lid in per_profile
    }  # fmt: skip
