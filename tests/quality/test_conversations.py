"""Contract conversations: the schedule job (quarterly vs yearly, rerun creates nothing new, fixed clock), the pack's
figures on a hand-built fixture, the pack PDF with its charts and text, and actions carried into the next pack."""

from __future__ import annotations

import base64
import io
import threading
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.models import Arrangement, ContractLot, FrameworkContract, Provider
from invoicing.models import LedgerEntry
from jeugdregio.audit import Actor
from jeugdregio.auth import Principal
from jeugdregio.errors import NotFound, ValidationFailed
from quality.models import ContractConversation, ConversationAction, ConversationSettings, Rating, RatingInvitation
from quality.services import conversation_demo
from quality.services import conversation_pack as pack
from quality.services import conversations as svc
from quality.services.indicators import INDICATOR_BY_KEY
from tests.support.factories import RegionFactory
from tests.support.invoicing_factories import InvoicingWorld, add_arrangement, build_invoicing, ledger_source

NOW = datetime(2026, 5, 10, 8, 0, tzinfo=UTC)  # in 2026-K2


def team(region_id: int, role: str = "team_quality") -> Principal:
    return Principal(user_id=0, membership_id=0, region_id=region_id, role=role, name="Team", email="team@test")


def provider_principal(region_id: int, provider_id: int) -> Principal:
    return Principal(user_id=0, membership_id=0, region_id=region_id, role="provider", name="Aanbieder",
                     email="aanbieder@test", provider_id=provider_id)  # fmt: skip


def actor(region_id: int) -> Actor:
    return Actor(user_id=None, label="test", role="team_quality", region_id=region_id)


# ---- pure rules ----------------------------------------------------------------------------------------------


def test_period_of_quarter_half_year_and_year() -> None:
    assert svc.period_of(date(2026, 5, 10), "quarter") == ("2026-K2", date(2026, 4, 1), date(2026, 6, 30))
    assert svc.period_of(date(2026, 12, 31), "quarter") == ("2026-K4", date(2026, 10, 1), date(2026, 12, 31))
    assert svc.period_of(date(2026, 7, 1), "half_year") == ("2026-H2", date(2026, 7, 1), date(2026, 12, 31))
    assert svc.period_of(date(2026, 2, 28), "year") == ("2026", date(2026, 1, 1), date(2026, 12, 31))
    with pytest.raises(ValueError):
        svc.period_of(date(2026, 1, 1), "month")


def test_planned_date_moves_a_weekend_to_monday() -> None:
    assert svc.planned_date(date(2026, 6, 30), 21) == date(2026, 7, 21)  # a Tuesday
    assert svc.planned_date(date(2026, 2, 28), 21) == date(2026, 3, 23)  # Saturday 21 March → Monday 23


def test_early_closure_signal_needs_two_cases_and_five_points_above_the_region() -> None:
    assert pack.early_closure_signal(2, 4, 0.25)
    assert not pack.early_closure_signal(1, 2, 0.0)  # one case is no signal
    assert not pack.early_closure_signal(2, 8, 0.22)  # 25 % vs 22 %: within 5 points
    assert not pack.early_closure_signal(0, 0, None)


# ---- the schedule job ----------------------------------------------------------------------------------------


async def _ended_provider(s: AsyncSession, region_id: int) -> int:
    p = Provider(region_id=region_id, name="Zorg Gestopt", kvk="55555555", agb="97555555", street="Weg 1",
                 postcode="1234 AB", city="Stad", contact_name="X", contact_email="x@example.org", status="ended",
                 admitted_on=date(2025, 1, 1), created_at=NOW)  # fmt: skip
    s.add(p)
    await s.flush()
    assert p.id is not None
    return p.id


