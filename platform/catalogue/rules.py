"""Pure catalogue rules: search text normalisation and trigrams, waiting-time freshness. No I/O."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

FRESH_DAYS = 30  # a waiting time confirmed longer ago shows as "niet recent bevestigd"
MAX_WAITING_WEEKS = 104


def normalise(text: str) -> str:
    """Lower case, accents removed, only letters/digits/spaces: 'Zorggroep Éénhoorn!' -> 'zorggroep eenhoorn'."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]+", " ", plain).strip()


def trigrams(text: str) -> list[str]:
    """pg_trgm-style trigrams of every word (padded with two spaces in front, one behind), sorted, unique."""
    grams: set[str] = set()
    for word in normalise(text).split():
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return sorted(grams)


def similarity(a: list[str], b: list[str]) -> float:
    """Jaccard similarity of two trigram sets (what pg_trgm's similarity() computes)."""
    sa, sb = set(a), set(b)
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)


def waiting_time_fresh(confirmed_on: date, today: date) -> bool:
    return (today - confirmed_on).days <= FRESH_DAYS
