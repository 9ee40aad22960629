"""The regional dashboard (DOMAIN.md §6): one builder for three scopes.

- region (the regional team, /team/kwaliteit): every provider and municipality, true figures on the page;
- municipality (/gemeente/dashboard): ONLY its own residents (arrangements it pays for), beside the region;
- provider (/portaal/kwaliteit): ONLY its own arrangements, beside the regional benchmark.

Everything a municipality or provider sees, and every export (also the team's), goes through the publication
rules (quality.rules.publish_table and helpers): counts rounded to 5, 0–7 suppressed, secondary suppression,
and, per published figure, no change of 1–7 against earlier publications (history in PublicationHistory).

Tables (keys are used in the export and chart URLs): kerncijfers (indicators), instroom, uitstroom (by end
reason category), verwijzers (referrer types), zorgpaden (care paths), grootteklassen (provider size classes),
bevolking (population figures). Aggregation is SQL; Python formats."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Date, String, and_, case, func, literal, or_, select, values
from sqlalchemy import column as sa_column
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from catalogue.public import list_profiles
from contracts.public import ARRANGEMENTS, REFERRER_TYPES, provider_names
from jeugdregio.auth import Principal
from jeugdregio.errors import NotFound
from jeugdregio.tables import TEAM_ROLES
from quality.models import PublicationHistory
from quality.rules import (
    SUPPRESSED_LABEL,
    TOTAL,
    CountTable,
    Period,
    Publication,
    history_from_json,
    history_to_json,
    is_small,
    parse_period,
    publish_measure,
    publish_score,
    publish_share,
    publish_table,
)
from quality.services.indicators import (
    DROPOUT_REASONS,
    ENDED_STATUSES,
    HELP_AGAIN_LABELS,
    INDICATOR_BY_KEY,
    LIVE_STATUSES,
    TRANSFER_REASON,
    IndicatorRow,
    IndicatorSettingsView,
    compute_indicators,
    indicator_settings,
    plan_referrers_source,
    tune_for_aggregates,
)
from quality.services.population import POPULATION_DEFINITIONS, population_figures

A = ARRANGEMENTS.c
TABLE_KEYS = ("kerncijfers", "hulpvraag", "instroom", "uitstroom", "verwijzers", "zorgpaden", "grootteklassen",
              "bevolking")
CHART_KEYS = ("stromen", "kerncijfers", "bevolking")
INDICATOR_COLUMNS = (
    "n_started", "n_ended", "share_achieved", "share_goals_achieved", "share_dropout", "share_early_closure",
    "share_transfer", "wait_median_days", "wait_p90_days", "share_over_norm", "mean_duration_days",
    "share_reentry", "rating_mean",
)  # fmt: skip
OUTFLOW_CATEGORIES = (
    ("Volgens plan, in overleg of extern (31, 34, 35)", ("31", "34", "35")),
    ("Uitval (32, 33)", DROPOUT_REASONS),
    ("Overgedragen (38)", (TRANSFER_REASON,)),
)
SIZE_CLASSES = ((1, 10, "1–10 jeugdigen"), (11, 50, "11–50 jeugdigen"), (51, 200, "51–200 jeugdigen"),
                (201, None, "meer dan 200 jeugdigen"))  # fmt: skip
TOP_PATHS = 10
HISTORY_PERIODS = 4  # flows and population: the selected period and the three before it


# ---- scope ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    kind: str  # region | municipality | provider
    region_id: int
    municipality_id: int | None = None
    provider_id: int | None = None

    @property
    def public(self) -> bool:
        """Shown outside the regional team: the publication rules apply."""
        return self.kind != "region"

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.municipality_id or self.provider_id or 0}"


def scope_of(principal: Principal) -> Scope:
    if principal.role in TEAM_ROLES:
        return Scope("region", principal.region_id)
    if principal.role == "municipality" and principal.municipality_id is not None:
        return Scope("municipality", principal.region_id, municipality_id=principal.municipality_id)
    if principal.role == "provider" and principal.provider_id is not None:
        return Scope("provider", principal.region_id, provider_id=principal.provider_id)
    raise NotFound()


# ---- cells and tables -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    value: Any  # what the export writes (a published number, SUPPRESSED_LABEL, or text)
    text: str  # what the page shows


@dataclass
class DashTable:
    key: str
    title: str
    header: list[str]
    rows: list[list[Cell]]
    definitions: list[tuple[str, str]] = field(default_factory=list)  # (label, Dutch definition)
    note: str = ""

    def export_rows(self) -> list[list[Any]]:
        return [list(self.header), *[[c.value for c in row] for row in self.rows]]


@dataclass
class Dashboard:
    scope: Scope
    period: Period
    published: bool
    tables: dict[str, DashTable]
    series: dict[str, Any] = field(default_factory=dict)  # chart data (published values only when published)
    own_size_class: str | None = None
    scope_name: str = ""
    built_at: datetime | None = None  # when the figures were computed (quality.services.dashboard_snapshots)


def text_cell(v: str) -> Cell:
    return Cell(v, v)


def count_cell(v: int | None) -> Cell:
    return Cell(SUPPRESSED_LABEL, SUPPRESSED_LABEL) if v is None else Cell(v, f"{v:,}".replace(",", "."))


def pct_cell(v: float | None) -> Cell:
    if v is None:
        return Cell("", "–")
    return Cell(round(v * 100, 1), f"{v * 100:.1f}%".replace(".", ","))


def num_cell(v: float | None, digits: int = 0) -> Cell:
    if v is None:
        return Cell("", "–")
    return Cell(round(v, digits), f"{v:,.{digits}f}".replace(",", "x").replace(".", ",").replace("x", "."))


def euro_cell(cents: float | None) -> Cell:
    if cents is None:
        return Cell("", "–")
    euros = cents / 100
    return Cell(round(euros, 2), "€ " + f"{euros:,.2f}".replace(",", "x").replace(".", ",").replace("x", "."))


# ---- publication with history -----------------------------------------------------------------------------


class Publisher:
    """Publishes CountTables for one scope and period, keeping every published value per cell (so successive
    publications of the same figure never differ by 1–7). `active=False`: the team's own page, true values."""

    def __init__(self, session: AsyncSession, scope: Scope, period: Period, *, active: bool, now: datetime) -> None:
        self.session, self.scope, self.period, self.active, self.now = session, scope, period, active, now

    async def table(
        self, name: str, table: CountTable, *, region_wide: bool = False
    ) -> dict[tuple[str, str], int | None]:
        """`region_wide`: the figure is the region's own (e.g. the benchmark total): one history for every
        scope that shows it, so two municipalities (or a municipality and the team's download) never see it
        change by 1–7 between them."""
        if not self.active:
            return {k: table.value(k) for k in table.keys()}
        # one history per scope, table and period, shared by the page, its charts and its downloads: what one
        # shows, the others show too (two histories could each let a small change through)
        owner = "region:0" if region_wide else self.scope.key
        key = f"{owner}:{name}:{self.period.label}"[:200]
        region_id = self.scope.region_id
        await self.session.execute(
            pg_insert(PublicationHistory)
            .values(region_id=region_id, figure_key=key, history={}, publications=0, updated_at=self.now)
            .on_conflict_do_nothing(index_elements=["region_id", "figure_key"])
        )
        row = (
            await self.session.execute(
                select(PublicationHistory)
                .where(PublicationHistory.region_id == region_id, PublicationHistory.figure_key == key)  # type: ignore[arg-type]
                .with_for_update()
            )
        ).scalar_one()
        pub: Publication = publish_table(table, history_from_json(row.history))
        new_history = history_to_json(pub.history)
        if new_history != row.history:
            row.history = new_history
            row.publications += 1
            row.updated_at = self.now
            await self.session.flush()
        return pub.values