async def _high_complex(s: AsyncSession, world: InvoicingWorld, provider_id: int) -> None:
    """An arrangement for profile 9 (high complexity in the test regions) makes the provider high-complex."""
    arrangement_id = await add_arrangement(s, world, provider_id=provider_id, status="started",
                                           start_date=date(2026, 1, 10))  # fmt: skip
    await s.execute(update(Arrangement).where(Arrangement.id == arrangement_id)  # type: ignore[arg-type]
                    .values(profile_id=world.region.profile_ids[9]))  # fmt: skip


async def _conversations(s: AsyncSession, region_id: int) -> list[tuple[int, str, str, date, date, date]]:
    c = ContractConversation
    rows = await s.execute(
        select(c.provider_id, c.frequency, c.period_label, c.period_start, c.period_end, c.planned_on)
        .where(c.region_id == region_id).order_by(c.provider_id, c.period_label)  # type: ignore[arg-type]
    )
    return [tuple(r) for r in rows]  # type: ignore[misc]


async def test_schedule_quarterly_for_high_complex_yearly_for_others_and_rerun_creates_nothing(
    session: AsyncSession, regions: RegionFactory
) -> None:
    region = await regions.create()
    world = await build_invoicing(session, region)
    await _high_complex(session, world, world.provider_id)
    await _ended_provider(session, region.id)

    created = await svc.plan_conversations(session, region.id, actor=actor(region.id), now=NOW)

    assert created == 2  # the ended provider gets none
    assert await _conversations(session, region.id) == [
        (world.provider_id, "quarter", "2026-K2", date(2026, 4, 1), date(2026, 6, 30), date(2026, 7, 21)),
        (world.other_provider_id, "year", "2026", date(2026, 1, 1), date(2026, 12, 31), date(2027, 1, 21)),
    ]
    assert await svc.plan_conversations(session, region.id, actor=actor(region.id), now=NOW) == 0
    assert len(await _conversations(session, region.id)) == 2


async def test_a_lot_for_a_high_complex_profile_makes_a_provider_high_complex(
    session: AsyncSession, regions: RegionFactory
) -> None:
    region = await regions.create()
    world = await build_invoicing(session, region)
    contract = FrameworkContract(region_id=region.id, provider_id=world.other_provider_id, number="RO-T-1",
                                 starts_on=date(2025, 1, 1), created_at=NOW)  # fmt: skip
    session.add(contract)
    await session.flush()
    session.add(ContractLot(region_id=region.id, contract_id=contract.id, profile_id=region.profile_ids[10]))
    await session.flush()
    assert await svc.plan_conversations(session, region.id, actor=actor(region.id), now=NOW) == 2
    assert {(r[0], r[2]) for r in await _conversations(session, region.id)} == {
        (world.provider_id, "2026"), (world.other_provider_id, "2026-K2"),
    }


async def test_schedule_follows_the_region_settings(session: AsyncSession, regions: RegionFactory) -> None:
    region = await regions.create()
    world = await build_invoicing(session, region)
    session.add(ConversationSettings(region_id=region.id, high_complex_frequency="quarter",
                                     other_frequency="half_year", plan_days_after_period=14))  # fmt: skip
    await session.flush()
    assert await svc.plan_conversations(session, region.id, actor=actor(region.id), now=NOW) == 2
    labels = {(r[0], r[2]) for r in await _conversations(session, region.id)}
    assert labels == {(world.provider_id, "2026-H1"), (world.other_provider_id, "2026-H1")}


async def test_the_worker_job_covers_every_region_and_is_idempotent(
    session: AsyncSession, regions: RegionFactory
) -> None:
    region = await regions.create()
    await build_invoicing(session, region)
    summary = await svc.plan_conversations_job(session, now=NOW)
    assert summary["regions"] >= 1 and summary["created"] >= 2
    assert len(await _conversations(session, region.id)) == 2
    again = await svc.plan_conversations_job(session, now=NOW)
    assert again["created"] == 0


def test_the_job_is_in_the_schedule() -> None:
    from jeugdregio.scheduler import schedule

    job = next(j for j in schedule() if j.name == "plan_conversations")
    assert job.fn is svc.plan_conversations_job
    assert job.period(NOW) == "2026-05-10"


