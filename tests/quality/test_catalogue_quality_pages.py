"""Published quality figures in the public catalogue: the provider page, search results (with n, period and
definition), the public API, suppressed figures, and sorting by rating (providers without a score last)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from catalogue.models import Listing
from catalogue.public import PublishedFigure, publish_quality_figures
from jeugdregio.clock import today
from tests.support.search_factories import ListingSpec, build_catalogue

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
LABEL = "december 2025 t/m november 2026"
DEFINITION = "Afgesloten trajecten: arrangementen met een einddatum in de periode (testdefinitie)."


def fig(provider_id: int, *, ended: int | None, share: int | None, ratings: int | None, mean: int | None,
        profile_id: int | None = None) -> PublishedFigure:  # fmt: skip
    return PublishedFigure(
        provider_id=provider_id, profile_id=profile_id, period_start=date(2025, 12, 1), period_end=date(2026, 12, 1),
        period_label=LABEL, n_ended=ended, share_achieved_pct=share, n_ratings=ratings, rating_mean_x10=mean,
        definition=DEFINITION,
    )  # fmt: skip


async def _catalogue(regions):
    region = await regions.create()
    specs = [ListingSpec("Aanbieder Alfa"), ListingSpec("Aanbieder Beta"), ListingSpec("Aanbieder Gamma"),
             ListingSpec("Aanbieder Delta")]  # fmt: skip
    async with region.maker() as s:
        cat = await build_catalogue(s, region, specs, today=today())
        providers = dict((await s.execute(
            select(Listing.name, Listing.provider_id).where(Listing.region_id == region.id)
        )).all())  # fmt: skip
        await publish_quality_figures(s, region_id=region.id, published_at=NOW, figures=[
            fig(providers["Aanbieder Alfa"], ended=20, share=50, ratings=10, mean=75),
            fig(providers["Aanbieder Alfa"], ended=15, share=60, ratings=10, mean=80,
                profile_id=region.profile_ids[1]),
            fig(providers["Aanbieder Beta"], ended=40, share=70, ratings=35, mean=82),
            fig(providers["Aanbieder Gamma"], ended=None, share=None, ratings=None, mean=None),  # suppressed
        ])  # fmt: skip
        await s.commit()
    return region, cat


async def test_the_provider_page_shows_the_figures_with_n_period_and_definition(client, regions) -> None:
    region, cat = await _catalogue(regions)
    page = await client.get(f"/catalogus/aanbieders/{cat.ids['Aanbieder Alfa']}?regio={region.slug}")
    assert page.status_code == 200
    section = page.text.split('id="kwaliteit"', 1)[1]
    assert LABEL in section and DEFINITION in section
    assert "<td>20</td><td>50%</td><td>10</td><td>7,5</td>" in section
    assert "Profiel 1: Profiel 1</th><td>15</td><td>60%</td><td>10</td><td>8,0</td>" in section
    suppressed = await client.get(f"/catalogus/aanbieders/{cat.ids['Aanbieder Gamma']}?regio={region.slug}")
    section = suppressed.text.split('id="kwaliteit"', 1)[1]
    assert "niet getoond" in section and "7,5" not in section and "<td>20</td>" not in section
    none = await client.get(f"/catalogus/aanbieders/{cat.ids['Aanbieder Delta']}?regio={region.slug}")
    assert "Nog geen kwaliteitscijfers beschikbaar." in none.text
    api = (await client.get(f"/api/v1/catalogue/providers/{cat.ids['Aanbieder Alfa']}?region={region.slug}")).json()
    assert api["quality"]["ratings"] == 10 and api["quality"]["rating_mean"] == 7.5
    assert api["quality"]["period"]["label"] == LABEL and api["quality"]["definition"] == DEFINITION
    assert api["quality"]["profiles"][0]["number"] == 1 and api["quality"]["profiles"][0]["ended"] == 15


async def test_search_results_show_the_score_and_sort_by_rating_puts_providers_without_a_score_last(
    client, regions
) -> None:
    region, _cat = await _catalogue(regions)
    r = await client.get(f"/catalogus?regio={region.slug}&sorteer=beoordeling")
    assert r.status_code == 200
    order = [n for n in ("Aanbieder Alfa", "Aanbieder Beta", "Aanbieder Delta", "Aanbieder Gamma")
             if n in r.text]  # fmt: skip
    positions = sorted(order, key=r.text.index)
    assert positions[:2] == ["Aanbieder Beta", "Aanbieder Alfa"]  # 8,2 before 7,5
    assert set(positions[2:]) == {"Aanbieder Delta", "Aanbieder Gamma"}  # no published score: last
    assert "Gemiddeld cijfer <strong>8,2</strong> uit 35 beoordelingen" in r.text
    assert LABEL in r.text and DEFINITION in r.text
    api = (await client.get(f"/api/v1/catalogue/providers?region={region.slug}&sort=rating")).json()
    names = [i["name"] for i in api["items"]]
    assert names[:2] == ["Aanbieder Beta", "Aanbieder Alfa"]
    assert api["items"][0]["quality"]["rating_mean"] == 8.2 and api["items"][0]["quality"]["ratings"] == 35
    by_name = {i["name"]: i["quality"] for i in api["items"]}
    assert by_name["Aanbieder Delta"] is None
    assert by_name["Aanbieder Gamma"]["rating_mean"] is None and by_name["Aanbieder Gamma"]["ended"] is None
    unknown = await client.get(f"/catalogus?regio={region.slug}&sorteer=sterren")
    assert unknown.status_code == 422 and "beoordeling" in unknown.text