# ---- the builder ----------------------------------------------------------------------------------------------


async def _names(session: AsyncSession, region_id: int, provider_ids: Sequence[int]) -> dict[int, str]:
    names = await provider_names(session, region_id, list(provider_ids))
    return {pid: names.get(pid, f"Aanbieder {pid}") for pid in provider_ids}


async def _municipality_names(session: AsyncSession, region_id: int) -> dict[int, str]:
    from jeugdregio.tables import Municipality

    rows = await session.execute(
        select(Municipality.id, Municipality.name).where(Municipality.region_id == region_id)  # type: ignore[arg-type]
    )
    return {int(i): str(n) for i, n in rows.all()}


def _periods_back(period: Period, n: int) -> list[Period]:
    out = [period]
    while len(out) < n:
        out.insert(0, out[0].previous())
    return out


def _scope_filter(scope: Scope, table_c: Any = A) -> Any:
    conds = [table_c.region_id == scope.region_id]
    if scope.municipality_id is not None:
        conds.append(table_c.paying_municipality_id == scope.municipality_id)
    if scope.provider_id is not None:
        conds.append(table_c.provider_id == scope.provider_id)
    return and_(*conds)


async def build_dashboard(
    session: AsyncSession, scope: Scope, period: Period, *, now: datetime, export: bool = False,
    only: set[str] | None = None, goal_results: Any | None = None, plan_referrers: Any | None = None,
) -> Dashboard:  # fmt: skip
    """The dashboard for `scope` and `period`. Published (rules applied) when the scope is public or for an
    export; `only` limits the work to some tables. `goal_results` / `plan_referrers`: read-only handles (tests;
    default: what contracts.public exports)."""
    published = scope.public or export
    await tune_for_aggregates(session)
    pub = Publisher(session, scope, period, active=published, now=now)
    settings = await indicator_settings(session, scope.region_id)
    dash = Dashboard(scope=scope, period=period, published=published, tables={}, built_at=now)
    munis = await _municipality_names(session, scope.region_id)
    if scope.municipality_id is not None:
        dash.scope_name = munis.get(scope.municipality_id, "")
    elif scope.provider_id is not None:
        dash.scope_name = (await _names(session, scope.region_id, [scope.provider_id]))[scope.provider_id]

    def want(key: str) -> bool:
        return only is None or key in only

    if want("kerncijfers") or want("hulpvraag"):
        dash.tables["kerncijfers"] = await _indicator_table(session, scope, period, pub, settings, goal_results, dash)
        dash.tables["hulpvraag"] = await _help_again_table(pub, dash)
    if want("instroom") or want("uitstroom"):
        inflow, outflow = await _flow_tables(session, scope, period, pub, dash)
        dash.tables["instroom"], dash.tables["uitstroom"] = inflow, outflow
    if want("verwijzers"):
        dash.tables["verwijzers"] = await _referrer_table(session, scope, period, pub, plan_referrers)
    if want("zorgpaden"):
        dash.tables["zorgpaden"] = await _path_table(session, scope, period, pub)
    if want("grootteklassen"):
        dash.tables["grootteklassen"] = await _size_table(session, scope, period, pub, dash)
    if want("bevolking") and scope.kind != "provider":
        dash.tables["bevolking"] = await _population_table(session, scope, period, pub, settings, munis, dash)
    return dash


