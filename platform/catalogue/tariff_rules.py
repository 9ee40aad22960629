"""Pure tariff rules: indexation in integer cents, parsing Dutch amounts and percentages, validity periods and
the schedule state machine. No session, no I/O, no clock.

ROUNDING RULE (printed on every tariff list): the new tariff is the old tariff times (10000 + basis points) /
10000, rounded half up to whole cents, computed in integers:

    new = (2 · old · (10000 + bp) + 10000) // 20000

so 0.5 cent goes up (131400 at 2.5 % is exactly 134685; 1 cent at 50 % is 1.5 cent -> 2 cents). Basis points:
250 = 2.50 %; -10000 (−100 %) is the lowest that keeps a tariff non-negative."""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from jeugdregio.errors import ErrorCollector, InvalidTransition, ValidationFailed

ROUNDING_RULE = (
    "Nieuw tarief = oud tarief × (100 % + indexatie), afgerond op hele centen; een halve cent wordt naar boven "
    "afgerond (rekenkundig afronden, in gehele getallen berekend)."
)
MIN_BASIS_POINTS = -10_000
MAX_BASIS_POINTS = 10_000  # +100 %: a higher yearly indexation is certainly a typing error
MAX_AMOUNT_CENTS = 10_000_000_00  # € 10 miljoen per arrangement: anything above is a typing error


def index_amount(old_cents: int, basis_points: int) -> int:
    """Indexed amount in cents, rounded half up (see ROUNDING_RULE)."""
    if old_cents < 0:
        raise ValueError("a tariff is never negative")
    if basis_points < MIN_BASIS_POINTS:
        raise ValueError("indexation below -100 % would make a tariff negative")
    return (2 * old_cents * (10_000 + basis_points) + 10_000) // 20_000


_EURO = re.compile(r"^(?P<sign>-?)(?P<whole>\d{1,3}(?:\.\d{3})+|\d+)(?:,(?P<cents>\d{1,2}))?$")


def parse_euro(text: str) -> int:
    """Dutch euro input to cents: '1.314,00', '1314', '1314,5', '€ 1.314' -> 131400 / 131450.

    Raises ValueError (with a Dutch message) for anything else, and for negative amounts."""
    cleaned = text.strip().replace("€", "").replace("\u00a0", "").replace(" ", "")
    match = _EURO.match(cleaned)
    if not match:
        raise ValueError("Vul een bedrag in euro in, bijvoorbeeld 1.314,00.")
    if match.group("sign"):
        raise ValueError("Een tarief mag niet negatief zijn.")
    whole = int(match.group("whole").replace(".", ""))
    cents = int((match.group("cents") or "0").ljust(2, "0"))
    amount = whole * 100 + cents
    if amount > MAX_AMOUNT_CENTS:
        raise ValueError("Dit bedrag is onwaarschijnlijk hoog; controleer de invoer.")
    return amount


_PERCENT = re.compile(r"^(?P<sign>[-+]?)(?P<whole>\d{1,3})(?:[,.](?P<frac>\d{1,2}))?$")


def parse_percentage(text: str) -> int:
    """A Dutch percentage to basis points: '2,5' -> 250, '-1,25' -> -125, '0' -> 0 (at most two decimals)."""
    cleaned = text.strip().replace("%", "").replace(" ", "")
    match = _PERCENT.match(cleaned)
    if not match:
        raise ValueError("Vul een percentage in met hoogstens twee decimalen, bijvoorbeeld 2,5.")
    value = int(match.group("whole")) * 100 + int((match.group("frac") or "0").ljust(2, "0"))
    value = -value if match.group("sign") == "-" else value
    check_basis_points(value)
    return value


def check_basis_points(value: int) -> int:
    if not MIN_BASIS_POINTS <= value <= MAX_BASIS_POINTS:
        raise ValueError("Het percentage moet tussen -100 en 100 liggen.")
    return value


