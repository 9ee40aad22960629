"""The contract-conversation pack (gesprekspakket): one PDF per provider and period with volumes, spend,
indicators against the regional benchmark (with SVG charts), ratings, waiting times, the early-closure signal
and the open actions from last time.

The figures come from a few set-based queries into one `PackFigures` dataclass (the internal interface the
template needs), then matplotlib draws two SVG charts (a bare Figure with the SVG canvas, settings scoped with
rc_context; text stays text, so the charts' labels are in the PDF's text) embedded as data: URIs, and WeasyPrint
renders the HTML with jeugdregio.pdf.local_fetcher (local files only) and a FontConfiguration reused per thread.

Where a pack's time goes (QUALITY-BAR §1: ≤ 2 s; bench/conversation_pack_workload.py): the queries ~10 %, the two
matplotlib charts ~25 %, WeasyPrint ~65 %: a third of that is drawing the chart SVGs (it lays out SVG text letter
by letter), the rest styling, table layout and text. Measured and kept: SVG, not PNG (Agg at 150 dpi plus PNG
encoding cost more than WeasyPrint saves, and the chart text would leave the PDF's text); fixed table layout with
explicit column widths (no min/max-content measuring of every cell); one font family, the footer included; bars
unclipped (they stay inside the axes); the cyclic GC paused while drawing (see `_gc_paused`).

Small numbers: the pack is for the regional team and the provider itself, so its counts are NOT rounded or
suppressed (the publication rules apply to what is published or leaves the team); the benchmark is the region as
a whole, never another individual provider."""

from __future__ import annotations

import asyncio
import base64
import gc
import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from catalogue.public import list_profiles
from contracts.public import ARRANGEMENTS
from invoicing.public import LEDGER
from jeugdregio.auth import Principal
from jeugdregio.pdf import local_fetcher
from jeugdregio.tables import Region
from jeugdregio.templating import render_template, templates_dir
from quality.models import ContractConversation, ConversationAction, Rating
from quality.rules import Period
from quality.services.conversation_settings import settings_of
from quality.services.conversations import (
    FREQUENCY_LABELS,
    OWNER_LABELS,
    actions_of,
    carried_actions,
    load_conversation,
    provider_name,
)
from quality.services.indicators import INDICATOR_BY_KEY, compute_indicators

ENDED_STATUSES = ("ended", "confirmed", "disputed")
HELP_AGAIN_LABELS = {
    "01": "Ja, evenveel of zwaardere hulp",
    "02": "Ja, lichtere hulp",
    "03": "Nu niet, misschien later",
    "04": "Nee",
}
SMALL_NUMBERS_RULE = (
    "Dit gesprekspakket is vertrouwelijk: alleen voor het regioteam en de aanbieder zelf. Daarom zijn de "
    "aantallen niet afgerond en kleine aantallen niet onderdrukt. Gaan cijfers uit dit pakket naar buiten, dan "
    "gelden de publicatieregels (afronden op 5, 0–7 onderdrukken). De benchmark is de regio als geheel; er staan "
    "geen cijfers van andere afzonderlijke aanbieders in."
)


def early_closure_signal(early: int, ended: int, region_share: float | None) -> bool:
    """The perverse-incentive signal: at least two early closures and a share at least 5 percentage points
    above the region's."""
    if ended == 0 or early < 2:
        return False
    return early / ended >= (region_share or 0.0) + 0.05


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str
    definition: str
    count: int  # the provider's numerator
    base: int  # the provider's denominator
    region_count: int
    region_base: int

    @property
    def share(self) -> float | None:
        return self.count / self.base if self.base else None

    @property
    def region_share(self) -> float | None:
        return self.region_count / self.region_base if self.region_base else None


@dataclass(frozen=True)
class VolumeRow:
    profile: str
    started: int
    ended: int


@dataclass(frozen=True)
class Waiting:
    n: int
    median_days: float | None
    p90_days: float | None
    region_n: int
    region_median_days: float | None


