"""Publication rules (DOMAIN.md §6, QUALITY-BAR §3 "Publication"): ONE pure function, `publish_table`, used by
every output shown outside the regional team and by every export.

A table is rows × columns of true counts; its row totals, column totals and grand total are the sums of the
cells and are published with it. The rules:

1. primary suppression: a cell (or total) whose true count is 0–7 (below SUPPRESS_BELOW) is not published;
2. rounding: every published count is rounded to the nearest multiple of ROUND_TO (5);
3. successive publications: a cell is published only when its rounded value differs from EVERY value
   published for that cell before by 0 or by at least SUPPRESS_BELOW — so snapshot minus snapshot never
   shows a change of 1–7 (with rounding to 5: a change of exactly 5 is suppressed);
4. secondary suppression: in every line (a row with its row total, a column with its column total, the
   column of row totals and the row of column totals, each with the grand total) whose total is published
   (a table may leave its row or column totals out: `row_totals` / `column_totals`),
   the suppressed cells are either none, or at least two whose true counts add up to at least
   SUPPRESS_BELOW — otherwise the smallest published cell of the line is suppressed as well (and when
   the line has none left, its total). This repeats until no line changes.

Shares, means, medians and percentiles are published by `publish_share` / `publish_measure` only when the
counts they rest on would be published; provider scores from ratings need at least the region's
`min_ratings_for_score` ratings (`publish_score`).

No session, no I/O, no clock."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

SUPPRESS_BELOW = 8  # counts 0–7 are suppressed (CBS practice); re-exported by quality.public
ROUND_TO = 5
MIN_RATINGS_FOR_SCORE = 10  # the default; a region may set a higher number (QualitySettings)

TOTAL = "Totaal"  # the key of a row/column total
Key = tuple[str, str]  # (row, column); (row, TOTAL) is a row total, (TOTAL, column) a column total

PRIMARY = "primary"
SECONDARY = "secondary"
SUCCESSIVE = "successive"
UNPUBLISHED = "unpublished"  # a total the table does not show
SUPPRESSED_LABEL = "<8"  # what a suppressed cell shows (never the reason: a reason would narrow it down)


def round_count(n: int) -> int:
    """Nearest multiple of ROUND_TO, halves up (12 → 10, 13 → 15)."""
    return ((n + ROUND_TO // 2) // ROUND_TO) * ROUND_TO


def is_small(n: int) -> bool:
    return n < SUPPRESS_BELOW


def change_allowed(value: int, earlier: Iterable[int]) -> bool:
    """A published value may differ from each earlier published value of the same cell by 0 or ≥ 8 only."""
    return all(value == e or abs(value - e) >= SUPPRESS_BELOW for e in earlier)


@dataclass(frozen=True)
class CountTable:
    """True counts: rows × columns (missing cells are 0). Totals are derived, never given."""

    rows: tuple[str, ...]
    columns: tuple[str, ...]
    cells: Mapping[Key, int]
    row_totals: bool = True  # False: the row totals (and so the grand total's row line) are not published
    column_totals: bool = True  # False: the column totals are not published

    def published_total(self, key: Key) -> bool:
        r, c = key
        if r == TOTAL and c == TOTAL:
            return self.row_totals and self.column_totals
        if c == TOTAL:
            return self.row_totals
        if r == TOTAL:
            return self.column_totals
        return True

    def __post_init__(self) -> None:
        if TOTAL in self.rows or TOTAL in self.columns:
            raise ValueError(f"'{TOTAL}' is reserved for totals")
        if len(set(self.rows)) != len(self.rows) or len(set(self.columns)) != len(self.columns):
            raise ValueError("row and column labels must be unique")
        for (r, c), v in self.cells.items():
            if r not in self.rows or c not in self.columns:
                raise ValueError(f"cell {(r, c)} outside the table")
            if v < 0:
                raise ValueError("counts are never negative")

    def value(self, key: Key) -> int:
        r, c = key
        if r == TOTAL and c == TOTAL:
            return sum(self.cells.values())
        if c == TOTAL:
            return sum(self.cells.get((r, col), 0) for col in self.columns)
        if r == TOTAL:
            return sum(self.cells.get((row, c), 0) for row in self.rows)
        return self.cells.get(key, 0)

    def keys(self) -> list[Key]:
        """Every cell and every total, in display order (rows, then the totals row; totals column last)."""
        cols = [*self.columns, TOTAL]
        return [(r, c) for r in [*self.rows, TOTAL] for c in cols]

    def lines(self) -> list[tuple[list[Key], Key]]:
        """(cells, total) for every additive relation in the table."""
        out: list[tuple[list[Key], Key]] = []
        for r in [*self.rows, TOTAL]:
            out.append(([(r, c) for c in self.columns], (r, TOTAL)))
        for c in [*self.columns, TOTAL]:
            out.append(([(r, c) for r in self.rows], (TOTAL, c)))
        return out

    @staticmethod
    def single_column(counts: Mapping[str, int], column: str = "Aantal") -> CountTable:
        """A list of counts with its total (e.g. the most frequent care paths plus 'Overig')."""
        return CountTable(tuple(counts), (column,), {(r, column): v for r, v in counts.items()})


@dataclass(frozen=True)
class Publication:
    """The published table: a rounded count or None (suppressed) per key, and the updated history."""

    table: CountTable
    values: dict[Key, int | None]
    reasons: dict[Key, str]  # why a key is suppressed (internal: tests and the team's audit, never shown)
    history: dict[Key, tuple[int, ...]] = field(default_factory=dict)  # every value ever published per key

    def shown(self, key: Key) -> str:
        v = self.values[key]
        return SUPPRESSED_LABEL if v is None else str(v)

    def grid(self) -> list[list[int | None]]:
        """Rows (with the totals row last) × columns (with the totals column last)."""
        cols = [*self.table.columns, TOTAL]
        return [[self.values[(r, c)] for c in cols] for r in [*self.table.rows, TOTAL]]


def publish_table(table: CountTable, previous: Mapping[Key, Iterable[int]] | None = None) -> Publication:
    """Apply the publication rules to `table`, given every value published before for each key (`previous`,
    e.g. `Publication.history` of the last publication of the same figure). Returns the publication and the
    new history to keep for the next one."""
    earlier = {k: tuple(v) for k, v in (previous or {}).items()}
    keys = table.keys()
    true = {k: table.value(k) for k in keys}
    reasons: dict[Key, str] = {}
    for k in keys:
        if not table.published_total(k):
            reasons[k] = UNPUBLISHED  # never shown: nothing can be subtracted from it
        elif is_small(true[k]):
            reasons[k] = PRIMARY
        elif not change_allowed(round_count(true[k]), earlier.get(k, ())):
            reasons[k] = SUCCESSIVE
    changed = True
    while changed:
        changed = False
        for cells, total in table.lines():
            if total in reasons:
                continue  # an unpublished total gives nothing to subtract from (its own line protects it)
            hidden = [k for k in cells if k in reasons]
            if not hidden or (len(hidden) >= 2 and sum(true[k] for k in hidden) >= SUPPRESS_BELOW):
                continue
            shown = [k for k in cells if k not in reasons]
            victim = min(shown, key=lambda k: (true[k], keys.index(k))) if shown else total
            reasons[victim] = SECONDARY
            changed = True
    values: dict[Key, int | None] = {k: (None if k in reasons else round_count(true[k])) for k in keys}
    history = dict(earlier)
    for k, v in values.items():
        if v is not None and v not in history.get(k, ()):
            history[k] = (*history.get(k, ()), v)
    return Publication(table=table, values=values, reasons=reasons, history=history)


def publish_count(n: int) -> int | None:
    """One stand-alone count (no totals, no history): rounded, or None when 0–7."""
    return None if is_small(n) else round_count(n)


def publish_share(numerator: int, denominator: int) -> float | None:
    """A share k/n is published only when k and n − k would both be published (otherwise k or n − k follows
    from the share and the published n)."""
    if denominator <= 0 or is_small(numerator) or is_small(denominator - numerator):
        return None
    return numerator / denominator


def publish_measure(value: float | None, n: int) -> float | None:
    """A mean/median/percentile over n cases: only when n would be published."""
    return None if value is None or is_small(n) else value


def publish_score(value: float | None, n_ratings: int, min_ratings: int = MIN_RATINGS_FOR_SCORE) -> float | None:
    """A provider score from ratings: only from at least `min_ratings` ratings (region setting)."""
    return None if value is None or n_ratings < max(min_ratings, SUPPRESS_BELOW) else value


def history_to_json(history: Mapping[Key, Iterable[int]]) -> dict[str, list[int]]:
    return {f"{r}\x1f{c}": list(v) for (r, c), v in history.items()}


def history_from_json(data: Mapping[str, Iterable[int]]) -> dict[Key, tuple[int, ...]]:
    out: dict[Key, tuple[int, ...]] = {}
    for key, values in data.items():
        r, _, c = key.partition("\x1f")
        out[(r, c)] = tuple(int(v) for v in values)
    return out


# ---- periods -------------------------------------------------------------------------------------------------

PERIOD_PATTERN = re.compile(r"^(\d{4})(?:-(K[1-4]|H[12]))?$")


@dataclass(frozen=True)
class Period:
    """A quarter (2026-K1), half year (2026-H1) or year (2026): [start, end) with `end` exclusive."""

    label: str
    start: date
    end: date

    @property
    def kind(self) -> str:
        return "year" if "-" not in self.label else ("quarter" if "-K" in self.label else "half_year")

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    def previous(self) -> Period:
        y = self.start.year
        if self.kind == "year":
            return parse_period(str(y - 1))
        n = int(self.label[-1])
        letter = self.label[-2]
        if n > 1:
            return parse_period(f"{y}-{letter}{n - 1}")
        return parse_period(f"{y - 1}-{letter}{4 if letter == 'K' else 2}")


def parse_period(label: str) -> Period:
    """'2026' | '2026-H1' | '2026-K3' → Period; ValueError with a Dutch message otherwise."""
    m = PERIOD_PATTERN.match(label.strip().upper())
    if not m or not 2000 <= int(m.group(1)) <= 2100:
        raise ValueError("Kies een periode als 2026, 2026-H1 (half jaar) of 2026-K1 (kwartaal).")
    year, part = int(m.group(1)), m.group(2)
    if part is None:
        return Period(str(year), date(year, 1, 1), date(year + 1, 1, 1))
    n = int(part[1])
    months = 3 if part[0] == "K" else 6
    first = (n - 1) * months + 1
    end = date(year + 1, 1, 1) if first + months > 12 else date(year, first + months, 1)
    return Period(f"{year}-{part}", date(year, first, 1), end)


def half_years(first: Period, last: Period) -> list[Period]:
    """Every half year from the one holding first.start to the one holding last.start."""
    out: list[Period] = []
    p = parse_period(f"{first.start.year}-H{1 if first.start.month <= 6 else 2}")
    stop = parse_period(f"{last.start.year}-H{1 if last.start.month <= 6 else 2}")
    while p.start <= stop.start:
        out.append(p)
        n = 2 if p.label.endswith("H1") else 1
        p = parse_period(f"{p.start.year + (1 if n == 1 else 0)}-H{n}")
    return out