def format_percentage(basis_points: int) -> str:
    """250 -> '2,50 %', -125 -> '-1,25 %'."""
    sign = "-" if basis_points < 0 else ""
    whole, rest = divmod(abs(basis_points), 100)
    return f"{sign}{whole},{rest:02d} %"


# ---- validity periods ----------------------------------------------------------------------------------------

Period = tuple[date, date | None]  # (valid_from, valid_until); None: open-ended


def period_problem(periods: Sequence[Period]) -> str | None:
    """None when the periods (any order) follow each other without overlap or gap; else a Dutch message."""
    ordered = sorted(periods, key=lambda p: p[0])
    for (start, until) in ordered:
        if until is not None and until < start:
            return f"De periode vanaf {start:%d-%m-%Y} eindigt vóór de begindatum."
    for (_start, until), (next_start, _) in itertools.pairwise(ordered):
        if until is None or next_start <= until:
            return (
                f"De geldigheid overlapt: de periode vanaf {next_start:%d-%m-%Y} begint vóór het einde van de vorige."
            )
        if next_start != until + timedelta(days=1):
            return (
                f"De geldigheid laat een gat: tussen {until:%d-%m-%Y} en {next_start:%d-%m-%Y} zou geen tarief gelden."
            )
    return None


def first_day(year: int) -> date:
    return date(year, 1, 1)


def last_day_before(year: int) -> date:
    return date(year - 1, 12, 31)


# ---- the schedule state machine ------------------------------------------------------------------------------

SCHEDULE_TRANSITIONS: dict[tuple[str, str], str] = {
    ("draft", "edit"): "draft",
    ("draft", "consult"): "consultation",
    ("consultation", "comment"): "consultation",
    ("consultation", "adopt"): "adopted",
}
SCHEDULE_LABELS = {"draft": "Concept", "consultation": "In consultatie", "adopted": "Vastgesteld"}
ACTION_LABELS = {
    "edit": "Een regel wijzigen", "consult": "In consultatie geven", "comment": "Reageren", "adopt": "Vaststellen",
}  # fmt: skip
REFUSALS = {
    ("draft", "adopt"): "Een concept kan pas worden vastgesteld na de consultatie met de aanbieders.",
    ("adopted", "adopt"): "Deze tarieventabel is al vastgesteld.",
    ("consultation", "edit"): "Tijdens de consultatie kunnen de regels niet meer worden gewijzigd.",
    ("adopted", "edit"): "Een vastgestelde tarieventabel kan niet meer worden gewijzigd.",
    ("draft", "comment"): "Deze tarieventabel is nog niet in consultatie.",
    ("adopted", "comment"): "De consultatie is gesloten: de tarieventabel is vastgesteld.",
    ("consultation", "consult"): "Deze tarieventabel is al in consultatie.",
    ("adopted", "consult"): "Deze tarieventabel is al vastgesteld.",
}


def schedule_next(current: str, action: str) -> str:
    """The status after `action`, or InvalidTransition (409) with a Dutch message."""
    try:
        return SCHEDULE_TRANSITIONS[(current, action)]
    except KeyError:
        message = REFUSALS.get(
            (current, action),
            f"'{ACTION_LABELS.get(action, action)}' kan niet bij status '{SCHEDULE_LABELS.get(current, current)}'.",
        )
        raise InvalidTransition(message) from None


# ---- input of the tariff forms and API bodies (only the listed fields are read) ------------------------------

AMOUNT_LABEL = "Nieuw tarief"


@dataclass(frozen=True)
class DraftInput:
    year: int
    basis_points: int
    overrides: dict[int, int]
    note: str


@dataclass(frozen=True)
class LineEdit:
    amount_cents: int | None
    basis_points: int | None


def _int(errors: ErrorCollector, field: str, value: object, message: str) -> int | None:
    if isinstance(value, bool):
        errors.add(field, message)
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        errors.add(field, message)
        return None


