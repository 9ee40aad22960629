"""Pure payment rules (invoicing.rules): halves, instalments, population amounts, P×Q, months, and the second-half
table for every result × end reason × policy. No database."""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.arrangement_rules import END_REASONS
from invoicing.rules import (
    EARLY_END_REASONS,
    Policy,
    add_months,
    halves,
    instalments,
    monthly_due,
    population_year_cents,
    pxq_cents,
    second_half_due,
)  # fmt: skip
from invoicing.services.settlement import policy_table

cents = st.integers(min_value=0, max_value=10**12)


@given(cents)
def test_the_halves_add_up_and_differ_by_at_most_a_cent(price: int) -> None:
    first, second = halves(price)
    assert first + second == price and 0 <= second - first <= 1 and first >= 0


@given(cents, st.integers(min_value=1, max_value=24))
def test_instalments_add_up_exactly_and_only_the_last_differs(yearly: int, parts: int) -> None:
    parts_list = instalments(yearly, parts)
    assert sum(parts_list) == yearly and len(parts_list) == parts
    assert len(set(parts_list[:-1])) <= 1 and parts_list[-1] >= parts_list[0] >= 0


def test_negative_amounts_are_refused() -> None:
    for call in (lambda: halves(-1), lambda: instalments(-1), lambda: pxq_cents(-1, 100)):
        with pytest.raises(ValueError):
            call()


@given(st.integers(0, 10**7), st.integers(0, 10**6), st.integers(1, 30_000))
def test_population_amount_rounds_half_up(per_youth: int, youths: int, weight: int) -> None:
    exact = per_youth * youths * weight / 10000
    got = population_year_cents(per_youth, youths, weight)
    assert abs(got - exact) <= 0.5 and (got - exact != -0.5)


def test_population_examples() -> None:
    assert population_year_cents(333, 2501, 12500) == 1041041  # 1,041,041.25 → down
    assert population_year_cents(1, 1, 5000) == 1  # 0.5 → up
    assert population_year_cents(100, 10) == 1000


def test_pxq_and_months() -> None:
    assert pxq_cents(12, 1_500) == 18_000 and pxq_cents(0, 1_500) == 0
    assert add_months(date(2026, 11, 1), 3) == date(2027, 2, 1)
    start, end = date(2026, 1, 20), date(2026, 3, 2)
    assert [monthly_due(date(2026, m, 1), start, end, 0, None) for m in (1, 2, 3, 4)] == [True, True, True, False]
    assert not monthly_due(date(2025, 12, 1), start, end, 0, None)
    assert monthly_due(date(2026, 2, 1), start, None, 11, 12) and not monthly_due(date(2026, 2, 1), start, None, 12, 12)


POLICIES = [Policy(*flags) for flags in itertools.product([True, False], repeat=4)]


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: "".join("1" if f else "0" for f in (
    p.pay_achieved, p.pay_partly, p.pay_not_achieved, p.pay_early_end)))
def test_second_half_for_every_result_end_reason_and_policy(policy: Policy) -> None:
    for result, reason in itertools.product(["achieved", "partly", "not", None], [None, *END_REASONS]):
        due, why = second_half_due(result, reason, policy)
        assert why and isinstance(due, bool)
        if reason == "change":
            expected = False
        elif reason in EARLY_END_REASONS and not policy.pay_early_end:
            expected = False
        else:
            expected = {"achieved": policy.pay_achieved, "partly": policy.pay_partly,
                        "not": policy.pay_not_achieved, None: False}[result]  # fmt: skip
        assert due is expected, (result, reason, policy)
        if not due:
            assert "Geen tweede 50 %" in why or "Nog geen" in why or "geen tweede" in why


def test_the_default_policy_pays_achieved_and_partly_only() -> None:
    p = Policy()
    assert second_half_due("achieved", "31", p)[0] and second_half_due("partly", "34", p)[0]
    assert not second_half_due("not", "31", p)[0]
    assert not second_half_due("achieved", "32", p)[0] and not second_half_due("achieved", "38", p)[0]


@pytest.mark.parametrize("policy", POLICIES[:4])
def test_the_settlement_sql_table_is_the_rule(policy: Policy) -> None:
    """The settlement joins this table in SQL: it must be the rule for every result × end reason."""
    table = policy_table(policy)
    rows = list(zip(table["p_result"], table["p_reason"], table["p_due"], table["p_why"], strict=True))
    assert len(rows) == 3 * (len(END_REASONS) + 1)
    for result, reason, due, why in rows:
        assert (due, why) == second_half_due(result, reason or None, policy)
