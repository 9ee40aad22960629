"""Indicators per provider × profile × municipality × period, each beside the regional benchmark (DOMAIN.md §6).

ONE set-based query (GROUPING SETS, FILTER, percentile_cont) over the read-only handle contracts.public.ARRANGEMENTS
returns the requested breakdown AND the region's benchmark row in the same pass; Python only divides.

Cohorts (each figure's Dutch definition is in INDICATORS and is shown beside it):
- "ended in the period": status ended/confirmed/disputed, end_date inside the period, end reason not 'change'
  (a change of arrangement mid-way is not an outcome: the new arrangement goes on);
- "started in the period": start_date inside the period (inflow, waiting time).

Goal results per goal and the plan's referrer type are not in ARRANGEMENTS: they are read through the read-only
handles contracts.public.GOAL_RESULTS and PLAN_REFERRERS (no identity).
Ratings come from quality's own Rating table (engineer E)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Integer, and_, case, cast, func, literal, literal_column, or_, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from catalogue.public import list_profiles
from contracts.public import ARRANGEMENTS, GOAL_RESULTS, PLAN_REFERRERS
from quality.models import DEFAULT_NORM_DAYS, ConversationSettings, IndicatorSettings, ProfileNorm, Rating
from quality.rules import Period

A = ARRANGEMENTS.c
ENDED_STATUSES = ("ended", "confirmed", "disputed")
LIVE_STATUSES = ("started", "ended", "confirmed", "disputed")
DROPOUT_REASONS = ("32", "33")
TRANSFER_REASON = "38"
HELP_AGAIN_LABELS = {
    "01": "Ja, evenveel of meer hulp",
    "02": "Ja, maar minder hulp",
    "03": "Nu niet, misschien later",
    "04": "Nee",
}
DIMENSIONS: dict[str, Any] = {
    "provider": A.provider_id,
    "profile": A.profile_id,
    "municipality": A.paying_municipality_id,
}


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str
    definition: str
    kind: str  # count | share | days | score
    numerator: str = ""  # for shares: the count it rests on
    denominator: str = ""


INDICATORS: tuple[Indicator, ...] = (
    Indicator("n_started", "Instroom", "Aantal arrangementen met een startdatum in de periode.", "count"),
    Indicator("n_ended", "Beëindigd", "Aantal arrangementen met een einddatum in de periode (een tussentijdse "
              "wijziging van het arrangement telt niet als einde).", "count"),
    Indicator("share_achieved", "Alle doelen behaald", "Aandeel van de beëindigde arrangementen waarin alle doelen "
              "van het gezinsplan behaald zijn (resultaat 'behaald').", "share", "n_achieved", "n_ended"),
    Indicator("share_goals_achieved", "Doelen behaald", "Aandeel behaalde doelen van alle doelen waarover bij het "
              "einde een resultaat is gemeld.", "share", "n_goals_achieved", "n_goals"),
    Indicator("share_dropout", "Uitval", "Aandeel beëindigde arrangementen met einde-reden 32 (voortijdig door de "
              "cliënt) of 33 (voortijdig door de aanbieder).", "share", "n_dropout", "n_ended"),
    Indicator("share_early_closure", "Vroeg afgesloten", "Aandeel beëindigde arrangementen dat binnen het door de "
              "regio gekozen aantal weken na de start eindigde zonder dat alle doelen behaald zijn: het signaal "
              "'afsluiten direct na de eerste betaling'.", "share", "n_early_closure", "n_ended"),
    Indicator("share_transfer", "Overgedragen", "Aandeel beëindigde arrangementen met einde-reden 38 (overgang "
              "naar een andere aanbieder).", "share", "n_transfer", "n_ended"),
    Indicator("wait_median_days", "Wachttijd (mediaan)", "Mediaan van het aantal dagen van akkoord tot start, "
              "over de arrangementen die in de periode startten.", "days", "", "n_waiting"),
    Indicator("wait_p90_days", "Wachttijd (90%)", "90e percentiel van het aantal dagen van akkoord tot start: "
              "negen op de tien startten binnen deze tijd.", "days", "", "n_waiting"),
    Indicator("share_over_norm", "Langer dan de norm", "Aandeel beëindigde arrangementen dat langer duurde (start "
              "tot einde) dan de norm van het zorgprofiel.", "share", "n_over_norm", "n_ended"),
    Indicator("mean_duration_days", "Gemiddelde duur", "Gemiddeld aantal dagen van start tot einde van de "
              "beëindigde arrangementen.", "days", "", "n_ended"),
    Indicator("share_reentry", "Opnieuw hulp", "Aandeel beëindigde arrangementen waarna dezelfde jeugdige "
              "(gepseudonimiseerd) binnen het door de regio gekozen aantal maanden (standaard 12) een nieuw "
              "arrangement startte; een overdracht of wijziging telt niet mee. Voor recent beëindigde "
              "arrangementen is die termijn nog niet om.", "share", "n_reentry", "n_ended"),
    Indicator("rating_mean", "Waardering", "Gemiddeld rapportcijfer (1–10) voor het nut van de hulp, van ouders "
              "en jeugdigen, over de in de periode beëindigde arrangementen; alleen vanaf het door de regio "
              "gekozen minimum aantal waarderingen.", "score", "", "n_ratings"),
)
INDICATOR_BY_KEY = {i.key: i for i in INDICATORS}
COUNT_FIELDS = (
    "n_started", "n_ended", "n_achieved", "n_goals", "n_goals_achieved", "n_dropout", "n_early_closure",
    "n_transfer", "n_over_norm", "n_reentry", "n_waiting", "n_ratings",
)  # fmt: skip


@dataclass(frozen=True)
class IndicatorSettingsView:
    early_closure_weeks: int = 8
    reentry_months: int = 12
    min_ratings_for_score: int = 10
    index_base_period: str | None = None


@dataclass
class IndicatorRow:
    """One group (or the benchmark, all dimensions None) with its counts and measures."""

    provider_id: int | None
    profile_id: int | None
    municipality_id: int | None
    benchmark: bool
    counts: dict[str, int]
    wait_median_days: float | None
    wait_p90_days: float | None
    mean_duration_days: float | None
    rating_sum: int
    help_again: dict[str, int] = field(default_factory=dict)

    def value(self, key: str) -> float | None:
        ind = INDICATOR_BY_KEY[key]
        if ind.kind == "count":
            return float(self.counts[key])
        if ind.kind == "share":
            den = self.counts[ind.denominator]
            return self.counts[ind.numerator] / den if den else None
        if key == "rating_mean":
            n = self.counts["n_ratings"]
            return self.rating_sum / n if n else None
        return getattr(self, key)  # type: ignore[no-any-return]

    def base(self, key: str) -> int:
        """The n a figure rests on."""
        ind = INDICATOR_BY_KEY[key]
        return self.counts[key] if ind.kind == "count" else self.counts[ind.denominator]


async def tune_for_aggregates(session: AsyncSession) -> None:
    """For this transaction only: no JIT (its compile time dominates these sub-second aggregates) and enough
    work_mem to sort and hash a region's arrangements in memory."""
    await session.execute(text("SET LOCAL jit = off"))
    await session.execute(text("SET LOCAL work_mem = '32MB'"))