def _basis_points(errors: ErrorCollector, data: Mapping[str, Any], *, pct: str, bp: str) -> int | None:
    """A percentage from a form ('2,5') or basis points from the API (250); None when neither is given."""
    if str(data.get(pct) or "").strip():
        try:
            return parse_percentage(str(data[pct]))
        except ValueError as exc:
            errors.add(pct, str(exc))
            return None
    if data.get(bp) is not None and str(data.get(bp)).strip() != "":
        value = _int(errors, bp, data[bp], "Geef de indexatie in hele basispunten (250 = 2,50 %).")
        if value is not None:
            try:
                return check_basis_points(value)
            except ValueError as exc:
                errors.add(bp, str(exc))
    return None


def parse_draft(data: Mapping[str, Any]) -> DraftInput:
    """year, and the indexation as `percentage` (form) or `indexation_basis_points` (API); `overrides` (API) is a
    list of {"arrangement_type_id", "basis_points"}; `note` optional."""
    errors = ErrorCollector()
    year = _int(errors, "year", data.get("year"), "Vul een jaartal in, bijvoorbeeld 2027.")
    bp = _basis_points(errors, data, pct="percentage", bp="indexation_basis_points")
    if bp is None and not any(e.field in ("percentage", "indexation_basis_points") for e in errors.errors):
        errors.add("percentage", "Vul het indexatiepercentage in (0 mag).")
    overrides: dict[int, int] = {}
    raw = data.get("overrides") or []
    if not isinstance(raw, list) or not all(isinstance(o, Mapping) for o in raw):
        errors.add("overrides", "Geef eigen percentages als een lijst van {arrangement_type_id, basis_points}.")
        raw = []
    for n, item in enumerate(raw, start=1):
        type_id = _int(errors, "overrides", item.get("arrangement_type_id"), f"Regel {n}: onbekend arrangementtype.")
        value = _int(errors, "overrides", item.get("basis_points"), f"Regel {n}: geef hele basispunten.")
        if type_id is not None and value is not None:
            if not MIN_BASIS_POINTS <= value <= MAX_BASIS_POINTS:
                errors.add("overrides", f"Regel {n}: het percentage moet tussen -100 en 100 liggen.")
            overrides[type_id] = value
    errors.raise_if_any()
    assert year is not None and bp is not None
    return DraftInput(year, bp, overrides, str(data.get("note") or "").strip())


def parse_line_edit(data: Mapping[str, Any]) -> LineEdit:
    """An own `percentage` (or `basis_points`), or an `amount` in euro ('1.314,00', '1314') or `amount_cents`."""
    errors = ErrorCollector()
    bp = _basis_points(errors, data, pct="percentage", bp="basis_points")
    amount: int | None = None
    if bp is None and not errors.errors:
        if str(data.get("amount") or "").strip():
            try:
                amount = parse_euro(str(data["amount"]))
            except ValueError as exc:
                errors.add("amount", f"{AMOUNT_LABEL}: {str(exc)[0].lower()}{str(exc)[1:]}")
        elif data.get("amount_cents") is not None:
            amount = _int(errors, "amount_cents", data["amount_cents"], "Geef het tarief in hele centen.")
            if amount is not None and amount < 0:
                errors.add("amount_cents", f"{AMOUNT_LABEL} (amount_cents) mag niet negatief zijn.")
        else:
            errors.add("amount", "Vul een nieuw tarief of een eigen percentage in.")
    errors.raise_if_any()
    return LineEdit(amount, bp)


def parse_day(value: object, field: str, *, required: bool = True) -> date | None:
    """An ISO date (YYYY-MM-DD) or ValidationFailed naming the field."""
    text = str(value or "").strip()
    if not text:
        if required:
            raise ValidationFailed.single(field, "Vul een datum in, bijvoorbeeld 2026-12-15.")
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed.single(field, "Gebruik een datum als 2026-12-15.") from None
