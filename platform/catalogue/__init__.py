"""Catalogue: care profiles, intensities, settings, arrangement types, tariffs and the public search."""
