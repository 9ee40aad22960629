"""Tariffs: the lookup used by invoicing (`tariff_on`), the overviews and a single tariff change under a row lock.
The yearly schedule lives in `tariff_schedules`, the tariff list exports in `tariff_exports`.

Services never commit; every state change writes an audit event. Periods of one arrangement type never overlap
or leave a gap: checked here under SELECT … FOR UPDATE on the arrangement type, with the deferred constraint
trigger of migration 0003 as the backstop."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from catalogue.models import ArrangementType, CareProfile, CareSetting, Intensity, Tariff
from catalogue.tariff_rules import period_problem
from jeugdregio import audit
from jeugdregio.audit import Actor
from jeugdregio.errors import NotFound, ValidationFailed
from jeugdregio.templating import datum

PAYMENT_LABELS = {"result_50_50": "Resultaat (50/50)", "monthly": "Per maand", "pxq": "Per eenheid (p×q)",
                  "lump_sum": "Taakgericht (lumpsum)", "population": "Populatiegebonden"}  # fmt: skip


@dataclass(frozen=True)
class TariffView:
    """One tariff period of an arrangement type (amount in cents; valid_until None: open-ended)."""

    id: int
    arrangement_type_id: int
    amount_cents: int
    valid_from: date
    valid_until: date | None
    schedule_id: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {"arrangement_type_id": self.arrangement_type_id, "amount_cents": self.amount_cents,
                "valid_from": self.valid_from.isoformat(),
                "valid_until": self.valid_until.isoformat() if self.valid_until else None}  # fmt: skip


def tariff_view(t: Tariff) -> TariffView:
    assert t.id is not None
    return TariffView(t.id, t.arrangement_type_id, t.amount_cents, t.valid_from, t.valid_until, t.schedule_id)


def _valid_on(day: date) -> Any:
    return and_(col(Tariff.valid_from) <= day, or_(col(Tariff.valid_until).is_(None), col(Tariff.valid_until) >= day))


async def tariff_on(session: AsyncSession, arrangement_type_id: int, day: date) -> TariffView | None:
    """The tariff valid on `day` (valid_from ≤ day ≤ valid_until, or open-ended); None when there is none.
    Invoicing fixes an arrangement's tariff with this on its agreement date."""
    row = (
        await session.execute(select(Tariff).where(Tariff.arrangement_type_id == arrangement_type_id, _valid_on(day)))
    ).scalar_one_or_none()
    return None if row is None else tariff_view(row)


@dataclass(frozen=True)
class TypeRow:
    """An arrangement type with its profile, intensity and setting, and the tariff valid on the requested day."""

    id: int
    code: str
    profile_number: int
    profile_name: str
    intensity_code: str
    intensity_name: str
    setting_code: str
    setting_name: str
    complexity: str
    payment_model: str
    max_months: int | None
    ijw_product_category: str
    ijw_product_code: str
    unit: str
    active: bool
    tariff: TariffView | None = None

    @property
    def payment_label(self) -> str:
        return PAYMENT_LABELS.get(self.payment_model, self.payment_model)

    @property
    def label(self) -> str:
        return f"{self.code} – profiel {self.profile_number}, {self.intensity_name}, {self.setting_name}"

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "code": self.code, "profile": self.profile_number, "intensity": self.intensity_code,
            "setting": self.setting_code, "complexity": self.complexity, "payment_model": self.payment_model,
            "max_months": self.max_months, "ijw_product_category": self.ijw_product_category,
            "ijw_product_code": self.ijw_product_code, "unit": self.unit, "active": self.active,
            "tariff": self.tariff.as_json() if self.tariff else None,
        }  # fmt: skip


def _types_query(region_id: int, day: date) -> Any:
    return (
        select(ArrangementType, CareProfile.number, CareProfile.name, Intensity.code, Intensity.name,
               CareSetting.code, CareSetting.name, Tariff)
        .join(CareProfile, CareProfile.id == ArrangementType.profile_id)
        .join(Intensity, Intensity.id == ArrangementType.intensity_id)
        .join(CareSetting, CareSetting.id == ArrangementType.setting_id)
        .outerjoin(Tariff, and_(Tariff.arrangement_type_id == ArrangementType.id, _valid_on(day)))
        .where(ArrangementType.region_id == region_id)
        .order_by(CareProfile.number, Intensity.sort_order, CareSetting.sort_order, ArrangementType.code)
    )  # fmt: skip


