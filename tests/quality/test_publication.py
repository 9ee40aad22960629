"""The publication rules (quality.rules.publish_table): hand-checked examples and Hypothesis properties —
no published or derivable cell below the threshold, also between successive publications (QUALITY-BAR P3)."""

from __future__ import annotations

from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from quality.public import ROUND_TO, SUPPRESS_BELOW
from quality.rules import (
    PRIMARY,
    SECONDARY,
    SUCCESSIVE,
    TOTAL,
    UNPUBLISHED,
    CountTable,
    Key,
    Publication,
    history_from_json,
    history_to_json,
    publish_count,
    publish_measure,
    publish_score,
    publish_share,
    publish_table,
    round_count,
)

# ---- hand-checked examples ---------------------------------------------------------------------------------


def test_rounding_to_five_halves_up() -> None:
    assert [round_count(n) for n in (8, 10, 12, 13, 17, 18, 100)] == [10, 10, 10, 15, 15, 20, 100]
    assert [publish_count(n) for n in (0, 1, 7, 8, 22)] == [None, None, None, 10, 20]


def test_nothing_small_nothing_suppressed() -> None:
    t = CountTable(("A", "B"), ("x", "y"), {("A", "x"): 10, ("A", "y"): 20, ("B", "x"): 30, ("B", "y"): 41})
    pub = publish_table(t)
    assert pub.reasons == {}
    assert pub.grid() == [[10, 20, 30], [30, 40, 70], [40, 60, 100]]  # 101 → 100


def test_a_single_small_cell_takes_the_smallest_neighbour_with_it() -> None:
    #        x   y   z  | tot
    # A      3  20  10  | 33
    # B     30  40  50  | 120
    # tot   33  60  60  | 153
    cells = {("A", "x"): 3, ("A", "y"): 20, ("A", "z"): 10, ("B", "x"): 30, ("B", "y"): 40, ("B", "z"): 50}
    pub = publish_table(CountTable(("A", "B"), ("x", "y", "z"), cells))
    assert pub.reasons[("A", "x")] == PRIMARY
    # row A: the smallest other cell is (A, z) = 10; column x: the only other cell is (B, x) = 30
    assert pub.reasons[("A", "z")] == SECONDARY
    assert pub.reasons[("B", "x")] == SECONDARY
    # column z now has one hidden cell (A, z): (B, z) goes too; row B then has x and z hidden: 80 ≥ 8, fine
    assert pub.reasons[("B", "z")] == SECONDARY
    assert pub.values[("A", "y")] == 20 and pub.values[("B", "y")] == 40
    assert pub.values[("A", TOTAL)] == 35 and pub.values[(TOTAL, TOTAL)] == 155


def test_two_small_cells_adding_up_below_eight_are_not_enough() -> None:
    # 2 + 3 = 5: total − visible cells would show "5 in these two"; a third cell goes
    pub = publish_table(CountTable.single_column({"p": 2, "q": 3, "r": 40, "s": 9}))
    assert pub.values[("p", "Aantal")] is None and pub.values[("q", "Aantal")] is None
    assert pub.reasons[("s", "Aantal")] == SECONDARY
    assert pub.values[("r", "Aantal")] == 40
    assert pub.values[(TOTAL, "Aantal")] == 55


def test_a_cell_equal_to_its_total_hides_the_total() -> None:
    # only one cell, hidden because of a previous publication: the total would show it
    t = CountTable.single_column({"p": 20})
    first = publish_table(t)
    assert first.values[("p", "Aantal")] == 20
    second = publish_table(CountTable.single_column({"p": 25}), first.history)
    assert second.reasons[("p", "Aantal")] == SUCCESSIVE  # 25 − 20 = 5: a change of 1–7
    assert second.values[(TOTAL, "Aantal")] is None


def test_successive_publications_never_show_a_small_change() -> None:
    t1 = CountTable.single_column({"p": 20, "q": 100})
    p1 = publish_table(t1)
    p2 = publish_table(CountTable.single_column({"p": 23, "q": 100}), p1.history)  # 23 → 25: +5 → hidden
    assert p2.values[("p", "Aantal")] is None
    p3 = publish_table(CountTable.single_column({"p": 31, "q": 100}), p2.history)  # 30: +10 vs 20 → shown
    assert p3.values[("p", "Aantal")] == 30
    p4 = publish_table(CountTable.single_column({"p": 24, "q": 100}), p3.history)  # 25: 5 from 20 AND 30
    assert p4.values[("p", "Aantal")] is None
    p5 = publish_table(CountTable.single_column({"p": 21, "q": 100}), p4.history)  # back to 20: same as before
    assert p5.values[("p", "Aantal")] == 20


def test_history_survives_json() -> None:
    pub = publish_table(CountTable(("A",), ("x",), {("A", "x"): 12}))
    assert history_from_json(history_to_json(pub.history)) == pub.history