# ---- the pack ------------------------------------------------------------------------------------------------


async def _conversation(s: AsyncSession, region_id: int, provider_id: int, label: str, start: date, end: date) -> int:
    values = dict(region_id=region_id, provider_id=provider_id, frequency="quarter", period_label=label,
                  period_start=start, period_end=end, planned_on=svc.planned_date(end, 21), status="planned",
                  created_at=NOW, updated_at=NOW)  # fmt: skip
    t = ContractConversation.__table__  # type: ignore[attr-defined]
    return int((await s.execute(insert(t).values(**values).returning(t.c.id))).scalar_one())


async def _ledger(s: AsyncSession, world: InvoicingWorld, provider_id: int, period: date, cents: int, key: str) -> None:
    source = await ledger_source(s, world.region.id, provider_id, world.municipality_ids[0])
    await s.execute(insert(LedgerEntry).values(
        region_id=world.region.id, period=period, provider_id=provider_id, municipality_id=world.municipality_ids[0],
        kind="start_half", amount_cents=cents, dedupe_key=f"test:{key}", created_at=NOW, **source,
    ))  # fmt: skip


async def _rating(s: AsyncSession, world: InvoicingWorld, arrangement_id: int, usefulness: int, comment: str) -> None:
    inv = RatingInvitation.__table__  # type: ignore[attr-defined]
    invitation_id = (await s.execute(insert(inv).values(
        region_id=world.region.id, arrangement_id=arrangement_id, provider_id=world.provider_id,
        profile_id=world.profile_id, informant="parent", created_at=NOW,
    ).returning(inv.c.id))).scalar_one()  # fmt: skip
    await s.execute(insert(Rating).values(
        region_id=world.region.id, invitation_id=invitation_id, arrangement_id=arrangement_id,
        provider_id=world.provider_id, profile_id=world.profile_id, informant="parent", usefulness=usefulness,
        help_again="03", comment=comment, comment_status="approved",
        submitted_at=datetime(2026, 2, 15, 12, tzinfo=UTC),
    ))  # fmt: skip


async def _pack_world(s: AsyncSession, regions: RegionFactory) -> tuple[InvoicingWorld, int]:  # type: ignore[no-untyped-def]
    """Hand-built 2026-K1 for 'Zorg Een' (4 ended + 1 ended by a change) and 'Zorg Twee' (4 ended, achieved)."""
    region = await regions.create()
    w = await build_invoicing(s, region)
    one, two = w.provider_id, w.other_provider_id
    ended = dict(status="confirmed")
    a1 = await add_arrangement(s, w, start_date=date(2026, 1, 5), end_date=date(2026, 2, 10), end_reason="33",
                               result="not", **ended)  # early (36 days) and dropout  # fmt: skip
    await add_arrangement(s, w, start_date=date(2026, 1, 6), end_date=date(2026, 2, 20), end_reason="31",
                          result="partly", **ended)  # early (45 days)  # fmt: skip
    await add_arrangement(s, w, start_date=date(2025, 10, 1), end_date=date(2026, 3, 1), end_reason="31",
                          result="achieved", **ended)  # fmt: skip
    await add_arrangement(s, w, start_date=date(2025, 9, 1), end_date=date(2026, 3, 15), end_reason="38",
                          result="not", **ended)  # transfer  # fmt: skip
    await add_arrangement(s, w, start_date=date(2025, 11, 1), end_date=date(2026, 1, 31), end_reason="change",
                          **ended)  # a change of arrangement: not in the indicators  # fmt: skip
    for _ in range(4):
        await add_arrangement(s, w, provider_id=two, start_date=date(2025, 6, 1), end_date=date(2026, 2, 1),
                              end_reason="31", result="achieved", **ended)  # fmt: skip
    await add_arrangement(s, w, start_date=date(2026, 4, 2))  # next quarter: outside the period
    await _ledger(s, w, one, date(2026, 2, 1), 50_000, "a")
    await _ledger(s, w, one, date(2026, 3, 1), 50_000, "b")
    await _ledger(s, w, one, date(2026, 4, 1), 7_000, "c")  # outside the period
    await _ledger(s, w, two, date(2026, 1, 1), 100_000, "d")
    await _rating(s, w, a1, 8, "Fijne hulp gekregen")
    conversation_id = await _conversation(s, region.id, one, "2026-K1", date(2026, 1, 1), date(2026, 3, 31))
    return w, conversation_id


