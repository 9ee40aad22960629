"""Pure payment rules (DOMAIN.md §4). No session, no I/O, no clock. Amounts are integer cents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Policy:
    """The region's policy for the second 50 % (defaults: achieved and partly pay; not achieved, early end by
    the family or the provider, and transfer do not)."""

    pay_achieved: bool = True
    pay_partly: bool = True
    pay_not_achieved: bool = False
    pay_early_end: bool = False


EARLY_END_REASONS = ("32", "33", "38")


def halves(price_cents: int) -> tuple[int, int]:
    """first = price // 2, second = price − first: the halves always add up to the price."""
    if price_cents < 0:
        raise ValueError("a price is never negative")
    first = price_cents // 2
    return first, price_cents - first


def second_half_due(result: str | None, end_reason: str | None, policy: Policy) -> tuple[bool, str]:
    """Is the second 50 % due for this confirmed result? Returns (due, the reason in plain Dutch)."""
    if end_reason == "change":
        return False, "Geen tweede 50 %: het arrangement is gewijzigd; het nieuwe arrangement loopt verder."
    if end_reason in EARLY_END_REASONS and not policy.pay_early_end:
        return False, "Geen tweede 50 %: het traject is voortijdig beëindigd of overgedragen."
    if result == "achieved":
        return (True, "Doelen behaald.") if policy.pay_achieved else (False, "De regio betaalt geen tweede 50 %.")
    if result == "partly":
        if policy.pay_partly:
            return True, "Doelen deels behaald; de regio betaalt dan de tweede 50 %."
        return False, "Geen tweede 50 %: doelen deels behaald."
    if result == "not":
        if policy.pay_not_achieved:
            return True, "Doelen niet behaald; de regio betaalt toch de tweede 50 %."
        return False, "Geen tweede 50 %: doelen niet behaald."
    return False, "Nog geen bevestigd resultaat."


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def monthly_due(month: date, start: date, end: date | None, months_paid: int, max_months: int | None) -> bool:
    """A month of care is payable when it lies between the start month and the end month and the cap is not
    reached."""
    first = month_start(start)
    if month < first or (end is not None and month > month_start(end)):
        return False
    return max_months is None or months_paid < max_months


def instalments(yearly_cents: int, parts: int = 12) -> list[int]:
    """A yearly amount in `parts` instalments that add up exactly: the remainder goes to the last one."""
    if yearly_cents < 0:
        raise ValueError("an amount is never negative")
    base = yearly_cents // parts
    return [base] * (parts - 1) + [yearly_cents - base * (parts - 1)]


def population_year_cents(cents_per_youth: int, youths: int, weight_basis_points: int = 10000) -> int:
    """Amount per youth × youths × weight (10000 = 1.0), rounded half up to whole cents."""
    numerator = cents_per_youth * youths * weight_basis_points
    return (numerator + 5000) // 10000


def pxq_cents(units: int, unit_tariff_cents: int) -> int:
    if units < 0:
        raise ValueError("units are never negative")
    return units * unit_tariff_cents