def test_shares_measures_and_scores() -> None:
    assert publish_share(10, 40) == 0.25
    assert publish_share(3, 40) is None  # 3 would follow from 7.5% × 40
    assert publish_share(36, 40) is None  # 4 not achieved would follow
    assert publish_share(0, 40) is None
    assert publish_share(8, 7) is None
    assert publish_measure(12.0, 7) is None and publish_measure(12.0, 8) == 12.0
    assert publish_score(7.5, 9) is None and publish_score(7.5, 10) == 7.5
    assert publish_score(7.5, 12, min_ratings=15) is None


def test_reserved_labels_and_negative_counts_are_refused() -> None:
    import pytest

    with pytest.raises(ValueError):
        CountTable((TOTAL,), ("x",), {})
    with pytest.raises(ValueError):
        CountTable(("A",), ("x",), {("A", "x"): -1})


# ---- properties ----------------------------------------------------------------------------------------------

small_or_not = st.one_of(st.integers(0, 12), st.integers(0, 200))


@st.composite
def tables(draw: st.DrawFn) -> CountTable:
    n_rows = draw(st.integers(1, 5))
    n_cols = draw(st.integers(1, 4))
    rows = tuple(f"r{i}" for i in range(n_rows))
    cols = tuple(f"c{j}" for j in range(n_cols))
    cells = {(r, c): draw(small_or_not) for r in rows for c in cols}
    return CountTable(rows, cols, cells, row_totals=draw(st.booleans()), column_totals=draw(st.booleans()))


@st.composite
def table_series(draw: st.DrawFn) -> list[CountTable]:
    """Two or three successive versions of one table (same shape, counts drifting)."""
    first = draw(tables())
    series = [first]
    for _ in range(draw(st.integers(1, 2))):
        prev = series[-1]
        cells = {k: max(0, v + draw(st.integers(-12, 12))) for k, v in prev.cells.items()}
        series.append(CountTable(prev.rows, prev.columns, cells, prev.row_totals, prev.column_totals))
    return series


def assert_safe(pub: Publication) -> None:
    t = pub.table
    for k, v in pub.values.items():
        if not t.published_total(k):
            assert v is None, f"{k}: a total the table leaves out was published"
        if v is not None:
            true = t.value(k)
            assert true >= SUPPRESS_BELOW, f"{k}: published a count of {true}"
            assert v % ROUND_TO == 0 and abs(v - true) <= ROUND_TO // 2
    for cells, total in t.lines():
        if pub.values[total] is None:
            continue
        hidden: list[Key] = [k for k in cells if pub.values[k] is None]
        if hidden:
            # total − visible cells = the sum of the hidden ones: never one cell, never a small sum
            assert len(hidden) >= 2, f"line of {total}: one hidden cell {hidden} is derivable"
            assert sum(t.value(k) for k in hidden) >= SUPPRESS_BELOW, f"line of {total}: hidden sum is small"


@settings(max_examples=300, deadline=None)
@given(tables())
def test_no_published_or_derivable_cell_below_the_threshold(table: CountTable) -> None:
    assert_safe(publish_table(table))


@settings(max_examples=300, deadline=None)
@given(table_series())
def test_no_small_difference_between_successive_publications(series: list[CountTable]) -> None:
    pubs: list[Publication] = []
    history: dict[Key, tuple[int, ...]] = {}
    for t in series:
        pub = publish_table(t, history)
        assert_safe(pub)
        pubs.append(pub)
        history = pub.history
    for a, b in combinations(pubs, 2):
        for k, va in a.values.items():
            vb = b.values[k]
            if va is not None and vb is not None:
                assert va == vb or abs(va - vb) >= SUPPRESS_BELOW, f"{k}: {va} then {vb}"


@settings(max_examples=200, deadline=None)
@given(tables())
def test_large_cells_without_history_are_shown_unless_needed_for_protection(table: CountTable) -> None:
    pub = publish_table(table)
    for k, reason in pub.reasons.items():
        assert reason in (PRIMARY, SECONDARY, UNPUBLISHED)
        if reason == PRIMARY:
            assert table.value(k) < SUPPRESS_BELOW


def test_a_table_without_totals_needs_no_secondary_suppression() -> None:
    # users per half year: the sum over half years counts a youth twice and is never shown
    t = CountTable(("Gemeente",), ("H1", "H2", "H3"), {("Gemeente", "H1"): 0, ("Gemeente", "H2"): 45,
                                                        ("Gemeente", "H3"): 60}, row_totals=False,
                   column_totals=False)  # fmt: skip
    pub = publish_table(t)
    assert [pub.values[("Gemeente", c)] for c in ("H1", "H2", "H3")] == [None, 45, 60]
    with_totals = publish_table(CountTable(t.rows, t.columns, t.cells))
    assert with_totals.values[("Gemeente", "H2")] is None  # the row total would give 0 + 45 away