def goal_results_source() -> Any:
    """contracts.public.GOAL_RESULTS: (region_id, arrangement_id, goal_id, outcome), read-only."""
    return GOAL_RESULTS


def plan_referrers_source() -> Any:
    """contracts.public.PLAN_REFERRERS: (id, region_id, referrer_type) of family plans, read-only, no identity."""
    return PLAN_REFERRERS


async def indicator_settings(session: AsyncSession, region_id: int) -> IndicatorSettingsView:
    ind = (
        await session.execute(select(IndicatorSettings).where(IndicatorSettings.region_id == region_id))  # type: ignore[arg-type]
    ).scalar_one_or_none()
    weeks = (
        await session.execute(
            select(ConversationSettings.early_closure_weeks).where(ConversationSettings.region_id == region_id)  # type: ignore[arg-type]
        )
    ).scalar_one_or_none()
    return IndicatorSettingsView(
        early_closure_weeks=int(weeks) if weeks is not None else 8,
        reentry_months=ind.reentry_months if ind else 12,
        min_ratings_for_score=ind.min_ratings_for_score if ind else 10,
        index_base_period=ind.index_base_period if ind else None,
    )


async def profile_norms(session: AsyncSession, region_id: int) -> dict[int, int]:
    """Duration norm in days per profile id: the region's own, else DEFAULT_NORM_DAYS by complexity."""
    own: dict[int, int] = dict(
        (await session.execute(
            select(ProfileNorm.profile_id, ProfileNorm.norm_days).where(ProfileNorm.region_id == region_id)  # type: ignore[arg-type]
        )).all()
    )  # fmt: skip
    return {
        p.id: int(own.get(p.id, DEFAULT_NORM_DAYS.get(p.complexity, DEFAULT_NORM_DAYS["low"])))
        for p in await list_profiles(session, region_id)
    }


