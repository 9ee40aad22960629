"""Quality: outcomes, ratings, indicators, dashboards, publication rules (built in a later issue)."""
