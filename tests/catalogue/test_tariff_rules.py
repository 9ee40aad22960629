"""The pure tariff rules: indexation arithmetic in integer cents, Dutch input, periods, the schedule machine."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalogue.tariff_rules import (
    DraftInput,
    format_percentage,
    index_amount,
    parse_draft,
    parse_euro,
    parse_line_edit,
    parse_percentage,
    period_problem,
    schedule_next,
)
from jeugdregio.errors import InvalidTransition, ValidationFailed

amounts = st.integers(min_value=0, max_value=10**10)
basis_points = st.integers(min_value=-10_000, max_value=10_000)


@pytest.mark.parametrize(
    ("old", "bp", "new"),
    [
        (131_400, 0, 131_400),  # 0 % changes nothing
        (131_400, 250, 134_685),  # 2.5 % of € 1.314,00 = € 1.346,85 exactly
        (417_000, 310, 429_927),  # 4170 × 1.031 = 4299.27
        (1, 5_000, 2),  # 1.5 cent: exactly half -> up
        (3, 5_000, 5),  # 4.5 cent -> 5
        (5, 1_000, 6),  # 5.5 cent -> 6
        (1, 4_999, 1),  # 1.4999 cent -> 1
        (15, -1_000, 14),  # 13.5 cent -> 14 (half up, also when indexation is negative)
        (131_400, -250, 128_115),  # -2.5 %: 1281.15
        (99, -10_000, 0),  # -100 %
        (0, 250, 0),
        (137_100, 275, 140_870),  # 1371 × 1.0275 = 1408.7025 -> 1408.70
        (137_100, 277, 140_898),  # 1408.9767 -> 1408.98
    ],
)
def test_index_amount_examples(old: int, bp: int, new: int) -> None:
    assert index_amount(old, bp) == new


def test_index_amount_refuses_negative_input() -> None:
    with pytest.raises(ValueError):
        index_amount(-1, 0)
    with pytest.raises(ValueError):
        index_amount(100, -10_001)


@given(amounts, basis_points)
def test_index_amount_is_within_half_a_cent_and_rounds_half_up(old: int, bp: int) -> None:
    exact = Fraction(old * (10_000 + bp), 10_000)
    new = index_amount(old, bp)
    assert abs(new - exact) <= Fraction(1, 2)
    if exact - int(exact) == Fraction(1, 2):
        assert new == int(exact) + 1  # exactly half a cent goes up
    assert new >= 0


@given(amounts, basis_points, basis_points)
def test_index_amount_is_monotone_in_basis_points(old: int, a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert index_amount(old, low) <= index_amount(old, high)


@given(st.integers(min_value=0, max_value=10**8), st.integers(min_value=0, max_value=10**8), basis_points)
def test_index_amount_is_monotone_in_the_amount(a: int, b: int, bp: int) -> None:
    low, high = sorted((a, b))
    assert index_amount(low, bp) <= index_amount(high, bp)


@pytest.mark.parametrize(
    ("text", "cents"),
    [("1.314,00", 131_400), ("1314", 131_400), ("1314,5", 131_450), ("€ 1.314", 131_400), ("0", 0),
     ("20.090,00", 2_009_000), ("7,24", 724), (" 1 314 ", 131_400)],
)  # fmt: skip
def test_parse_euro(text: str, cents: int) -> None:
    assert parse_euro(text) == cents


@pytest.mark.parametrize("text", ["", "abc", "1,314,00", "1.31", "12,345", "1e5", "--5"])
def test_parse_euro_refuses_garbage(text: str) -> None:
    with pytest.raises(ValueError):
        parse_euro(text)


def test_parse_euro_refuses_negative_with_a_dutch_message() -> None:
    with pytest.raises(ValueError, match="negatief"):
        parse_euro("-1.314,00")


@pytest.mark.parametrize(("text", "bp"), [("2,5", 250), ("2.5", 250), ("-1,25", -125), ("0", 0), ("3 %", 300),
                                          ("+0,01", 1), ("100", 10_000)])  # fmt: skip
def test_parse_percentage(text: str, bp: int) -> None:
    assert parse_percentage(text) == bp
    assert format_percentage(bp).replace(" %", "").replace(",", ".").lstrip("+") == f"{bp / 100:.2f}"


@pytest.mark.parametrize("text", ["", "2,555", "abc", "101", "-100,01"])
def test_parse_percentage_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_percentage(text)


def test_period_problem() -> None:
    jan, dec = date(2026, 1, 1), date(2025, 12, 31)
    assert period_problem([(date(2025, 1, 1), dec), (jan, None)]) is None
    assert period_problem([(jan, None)]) is None
    assert "overlapt" in (period_problem([(date(2025, 1, 1), None), (jan, None)]) or "")
    assert "overlapt" in (period_problem([(date(2025, 1, 1), jan), (jan, None)]) or "")
    assert "gat" in (period_problem([(date(2025, 1, 1), date(2025, 12, 30)), (jan, None)]) or "")


def test_schedule_state_machine() -> None:
    assert schedule_next("draft", "consult") == "consultation"
    assert schedule_next("consultation", "adopt") == "adopted"
    with pytest.raises(InvalidTransition, match="na de consultatie"):
        schedule_next("draft", "adopt")
    with pytest.raises(InvalidTransition, match="al vastgesteld"):
        schedule_next("adopted", "adopt")
    with pytest.raises(InvalidTransition):
        schedule_next("consultation", "edit")


def test_parse_draft_form_and_api() -> None:
    assert parse_draft({"year": "2027", "percentage": "2,5"}) == DraftInput(2027, 250, {}, "")
    api = parse_draft({"year": 2027, "indexation_basis_points": -50,
                       "overrides": [{"arrangement_type_id": 7, "basis_points": 400}]})  # fmt: skip
    assert api == DraftInput(2027, -50, {7: 400}, "")
    with pytest.raises(ValidationFailed) as exc:
        parse_draft({"year": "twee", "percentage": "x"})
    assert set(exc.value.by_field()) == {"year", "percentage"}
    with pytest.raises(ValidationFailed) as exc:
        parse_draft({"year": 2027})
    assert "percentage" in exc.value.by_field()


def test_parse_line_edit_names_the_field_on_a_negative_amount() -> None:
    assert parse_line_edit({"amount": "1.314,00"}).amount_cents == 131_400
    assert parse_line_edit({"percentage": "3"}).basis_points == 300
    with pytest.raises(ValidationFailed) as exc:
        parse_line_edit({"amount": "-10"})
    assert exc.value.by_field()["amount"].startswith("Nieuw tarief:")
    assert "negatief" in exc.value.by_field()["amount"]
    with pytest.raises(ValidationFailed) as exc:
        parse_line_edit({"amount_cents": -1})
    assert "negatief" in exc.value.by_field()["amount_cents"]