def _base_query(
    region_id: int, period: Period, settings: IndicatorSettingsView, norms: dict[int, int],
    goal_results: Any | None, *, municipality_id: int | None = None, provider_id: int | None = None,
) -> Any:  # fmt: skip
    """One row per arrangement that started or ended in the period, with its flags."""
    later = ARRANGEMENTS.alias("later")
    ended_in = and_(
        A.status.in_(ENDED_STATUSES), A.end_reason.is_distinct_from("change"),
        A.end_date >= period.start, A.end_date < period.end,
    )  # fmt: skip
    started_in = and_(A.start_date >= period.start, A.start_date < period.end, A.status.in_(LIVE_STATUSES))
    reentry = (
        select(literal(1))
        .where(
            later.c.region_id == A.region_id, later.c.youth_pseudonym == A.youth_pseudonym, later.c.id != A.id,
            later.c.status.in_(LIVE_STATUSES), later.c.start_date > A.end_date,
            later.c.start_date <= A.end_date + func.make_interval(0, settings.reentry_months),
            later.c.previous_arrangement_id.is_distinct_from(A.id),
        )
        .exists()
    )
    norm_days: Any = (
        case(norms, value=A.profile_id, else_=DEFAULT_NORM_DAYS["low"]) if norms else literal(DEFAULT_NORM_DAYS["low"])
    )
    cols: list[Any] = [
        A.id, A.provider_id, A.profile_id, A.paying_municipality_id,
        ended_in.label("ended_in"), started_in.label("started_in"),
        A.result, A.end_reason, A.start_date, A.end_date, A.agreed_on,
        norm_days.label("norm_days"),
        case((ended_in, reentry), else_=False).label("reentry"),
    ]  # fmt: skip
    q = select(*cols).where(A.region_id == region_id, or_(ended_in, started_in))
    if municipality_id is not None:
        q = q.where(A.paying_municipality_id == municipality_id)
    if provider_id is not None:
        q = q.where(A.provider_id == provider_id)
    base = q.cte("base")  # referenced three times: materialised once
    ended_ids = select(base.c.id).where(base.c.ended_in)
    goals: Any = None
    if goal_results is not None:
        g = goal_results.c
        goals = (
            select(
                g.arrangement_id, func.count().label("n_goals"),
                func.count().filter(g.outcome == "achieved").label("n_goals_achieved"),
            )
            .where(g.region_id == region_id, g.arrangement_id.in_(ended_ids))
            .group_by(g.arrangement_id)
            .subquery("goals")
        )
    ratings = (
        select(
            Rating.arrangement_id, func.count().label("n_ratings"),  # type: ignore[arg-type]
            func.sum(Rating.usefulness).label("rating_sum"),
            *[func.count().filter(Rating.help_again == code).label(f"help_{code}") for code in HELP_AGAIN_LABELS],  # type: ignore[arg-type]
        )
        .where(Rating.region_id == region_id, Rating.arrangement_id.in_(ended_ids))  # type: ignore[arg-type,union-attr,attr-defined]
        .group_by(Rating.arrangement_id)  # type: ignore[arg-type]
        .subquery("ratings")
    )
    return base, goals, ratings


