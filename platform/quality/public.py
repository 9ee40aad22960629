"""What other modules may use from quality. The publication threshold constants live here already."""

from __future__ import annotations

SUPPRESS_BELOW = 8  # counts 0–7 are suppressed (CBS practice)
ROUND_TO = 5
MIN_RATINGS_FOR_SCORE = 10

# The ONE publication function (counts rounded to 5, 0–7 suppressed, secondary suppression, also across
# successive publications) and its helpers for shares, measures and scores: see quality.rules.
from quality.rules import (  # noqa: E402
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
