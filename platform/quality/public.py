"""What other modules may use from quality. The publication threshold constants live here already."""

from __future__ import annotations

SUPPRESS_BELOW = 8  # counts 0–7 are suppressed (CBS practice)
ROUND_TO = 5
MIN_RATINGS_FOR_SCORE = 10