@dataclass(frozen=True)
class Ratings:
    n: int
    mean: float | None
    region_mean: float | None
    help_again: list[tuple[str, int]]
    comments: list[str]


@dataclass(frozen=True)
class ActionLine:
    description: str
    owner: str
    due_on: date
    status: str
    from_period: str


@dataclass
class PackFigures:
    region_name: str
    letterhead: str
    provider_id: int
    provider_name: str
    period_label: str
    period_start: date
    period_end: date
    frequency_label: str
    planned_on: date
    early_weeks: int
    volumes: list[VolumeRow] = field(default_factory=list)
    spend_cents: int = 0
    spend_by_kind: list[tuple[str, int]] = field(default_factory=list)
    region_spend_cents: int = 0
    indicators: list[Indicator] = field(default_factory=list)
    waiting: Waiting | None = None
    ratings: Ratings | None = None
    actions: list[ActionLine] = field(default_factory=list)
    carried: list[ActionLine] = field(default_factory=list)
    notes: str = ""

    @property
    def early(self) -> Indicator:
        return next(i for i in self.indicators if i.key == "share_early_closure")

    @property
    def early_signal(self) -> bool:
        e = self.early
        return early_closure_signal(e.count, e.base, e.region_share)


KIND_LABELS = {
    "start_half": "Eerste helft (start)",
    "result_half": "Tweede helft (resultaat)",
    "month": "Maandbedragen",
    "pxq": "Geleverde eenheden (P×Q)",
    "lump_sum": "Lumpsum",
    "population": "Populatiebekostiging",
    "reversal": "Correcties",
}


async def _volumes(session: AsyncSession, region_id: int, provider_id: int, start: date, end: date) -> list[VolumeRow]:
    a = ARRANGEMENTS
    started = and_(a.c.start_date >= start, a.c.start_date <= end)
    ended = and_(a.c.end_date >= start, a.c.end_date <= end, a.c.status.in_(ENDED_STATUSES))
    rows = (
        await session.execute(
            select(a.c.profile_id, func.count().filter(started), func.count().filter(ended))
            .where(a.c.region_id == region_id, a.c.provider_id == provider_id, started | ended)
            .group_by(a.c.profile_id)
        )
    ).all()
    profiles = {p.id: p for p in await list_profiles(session, region_id)}
    out = [(profiles[r[0]].number if r[0] in profiles else 99, profiles[r[0]].label if r[0] in profiles else "?",
            int(r[1]), int(r[2])) for r in rows]  # fmt: skip
    return [VolumeRow(label, s, e) for _n, label, s, e in sorted(out)]


PACK_INDICATORS = (
    "share_achieved", "share_goals_achieved", "share_dropout", "share_early_closure", "share_transfer",
    "share_over_norm", "share_reentry",
)  # fmt: skip


async def _indicators(session: AsyncSession, c: ContractConversation) -> tuple[list[Indicator], Waiting]:
    """Engineer D's indicators (quality.services.indicators: one GROUPING SETS query per period with the regional
    benchmark): the provider's row beside the benchmark row, for the shares the pack shows and the waiting time."""
    period = Period(c.period_label, c.period_start, c.period_end + timedelta(days=1))
    rows = await compute_indicators(session, region_id=c.region_id, period=period, by=("provider",))
    bench = next(r for r in rows if r.benchmark)
    mine = next((r for r in rows if not r.benchmark and r.provider_id == c.provider_id), None)
    counts = mine.counts if mine else dict.fromkeys(bench.counts, 0)
    out = []
    for key in PACK_INDICATORS:
        ind = INDICATOR_BY_KEY[key]
        out.append(Indicator(key, ind.label, ind.definition, counts[ind.numerator], counts[ind.denominator],
                             bench.counts[ind.numerator], bench.counts[ind.denominator]))  # fmt: skip
    waiting = Waiting(
        counts["n_waiting"], mine.wait_median_days if mine else None, mine.wait_p90_days if mine else None,
        bench.counts["n_waiting"], bench.wait_median_days,
    )  # fmt: skip
    return out, waiting


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