# ---- kerncijfers ----------------------------------------------------------------------------------------------


def _indicator_cells(row: IndicatorRow, counts: dict[str, int | None], published: bool, min_ratings: int) -> list[Cell]:
    cells: list[Cell] = []
    for key in INDICATOR_COLUMNS:
        ind = INDICATOR_BY_KEY[key]
        if ind.kind == "count":
            cells.append(count_cell(counts[key]))
            continue
        value = row.value(key)
        if ind.kind == "share":
            if published:
                value = publish_share(row.counts[ind.numerator], row.counts[ind.denominator])
                if is_small(row.counts["n_ended"]):  # goals are counted per goal: the youths must be enough too
                    value = None
            cells.append(pct_cell(value))
        elif ind.kind == "days":
            cells.append(num_cell(publish_measure(value, row.base(key)) if published else value))
        else:  # score
            n = row.counts["n_ratings"]
            shown = publish_score(value, n, min_ratings) if published else value
            cells.append(num_cell(shown, 1))
    return cells


async def _indicator_table(
    session: AsyncSession, scope: Scope, period: Period, pub: Publisher, settings: IndicatorSettingsView,
    goal_results: Any | None, dash: Dashboard,
) -> DashTable:  # fmt: skip
    kw: dict[str, Any] = {"settings": settings}
    if goal_results is not None:
        kw["goal_results"] = goal_results
    region_rows = await compute_indicators(
        session, region_id=scope.region_id, period=period, by=("provider",) if scope.kind == "region" else ("profile",),
        **kw,
    )  # fmt: skip
    region = next(r for r in region_rows if r.benchmark)
    labelled: list[tuple[str, IndicatorRow]] = []
    own_total: IndicatorRow | None = None
    if scope.kind == "region":
        groups = [r for r in region_rows if not r.benchmark]
        names = await _names(session, scope.region_id, [r.provider_id for r in groups if r.provider_id is not None])
        labelled = [(names[r.provider_id], r) for r in groups if r.provider_id is not None]
        labelled.sort(key=lambda x: x[0])
        total_label = "Regio"
    else:
        own = await compute_indicators(
            session, region_id=scope.region_id, period=period, by=("profile",),
            municipality_id=scope.municipality_id, provider_id=scope.provider_id, **kw,
        )  # fmt: skip
        profiles = {p.id: p.label for p in await list_profiles(session, scope.region_id)}
        labelled = [(profiles.get(r.profile_id or 0, f"Profiel {r.profile_id}"), r) for r in own if not r.benchmark]
        own_total = next(r for r in own if r.benchmark)
        total_label = "Eigen inwoners, totaal" if scope.kind == "municipality" else "Eigen cliënten, totaal"
    # counts: one additive column per count (rows + the rest = the total), then own total vs the region
    counts: dict[str, dict[str, int | None]] = {label: {} for label, _ in labelled}
    counts[total_label] = {}
    counts["Regio"] = {}
    top = own_total or region
    for key in ("n_started", "n_ended"):
        rows = {label: r.counts[key] for label, r in labelled}
        rest = top.counts[key] - sum(rows.values())
        if rest > 0:
            rows["Overig"] = rest
        values_ = await pub.table(f"kerncijfers:{key}", CountTable.single_column(rows, key))
        for label, _ in labelled:
            counts[label][key] = values_[(label, key)]
        counts[total_label][key] = values_[(TOTAL, key)]
        if own_total is not None:
            vs = await pub.table(
                f"kerncijfers:{key}:regio",
                CountTable.single_column(
                    {"eigen": own_total.counts[key], "overig": region.counts[key] - own_total.counts[key]}, key
                ),
            )
            # the region's total is one figure wherever it shows: checked against the region-wide history too
            shared = await pub.table(f"kerncijfers:{key}", CountTable.single_column({"Regio": region.counts[key]}, key),
                                     region_wide=True)  # fmt: skip
            both = vs[(TOTAL, key)] is not None and shared[(TOTAL, key)] is not None
            counts["Regio"][key] = vs[(TOTAL, key)] if both else None
    min_ratings = settings.min_ratings_for_score
    body = [[text_cell(label), *_indicator_cells(r, counts[label], pub.active, min_ratings)] for label, r in labelled]
    if own_total is not None:
        own_cells = _indicator_cells(own_total, counts[total_label], pub.active, min_ratings)
        body.append([text_cell(total_label), *own_cells])
    region_counts = counts["Regio"] if own_total is not None else counts[total_label]
    body.append([text_cell("Regio (benchmark)"), *_indicator_cells(region, region_counts, pub.active, min_ratings)])
    header = ["Groep", *[INDICATOR_BY_KEY[k].label for k in INDICATOR_COLUMNS]]
    shares = ("share_achieved", "share_dropout", "share_early_closure")
    mine = own_total or region
    dash.series["rows"] = (own_total, region)
    dash.series["kerncijfers"] = {
        "categories": [INDICATOR_BY_KEY[k].label for k in shares],
        "own": [_published_share(mine, k, pub.active) for k in shares] if own_total is not None else None,
        "region": [_published_share(region, k, pub.active) for k in shares],
    }
    return DashTable(
        "kerncijfers", f"Kerncijfers {period.label}", header, body,
        definitions=[(INDICATOR_BY_KEY[k].label, INDICATOR_BY_KEY[k].definition) for k in INDICATOR_COLUMNS]
        + [("Vroeg afgesloten: weken", f"Deze regio rekent met {settings.early_closure_weeks} weken.")],
        note=_rules_note(pub.active),
    )  # fmt: skip


