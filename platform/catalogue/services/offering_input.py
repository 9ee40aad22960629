"""Parsing and validating what a provider (or the team) submits for a listing, from the edit form or the API:
the editable fields with their limits, list fields, municipalities served and waiting times in weeks."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from catalogue.rules import MAX_WAITING_WEEKS
from jeugdregio.errors import ErrorCollector

LABELS = {
    "description": "Beschrijving", "website": "Website", "email": "E-mailadres", "phone": "Telefoonnummer",
    "target_groups": "Doelgroepen", "specialisms": "Specialismen", "languages": "Talen",
    "religious_identity": "Levensbeschouwelijke identiteit", "accessibility": "Toegankelijkheid",
    "municipality_ids": "Gemeenten waar u zorg levert",
}  # fmt: skip
# the only fields a provider (or the team) may set; name, status and offered types follow the register
EDITABLE = tuple(LABELS)
TEXT_LIMITS = {"description": 4000, "religious_identity": 100, "accessibility": 2000}
LIST_FIELDS = ("target_groups", "specialisms", "languages")
MAX_ITEMS, MAX_ITEM_LENGTH = 20, 60
OUTSIDE_REGION = "buiten"
POSTCODE = re.compile(r"^([1-9][0-9]{3}) ?([A-Za-z]{2})$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9 ()-]{6,30}$")


def parse_list(value: Any) -> list[str]:
    """Comma-separated or one per line (or already a list): trimmed, empty items dropped, de-duplicated."""
    items = value if isinstance(value, list | tuple) else re.split(r"[,\n]", str(value or ""))
    out: list[str] = []
    seen: set[str] = set()
    for raw in items:
        item = " ".join(str(raw).split())
        if item and item.casefold() not in seen:
            seen.add(item.casefold())
            out.append(item)
    return out


def clean_field(name: str, value: Any, municipality_ids: set[int], errors: ErrorCollector) -> Any:
    label = LABELS[name]
    if name in LIST_FIELDS:
        items = parse_list(value)
        if len(items) > MAX_ITEMS:
            errors.add(name, f"{label}: noem er maximaal {MAX_ITEMS}.")
        elif any(len(i) > MAX_ITEM_LENGTH for i in items):
            errors.add(name, f"{label}: elk item mag maximaal {MAX_ITEM_LENGTH} tekens hebben.")
        return items
    if name == "municipality_ids":
        raw = value if isinstance(value, list | tuple) else [value] if value not in (None, "") else []
        ids = {int(v) for v in raw if str(v).strip().isdigit()}
        if not raw:
            errors.add(name, f"{label}: kies minstens één gemeente.")
        elif len(ids) != len({str(v).strip() for v in raw}) or not ids <= municipality_ids:
            errors.add(name, f"{label}: kies alleen gemeenten van de regio.")
        return sorted(ids)
    text = str(value or "").strip() if not isinstance(value, list | dict) else None
    if text is None:
        errors.add(name, f"{label}: vul tekst in.")
        return ""
    if name in TEXT_LIMITS and len(text) > TEXT_LIMITS[name]:
        errors.add(name, f"{label}: maximaal {TEXT_LIMITS[name]:,} tekens.".replace(",", "."))
    elif name == "website" and text:
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.netloc or len(text) > 300:
            errors.add(name, f"{label}: geef een adres dat begint met http:// of https://.")
    elif name == "email" and text and (not EMAIL.match(text) or len(text) > 254):
        errors.add(name, f"{label}: vul een geldig e-mailadres in.")
    elif name == "phone" and text and not PHONE.match(text):
        errors.add(name, f"{label}: gebruik alleen cijfers, spaties, +, - en haakjes (6 tot 30 tekens).")
    return text


def clean_changes(changes: Mapping[str, Any], municipality_ids: set[int]) -> dict[str, Any]:
    """The validated editable fields (422 for an unknown field or any invalid value; nothing is half-accepted).
    `municipality_ids` are the region's municipalities (only needed when `changes` sets municipality_ids)."""
    errors = ErrorCollector()
    for name in changes:
        if name not in LABELS:
            errors.add(name, f"Het veld '{name}' kunt u hier niet wijzigen.")
    clean = {n: clean_field(n, v, municipality_ids, errors) for n, v in changes.items() if n in LABELS}
    errors.raise_if_any()
    return clean


def parse_weeks(raw: Any, label: str, name: str, errors: ErrorCollector) -> int | None:
    text = str(raw).strip() if raw is not None and not isinstance(raw, bool) else "x"
    if not re.fullmatch(r"[0-9]{1,3}", text) or int(text) > MAX_WAITING_WEEKS:
        errors.add(name, f"Wachttijd {label}: vul een heel aantal weken in van 0 tot en met {MAX_WAITING_WEEKS}.")
        return None
    return int(text)


def waiting_form_values(form: Mapping[str, Any]) -> dict[int, Any]:
    """The waiting-time fields of the edit form (`weeks_<profile id>`) by profile id."""
    return {int(k[6:]): v for k, v in form.items() if re.fullmatch(r"weeks_[1-9][0-9]{0,8}", k)}