async def test_pack_figures_on_a_hand_built_quarter(session: AsyncSession, regions: RegionFactory) -> None:
    w, conversation_id = await _pack_world(session, regions)
    c = await svc.load_conversation(session, team(w.region.id), conversation_id)
    f = await pack.pack_figures(session, c)

    assert f.provider_name == "Zorg Een" and f.period_label == "2026-K1"
    by_key = {i.key: i for i in f.indicators}
    # provider: 4 ended (the change is left out); region: 8 ended
    assert (by_key["share_achieved"].count, by_key["share_achieved"].base) == (1, 4)
    assert (by_key["share_achieved"].region_count, by_key["share_achieved"].region_base) == (5, 8)
    assert (by_key["share_dropout"].count, by_key["share_dropout"].region_count) == (1, 1)
    assert (by_key["share_early_closure"].count, by_key["share_early_closure"].region_count) == (2, 2)
    assert (by_key["share_transfer"].count, by_key["share_transfer"].region_count) == (1, 1)
    assert f.early_signal  # 50 % against 25 % in the region, two cases
    assert [(v.started, v.ended) for v in f.volumes] == [(2, 5)]  # profile 1: two starts, five ends (incl. change)
    assert f.spend_cents == 100_000 and f.region_spend_cents == 200_000
    assert f.waiting is not None and f.waiting.n == 2 and f.waiting.median_days == 21.5  # 21 and 22 days
    assert f.ratings is not None and f.ratings.n == 1 and f.ratings.mean == 8.0
    assert f.ratings.comments == ["Fijne hulp gekregen"]