async def _help_again_table(pub: Publisher, dash: Dashboard) -> DashTable:
    """'Do you expect to need help again?' (national outcome set): the answers of the ratings of the arrangements
    ended in the period, own (municipality/provider) beside the region."""
    own, region = dash.series["rows"]
    labels = dict(HELP_AGAIN_LABELS)
    region_counts = {labels[c]: region.help_again.get(c, 0) for c in labels}
    vr = await pub.table("hulpvraag:regio", CountTable.single_column(region_counts, "Regio"), region_wide=True)
    header = ["Antwoord", "Regio", "Aandeel regio"]
    columns = [("Regio", vr)]
    if own is not None:
        own_counts = {labels[c]: own.help_again.get(c, 0) for c in labels}
        vo = await pub.table("hulpvraag:eigen", CountTable.single_column(own_counts, "Eigen"))
        header = ["Antwoord", "Eigen", "Aandeel eigen", "Regio", "Aandeel regio"]
        columns.insert(0, ("Eigen", vo))
    rows: list[list[Cell]] = []
    for label in [*labels.values(), TOTAL]:
        row = [text_cell(label)]
        for col, v in columns:
            n, total = v[(label, col)], v[(TOTAL, col)]
            row += [count_cell(n), pct_cell(n / total if n is not None and total else None)]
        rows.append(row)
    return DashTable(
        "hulpvraag", f"Verwacht u opnieuw hulp nodig te hebben? ({dash.period.label})", header, rows,
        definitions=[("Hulpvraag", "Antwoorden van ouders en jeugdigen op de vraag uit de landelijke uitkomstset "
                      "'Verwacht u in de toekomst opnieuw hulp nodig te hebben?', bij arrangementen die in de "
                      "periode eindigden. Aandelen zijn berekend uit de getoonde (afgeronde) aantallen.")],
        note=_rules_note(pub.active),
    )  # fmt: skip


