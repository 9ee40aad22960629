"""Pure checks for regions and municipalities."""

from __future__ import annotations

import re

from jeugdregio.errors import ErrorCollector


def parse_municipalities(values: list[str]) -> list[tuple[str, str]]:
    """'0748:Bergen op Zoom' -> ('0748', 'Bergen op Zoom'); 4-digit CBS codes, no duplicates."""
    errors = ErrorCollector()
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for i, value in enumerate(values, start=1):
        code, _, name = value.partition(":")
        code, name = code.strip(), name.strip()
        if not re.fullmatch(r"[0-9]{4}", code):
            errors.add("municipality", f"Gemeente {i}: de CBS-code moet uit 4 cijfers bestaan (gekregen: '{code}').")
        elif code in seen:
            errors.add("municipality", f"Gemeente {i}: CBS-code {code} staat er dubbel in.")
        elif not name:
            errors.add("municipality", f"Gemeente {i}: geef een naam, zoals 0748:Bergen op Zoom.")
        else:
            seen.add(code)
            out.append((code, name))
    if not values:
        errors.add("municipality", "Geef minstens één gemeente op (--municipality 0748:Bergen op Zoom).")
    errors.raise_if_any()
    return out
