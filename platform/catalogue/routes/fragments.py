"""Fragments of the public search page, rendered once and kept per worker as HTML (Markup strings).

A search the page cache cannot answer (a text never searched before) spent most of its time in the worker's
event loop rendering the page's twenty result cards and six filter lists through Jinja macros (about 2 ms of a
miss). Both repeat across searches: a listing's card is the same on every page that shows it, and a filter
list only differs in its chosen value. So each is rendered once per distinct input and kept:

- a card is keyed by the listing id and the hash of everything it shows (`search.Hit` is frozen; its hash
  covers name, place, profiles, the shortest waiting time with its freshness, identity, languages and the
  published quality figures), the region slug in its link and whether it has the compare box — a changed
  listing gets a new key, and no `Hit` object is kept alive;
- a filter list is keyed by its name, label, the region's options (a tuple of frozen `Option`s, kept anyway
  by the filter-option cache), the chosen value, the error message and the empty choice.

The memo is emptied on every catalogue commit (search_cache.generation) and when it is full. It holds strings
only, which the cyclic garbage collector never walks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from markupsafe import Markup

from catalogue.services import search, search_cache
from jeugdregio.templating import environment

MACROS = "catalogue/_public_macros.html"
MAX_FRAGMENTS = 20_000  # a card is about 1.5 kB: 30 MB per worker at most

_fragments: dict[tuple[Any, ...], Markup] = {}
_made_in: list[int] = [-1]  # the generation the kept fragments were rendered in


def _memo() -> dict[tuple[Any, ...], Markup]:
    generation = search_cache.generation()
    if _made_in[0] != generation or len(_fragments) >= MAX_FRAGMENTS:
        _fragments.clear()
        _made_in[0] = generation
    return _fragments


def _macro(name: str) -> Any:
    return getattr(environment().get_template(MACROS).module, name)


def hit_cards(hits: Iterable[search.Hit], regio: str, *, compare: bool = True) -> Markup:
    """The cards of `hits`, in order, as one piece of HTML (the `hit_card` macro's output)."""
    memo = _memo()
    parts = []
    for hit in hits:
        key = ("card", hit.id, hash(hit), regio, compare)
        html = memo.get(key)
        if html is None:
            html = memo[key] = _macro("hit_card")(hit, regio, compare)
        parts.append(html)
    return Markup().join(parts)  # every part is Markup already: nothing is escaped twice


def filter_select(
    name: str, label: str, options: tuple[search.Option, ...], form: Mapping[str, str], errors: Mapping[str, str],
    empty: str = "Alle",
) -> Markup:  # fmt: skip
    """One filter list of the search form (the `select` macro's output), with the same arguments."""
    memo = _memo()
    key = ("select", name, label, options, form.get(name, ""), errors.get(name, ""), empty)
    html = memo.get(key)
    if html is None:
        html = memo[key] = _macro("select")(name, label, options, form, errors, empty)
    return html


def forget() -> None:
    """Empty the memo (tests)."""
    _fragments.clear()