def _published_share(row: IndicatorRow, key: str, published: bool) -> float | None:
    ind = INDICATOR_BY_KEY[key]
    if published:
        return publish_share(row.counts[ind.numerator], row.counts[ind.denominator])
    return row.value(key)


def _rules_note(published: bool) -> str:
    if not published:
        return "Werkelijke aantallen (alleen voor het regioteam); downloads volgen de publicatieregels."
    return (
        "Volgens de publicatieregels: aantallen afgerond op 5, aantallen van 0 tot en met 7 niet getoond (<8), en "
        "ook cellen waaruit zo'n aantal af te leiden is niet; percentages en gemiddelden alleen bij voldoende "
        "aantallen."
    )


# ---- in- en uitstroom -----------------------------------------------------------------------------------------


async def _flow_tables(
    session: AsyncSession, scope: Scope, period: Period, pub: Publisher, dash: Dashboard
) -> tuple[DashTable, DashTable]:
    periods = _periods_back(period, HISTORY_PERIODS)
    vals = values(sa_column("label", String), sa_column("starts", Date), sa_column("ends", Date), name="periods")
    pv = vals.data([(p.label, p.start, p.end) for p in periods])
    p = pv.c
    ended = and_(A.status.in_(ENDED_STATUSES), A.end_reason.is_distinct_from("change"),
                 A.end_date >= p.starts, A.end_date < p.ends)  # fmt: skip
    started = and_(A.status.in_(LIVE_STATUSES), A.start_date >= p.starts, A.start_date < p.ends)
    cols = [func.count().filter(started).label("inflow")]
    for i, (_label, reasons) in enumerate(OUTFLOW_CATEGORIES):
        cols.append(func.count().filter(ended, A.end_reason.in_(reasons)).label(f"out{i}"))
    q = (
        select(p.label, *cols)
        .select_from(ARRANGEMENTS.join(pv, or_(and_(A.start_date >= p.starts, A.start_date < p.ends),
                                               and_(A.end_date >= p.starts, A.end_date < p.ends))))
        .where(_scope_filter(scope))
        .group_by(p.label)
    )  # fmt: skip
    found = {str(r.label): r for r in (await session.execute(q)).all()}
    labels = [x.label for x in periods]
    inflow = CountTable.single_column({lb: int(found[lb].inflow) if lb in found else 0 for lb in labels}, "Instroom")
    cats = [c for c, _ in OUTFLOW_CATEGORIES]
    out_cells = {
        (lb, c): (int(getattr(found[lb], f"out{i}")) if lb in found else 0)
        for lb in labels for i, c in enumerate(cats)
    }  # fmt: skip
    outflow = CountTable(tuple(labels), tuple(cats), out_cells)
    vin = await pub.table("instroom", inflow)
    vout = await pub.table("uitstroom", outflow)
    in_rows = [[text_cell(lb), count_cell(vin[(lb, "Instroom")])] for lb in labels]
    in_rows.append([text_cell("Totaal"), count_cell(vin[(TOTAL, "Instroom")])])
    out_rows = [[text_cell(lb), *[count_cell(vout[(lb, c)]) for c in cats], count_cell(vout[(lb, TOTAL)])]
                for lb in labels]  # fmt: skip
    totals = [count_cell(vout[(TOTAL, c)]) for c in cats]
    out_rows.append([text_cell("Totaal"), *totals, count_cell(vout[(TOTAL, TOTAL)])])
    dash.series["stromen"] = {
        "categories": labels,
        "inflow": [vin[(lb, "Instroom")] for lb in labels],
        "outflow": [vout[(lb, TOTAL)] for lb in labels],
    }
    who = {"region": "in de regio", "municipality": "voor inwoners van de gemeente", "provider": "bij de aanbieder"}
    inflow_table = DashTable(
        "instroom", "Instroom per periode", ["Periode", "Instroom"], in_rows,
        definitions=[("Instroom", f"Aantal arrangementen {who[scope.kind]} met een startdatum in de periode.")],
        note=_rules_note(pub.active),
    )  # fmt: skip
    outflow_table = DashTable(
        "uitstroom", "Uitstroom per periode, naar einde-reden", ["Periode", *cats, "Uitstroom"], out_rows,
        definitions=[("Uitstroom", f"Aantal arrangementen {who[scope.kind]} met een einddatum in de periode, naar "
                      "einde-reden (iJw); een tussentijdse wijziging van het arrangement telt niet mee."),
                     ("Uitval", INDICATOR_BY_KEY["share_dropout"].definition)],
        note=_rules_note(pub.active),
    )  # fmt: skip
    return inflow_table, outflow_table


