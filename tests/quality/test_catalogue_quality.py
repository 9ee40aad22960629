"""The monthly publication batch: figures per provider through the publication rules into the catalogue.
Expected values are stated by hand from the fixture below."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import insert, select

from catalogue.public import figures_of_provider, overall_figures
from catalogue.services import search_cache
from quality.jobs import batch_month
from quality.models import Rating, RatingInvitation
from quality.services.invitations import create_invitations
from quality.services.publication_batch import batch_period, publish_region
from tests.support.invoicing_factories import _provider, add_arrangement, build_invoicing

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


async def _provider_with(session, world, provider_id: int, *, ended: int, achieved: int, scores: list[int]) -> None:
    """`ended` arrangements ended in June 2026 (the first `achieved` with all goals achieved), and one parent
    rating per score (on the first arrangements)."""
    ids = []
    for i in range(ended):
        ids.append(await add_arrangement(
            session, world, provider_id=provider_id, status="confirmed", start_date=date(2026, 1, 5),
            end_date=date(2026, 6, 1), end_reason="31", result="achieved" if i < achieved else "not",
        ))  # fmt: skip
    await create_invitations(session, now=NOW, region_id=world.region.id)
    invitations = dict((await session.execute(
        select(RatingInvitation.arrangement_id, RatingInvitation.id).where(RatingInvitation.arrangement_id.in_(ids))  # type: ignore[attr-defined]
    )).all())  # fmt: skip
    if scores:
        await session.execute(insert(Rating), [
            dict(region_id=world.region.id, invitation_id=invitations[a], arrangement_id=a, provider_id=provider_id,
                 profile_id=world.profile_id, informant="parent", usefulness=s, help_again="03", comment="",
                 comment_status="none", submitted_at=datetime(2026, 7, 1, tzinfo=UTC))
            for a, s in zip(ids, scores, strict=False)
        ])  # fmt: skip


async def _fixture(session, regions):
    region = await regions.create()
    world = await build_invoicing(session, region)
    a, d = world.provider_id, world.other_provider_id
    b = await _provider(session, region.id, "Zorg Drie")
    c = await _provider(session, region.id, "Zorg Vier")
    await _provider_with(session, world, a, ended=20, achieved=10, scores=[9] * 6 + [6] * 6)
    await _provider_with(session, world, b, ended=4, achieved=4, scores=[10] * 4)
    await _provider_with(session, world, c, ended=5, achieved=5, scores=[10] * 5)
    await _provider_with(session, world, d, ended=9, achieved=0, scores=[10] * 9)
    # outside the period (ended before December 2025): never counted
    await add_arrangement(session, world, provider_id=a, status="confirmed", start_date=date(2025, 1, 5),
                          end_date=date(2025, 11, 30), end_reason="31", result="achieved")  # fmt: skip
    return region, world, (a, b, c, d)


def test_the_batch_covers_the_twelve_whole_months_before_the_batch_month() -> None:
    p = batch_period("2026-12")
    assert (p.start, p.end, p.label) == (date(2025, 12, 1), date(2026, 12, 1), "december 2025 t/m november 2026")
    p = batch_period("2027-01")
    assert (p.start, p.end, p.label) == (date(2026, 1, 1), date(2027, 1, 1), "januari 2026 t/m december 2026")
    assert batch_month(datetime(2026, 11, 30, 23, 30, tzinfo=UTC)) == "2026-12"  # Dutch time: already December


async def test_published_figures_rounded_suppressed_and_scored_from_ten_ratings(session, regions) -> None:
    region, world, (a, b, c, d) = await _fixture(session, regions)
    await publish_region(session, region.id, month="2026-12", now=NOW)
    overall = await overall_figures(session, region.id, [a, b, c, d])
    fa = overall[a]
    # A: 20 ended (10 achieved = 50 %), 12 ratings (6×9 + 6×6 → 7,5) → 20, 50 %, 10 (12 rounded), 7,5
    assert (fa.n_ended, fa.share_achieved_pct, fa.n_ratings, fa.rating_mean_x10) == (20, 50, 10, 75)
    assert fa.rating_mean == "7,5"
    assert fa.period_label == "december 2025 t/m november 2026" and "afgerond op 5" in fa.definition
    # B (4) and C (5): below 8, suppressed; shown as rows without figures
    for small in (b, c):
        f = overall[small]
        assert (f.n_ended, f.share_achieved_pct, f.n_ratings, f.rating_mean_x10) == (None, None, None, None)
    # D: 9 ended → 10; 0 achieved → no share (0 is below 8); 9 ratings → count 10 but no score (< 10 ratings)
    fd = overall[d]
    assert (fd.n_ended, fd.share_achieved_pct, fd.n_ratings, fd.rating_mean_x10) == (10, None, 10, None)
    # per profile: only rows with something to show
    assert [f.profile_id for f in await figures_of_provider(session, region.id, a)] == [None, world.profile_id]
    assert [f.profile_id for f in await figures_of_provider(session, region.id, b)] == [None]


async def test_a_single_small_provider_cannot_be_derived_from_the_total(session, regions) -> None:
    """With one small provider beside a large one, the large one is suppressed too (total − large = small)."""
    region = await regions.create()
    world = await build_invoicing(session, region)
    await _provider_with(session, world, world.provider_id, ended=20, achieved=10, scores=[])
    await _provider_with(session, world, world.other_provider_id, ended=3, achieved=3, scores=[])
    await publish_region(session, region.id, month="2026-12", now=NOW)
    overall = await overall_figures(session, region.id, [world.provider_id, world.other_provider_id])
    assert overall[world.provider_id].n_ended is None and overall[world.other_provider_id].n_ended is None


async def test_a_rerun_publishes_the_same_set_and_replaces_the_previous_one(session, regions) -> None:
    region, _world, (a, b, c, d) = await _fixture(session, regions)
    assert await publish_region(session, region.id, month="2026-12", now=NOW) == 6  # 4 overall + A and D profile
    first = await overall_figures(session, region.id, [a, b, c, d])
    assert await publish_region(session, region.id, month="2026-12", now=NOW) == 6
    assert await overall_figures(session, region.id, [a, b, c, d]) == first


async def test_publishing_invalidates_the_public_search_cache(maker, regions) -> None:
    region = await regions.create()
    before = search_cache.generation()
    async with maker() as s:
        await publish_region(s, region.id, month="2026-12", now=NOW)
        await s.commit()
    assert search_cache.generation() > before


async def test_both_jobs_are_scheduled_and_a_rerun_in_the_same_month_changes_nothing(maker, regions) -> None:
    from jeugdregio.scheduler import run_job, schedule

    jobs = {j.name: j for j in schedule()}
    assert jobs["publish_catalogue_figures"].period(NOW) == "2026-12"
    region = await regions.create()
    async with maker() as s:
        world = await build_invoicing(s, region)
        await _provider_with(s, world, world.provider_id, ended=9, achieved=9, scores=[])  # invited already
        await add_arrangement(s, world, status="confirmed", end_date=date(2026, 6, 1), result="achieved")
        await s.commit()
    assert (await run_job(maker, jobs["rating_invitations"], now=NOW))["created"] >= 1  # (all regions)
    first = await run_job(maker, jobs["publish_catalogue_figures"], now=NOW)
    assert first["month"] == "2026-12" and first["rows"][str(region.id)] >= 1
    async with maker() as s:
        before = await overall_figures(s, region.id, [world.provider_id])
    assert (await run_job(maker, jobs["rating_invitations"], now=NOW))["created"] == 0
    await run_job(maker, jobs["publish_catalogue_figures"], now=NOW)
    async with maker() as s:
        assert await overall_figures(s, region.id, [world.provider_id]) == before


async def test_profile_means_and_shares_are_hidden_when_the_rest_would_follow_from_the_overall(session, regions):
    """Profile 1: 20 ended (10 achieved), 12 ratings; profiles 2 and 3: 5 and 4 ended (none achieved), 5 and 4
    ratings. Overall minus profile 1 would give the share and the mean of the 9 cases of profiles 2 and 3, so
    profile 1 shows its counts but not its share or mean; the overall row shows all four figures."""
    region = await regions.create()
    world = await build_invoicing(session, region)
    p = world.provider_id
    for number, n, achieved, scores in ((1, 20, 10, [8] * 12), (2, 5, 0, [3] * 5), (3, 4, 0, [2] * 4)):
        world.profile_id = region.profile_ids[number]
        await _provider_with(session, world, p, ended=n, achieved=achieved, scores=scores)
    await publish_region(session, region.id, month="2026-12", now=NOW)
    rows = {f.profile_id: f for f in await figures_of_provider(session, region.id, p)}
    overall, first = rows[None], rows[region.profile_ids[1]]
    # overall: 29 ended → 30; 10 of 29 achieved = 34.5 % → 35 %; 21 ratings → 20; (96 + 15 + 8) / 21 = 5.67 → 5,7
    assert (overall.n_ended, overall.share_achieved_pct, overall.n_ratings, overall.rating_mean_x10) == (30, 35, 20, 57)
    # profile 1: 20 ended, 12 ratings (→ 10) published; its share (50 %) and mean (8,0) are not
    assert (first.n_ended, first.share_achieved_pct, first.n_ratings, first.rating_mean_x10) == (20, None, 10, None)
    assert set(rows) == {None, region.profile_ids[1]}  # profiles 2 and 3: nothing to show, no rows