async def _spend(
    session: AsyncSession, region_id: int, provider_id: int, start: date, end: date
) -> tuple[int, list[tuple[str, int]], int]:
    ledger = LEDGER
    in_period = and_(ledger.c.region_id == region_id, ledger.c.period >= start.replace(day=1), ledger.c.period <= end)
    rows = (
        await session.execute(
            select(ledger.c.kind, func.coalesce(func.sum(ledger.c.amount_cents), 0))
            .where(in_period, ledger.c.provider_id == provider_id)
            .group_by(ledger.c.kind)
        )
    ).all()
    region_total = (
        await session.execute(select(func.coalesce(func.sum(ledger.c.amount_cents), 0)).where(in_period))
    ).scalar_one()
    by_kind = sorted(((KIND_LABELS.get(str(k), str(k)), int(v)) for k, v in rows), key=lambda kv: kv[0])
    return sum(v for _k, v in by_kind), by_kind, int(region_total)


async def _ratings(session: AsyncSession, region_id: int, provider_id: int, start: date, end: date) -> Ratings:
    r = Rating
    in_period = and_(col(r.region_id) == region_id, func.date(col(r.submitted_at)) >= start,
                     func.date(col(r.submitted_at)) <= end)  # fmt: skip
    mine = col(r.provider_id) == provider_id
    n, mean, region_mean = (
        await session.execute(
            select(func.count().filter(mine), func.avg(r.usefulness).filter(mine), func.avg(r.usefulness))
            .where(in_period)
        )
    ).one()  # fmt: skip
    again: dict[Any, Any] = dict(
        (await session.execute(
            select(r.help_again, func.count()).where(in_period, mine).group_by(r.help_again)
        )).all()
    )  # fmt: skip
    comments = (
        await session.execute(
            select(r.comment).where(in_period, mine, col(r.comment_status) == "approved")
            .order_by(col(r.submitted_at).desc()).limit(10)
        )
    ).scalars().all()  # fmt: skip
    return Ratings(int(n), _num(mean), _num(region_mean),
                   [(label, int(again.get(code, 0))) for code, label in HELP_AGAIN_LABELS.items()],
                   [str(c) for c in comments])  # fmt: skip


def _action_lines(actions: list[ConversationAction], labels: dict[int, str]) -> list[ActionLine]:
    return [
        ActionLine(a.description, f"{OWNER_LABELS.get(a.owner_side, a.owner_side)}: {a.owner_name}", a.due_on,
                   a.status, labels.get(a.conversation_id, ""))
        for a in actions
    ]


async def pack_figures(session: AsyncSession, conversation: ContractConversation) -> PackFigures:
    c = conversation
    settings = await settings_of(session, c.region_id)
    region = await session.get(Region, c.region_id)
    carried = await carried_actions(session, c)
    labels: dict[int, str] = dict(
        (await session.execute(
            select(ContractConversation.id, ContractConversation.period_label).where(
                col(ContractConversation.id).in_({a.conversation_id for a in carried} | {c.id}))
        )).all()
    )  # fmt: skip
    spend, by_kind, region_spend = await _spend(session, c.region_id, c.provider_id, c.period_start, c.period_end)
    indicators, waiting = await _indicators(session, c)
    return PackFigures(
        region_name=region.name if region else "", letterhead=region.letterhead_address if region else "",
        provider_id=c.provider_id, provider_name=await provider_name(session, c.region_id, c.provider_id),
        period_label=c.period_label, period_start=c.period_start, period_end=c.period_end,
        frequency_label=FREQUENCY_LABELS.get(c.frequency, c.frequency), planned_on=c.planned_on,
        early_weeks=settings.early_closure_weeks,
        volumes=await _volumes(session, c.region_id, c.provider_id, c.period_start, c.period_end),
        spend_cents=spend, spend_by_kind=by_kind, region_spend_cents=region_spend,
        indicators=indicators, waiting=waiting,
        ratings=await _ratings(session, c.region_id, c.provider_id, c.period_start, c.period_end),
        actions=_action_lines(await actions_of(session, c), labels), carried=_action_lines(carried, labels),
        notes=c.notes,
    )  # fmt: skip


