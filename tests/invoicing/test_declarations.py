"""Declaration services per payment model, the bad-input cases, and M1 (concurrent end declarations)."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError

from contracts.models import Arrangement
from invoicing.models import Declaration, LedgerEntry
from invoicing.rules import halves
from invoicing.services import declarations as decl_service
from invoicing.services.declarations import DeclarationIn, declare, list_declarations
from invoicing.services.settlement import run_settlement
from jeugdregio.auth import Principal
from jeugdregio.errors import Conflict, NotFound, ValidationFailed
from tests.support.invoicing_factories import (
    add_arrangement,
    arrangement_row,
    at,
    build_invoicing,
    finance_actor,
    invoicing_committed,
    provider_actor_of,
)  # fmt: skip

NOW = at(2026, 3, 5)


async def _declare(session, world, data: DeclarationIn, provider_id: int | None = None):  # type: ignore[no-untyped-def]
    pid = provider_id or world.provider_id
    return await declare(session, region_id=world.region.id, provider_id=pid, data=data, channel="web",
                         actor=provider_actor_of(world.region.id, pid), now=NOW)  # fmt: skip


async def test_start_pays_the_first_half_and_starts_the_arrangement_once(session, regions) -> None:
    world = await build_invoicing(session, await regions.create())
    aid = await add_arrangement(session, world, tariff_cents=100_001)
    d = await _declare(session, world, DeclarationIn("start", date(2026, 1, 10), arrangement_id=aid,
                                                     amount_cents=50_000))  # fmt: skip
    assert (d.kind, d.status, d.amount_cents, d.period) == ("start", "accepted", halves(100_001)[0], date(2026, 1, 10))
    assert "eerste 50 %" in d.status_reason and "€ 500,00" in d.status_reason
    row = await arrangement_row(session, aid)
    assert row.status == "started" and row.start_date == date(2026, 1, 10)
    with pytest.raises(Conflict, match="al gestart"):
        await _declare(session, world, DeclarationIn("start", date(2026, 1, 11), arrangement_id=aid))


async def test_an_amount_that_does_not_match_the_tariff_names_both_amounts(session, regions) -> None:
    world = await build_invoicing(session, await regions.create())
    aid = await add_arrangement(session, world, tariff_cents=100_000)
    with pytest.raises(ValidationFailed) as exc:
        await _declare(session, world, DeclarationIn("start", date(2026, 1, 10), arrangement_id=aid,
                                                     amount_cents=60_000))  # fmt: skip
    message = exc.value.by_field()["bedrag_cent"]
    assert "€ 600,00" in message and "€ 500,00" in message


async def test_another_providers_arrangement_is_not_found(session, regions) -> None:
    world = await build_invoicing(session, await regions.create())
    aid = await add_arrangement(session, world, provider_id=world.other_provider_id)
    with pytest.raises(NotFound):
        await _declare(session, world, DeclarationIn("start", date(2026, 1, 10), arrangement_id=aid))
    with pytest.raises(NotFound):
        await _declare(session, world, DeclarationIn("start", date(2026, 1, 10), reference="AR-BESTAAT-NIET"))
    assert (await session.execute(select(Declaration).where(Declaration.arrangement_id == aid))).first() is None


async def test_end_checks_dates_reason_and_goals_then_ends_the_arrangement(session, regions) -> None:
    world = await build_invoicing(session, await regions.create())
    aid = await add_arrangement(session, world, status="started", start_date=date(2026, 1, 10), tariff_cents=80_001)
    with pytest.raises(ValidationFailed) as exc:
        await _declare(session, world, DeclarationIn("end", date(2026, 1, 9), arrangement_id=aid, end_reason="99",
                                                     outcomes={1: "achieved", 2: "not"}))  # fmt: skip
    fields = exc.value.by_field()
    assert "vóór de startdatum 10-01-2026" in fields["datum"] and "reden_einde" in fields
    d = await _declare(session, world, DeclarationIn("end", date(2026, 2, 20), arrangement_id=aid, end_reason="31",
                                                     outcomes={1: "achieved", 2: "not"}))  # fmt: skip
    assert d.amount_cents == halves(80_001)[1] and d.status == "accepted"
    row = await arrangement_row(session, aid)
    assert (row.status, row.end_date, row.result) == ("ended", date(2026, 2, 20), "partly")
    with pytest.raises(Conflict):
        await _declare(session, world, DeclarationIn("end", date(2026, 2, 21), arrangement_id=aid, end_reason="31",
                                                     outcomes={1: "achieved", 2: "not"}))  # fmt: skip


async def test_end_without_an_outcome_for_every_goal_is_refused(session, regions) -> None:
    world = await build_invoicing(session, await regions.create())
    aid = await add_arrangement(session, world, status="started", start_date=date(2026, 1, 10))
    with pytest.raises(ValidationFailed) as exc:
        await _declare(session, world, DeclarationIn("end", date(2026, 2, 20), arrangement_id=aid, end_reason="31",
                                                     outcomes={1: "achieved"}))  # fmt: skip
    assert "doel_2" in exc.value.by_field()


async def test_months_within_the_term_and_the_cap(session, regions) -> None:
    world = await build_invoicing(session, await regions.create())
    aid = await add_arrangement(session, world, model="monthly", status="started", start_date=date(2026, 1, 20),
                                tariff_cents=12_345, max_months=2)  # fmt: skip
    d = await _declare(session, world, DeclarationIn("month", date(2026, 1, 31), arrangement_id=aid))
    assert (d.period, d.amount_cents) == (date(2026, 1, 1), 12_345)
    with pytest.raises(Conflict, match="al gedeclareerd"):
        await _declare(session, world, DeclarationIn("month", date(2026, 1, 1), arrangement_id=aid))
    with pytest.raises(ValidationFailed) as exc:
        await _declare(session, world, DeclarationIn("month", date(2025, 12, 1), arrangement_id=aid))
    assert "buiten de looptijd" in exc.value.by_field()["datum"]
    with pytest.raises(ValidationFailed) as exc:
        await _declare(session, world, DeclarationIn("month", date(2026, 6, 1), arrangement_id=aid))
    assert "toekomst" in exc.value.by_field()["datum"]
    await _declare(session, world, DeclarationIn("month", date(2026, 2, 1), arrangement_id=aid))
    with pytest.raises(ValidationFailed) as exc:
        await _declare(session, world, DeclarationIn("month", date(2026, 3, 1), arrangement_id=aid))
    assert "maximum van 2 maanden" in exc.value.by_field()["datum"]
    with pytest.raises(ValidationFailed) as exc:
        await _declare(session, world, DeclarationIn("pxq", date(2026, 3, 1), arrangement_id=aid, units=1))
    assert "soort" in exc.value.by_field()


async def test_pxq_units_times_the_unit_tariff_within_the_assigned_volume(session, regions) -> None:
    world = await build_invoicing(session, await regions.create())
    aid = await add_arrangement(session, world, model="pxq", status="started", start_date=date(2026, 1, 5),
                                tariff_cents=1_500, assigned_units=20)  # fmt: skip
    with pytest.raises(ValidationFailed) as exc:
        await _declare(session, world, DeclarationIn("pxq", date(2026, 1, 1), arrangement_id=aid, units=-1))
    assert "negatief" in exc.value.by_field()["eenheden"]
    d = await _declare(session, world, DeclarationIn("pxq", date(2026, 1, 1), arrangement_id=aid, units=12,
                                                     amount_cents=18_000))  # fmt: skip
    assert (d.units, d.amount_cents) == (12, 18_000)
    with pytest.raises(ValidationFailed) as exc:
        await _declare(session, world, DeclarationIn("pxq", date(2026, 2, 1), arrangement_id=aid, units=9))
    assert "21" in exc.value.by_field()["eenheden"] and "20" in exc.value.by_field()["eenheden"]


async def test_providers_see_only_their_own_declarations(session, regions) -> None:
    region = await regions.create()
    world = await build_invoicing(session, region)
    mine = await add_arrangement(session, world, tariff_cents=10_000)
    theirs = await add_arrangement(session, world, provider_id=world.other_provider_id, tariff_cents=10_000)
    await _declare(session, world, DeclarationIn("start", date(2026, 1, 10), arrangement_id=mine))
    await _declare(session, world, DeclarationIn("start", date(2026, 1, 10), arrangement_id=theirs),
                   provider_id=world.other_provider_id)  # fmt: skip

    def principal(role: str, **kw: int) -> Principal:
        return Principal(user_id=1, membership_id=1, region_id=region.id, role=role, name="x", email="x@x.nl", **kw)

    own, total = await list_declarations(session, principal("provider", provider_id=world.provider_id))
    assert total == 1 and own[0].reference == (await arrangement_row(session, mine)).reference
    assert (await list_declarations(session, principal("team_finance")))[1] == 2
    assert (await list_declarations(session, principal("referrer")))[1] == 0


# ---- M1: concurrent end declarations ---------------------------------------------------------------------------


@pytest.mark.parametrize("app_lock", [True, False], ids=["app-lock", "db-constraint-only"])
@pytest.mark.parametrize("senders", [2, 8, 16])
async def test_concurrent_end_declarations_accept_exactly_one(maker, regions, monkeypatch, senders, app_lock) -> None:
    monkeypatch.setattr(decl_service, "APP_LOCK", app_lock)
    region = await regions.create()
    world = await invoicing_committed(region)
    async with maker() as s:
        aid = await add_arrangement(s, world, status="started", start_date=date(2026, 1, 10), tariff_cents=90_001)
        await s.commit()

    async def send(i: int) -> str:
        async with maker() as s:
            try:
                await _declare(s, world, DeclarationIn("end", date(2026, 2, 1), arrangement_id=aid, end_reason="31",
                                                       outcomes={1: "achieved", 2: "achieved"}, external_ref=str(i)))
                await s.commit()
                return "accepted"
            except Conflict:
                await s.rollback()
                return "conflict"

    outcomes = await asyncio.gather(*[send(i) for i in range(senders)])
    assert outcomes.count("accepted") == 1 and outcomes.count("conflict") == senders - 1
    async with maker() as s:
        ends = (await s.execute(select(Declaration).where(Declaration.arrangement_id == aid))).scalars().all()
        assert len(ends) == 1
        await s.execute(update(Arrangement).where(Arrangement.id == aid)
                        .values(status="confirmed", confirmed_at=at(2026, 2, 10)))  # fmt: skip
        await s.commit()
    await run_settlement(maker, region_id=region.id, period=date(2026, 2, 1), actor=finance_actor(region.id), now=NOW)
    async with maker() as s:
        paid = (await s.execute(select(LedgerEntry.amount_cents).where(
            LedgerEntry.region_id == region.id, LedgerEntry.kind == "result_half"))).scalars().all()  # fmt: skip
        assert paid == [halves(90_001)[1]]
        # and the database alone refuses a second end declaration, whatever the application does
        with pytest.raises(Exception, match="uq_invoicing_declaration_once"):
            await s.execute(text(
                "INSERT INTO invoicing_declaration (region_id, provider_id, arrangement_id, municipality_id, kind, "
                "period, amount_cents, status, status_reason, channel, external_ref, received_at, checked_at) "
                "SELECT region_id, provider_id, arrangement_id, municipality_id, kind, period, amount_cents, "
                "'accepted', '', 'api', 'x', received_at, checked_at FROM invoicing_declaration WHERE id = :id"),
                {"id": ends[0].id})  # fmt: skip


async def test_a_start_date_outside_the_window_is_an_error_on_the_date_field(session, regions) -> None:
    world = await build_invoicing(session, await regions.create())
    aid = await add_arrangement(session, world, agreed_on=date(2025, 12, 15))
    with pytest.raises(ValidationFailed) as exc:
        await _declare(session, world, DeclarationIn("start", date(2025, 10, 1), arrangement_id=aid))
    assert "datum" in exc.value.by_field()


async def test_no_index_covers_what_settlement_and_payment_change(session) -> None:
    """Settlement and payment update status, reason, amount and the clock of many declarations at once; with no
    index on those columns (not even in a partial index's condition) and half-filled pages, PostgreSQL updates
    them in place on the page (HOT) instead of adding an entry to every index (ADR 0010)."""
    changed = {"status", "status_reason", "amount_cents", "settled_at", "paid_at"}
    indexes = (await session.execute(text(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid), "
        "coalesce(pg_get_expr(i.indpred, i.indrelid), '') FROM pg_index i "
        "WHERE i.indrelid = 'invoicing_declaration'::regclass"))).all()  # fmt: skip
    assert len(indexes) >= 5  # the primary key, the two once-only indexes, provider, arrangement, batch
    for name, definition, condition in indexes:
        columns = definition.split(" USING ", 1)[1]
        assert not [c for c in changed if f"{c}" in columns.replace("withdrawn", "")], (name, definition)
        assert "status" not in condition, (name, condition)
    options = (await session.execute(text(
        "SELECT reloptions FROM pg_class WHERE oid = 'invoicing_declaration'::regclass"))).scalar_one()  # fmt: skip
    assert "fillfactor=50" in (options or [])


async def test_a_withdrawn_declaration_frees_its_place_and_needs_its_flag(session, regions) -> None:
    world = await build_invoicing(session, await regions.create())
    aid = await add_arrangement(session, world, tariff_cents=100_000)
    first = await _declare(session, world, DeclarationIn("start", date(2026, 1, 10), arrangement_id=aid))
    with pytest.raises(IntegrityError, match="withdrawn_is_status"):  # the status alone is refused
        async with session.begin_nested():
            await session.execute(update(Declaration).where(Declaration.id == first.id).values(status="withdrawn"))
    await session.execute(update(Declaration).where(Declaration.id == first.id)
                          .values(status="withdrawn", withdrawn=True))  # fmt: skip
    await session.execute(update(Arrangement).where(Arrangement.id == aid)
                          .values(status="agreed", start_date=None))  # fmt: skip
    again = await _declare(session, world, DeclarationIn("start", date(2026, 1, 12), arrangement_id=aid))
    assert again.id != first.id and again.status == "accepted"
    rows = (await session.execute(select(Declaration.status, Declaration.withdrawn)
                                  .where(Declaration.arrangement_id == aid)
                                  .order_by(Declaration.id))).all()  # type: ignore[arg-type]  # fmt: skip
    assert [tuple(r) for r in rows] == [("withdrawn", True), ("accepted", False)]
