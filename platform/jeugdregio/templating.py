"""One Jinja environment for pages and PDFs: autoescape, StrictUndefined, filters `euro` and `datum`."""

from __future__ import annotations

import os
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from jeugdregio.clock import AMSTERDAM

MONTHS = (
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
)  # fmt: skip

STATUS_LABELS = {
    "submitted": "Ingediend",
    "in_review": "In behandeling",
    "info_requested": "Aanvulling gevraagd",
    "admitted": "Toegelaten",
    "rejected": "Afgewezen",
    "withdrawn": "Ingetrokken",
    "active": "Actief",
    "suspended": "Geschorst",
    "ended": "Beëindigd",
    "terminated": "Beëindigd",
}

ROLE_LABELS = {
    "team_admin": "Regioteam – beheer",
    "team_contracts": "Regioteam – contractmanagement",
    "team_finance": "Regioteam – financiën",
    "team_quality": "Regioteam – kwaliteit",
    "municipality": "Gemeente",
    "referrer": "Verwijzer",
    "provider": "Aanbieder",
    "applicant": "Aanvrager (aanmelding)",
    "system": "Systeem",
}


def templates_dir() -> Path:
    env = os.environ.get("JEUGDREGIO_TEMPLATES")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "templates"


def euro(cents: int | None) -> str:
    """Integer cents to Dutch notation: 131400 -> '€ 1.314,00'."""
    if cents is None:
        return "–"
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(int(cents)), 100)
    return f"{sign}€ {whole:,}".replace(",", ".") + f",{rest:02d}"


def datum(value: date | datetime | None, with_time: bool = False) -> str:
    if value is None:
        return "–"
    if isinstance(value, datetime):
        local = value.astimezone(AMSTERDAM) if value.tzinfo else value
        text = f"{local.day} {MONTHS[local.month - 1]} {local.year}"
        return f"{text} {local:%H:%M}" if with_time else text
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def status_label(value: str) -> str:
    return STATUS_LABELS.get(value, value)


def role_label(value: str) -> str:
    return ROLE_LABELS.get(value, value)


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(templates_dir())),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["euro"] = euro
    env.filters["datum"] = datum
    env.filters["status"] = status_label
    env.filters["rol"] = role_label
    return env


def render_template(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)