# ---- verwijzers -----------------------------------------------------------------------------------------------


async def _referrer_table(
    session: AsyncSession, scope: Scope, period: Period, pub: Publisher, plan_referrers: Any | None
) -> DashTable:
    source = plan_referrers if plan_referrers is not None else plan_referrers_source()
    definition = ("Verwijzingen", "Aantal arrangementen dat in de periode startte, naar het soort verwijzer van het "
                  "gezinsplan (iJw-codelijst COD327).")  # fmt: skip
    labels: dict[str, str] = dict(REFERRER_TYPES)
    s = source.c
    q = (
        select(s.referrer_type, func.count())
        .select_from(ARRANGEMENTS.join(source, s.id == A.plan_id))
        .where(_scope_filter(scope), A.status.in_(LIVE_STATUSES), A.start_date >= period.start,
               A.start_date < period.end)
        .group_by(s.referrer_type)
    )
    found = {str(code): int(n) for code, n in (await session.execute(q)).all()}
    counts = {labels.get(code, code): found.get(code, 0) for code in labels}
    for code, n in found.items():
        if code not in labels:
            counts[code] = n
    v = await pub.table("verwijzers", CountTable.single_column(counts, "Gestart"))
    rows = [[text_cell(lb), count_cell(v[(lb, "Gestart")])] for lb in counts]
    rows.append([text_cell("Totaal"), count_cell(v[(TOTAL, "Gestart")])])
    return DashTable("verwijzers", "Verwijzingen naar soort verwijzer", ["Verwijzer", "Gestart"], rows,
                     definitions=[definition], note=_rules_note(pub.active))  # fmt: skip


# ---- zorgpaden ------------------------------------------------------------------------------------------------


async def _path_table(session: AsyncSession, scope: Scope, period: Period, pub: Publisher) -> DashTable:
    """Care paths: per youth (pseudonym) whose first arrangement (in scope) started in the period, the sequence
    of profiles of all their arrangements in scope up to today; '(opnieuw)' marks a re-entry (a new
    arrangement after an earlier one had ended, not a transfer or change)."""
    # only the youths with a start in the period can have their first start in it (an index range, not the region)
    cohort = select(A.youth_pseudonym).where(
        _scope_filter(scope), A.status.in_(LIVE_STATUSES), A.start_date >= period.start, A.start_date < period.end
    )
    seq = (
        select(
            A.youth_pseudonym, A.profile_id, A.start_date, A.id, A.previous_arrangement_id,
            func.lag(A.end_date).over(partition_by=A.youth_pseudonym, order_by=(A.start_date, A.id)).label("prev_end"),
            func.min(A.start_date).over(partition_by=A.youth_pseudonym).label("first_start"),
        )
        .where(_scope_filter(scope), A.status.in_(LIVE_STATUSES), A.start_date.is_not(None),
               A.youth_pseudonym.in_(cohort))
        .subquery("seq")
    )  # fmt: skip
    s = seq.c
    reentry = and_(s.prev_end.is_not(None), s.start_date > s.prev_end, s.previous_arrangement_id.is_(None))
    step = func.concat(s.profile_id, case((reentry, literal("*")), else_=literal("")))
    paths = (
        select(func.string_agg(step, aggregate_order_by(literal(">"), s.start_date, s.id)).label("path"))
        .where(s.first_start >= period.start, s.first_start < period.end)
        .group_by(s.youth_pseudonym)
        .subquery("paths")
    )  # fmt: skip
    q = select(paths.c.path, func.count().label("n")).group_by(paths.c.path).order_by(func.count().desc(), paths.c.path)
    found = [(str(path), int(n)) for path, n in (await session.execute(q)).all()]
    profiles = {p.id: p.number for p in await list_profiles(session, scope.region_id)}

    def label(path: str) -> str:
        parts = []
        for step_ in path.split(">"):
            again = step_.endswith("*")
            pid = int(step_.rstrip("*"))
            parts.append(f"P{profiles.get(pid, pid)}" + (" (opnieuw)" if again else ""))
        return " → ".join(parts)

    top = found[:TOP_PATHS]
    counts = {label(p): n for p, n in top}
    rest = sum(n for _, n in found[TOP_PATHS:])
    if rest:
        counts["Overige paden"] = rest
    v = await pub.table("zorgpaden", CountTable.single_column(counts, "Jeugdigen"))
    rows = [[text_cell(lb), count_cell(v[(lb, "Jeugdigen")])] for lb in counts]
    rows.append([text_cell("Totaal"), count_cell(v[(TOTAL, "Jeugdigen")])])
    return DashTable(
        "zorgpaden", f"Meest voorkomende zorgpaden (eerste start in {period.label})", ["Zorgpad", "Jeugdigen"], rows,
        definitions=[("Zorgpad", "De opeenvolging van zorgprofielen (P1 = profiel 1) van de arrangementen van één "
                      "jeugdige (gepseudonimiseerd) waarvan het eerste arrangement in de periode startte, tot "
                      "vandaag. '(opnieuw)': een nieuw arrangement nadat een eerder was beëindigd (geen overdracht "
                      "of wijziging).")],
        note=_rules_note(pub.active),
    )  # fmt: skip