async def compute_indicators(
    session: AsyncSession,
    *,
    region_id: int,
    period: Period,
    by: tuple[str, ...] = ("provider",),
    settings: IndicatorSettingsView | None = None,
    goal_results: Any | None = None,
    use_public_goal_results: bool = True,
    municipality_id: int | None = None,
    provider_id: int | None = None,
) -> list[IndicatorRow]:
    """The groups of `by` (a subset of provider/profile/municipality) plus the benchmark row (all None,
    benchmark=True) for `period`, in one query. `municipality_id` / `provider_id` restrict everything to that
    municipality's residents / that provider's arrangements (the benchmark row then is their own total;
    callers wanting the regional benchmark call without them). `goal_results`: a table with arrangement_id,
    region_id, outcome (default: GOAL_RESULTS from contracts.public when it exists)."""
    if any(d not in DIMENSIONS for d in by):
        raise ValueError(f"unknown dimension in {by}")
    await tune_for_aggregates(session)
    settings = settings or await indicator_settings(session, region_id)
    norms = await profile_norms(session, region_id)
    if goal_results is None and use_public_goal_results:
        goal_results = goal_results_source()
    base, goals, ratings = _base_query(region_id, period, settings, norms, goal_results,
                                       municipality_id=municipality_id, provider_id=provider_id)  # fmt: skip
    b = base.c
    ended = b.ended_in
    weeks_days = settings.early_closure_weeks * 7
    wait = b.start_date - b.agreed_on
    dims = {"provider": b.provider_id, "profile": b.profile_id, "municipality": b.paying_municipality_id}
    group_cols = [dims[d] for d in by]
    r = ratings.c
    n_goals: Any = func.coalesce(func.sum(goals.c.n_goals).filter(ended), 0) if goals is not None else literal(0)
    n_goals_achieved: Any = (
        func.coalesce(func.sum(goals.c.n_goals_achieved).filter(ended), 0) if goals is not None else literal(0)
    )
    measures: list[Any] = [
        func.count().filter(b.started_in).label("n_started"),
        func.count().filter(ended).label("n_ended"),
        func.count().filter(ended, b.result == "achieved").label("n_achieved"),
        cast(n_goals, Integer).label("n_goals"),
        cast(n_goals_achieved, Integer).label("n_goals_achieved"),
        func.count().filter(ended, b.end_reason.in_(DROPOUT_REASONS)).label("n_dropout"),
        func.count().filter(
            ended, b.end_date < b.start_date + weeks_days, b.result.is_distinct_from("achieved")
        ).label("n_early_closure"),
        func.count().filter(ended, b.end_reason == TRANSFER_REASON).label("n_transfer"),
        func.count().filter(ended, (b.end_date - b.start_date) > b.norm_days).label("n_over_norm"),
        func.count().filter(ended, b.reentry).label("n_reentry"),
        func.count().filter(b.started_in, b.agreed_on.is_not(None)).label("n_waiting"),
        cast(func.coalesce(func.sum(r.n_ratings).filter(ended), 0), Integer).label("n_ratings"),
        cast(func.coalesce(func.sum(r.rating_sum).filter(ended), 0), Integer).label("rating_sum"),
        *[
            cast(func.coalesce(func.sum(getattr(r, f"help_{code}")).filter(ended), 0), Integer).label(f"help_{code}")
            for code in HELP_AGAIN_LABELS
        ],
        func.percentile_cont(0.5).within_group(wait).filter(b.started_in, b.agreed_on.is_not(None)).label("wait_p50"),
        func.percentile_cont(0.9).within_group(wait).filter(b.started_in, b.agreed_on.is_not(None)).label("wait_p90"),
        func.avg(b.end_date - b.start_date).filter(ended).label("mean_duration"),
    ]
    src: Any = base
    if goals is not None:
        src = src.outerjoin(goals, goals.c.arrangement_id == b.id)
    src = src.outerjoin(ratings, r.arrangement_id == b.id)
    benchmark_flag = (
        func.grouping(*group_cols) == (2 ** len(group_cols) - 1) if group_cols else literal(True)
    ).label("is_benchmark")
    q = select(*group_cols, benchmark_flag, *measures).select_from(src)
    if group_cols:
        q = q.group_by(func.grouping_sets(tuple_(*group_cols), literal_column("()")))
    rows = (await session.execute(q)).mappings().all()
    out: list[IndicatorRow] = []
    for row in rows:
        bench = bool(row["is_benchmark"])
        out.append(
            IndicatorRow(
                provider_id=None if bench or "provider" not in by else row["provider_id"],
                profile_id=None if bench or "profile" not in by else row["profile_id"],
                municipality_id=None if bench or "municipality" not in by else row["paying_municipality_id"],
                benchmark=bench,
                counts={k: int(row[k]) for k in COUNT_FIELDS},
                wait_median_days=_f(row["wait_p50"]),
                wait_p90_days=_f(row["wait_p90"]),
                mean_duration_days=_f(row["mean_duration"]),
                rating_sum=int(row["rating_sum"]),
                help_again={code: int(row[f"help_{code}"]) for code in HELP_AGAIN_LABELS},
            )
        )
    if not any(r.benchmark for r in out):  # no arrangement at all: an empty benchmark
        out.append(IndicatorRow(None, None, None, True, dict.fromkeys(COUNT_FIELDS, 0), None, None, None, 0,
                                dict.fromkeys(HELP_AGAIN_LABELS, 0)))  # fmt: skip
    out.sort(key=lambda x: (x.benchmark, x.provider_id or 0, x.profile_id or 0, x.municipality_id or 0))
    return out


