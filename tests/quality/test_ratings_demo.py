"""Demo ratings: deterministic, within the national outcome set, idempotent, and published to the catalogue."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from catalogue.public import overall_figures
from quality.models import Rating, RatingInvitation
from quality.services.rating_demo import seed_ratings_demo
from tests.quality.rating_world import confirmed_arrangements

NOW = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)


async def test_demo_ratings_are_valid_idempotent_and_published(session, regions) -> None:
    region = await regions.create()
    rw = await confirmed_arrangements(session, region, 30)
    first = await seed_ratings_demo(session, region_id=region.id, now=NOW)
    assert first["invited"] == 30 and 8 <= first["rated"] <= 28  # about six in ten
    ratings = (await session.execute(select(Rating).where(Rating.region_id == region.id))).scalars().all()
    assert len(ratings) == first["rated"]
    assert all(1 <= r.usefulness <= 10 and r.help_again in ("01", "02", "03", "04") for r in ratings)
    assert all(r.submitted_at <= NOW for r in ratings)
    used = (await session.execute(select(RatingInvitation.id).where(
        RatingInvitation.region_id == region.id, RatingInvitation.used_at.is_not(None)))).scalars().all()  # type: ignore[union-attr]
    assert sorted(used) == sorted(r.invitation_id for r in ratings)
    again = await seed_ratings_demo(session, region_id=region.id, now=NOW)
    assert (again["invited"], again["rated"]) == (0, 0)
    figures = await overall_figures(session, region.id, [rw.world.provider_id])
    assert figures[rw.world.provider_id].period_label == "juli 2025 t/m juni 2026"