# ---- grootteklassen -------------------------------------------------------------------------------------------


def size_class(youths: int) -> str:
    for low, high, label in SIZE_CLASSES:
        if youths >= low and (high is None or youths <= high):
            return label
    return SIZE_CLASSES[0][2]


async def _size_table(
    session: AsyncSession, scope: Scope, period: Period, pub: Publisher, dash: Dashboard
) -> DashTable:
    """Providers by the number of youths with an arrangement running in the period (region-wide: a provider
    sees where it stands among all providers)."""
    per_provider = (
        select(A.provider_id, func.count(func.distinct(A.youth_pseudonym)).label("youths"))
        .where(A.region_id == scope.region_id, A.status.in_(LIVE_STATUSES), A.start_date < period.end,
               or_(A.end_date.is_(None), A.end_date >= period.start))
        .group_by(A.provider_id)
    )
    sizes = {int(pid): int(n) for pid, n in (await session.execute(per_provider)).all()}
    counts = {label: 0 for _, _, label in SIZE_CLASSES}
    for n in sizes.values():
        counts[size_class(n)] += 1
    v = await pub.table("grootteklassen", CountTable.single_column(counts, "Aanbieders"))
    rows = [[text_cell(lb), count_cell(v[(lb, "Aanbieders")])] for lb in counts]
    rows.append([text_cell("Totaal"), count_cell(v[(TOTAL, "Aanbieders")])])
    if scope.provider_id is not None:
        dash.own_size_class = size_class(sizes.get(scope.provider_id, 0)) if sizes.get(scope.provider_id) else None
    return DashTable(
        "grootteklassen", "Aanbieders naar grootteklasse", ["Grootteklasse", "Aanbieders"], rows,
        definitions=[("Grootteklasse", "Aantal verschillende jeugdigen met een arrangement bij de aanbieder dat in de "
                      "periode minstens één dag liep.")],
        note=_rules_note(pub.active),
    )  # fmt: skip


# ---- bevolking ------------------------------------------------------------------------------------------------