def _type_row(r: Any) -> TypeRow:
    t: ArrangementType = r[0]
    assert t.id is not None
    return TypeRow(
        t.id, t.code, r[1], r[2], r[3], r[4], r[5], r[6], t.complexity, t.payment_model, t.max_months,
        t.ijw_product_category, t.ijw_product_code, t.unit, t.active, tariff_view(r[7]) if r[7] else None,
    )  # fmt: skip


async def arrangement_types(session: AsyncSession, region_id: int, *, on: date) -> list[TypeRow]:
    """Every arrangement type of the region with the tariff valid on `on` (the current tariff for today)."""
    return [_type_row(r) for r in await session.execute(_types_query(region_id, on))]


async def type_history(
    session: AsyncSession, region_id: int, arrangement_type_id: int, *, on: date
) -> tuple[TypeRow, list[TariffView]]:
    """One arrangement type (404 outside the region) with all its tariff periods, newest first."""
    row = (await session.execute(_types_query(region_id, on).where(ArrangementType.id == arrangement_type_id))).first()
    if row is None:
        raise NotFound()
    periods = await session.execute(
        select(Tariff).where(Tariff.arrangement_type_id == arrangement_type_id).order_by(col(Tariff.valid_from).desc())
    )
    return _type_row(row), [tariff_view(t) for t in periods.scalars()]


# ---- one tariff period, under a row lock ----------------------------------------------------------------------


async def lock_type(session: AsyncSession, region_id: int, arrangement_type_id: int) -> ArrangementType:
    row = (
        await session.execute(
            select(ArrangementType)
            .where(ArrangementType.id == arrangement_type_id, ArrangementType.region_id == region_id)
            .with_for_update()
        )
    ).scalar_one_or_none()
    if row is None:
        raise NotFound()
    return row


async def put_period(
    session: AsyncSession, *, region_id: int, type_id: int, amount_cents: int, valid_from: date,
    schedule_id: int | None, now: datetime,
) -> Tariff:  # fmt: skip
    """Insert an open-ended tariff from `valid_from`, closing the open one the day before. The type must be locked.
    Refuses (422) a negative amount and a start that would overlap the periods or leave a gap."""
    if amount_cents < 0:
        raise ValidationFailed.single("amount_cents", "Het tarief mag niet negatief zijn.")
    periods = list(
        (await session.execute(select(Tariff).where(Tariff.arrangement_type_id == type_id)
                               .order_by(col(Tariff.valid_from)))).scalars()
    )  # fmt: skip
    last = periods[-1] if periods else None
    if last is not None:
        if valid_from <= last.valid_from:
            raise ValidationFailed.single(
                "valid_from", f"De geldigheid overlapt: er geldt al een tarief vanaf {datum(last.valid_from)}."
            )
        if last.valid_until is None:
            last.valid_until = valid_from - timedelta(days=1)
        elif valid_from != last.valid_until + timedelta(days=1):
            message = period_problem([(last.valid_from, last.valid_until), (valid_from, None)])
            raise ValidationFailed.single("valid_from", message or "De geldigheid sluit niet aan.")
    tariff = Tariff(region_id=region_id, arrangement_type_id=type_id, amount_cents=amount_cents,
                    valid_from=valid_from, schedule_id=schedule_id, created_at=now)  # fmt: skip
    session.add(tariff)
    await session.flush()
    return tariff


async def set_tariff(
    session: AsyncSession, *, region_id: int, arrangement_type_id: int, amount_cents: int, valid_from: date,
    actor: Actor, now: datetime,
) -> TariffView:  # fmt: skip
    """A new tariff for one arrangement type from `valid_from` (open-ended); the current one ends the day before."""
    await lock_type(session, region_id, arrangement_type_id)
    tariff = await put_period(session, region_id=region_id, type_id=arrangement_type_id, amount_cents=amount_cents,
                              valid_from=valid_from, schedule_id=None, now=now)  # fmt: skip
    await audit.record(
        session, actor, object_type="tariff", object_id=tariff.id, action="create", now=now,
        summary={"arrangement_type": arrangement_type_id, "bedrag_cent": amount_cents, "vanaf": valid_from.isoformat()},
    )  # fmt: skip
    return tariff_view(tariff)
