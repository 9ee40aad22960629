"""Pure rules of the conversation model: transition table, overall result, residence rule, start window."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.arrangement_rules import (
    ARRANGEMENT_TRANSITIONS,
    age_on,
    agreed_status,
    arrangement_next,
    mask_bsn,
    months_between,
    overall_result,
    paying_municipality_code,
    start_date_problem,
)
from jeugdregio.errors import InvalidTransition

STATUSES = ("proposed", "agreed", "started", "ended", "confirmed", "disputed", "cancelled", "rejected")
ACTIONS = ("agree", "reject", "cancel", "start", "end", "confirm", "dispute", "resolve")


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("action", ACTIONS)
def test_transition_table_is_the_only_way(status: str, action: str) -> None:
    if (status, action) in ARRANGEMENT_TRANSITIONS:
        assert arrangement_next(status, action) == ARRANGEMENT_TRANSITIONS[(status, action)]
    else:
        with pytest.raises(InvalidTransition) as exc:
            arrangement_next(status, action)
        assert "kan niet bij status" in exc.value.message


def test_final_statuses_allow_nothing() -> None:
    for status in ("confirmed", "cancelled", "rejected"):
        assert not [a for (s, a) in ARRANGEMENT_TRANSITIONS if s == status]


def test_agreed_only_when_all_three_agree() -> None:
    assert agreed_status(True, True, True) == "agreed"
    for combo in [(True, True, False), (True, False, True), (False, True, True), (False, False, False)]:
        assert agreed_status(*combo) == "proposed"


def test_overall_result() -> None:
    assert overall_result(["achieved", "achieved"]) == "achieved"
    assert overall_result(["not", "not"]) == "not"
    assert overall_result(["achieved", "not"]) == "partly"
    assert overall_result(["partly"]) == "partly"
    with pytest.raises(ValueError):
        overall_result([])


def test_residence_rule() -> None:
    assert paying_municipality_code("0363", "0599", residential=True) == "0599"
    assert paying_municipality_code("0363", "0599", residential=False) == "0363"
    assert paying_municipality_code("0363", None, residential=True) == "0363"


def test_start_window_and_helpers() -> None:
    agreed, today = date(2026, 3, 1), date(2026, 3, 10)
    assert start_date_problem(date(2026, 1, 30), agreed, today) is None  # 30 days before
    assert start_date_problem(date(2026, 1, 28), agreed, today)
    assert start_date_problem(date(2027, 3, 11), agreed, today)
    assert start_date_problem(date(2027, 3, 10), agreed, today) is None
    assert mask_bsn("111222333") == "******333"
    assert age_on(date(2004, 6, 2), date(2026, 6, 1)) == 21 and age_on(date(2004, 6, 1), date(2026, 6, 1)) == 22
    assert months_between(date(2026, 3, 31), date(2026, 4, 1)) == 2