async def _population_table(
    session: AsyncSession, scope: Scope, period: Period, pub: Publisher, settings: IndicatorSettingsView,
    munis: dict[int, str], dash: Dashboard,
) -> DashTable:  # fmt: skip
    last = parse_period(f"{period.start.year}-H{1 if period.start.month <= 6 else 2}")
    halves = _periods_back(last, HISTORY_PERIODS)
    fig = await population_figures(
        session, region_id=scope.region_id, periods=halves, municipality_id=scope.municipality_id,
        base_period=settings.index_base_period,
    )  # fmt: skip
    users = await pub.table(
        "bevolking:gebruikers",
        CountTable(tuple(m for m in sorted({r.municipality for r in fig.rows})), tuple(h.label for h in halves),
                   {(r.municipality, r.period): r.users for r in fig.rows},
                   row_totals=False, column_totals=False),  # not shown (a youth counts in several half years)
    )  # fmt: skip
    header = ["Gemeente", "Halfjaar", "Jeugdigen met arrangement", "Jeugdigen 0–17", "Aandeel in zorg",
              "Kosten per gebruiker", "Kosten per inwoner", "Index aandeel", "Index kosten per inwoner",
              "Index kosten per gebruiker"]  # fmt: skip
    rows: list[list[Cell]] = []
    safe: dict[tuple[int, str], bool] = {}
    for r in fig.rows:
        safe[(r.municipality_id, r.period)] = not pub.active or users[(r.municipality, r.period)] is not None
    lines: dict[str, list[float | None]] = {}
    base = fig.base_period
    for r in fig.rows:
        key = (r.municipality_id, r.period)
        ok = safe[key] and (not pub.active or safe.get((r.municipality_id, base), False))
        shown_users = users[(r.municipality, r.period)]
        rows.append([
            text_cell(r.municipality), text_cell(r.period), count_cell(shown_users),
            num_cell(r.youths) if r.youths is not None else Cell("", "onbekend"),
            pct_cell(r.share_in_care if safe[key] else None),
            euro_cell(r.cost_per_user_cents if safe[key] else None),
            euro_cell(r.cost_per_inhabitant_cents if safe[key] else None),
            num_cell(fig.index_share[key] if ok else None),
            num_cell(fig.index_cost_per_inhabitant[key] if ok else None),
            num_cell(fig.index_cost_per_user[key] if ok else None),
        ])  # fmt: skip
        lines.setdefault(r.municipality, []).append(fig.index_cost_per_inhabitant[key] if ok else None)
    dash.series["bevolking"] = {"categories": [h.label for h in halves], "lines": lines, "base": base}
    return DashTable(
        "bevolking", "Bevolkingskengetallen per gemeente per halfjaar", header, rows,
        definitions=[("Jeugdigen met arrangement", POPULATION_DEFINITIONS["users"]),
                     ("Jeugdigen 0–17", POPULATION_DEFINITIONS["youths"]),
                     ("Aandeel in zorg", POPULATION_DEFINITIONS["share_in_care"]),
                     ("Kosten per gebruiker", POPULATION_DEFINITIONS["cost_per_user"]),
                     ("Kosten per inwoner", POPULATION_DEFINITIONS["cost_per_inhabitant"]),
                     ("Index", POPULATION_DEFINITIONS["index"] + f" Basishalfjaar: {base}.")],
        note=_rules_note(pub.active),
    )  # fmt: skip


# ---- charts ---------------------------------------------------------------------------------------------------


def chart_svg(dash: Dashboard, name: str) -> bytes:
    from quality.services.charts import bar_chart_svg, line_chart_svg

    if name == "stromen":
        s = dash.series["stromen"]
        return bar_chart_svg(s["categories"], [("Instroom", s["inflow"]), ("Uitstroom", s["outflow"])],
                             title="Instroom en uitstroom", ylabel="arrangementen")  # fmt: skip
    if name == "kerncijfers":
        s = dash.series["kerncijfers"]
        series = [("Regio", s["region"])]
        if s["own"] is not None:
            series.insert(0, (dash.scope_name or "Eigen", s["own"]))
        return bar_chart_svg(s["categories"], series, title=f"Kerncijfers {dash.period.label}", ylabel="aandeel",
                             percent=True)  # fmt: skip
    if name == "bevolking" and "bevolking" in dash.series:
        s = dash.series["bevolking"]
        return line_chart_svg(s["categories"], list(s["lines"].items()),
                              title=f"Index kosten per inwoner ({s['base']} = 100)", ylabel="index",
                              reference=100)  # fmt: skip
    raise NotFound()


CHART_TITLES = {
    "stromen": "Grafiek: instroom en uitstroom per periode (zie de tabellen Instroom en Uitstroom).",
    "kerncijfers": "Grafiek: alle doelen behaald, uitval en vroeg afgesloten, tegen de regio (tabel Kerncijfers).",
    "bevolking": "Grafiek: index van de kosten per inwoner per gemeente (zie de tabel Bevolkingskengetallen).",
}


def default_period(today: Any) -> Period:
    """The half year before the current one (complete, so figures no longer move much)."""
    current = parse_period(f"{today.year}-H{1 if today.month <= 6 else 2}")
    return current.previous()