def _pdf_text(pdf: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


async def test_pack_renders_with_charts_provider_name_and_indicator_labels(
    session: AsyncSession, regions: RegionFactory
) -> None:
    w, conversation_id = await _pack_world(session, regions)
    pdf, filename = await pack.conversation_pack(session, team(w.region.id), conversation_id, now=NOW)

    assert pdf.startswith(b"%PDF") and filename == f"gesprekspakket-2026-K1-{conversation_id}.pdf"
    text = " ".join(_pdf_text(pdf).split())
    labels = [INDICATOR_BY_KEY[key].label for key in pack.PACK_INDICATORS]
    assert "Alle doelen behaald" in labels and "Vroeg afgesloten" in labels
    for expected in ("Zorg Een", *labels, "Signaal: vroegtijdige afsluiting na de eerste betaling", "Wachttijd",
                     "Let op: signaal", "Fijne hulp gekregen", "€ 1.000,00", "8,0"):
        assert expected in text, expected
    # the charts: SVG (matplotlib) embedded as data: URIs, drawn into the PDF (their text stays text)
    c = await svc.load_conversation(session, team(w.region.id), conversation_id)
    f = await pack.pack_figures(session, c)
    chart = pack.indicator_chart(f.indicators, f.provider_name)
    svg = base64.b64decode(chart.split(",", 1)[1]).decode()
    assert chart.startswith("data:image/svg+xml;base64,") and "<svg" in svg and "Alle doelen behaald" in svg
    volume = pack.volume_chart(f.volumes)
    assert volume is not None and "Gestart" in base64.b64decode(volume.split(",", 1)[1]).decode()
    assert "Regio (benchmark)" in text  # the chart's legend: the SVG is drawn into the PDF (its text stays text)
    assert "procent van de beëindigde arrangementen" in text  # the indicator chart's axis label
    assert "aantal arrangementen" in text  # the volume chart's axis label
    from pypdf import PdfReader

    fonts = {str(f.get_object()["/BaseFont"]).split("+", 1)[-1] for page in PdfReader(io.BytesIO(pdf)).pages
             for f in page["/Resources"]["/Font"].values()}  # type: ignore[index]  # fmt: skip
    assert fonts and all(f.startswith("DejaVu-Sans") for f in fonts), fonts  # the page footer too: no serif


def test_pack_charts_leave_matplotlib_and_gc_as_they_were() -> None:
    """The charts scope their settings (the dashboard's charts in the same process keep matplotlib's defaults), give
    the same SVG for the same figures, and the GC pause around them is undone."""
    import gc

    import matplotlib

    indicators = [pack.Indicator(key, INDICATOR_BY_KEY[key].label, "", 1, 4, 5, 8) for key in pack.PACK_INDICATORS]
    volumes = [pack.VolumeRow("Profiel 1: Licht", 2, 5)]
    rc: dict[str, Any] = matplotlib.rcParams  # type: ignore[assignment]  # RcParams only takes literal keys
    before = {k: rc[k] for k in pack.CHART_RC}
    first = pack.indicator_chart(indicators, "Zorg Een")
    assert first == pack.indicator_chart(indicators, "Zorg Een")  # no date, stable ids
    assert "Alle doelen behaald" in base64.b64decode(first.split(",", 1)[1]).decode()  # text stays text
    assert {k: rc[k] for k in pack.CHART_RC} == before
    assert gc.isenabled()
    pack.pack_charts(pack.PackFigures(
        region_name="R", letterhead="", provider_id=1, provider_name="Zorg Een", period_label="2026-K1",
        period_start=date(2026, 1, 1), period_end=date(2026, 3, 31), frequency_label="", planned_on=date(2026, 4, 21),
        early_weeks=8, volumes=volumes, indicators=indicators,
    ))  # fmt: skip
    assert gc.isenabled()
    gc.disable()  # switched off by someone else: left off
    try:
        pack.volume_chart(volumes)
        assert not gc.isenabled()
    finally:
        gc.enable()


async def test_pack_without_ratings_says_so(session: AsyncSession, regions: RegionFactory) -> None:
    region = await regions.create()
    w = await build_invoicing(session, region)
    conversation_id = await _conversation(session, region.id, w.other_provider_id, "2026-K1", date(2026, 1, 1),
                                          date(2026, 3, 31))  # fmt: skip
    pdf, _ = await pack.conversation_pack(session, team(region.id), conversation_id, now=NOW)
    text = " ".join(_pdf_text(pdf).split())
    assert "Zorg Twee" in text and "Nog geen beoordelingen" in text and "Geen signaal" in text


# ---- notes and actions, carried into the next pack -----------------------------------------------------------


async def test_open_actions_are_carried_into_the_next_pack(session: AsyncSession, regions: RegionFactory) -> None:
    region = await regions.create()
    w = await build_invoicing(session, region)
    p = team(region.id)
    earlier = await _conversation(session, region.id, w.provider_id, "2025-K4", date(2025, 10, 1), date(2025, 12, 31))
    current = await _conversation(session, region.id, w.provider_id, "2026-K1", date(2026, 1, 1), date(2026, 3, 31))
    other = await _conversation(session, region.id, w.other_provider_id, "2025-K4", date(2025, 10, 1),
                                date(2025, 12, 31))  # fmt: skip
    kw = dict(actor=actor(region.id), now=NOW)
    await svc.add_action(session, p, earlier, description="Wachtlijst terugdringen", owner_side="provider",
                         owner_name="Jan Jansen", due_on="2026-02-01", **kw)  # fmt: skip
    done = await svc.add_action(session, p, earlier, description="Oude actie klaar", owner_side="team",
                                owner_name="Regioteam", due_on="2026-01-15", **kw)  # fmt: skip
    await svc.add_action(session, p, other, description="Actie van een ander", owner_side="provider",
                         owner_name="Piet", due_on="2026-02-01", **kw)  # fmt: skip
    await svc.set_action_status(session, p, earlier, action_id=str(done.id), status="done", note="", **kw)
    await svc.record_conversation(session, p, earlier, outcome="held", held_on="2026-01-20",
                                  notes="Besproken: wachttijden.", **kw)  # fmt: skip

    detail = await svc.conversation_detail(session, p, current)
    assert [a.description for a in detail.carried] == ["Wachtlijst terugdringen"]
    pdf, _ = await pack.conversation_pack(session, p, current, now=NOW)
    text = " ".join(_pdf_text(pdf).split())
    assert "Wachtlijst terugdringen" in text and "2025-K4" in text
    assert "Oude actie klaar" not in text and "Actie van een ander" not in text
    events = (await session.execute(
        select(func.count()).select_from(ConversationAction).where(ConversationAction.region_id == region.id)  # type: ignore[arg-type]
    )).scalar_one()  # fmt: skip
    assert events == 3


async def test_actions_and_notes_validate_their_fields(session: AsyncSession, regions: RegionFactory) -> None:
    region = await regions.create()
    w = await build_invoicing(session, region)
    p = team(region.id)
    cid = await _conversation(session, region.id, w.provider_id, "2026-K1", date(2026, 1, 1), date(2026, 3, 31))
    kw = dict(actor=actor(region.id), now=NOW)
    with pytest.raises(ValidationFailed) as exc:
        await svc.add_action(session, p, cid, description=" ", owner_side="iemand", owner_name="", due_on="morgen",
                             **kw)  # fmt: skip
    assert set(exc.value.by_field()) == {"omschrijving", "eigenaar", "naam", "deadline"}
    with pytest.raises(ValidationFailed) as exc:
        await svc.record_conversation(session, p, cid, outcome="held", held_on="2027-01-01", notes="", **kw)
    assert "gehouden_op" in exc.value.by_field()
    with pytest.raises(ValidationFailed):
        await svc.record_conversation(session, p, cid, outcome="cancelled", held_on="", notes="", **kw)


async def test_a_provider_reaches_only_its_own_conversations_and_actions(
    session: AsyncSession, regions: RegionFactory
) -> None:
    region = await regions.create()
    w = await build_invoicing(session, region)
    mine = await _conversation(session, region.id, w.provider_id, "2026-K1", date(2026, 1, 1), date(2026, 3, 31))
    theirs = await _conversation(session, region.id, w.other_provider_id, "2026-K1", date(2026, 1, 1),
                                 date(2026, 3, 31))  # fmt: skip
    kw = dict(actor=actor(region.id), now=NOW)
    own_action = await svc.add_action(session, team(region.id), mine, description="Rapportage aanleveren",
                                      owner_side="provider", owner_name="Jan", due_on="2026-06-01", **kw)  # fmt: skip
    team_action = await svc.add_action(session, team(region.id), mine, description="Tarief bespreken",
                                       owner_side="team", owner_name="Regioteam", due_on="2026-06-01",
                                       **kw)  # fmt: skip
    me = provider_principal(region.id, w.provider_id)
    assert [r.id for r in await svc.list_conversations(session, me)] == [mine]
    with pytest.raises(NotFound):
        await svc.conversation_detail(session, me, theirs)
    with pytest.raises(NotFound):
        await pack.conversation_pack(session, me, theirs, now=NOW)
    with pytest.raises(NotFound):  # a team-owned action is not the provider's to update
        await svc.set_action_status(session, me, mine, action_id=str(team_action.id), status="done", note="", **kw)
    with pytest.raises(NotFound):  # nor can it add actions or write notes
        await svc.add_action(session, me, mine, description="x", owner_side="team", owner_name="x",
                             due_on="2026-06-01", **kw)  # fmt: skip
    updated = await svc.set_action_status(session, me, mine, action_id=str(own_action.id), status="done",
                                          note="Aangeleverd op 1 juni", **kw)  # fmt: skip
    assert updated.status == "done"
    municipality = Principal(user_id=0, membership_id=0, region_id=region.id, role="municipality", name="G",
                             email="g@test", municipality_id=w.municipality_ids[0])  # fmt: skip
    assert await svc.list_conversations(session, municipality) == []
    other_region = await regions.create()
    with pytest.raises(NotFound):
        await svc.conversation_detail(session, team(other_region.id), mine)


async def test_demo_conversations_hold_the_past_ones_with_actions_carried_forward(
    session: AsyncSession, regions: RegionFactory
) -> None:
    region = await regions.create()
    w = await build_invoicing(session, region)  # two low-complex providers: yearly conversations
    # 2025 and 2026, per provider
    assert await conversation_demo.seed_conversations_demo(session, region.id, now=NOW) == 4
    rows = await svc.list_conversations(session, team(region.id))
    assert sorted((r.provider_id, r.period_label, r.status) for r in rows) == sorted([
        (w.provider_id, "2025", "held"), (w.provider_id, "2026", "planned"),
        (w.other_provider_id, "2025", "held"), (w.other_provider_id, "2026", "planned"),
    ])  # fmt: skip
    current = next(r for r in rows if r.provider_id == w.provider_id and r.period_label == "2026")
    detail = await svc.conversation_detail(session, team(region.id), current.id)
    assert [(a.owner_side, a.status) for a in detail.carried] == [("provider", "open")]
    assert await conversation_demo.seed_conversations_demo(session, region.id, now=NOW) == 4  # a rerun adds nothing
    n = (await session.execute(select(func.count()).select_from(ConversationAction)
                               .where(ConversationAction.region_id == region.id))).scalar_one()  # type: ignore[arg-type]  # fmt: skip
    assert n == 4


async def test_the_pack_is_drawn_and_rendered_off_the_event_loop(
    session: AsyncSession, regions: RegionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Most of a second of CPU: it runs in a worker thread, so the worker's event loop keeps answering meanwhile."""
    w, conversation_id = await _pack_world(session, regions)
    render, threads = pack.render_pack, []

    def recorded(*args: Any, **kwargs: Any) -> bytes:
        threads.append(threading.get_ident())
        return render(*args, **kwargs)

    monkeypatch.setattr(pack, "render_pack", recorded)
    pdf, _ = await pack.conversation_pack(session, team(w.region.id), conversation_id, now=NOW)
    assert pdf.startswith(b"%PDF") and "Zorg Een" in _pdf_text(pdf)
    assert threads and threads[0] != threading.get_ident()


def test_the_legends_stand_above_the_bars_and_inside_the_chart() -> None:
    """Full bars (100 %) reach every corner of the axes: a legend inside them would cover some."""
    from matplotlib import rc_context

    full = [pack.Indicator(key, INDICATOR_BY_KEY[key].label, "", 5, 5, 8, 8) for key in pack.PACK_INDICATORS]
    volumes = [pack.VolumeRow(f"Profiel {n}: X", 40, 40) for n in range(1, 11)]
    with rc_context(pack.CHART_RC):
        for fig, _canvas in (pack.indicator_figure(full, "Zorgaanbieder Met Een Heel Lange Naam B.V."),
                             pack.volume_figure(volumes)):  # fmt: skip
            fig.draw_without_rendering()
            ax = fig.axes[0]
            legend = ax.get_legend().get_window_extent()
            assert not legend.overlaps(ax.get_window_extent()), (legend, ax.get_window_extent())
            assert fig.bbox.x0 <= legend.x0 and legend.x1 <= fig.bbox.x1 and legend.y1 <= fig.bbox.y1