def _f(v: Any) -> float | None:
    return None if v is None else float(v)



# ---- the region's indicator settings (team page /team/kwaliteit/instellingen) --------------------------------


@dataclass(frozen=True)
class NormRow:
    profile_id: int
    label: str
    norm_days: int
    own: bool  # the region set it (else the default by complexity)


async def settings_form(session: AsyncSession, region_id: int) -> tuple[IndicatorSettingsView, list[NormRow]]:
    settings = await indicator_settings(session, region_id)
    own: dict[int, int] = dict(
        (await session.execute(
            select(ProfileNorm.profile_id, ProfileNorm.norm_days).where(ProfileNorm.region_id == region_id)  # type: ignore[arg-type]
        )).all()
    )  # fmt: skip
    rows = [
        NormRow(p.id, p.label, int(own.get(p.id, DEFAULT_NORM_DAYS.get(p.complexity, DEFAULT_NORM_DAYS["low"]))),
                p.id in own)
        for p in await list_profiles(session, region_id)
    ]  # fmt: skip
    return settings, rows


def _int_field(data: dict[str, Any], name: str, label: str, low: int, high: int, errors: Any) -> int | None:
    raw = str(data.get(name, "")).strip()
    if not raw.isdigit() or not low <= int(raw) <= high:
        errors.add(name, f"{label}: vul een heel getal in van {low} tot en met {high}.")
        return None
    return int(raw)


async def save_indicator_settings(
    session: AsyncSession, *, region_id: int, data: dict[str, Any], actor: Any, now: Any
) -> None:
    """Minimum ratings for a score, re-entry months, the index base half year and a duration norm per profile
    (empty: the default). Dutch errors per field; one audit event."""
    from sqlalchemy import delete
    from sqlalchemy.dialects.postgresql import insert as pg_insert

    from jeugdregio import audit
    from jeugdregio.errors import ErrorCollector
    from quality.rules import parse_period

    errors = ErrorCollector()
    min_ratings = _int_field(data, "min_waarderingen", "Minimum aantal waarderingen", 10, 1000, errors)
    months = _int_field(data, "herinstroom_maanden", "Termijn opnieuw hulp (maanden)", 1, 60, errors)
    base_raw = str(data.get("basishalfjaar", "")).strip().upper()
    base: str | None = None
    if base_raw:
        try:
            period = parse_period(base_raw)
        except ValueError:
            period = None
        if period is None or period.kind != "half_year":
            errors.add("basishalfjaar", "Basishalfjaar: vul een halfjaar in als 2025-H1, of laat het leeg.")
        else:
            base = period.label
    norms: dict[int, int | None] = {}
    for p in await list_profiles(session, region_id):
        name = f"norm_{p.id}"
        raw = str(data.get(name, "")).strip()
        if not raw:
            norms[p.id] = None
        else:
            norms[p.id] = _int_field(data, name, f"Norm {p.label} (dagen)", 1, 3650, errors)
    errors.raise_if_any()
    assert min_ratings is not None and months is not None
    await session.execute(
        pg_insert(IndicatorSettings)
        .values(region_id=region_id, min_ratings_for_score=min_ratings, reentry_months=months, index_base_period=base)
        .on_conflict_do_update(index_elements=["region_id"], set_={
            "min_ratings_for_score": min_ratings, "reentry_months": months, "index_base_period": base,
        })
    )  # fmt: skip
    await session.execute(delete(ProfileNorm).where(ProfileNorm.region_id == region_id))  # type: ignore[arg-type]
    own = {pid: days for pid, days in norms.items() if days is not None}
    if own:
        await session.execute(
            pg_insert(ProfileNorm).values(
                [{"region_id": region_id, "profile_id": pid, "norm_days": days} for pid, days in own.items()]
            )
        )
    await audit.record(
        session, actor, object_type="quality_indicator_settings", object_id=region_id, action="update", now=now,
        summary={"min_ratings_for_score": min_ratings, "reentry_months": months, "index_base_period": base,
                 "norms": {str(k): v for k, v in own.items()}},
    )  # fmt: skip
