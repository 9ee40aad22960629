"""What other modules may use from quality: the publication constants and the one publication function."""

from __future__ import annotations

# The ONE publication function (counts rounded to 5, 0–7 suppressed, secondary suppression, also across
# successive publications) and its helpers for shares, measures and scores: see quality.rules.
from quality.rules import (
    MIN_RATINGS_FOR_SCORE,
    ROUND_TO,
    SUPPRESS_BELOW,
    TOTAL,
    CountTable,
    Publication,
    publish_count,
    publish_measure,
    publish_score,
    publish_share,
    publish_table,
)

__all__ = [
    "MIN_RATINGS_FOR_SCORE",
    "ROUND_TO",
    "SUPPRESS_BELOW",
    "TOTAL",
    "CountTable",
    "Publication",
    "publish_count",
    "publish_measure",
    "publish_score",
    "publish_share",
    "publish_table",
]