# ---- charts (matplotlib, SVG) --------------------------------------------------------------------------------

# Scoped to each chart (rc_context, restored after it): the process-wide settings the dashboard charts use stay as
# they were (the pack used to change them for the rest of the process).
CHART_RC = {"font.size": 8, "font.family": "DejaVu Sans", "svg.fonttype": "none", "svg.hashsalt": "jeugdregio"}


@lru_cache(maxsize=1)
def _matplotlib() -> tuple[Any, Any, Any]:
    """(rc_context, Figure, FigureCanvasSVG), imported once per process. A bare Figure with its own SVG canvas, not
    pyplot: no global figure registry to register in and close, and nothing shared between two charts."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    return rc_context, Figure, FigureCanvasSVG


def _svg_data_uri(fig: Any, canvas: Any) -> str:
    buf = io.BytesIO()
    # one draw: fixed margins (bbox_inches="tight" would draw the figure twice); no date, so the same figures give
    # the same SVG
    canvas.print_svg(buf, metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _frame(size: tuple[float, float], *, left: float, top: float, bottom: float) -> tuple[Any, Any, Any]:
    """(figure, its SVG canvas, one axes) with fixed margins; room above the axes for the legend."""
    _, Figure, Canvas = _matplotlib()
    fig = Figure(figsize=size)
    canvas = Canvas(fig)
    ax = fig.add_subplot()
    fig.subplots_adjust(left=left, right=0.98, top=top, bottom=bottom)
    return fig, canvas, ax


def _finish(ax: Any) -> None:
    """The legend in one row above the axes (never over a bar), and no top or right spine."""
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.02), ncols=2, frameon=False, borderaxespad=0)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def indicator_chart(indicators: list[Indicator], provider: str) -> str:
    """Grouped horizontal bars: the provider's share beside the region's, per indicator (percent)."""
    rc_context, _, _ = _matplotlib()
    with rc_context(CHART_RC):
        return _svg_data_uri(*indicator_figure(indicators, provider))


def indicator_figure(indicators: list[Indicator], provider: str) -> tuple[Any, Any]:
    """The indicator chart's figure and canvas (made inside `rc_context(CHART_RC)`). The legend stands above the
    axes, so it never covers a bar however long the bars are."""
    fig, canvas, ax = _frame((6.4, 3.4), left=0.27, top=0.86, bottom=0.15)
    ys = list(range(len(indicators)))
    mine = [100 * (i.share or 0) for i in indicators]
    region = [100 * (i.region_share or 0) for i in indicators]
    # clip_on=False: the bars stay inside the axes anyway (0-100 %), and unclipped they draw faster in WeasyPrint
    ax.barh([y + 0.2 for y in ys], mine, height=0.4, color="#00457d", label=provider[:40], clip_on=False)
    ax.barh([y - 0.2 for y in ys], region, height=0.4, color="#9bb7d4", label="Regio (benchmark)", clip_on=False)
    ax.set_yticks(ys, [i.label for i in indicators])
    ax.invert_yaxis()
    ax.set_xlabel("procent van de beëindigde arrangementen")
    ax.set_xlim(0, 100)
    _finish(ax)
    return fig, canvas


def volume_chart(volumes: list[VolumeRow]) -> str | None:
    if not volumes:
        return None
    rc_context, _, _ = _matplotlib()
    with rc_context(CHART_RC):
        return _svg_data_uri(*volume_figure(volumes))


def volume_figure(volumes: list[VolumeRow]) -> tuple[Any, Any]:
    """Started and ended arrangements per profile (made inside `rc_context(CHART_RC)`); the legend above the axes."""
    fig, canvas, ax = _frame((6.4, 2.6), left=0.1, top=0.84, bottom=0.13)
    xs = list(range(len(volumes)))
    # clip_on=False: autoscaled, so the bars stay inside the axes
    ax.bar([x - 0.2 for x in xs], [v.started for v in volumes], width=0.4, color="#00457d", label="Gestart",
           clip_on=False)
    ax.bar([x + 0.2 for x in xs], [v.ended for v in volumes], width=0.4, color="#e07b00", label="Beëindigd",
           clip_on=False)
    ax.set_xticks(xs, [v.profile.split(":")[0] for v in volumes])
    ax.set_ylabel("aantal arrangementen")
    _finish(ax)
    return fig, canvas


# ---- the PDF -------------------------------------------------------------------------------------------------

_THREAD = threading.local()


@contextmanager
def _gc_paused() -> Iterator[None]:
    """The cyclic garbage collector paused while a pack is drawn and rendered, then one young-generation collection.
    matplotlib and WeasyPrint allocate a few hundred thousand short-lived objects per pack: with the collector on
    that is ~40 collections, and the older-generation ones also walk every long-lived object of the process (the
    app's or the bench's). Measured: 80-110 ms of collections per pack, ~30 ms with the pause (the final
    collection included); the extra memory meanwhile is ~10 MB. Nested or already disabled: left alone."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect(0)  # the pack's own garbage, now, so its cost stays with the pack


