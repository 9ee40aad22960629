"""Search-page fragments kept per worker (catalogue/routes/fragments.py): each is exactly the macro's output,
a listing whose card would look different gets its own card, escaping survives, and the memo stays bounded and
forgets on a catalogue commit."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from catalogue.routes import fragments
from catalogue.services import search_cache
from catalogue.services.quality_figures import PublishedFigure
from catalogue.services.search import Hit, Option, Waiting
from jeugdregio.templating import environment

HIT = Hit(
    id=7, name="De <Linde> & Zn", city="Roosendaal", profiles=(1, 2),
    shortest=Waiting(4, date(2026, 11, 1), True), identity="", languages=("Nederlands", "Turks"),
    target_groups=("4-12 jaar",),
)  # fmt: skip
OPTIONS = (Option("1", "Profiel 1: Licht", 11), Option("2", "Profiel 2: Gezin", 12))


def _macro(name: str):  # type: ignore[no-untyped-def]
    return getattr(environment().get_template(fragments.MACROS).module, name)


@pytest.fixture(autouse=True)
def empty_memo() -> None:
    fragments.forget()


def test_a_card_is_the_macros_output_escaped_and_kept() -> None:
    first = fragments.hit_cards([HIT], "wbw")
    assert first == _macro("hit_card")(HIT, "wbw", True)
    assert "De &lt;Linde&gt; &amp; Zn" in first and "<Linde>" not in first
    assert "4 weken" in first and 'name="id" value="7"' in first
    assert fragments.hit_cards([HIT], "wbw") == first
    assert len(fragments._fragments) == 1  # the second page reused the card


def test_a_listing_that_looks_different_gets_its_own_card() -> None:
    old = fragments.hit_cards([HIT], "wbw")
    stale = replace(HIT, shortest=Waiting(9, date(2026, 6, 1), False))
    rated = replace(HIT, quality=PublishedFigure(
        provider_id=0, profile_id=None, period_start=date(2026, 1, 1), period_end=date(2026, 6, 30),
        period_label="2026-H1", n_ended=40, share_achieved_pct=75, n_ratings=20, rating_mean_x10=81,
        definition="Gemiddelde beoordeling door ouders"))  # fmt: skip
    for changed, shows in ((stale, "niet recent bevestigd"), (rated, "8,1")):
        card = fragments.hit_cards([changed], "wbw")
        assert card == _macro("hit_card")(changed, "wbw", True) and card != old
        assert shows in card and shows not in old
    assert fragments.hit_cards([HIT], "andere-regio", compare=False) == _macro("hit_card")(HIT, "andere-regio", False)
    assert "vergelijk-7" not in fragments.hit_cards([HIT], "wbw", compare=False)


def test_cards_come_in_the_order_of_the_hits() -> None:
    other = replace(HIT, id=8, name="Het Anker")
    both = fragments.hit_cards([other, HIT], "wbw")
    assert both.index("Het Anker") < both.index("De &lt;Linde&gt;")
    assert both == _macro("hit_card")(other, "wbw", True) + _macro("hit_card")(HIT, "wbw", True)


def test_a_filter_list_is_the_macros_output_for_its_choice_and_error() -> None:
    form, errors = {"profiel": "2"}, {"gemeente": "Deze gemeente hoort niet bij de regio."}
    chosen = fragments.filter_select("profiel", "Profiel", OPTIONS, form, errors)
    assert chosen == _macro("select")("profiel", "Profiel", OPTIONS, form, errors, "Alle")
    assert '<option value="2" selected>' in chosen
    other = fragments.filter_select("profiel", "Profiel", OPTIONS, {"profiel": "1"}, errors)
    assert '<option value="1" selected>' in other and '<option value="2" selected>' not in other
    wrong = fragments.filter_select("gemeente", "Gemeente", OPTIONS, form, errors, "Maakt niet uit")
    assert "Deze gemeente hoort niet bij de regio." in wrong and 'aria-invalid="true"' in wrong
    assert "Maakt niet uit" in wrong


def test_the_memo_forgets_on_a_catalogue_commit_and_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    fragments.hit_cards([HIT], "wbw")
    search_cache.invalidate()  # what a catalogue commit does
    fragments.hit_cards([replace(HIT, id=8)], "wbw")
    assert [key[1] for key in fragments._fragments] == [8]
    monkeypatch.setattr(fragments, "MAX_FRAGMENTS", 3)
    for i in range(10):
        fragments.hit_cards([replace(HIT, id=100 + i)], "wbw")
        assert len(fragments._fragments) <= 3
