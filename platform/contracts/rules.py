"""Pure rules of the register: state-transition tables and checks. No session, no I/O, no clock."""

from __future__ import annotations

import re
from datetime import date

from jeugdregio.errors import InvalidTransition

# application: (from status, action) -> to status
APPLICATION_TRANSITIONS: dict[tuple[str, str], str] = {
    ("submitted", "start_review"): "in_review",
    ("submitted", "request_info"): "info_requested",
    ("in_review", "request_info"): "info_requested",
    ("info_requested", "answer_info"): "in_review",
    ("submitted", "admit"): "admitted",
    ("in_review", "admit"): "admitted",
    ("submitted", "reject"): "rejected",
    ("in_review", "reject"): "rejected",
    ("info_requested", "reject"): "rejected",
    ("submitted", "withdraw"): "withdrawn",
    ("in_review", "withdraw"): "withdrawn",
    ("info_requested", "withdraw"): "withdrawn",
}
APPLICATION_OPEN = ("submitted", "in_review", "info_requested")
APPLICATION_ACTION_LABELS = {
    "start_review": "in behandeling nemen",
    "request_info": "aanvulling vragen",
    "answer_info": "aanvulling geven",
    "admit": "toelaten",
    "reject": "afwijzen",
    "withdraw": "intrekken",
}

# framework contract: (from status, action) -> to status
CONTRACT_TRANSITIONS: dict[tuple[str, str], str] = {
    ("active", "suspend"): "suspended",
    ("suspended", "resume"): "active",
    ("active", "terminate"): "terminated",
    ("suspended", "terminate"): "terminated",
    ("active", "amend"): "active",
    ("suspended", "amend"): "suspended",
}
# the provider's register status follows its contract
PROVIDER_STATUS_FOR_CONTRACT = {"active": "active", "suspended": "suspended", "terminated": "ended"}


def next_status(table: dict[tuple[str, str], str], current: str, action: str, labels: dict[str, str]) -> str:
    try:
        return table[(current, action)]
    except KeyError:
        from jeugdregio.templating import status_label

        raise InvalidTransition(
            f"'{labels.get(action, action)}' kan niet bij status '{status_label(current)}'."
        ) from None


def application_next(current: str, action: str) -> str:
    return next_status(APPLICATION_TRANSITIONS, current, action, APPLICATION_ACTION_LABELS)


def contract_next(current: str, action: str) -> str:
    labels = {"suspend": "schorsen", "resume": "hervatten", "terminate": "beëindigen", "amend": "wijzigen"}
    return next_status(CONTRACT_TRANSITIONS, current, action, labels)


EIGHT_DIGITS = re.compile(r"^[0-9]{8}$")
POSTCODE = re.compile(r"^[1-9][0-9]{3} ?[A-Z]{2}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_postcode(value: str) -> str:
    v = value.strip().upper().replace(" ", "")
    return f"{v[:4]} {v[4:]}" if len(v) == 6 else value.strip().upper()


def window_open(windows: list[tuple[date, date]], today: date) -> bool:
    return any(start <= today <= end for start, end in windows)


def next_window(windows: list[tuple[date, date]], today: date) -> tuple[date, date] | None:
    upcoming = sorted(w for w in windows if w[0] > today)
    return upcoming[0] if upcoming else None


def add_months(day: date, months: int) -> date:
    """Same day `months` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    import calendar

    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def evidence_state(valid_until: date | None, today: date, warn_days: int = 30) -> str:
    """'valid', 'expiring' (within warn_days) or 'expired'."""
    if valid_until is None:
        return "valid"
    if valid_until < today:
        return "expired"
    if (valid_until - today).days <= warn_days:
        return "expiring"
    return "valid"


def failed_requirement_ids(reviews: dict[int, bool], required_ids: list[int]) -> tuple[list[int], list[int]]:
    """Split required requirements into (failed, not yet reviewed)."""
    failed = [r for r in required_ids if reviews.get(r) is False]
    missing = [r for r in required_ids if r not in reviews]
    return failed, missing
