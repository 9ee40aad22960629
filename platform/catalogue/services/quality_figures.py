"""Published quality figures in the catalogue: the catalogue stores and shows what the quality monitor publishes.

The figures arrive already through the publication rules (counts rounded, small cells suppressed as NULL, a mean
score only from enough ratings): the catalogue never computes or un-suppresses anything. Each publication
replaces the region's whole set in the caller's transaction. The writes go through the ORM session, so the
public search cache (search_cache) is invalidated when the transaction commits in this process; another
process (the worker) sees its cache refresh within search_cache.SECONDS."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from catalogue.models import Listing, QualityFigure


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


async def listing_names(session: AsyncSession, region_id: int, provider_ids: list[int]) -> dict[int, str]:
    """The public (catalogue) name per provider."""
    if not provider_ids:
        return {}
    rows = await session.execute(
        select(Listing.provider_id, Listing.name).where(
            Listing.region_id == region_id,
            Listing.provider_id.in_(provider_ids),  # type: ignore[attr-defined]
        )
    )
    return {int(pid): str(name) for pid, name in rows.all()}
