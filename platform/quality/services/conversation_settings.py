"""The region's contract-conversation settings: the rhythm with high-complex and other providers, how long after a
period its conversation is planned, and the early-closure window (also used by the indicators). Defaults apply
while a region has no row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from jeugdregio import audit
from jeugdregio.auth import Principal
from jeugdregio.errors import ErrorCollector, NotFound
from quality.models import CONVERSATION_FREQUENCIES, ConversationSettings


@dataclass(frozen=True)
class Frequencies:
    high_complex: str = "quarter"
    other: str = "year"
    plan_days_after_period: int = 21
    early_closure_weeks: int = 8


async def settings_of(session: AsyncSession, region_id: int) -> Frequencies:
    row = (
        await session.execute(select(ConversationSettings).where(col(ConversationSettings.region_id) == region_id))
    ).scalar_one_or_none()
    if row is None:
        return Frequencies()
    return Frequencies(row.high_complex_frequency, row.other_frequency, row.plan_days_after_period,
                       row.early_closure_weeks)  # fmt: skip


async def save_settings(
    session: AsyncSession, principal: Principal, *, high_complex: str, other: str, plan_days: str,
    early_weeks: str, actor: audit.Actor, now: datetime,
) -> Frequencies:  # fmt: skip
    """The region's conversation rhythm (team_admin, team_contracts). `early_weeks` is also the indicators'
    early-closure window. One row per region (upsert on the unique region_id)."""
    if principal.role not in ("team_admin", "team_contracts"):
        raise NotFound()
    errors = ErrorCollector()
    if high_complex not in CONVERSATION_FREQUENCIES:
        errors.add("hoogcomplex", "Kies per kwartaal, per half jaar of per jaar.")
    if other not in CONVERSATION_FREQUENCIES:
        errors.add("overig", "Kies per kwartaal, per half jaar of per jaar.")
    days = int(plan_days) if plan_days.strip().isdigit() and len(plan_days.strip()) < 4 else -1
    if not 0 <= days <= 90:
        errors.add("dagen_na_periode", "Vul een aantal dagen in van 0 tot en met 90.")
    weeks = int(early_weeks) if early_weeks.strip().isdigit() and len(early_weeks.strip()) < 4 else -1
    if not 1 <= weeks <= 52:
        errors.add("weken_vroeg", "Vul een aantal weken in van 1 tot en met 52.")
    errors.raise_if_any()
    before = await settings_of(session, principal.region_id)
    values_ = dict(high_complex_frequency=high_complex, other_frequency=other, plan_days_after_period=days,
                   early_closure_weeks=weeks)  # fmt: skip
    t = ConversationSettings.__table__  # type: ignore[attr-defined]
    await session.execute(
        insert(t).values(region_id=principal.region_id, **values_)
        .on_conflict_do_update(index_elements=["region_id"], set_=values_)
    )  # fmt: skip
    after = Frequencies(high_complex, other, days, weeks)
    await audit.record(session, actor, object_type="conversation_settings", object_id=principal.region_id,
                       action="update", now=now, summary=audit.changes(before.__dict__, after.__dict__))  # fmt: skip
    return after