def _font_config() -> Any:
    """This thread's WeasyPrint FontConfiguration, prepared once and reused for every pack (per thread: Pango's
    font map is not thread-safe). WeasyPrint's default is a new one per document, which reloads Fontconfig and
    starts Pango's font and shaping caches cold for every pack: ~10 % of a pack, most of it in the charts' SVG
    text (WeasyPrint lays out SVG text letter by letter). Safe to share between documents: the pack's CSS has no
    @font-face, and the fonts embedded in a PDF are collected per document."""
    config = getattr(_THREAD, "font_config", None)
    if config is None:
        from weasyprint.text.fonts import FontConfiguration

        config = _THREAD.font_config = FontConfiguration()
    return config


def _html_to_pdf(html: str) -> bytes:
    """jeugdregio.pdf.html_to_pdf (the same base URL and local-only fetcher) with the reused FontConfiguration."""
    from weasyprint import HTML

    base_url = templates_dir().resolve().as_uri() + "/"
    document = HTML(string=html, base_url=base_url, url_fetcher=local_fetcher())
    return bytes(document.write_pdf(font_config=_font_config()))


def pack_charts(figures: PackFigures) -> dict[str, str | None]:
    with _gc_paused():
        return {
            "indicator_svg": indicator_chart(figures.indicators, figures.provider_name),
            "volume_svg": volume_chart(figures.volumes),
        }


def render_pack(
    figures: PackFigures, *, generated_at: datetime, charts: dict[str, str | None] | None = None
) -> bytes:
    with _gc_paused():
        html = render_template(
            "pdf/conversation_pack.html", f=figures, generated_at=generated_at, rule=SMALL_NUMBERS_RULE,
            help_again_labels=HELP_AGAIN_LABELS, **(charts if charts is not None else pack_charts(figures)),
        )  # fmt: skip
        return _html_to_pdf(html)


async def conversation_pack(
    session: AsyncSession, principal: Principal, conversation_id: int, *, now: datetime
) -> tuple[bytes, str]:
    """The pack of one conversation the principal may see (team: any in the region; provider: its own).
    Returns (pdf, file name)."""
    conversation = await load_conversation(session, principal, conversation_id)
    figures = await pack_figures(session, conversation)
    # Drawing and rendering take most of a second of CPU: in a worker thread, so the event loop keeps answering
    # the worker's other requests meanwhile (it gets the GIL back every few milliseconds) instead of stalling
    pdf = await asyncio.to_thread(render_pack, figures, generated_at=now)
    return pdf, f"gesprekspakket-{conversation.period_label}-{conversation.id}.pdf"
