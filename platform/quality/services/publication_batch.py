"""The monthly publication batch: quality figures per provider (and per provider × profile) into the catalogue.

Per region, over the twelve whole months before the batch month (e.g. the batch of 2026-12 covers
december 2025 t/m november 2026):
- ended arrangements (status ended, confirmed or disputed, end date in the period), and of those the share that
  ended with all goals achieved (`result = 'achieved'`);
- ratings submitted in the period: their number and the mean usefulness (1–10).

Everything goes through the ONE publication function (`quality.rules.publish_table`): the counts form a table of
providers × profiles whose row totals are the providers' overall figures, so rounding to 5, primary suppression
of 0–7, secondary suppression (a provider's total minus its visible profiles never reveals a small cell) and the
rule across successive publications (history per figure in quality_publication_history) all apply. A share is
published only when its count cell is and `publish_share` allows it; a mean score only from at least the region's
`min_ratings_for_score` ratings (`publish_score`) and when the rating count cell is published. A share or mean per
profile is published only when every profile of that provider could publish its own, so the overall figure minus
the shown profiles never gives a hidden profile's share or mean.

The result replaces the region's set in the catalogue (catalogue.public.publish_quality_figures) in the same
transaction. SQL does the aggregation (two GROUP BY queries); Python only sees aggregated rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Integer, and_, cast, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from catalogue.public import PublishedFigure, publish_quality_figures
from contracts.public import ARRANGEMENTS
from quality.models import PublicationHistory, Rating
from quality.rules import (
    ROUND_TO,
    TOTAL,
    CountTable,
    Publication,
    history_from_json,
    history_to_json,
    publish_score,
    publish_share,
    publish_table,
)
from quality.services.indicators import indicator_settings

A = ARRANGEMENTS.c
ENDED_STATUSES = ("ended", "confirmed", "disputed")
MONTHS_NL = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
             "november", "december")  # fmt: skip
DEFINITION = (
    "Afgesloten trajecten: arrangementen met een einddatum in de periode. Doelen behaald: het deel daarvan waarin "
    "alle doelen zijn behaald. Beoordeling: het gemiddelde rapportcijfer (1–10) voor het nut van de hulp, gegeven "
    "door ouders en jongeren in de periode; alleen getoond vanaf {min_ratings} beoordelingen. Aantallen zijn "
    "afgerond op 5 en percentages op 5 procentpunt; minder dan 8 wordt niet getoond."
)
FIGURE_ENDED = "catalogue:ended"
FIGURE_RATINGS = "catalogue:ratings"


@dataclass(frozen=True)
class BatchPeriod:
    start: date  # inclusive
    end: date  # exclusive: the first day of the batch month
    label: str


def batch_period(month: str) -> BatchPeriod:
    """'2026-12' → december 2025 t/m november 2026 (the twelve whole months before the batch month)."""
    year, mon = (int(x) for x in month.split("-"))
    end = date(year, mon, 1)
    start = date(year - 1, mon, 1)
    last_month = 12 if mon == 1 else mon - 1
    last_year = year - 1 if mon == 1 else year
    return BatchPeriod(start, end, f"{MONTHS_NL[mon - 1]} {year - 1} t/m {MONTHS_NL[last_month - 1]} {last_year}")


def _pct(share: float) -> int:
    """A share as a percentage rounded to 5 points (like the counts: a month's few new cases do not show)."""
    return int(ROUND_TO * round(share * 100 / ROUND_TO))


async def _history(session: AsyncSession, region_id: int, key: str) -> dict[Any, tuple[int, ...]]:
    row = (
        await session.execute(
            select(PublicationHistory.history).where(
                PublicationHistory.region_id == region_id,  # type: ignore[arg-type]
                PublicationHistory.figure_key == key,  # type: ignore[arg-type]
            )
        )
    ).scalar_one_or_none()
    return history_from_json(row or {})


async def _keep_history(session: AsyncSession, region_id: int, key: str, pub: Publication, now: datetime) -> None:
    table = PublicationHistory.__table__  # type: ignore[attr-defined]
    data = history_to_json(pub.history)
    stmt = insert(table).values(region_id=region_id, figure_key=key, history=data, publications=1, updated_at=now)
    stmt = stmt.on_conflict_do_update(
        index_elements=["region_id", "figure_key"],
        set_={"history": data, "publications": table.c.publications + 1, "updated_at": now},
    )
    await session.execute(stmt)


async def publish_region(session: AsyncSession, region_id: int, *, month: str, now: datetime) -> int:
    """Compute and publish one region's catalogue figures for the batch month; returns the rows published."""
    period = batch_period(month)
    settings = await indicator_settings(session, region_id)
    providers = [
        str(p) for p in (await session.execute(
            select(A.provider_id).where(A.region_id == region_id).distinct().order_by(A.provider_id)
        )).scalars()
    ]  # fmt: skip
    ended_rows = (
        await session.execute(
            select(
                A.provider_id, A.profile_id, func.count(),
                func.count().filter(A.result == "achieved"),
            )
            .where(
                A.region_id == region_id,
                A.status.in_(ENDED_STATUSES),
                A.end_date >= period.start,
                A.end_date < period.end,
            )
            .group_by(A.provider_id, A.profile_id)
        )
    ).all()
    R = Rating.__table__.c  # type: ignore[attr-defined]
    start_ts = datetime.combine(period.start, datetime.min.time(), now.tzinfo)
    end_ts = datetime.combine(period.end, datetime.min.time(), now.tzinfo)
    rating_rows = (
        await session.execute(
            select(R.provider_id, R.profile_id, func.count(), cast(func.sum(R.usefulness), Integer))
            .where(and_(R.region_id == region_id, R.submitted_at >= start_ts, R.submitted_at < end_ts))
            .group_by(R.provider_id, R.profile_id)
        )
    ).all()
    profiles = sorted({str(r[1]) for r in ended_rows} | {str(r[1]) for r in rating_rows}, key=int)
    providers = sorted(set(providers) | {str(r[0]) for r in ended_rows} | {str(r[0]) for r in rating_rows}, key=int)
    if not providers:
        return await publish_quality_figures(session, region_id=region_id, figures=[], published_at=now)
    ended = {(str(p), str(f)): int(n) for p, f, n, _a in ended_rows}
    achieved = {(str(p), str(f)): int(a) for p, f, _n, a in ended_rows}
    n_rated = {(str(p), str(f)): int(n) for p, f, n, _s in rating_rows}
    rating_sum = {(str(p), str(f)): int(s) for p, f, _n, s in rating_rows}
    columns = tuple(profiles) or ("-",)
    ended_pub = publish_table(CountTable(tuple(providers), columns, ended),
                              await _history(session, region_id, FIGURE_ENDED))  # fmt: skip
    rated_pub = publish_table(CountTable(tuple(providers), columns, n_rated),
                              await _history(session, region_id, FIGURE_RATINGS))  # fmt: skip

    def total(values: dict[tuple[str, str], int], provider: str, profile: str) -> int:
        if profile == TOTAL:
            return sum(v for (p, _f), v in values.items() if p == provider)
        return values.get((provider, profile), 0)

    figures: list[PublishedFigure] = []
    definition = DEFINITION.format(min_ratings=settings.min_ratings_for_score)
    for provider in providers:
        # A share or mean per profile is shown only when EVERY profile of the provider could show its own: else
        # the provider's overall figure minus the shown profiles would give the hidden profiles' share or mean.
        shares_ok = all(
            publish_share(achieved.get((provider, f), 0), n) is not None
            for (p, f), n in ended.items() if p == provider and n > 0
        )  # fmt: skip
        means_ok = all(
            n >= max(settings.min_ratings_for_score, 1) for (p, _f), n in n_rated.items() if p == provider and n > 0
        )
        for profile in (TOTAL, *profiles):
            key = (provider, profile)
            n_end = ended_pub.values[key]
            n_rat = rated_pub.values[key]
            true_end, true_ach = total(ended, *key), total(achieved, *key)
            true_rat, true_sum = total(n_rated, *key), total(rating_sum, *key)
            share = publish_share(true_ach, true_end) if n_end is not None else None
            mean = publish_score(true_sum / true_rat if true_rat else None, true_rat, settings.min_ratings_for_score)
            if n_rat is None:
                mean = None
            if profile != TOTAL and not shares_ok:
                share = None
            if profile != TOTAL and not means_ok:
                mean = None
            if profile != TOTAL and n_end is None and n_rat is None:
                continue  # a profile row with nothing to show is left out; the provider's row is always there
            figures.append(PublishedFigure(
                provider_id=int(provider), profile_id=None if profile == TOTAL else int(profile),
                period_start=period.start, period_end=period.end, period_label=period.label,
                n_ended=n_end, share_achieved_pct=None if share is None else _pct(share),
                n_ratings=n_rat, rating_mean_x10=None if mean is None else round(mean * 10),
                definition=definition,
            ))  # fmt: skip
    await _keep_history(session, region_id, FIGURE_ENDED, ended_pub, now)
    await _keep_history(session, region_id, FIGURE_RATINGS, rated_pub, now)
    return await publish_quality_figures(session, region_id=region_id, figures=figures, published_at=now)


async def publish_all_regions(session: AsyncSession, *, month: str, now: datetime) -> dict[str, int]:
    from jeugdregio.tables import Region

    out: dict[str, int] = {}
    for region_id in (await session.execute(select(Region.id).order_by(Region.id))).scalars():  # type: ignore[arg-type]
        out[str(region_id)] = await publish_region(session, int(region_id), month=month, now=now)
    return out
