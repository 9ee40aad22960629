"""Demo data for contract conversations: the schedule for the current and earlier periods, the past ones held with
a note and two agreed actions (one open, carried into the next pack; one done). Set-based."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Integer, String, column, func, literal, select, update, values
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from jeugdregio import audit
from jeugdregio.clock import today
from quality.models import ContractConversation, ConversationAction
from quality.services.conversations import plan_conversations

DEMO_ACTIONS = (  # (owner side, owner name, description, status, days after the conversation)
    ("provider", "Teamleider jeugdhulp", "Toelichten waarom arrangementen kort na de start eindigen; casussen "
     "met de jeugdprofessionals nalopen.", "open", 60),
    ("team", "Contractmanager regioteam", "Wachttijden per profiel in de catalogus laten bijwerken.", "done", 30),
)


async def seed_conversations_demo(session: AsyncSession, region_id: int, *, now: datetime) -> int:
    """Demo: the schedule for the current and the previous periods (the job's own insert, run for earlier days);
    conversations whose planned date has passed are 'held' with a short note and two agreed actions (one open,
    carried into the next pack; one done). Set-based; returns the number of conversations."""
    actor = audit.Actor.system("demo", region_id)
    day = today(now)
    for back in (0, 92, 184, 366):
        await plan_conversations(session, region_id, actor=actor, now=now - timedelta(days=back))
    c = ContractConversation
    await session.execute(
        update(c).where(col(c.region_id) == region_id, col(c.planned_on) < day, col(c.status) == "planned")
        .values(status="held", held_on=c.planned_on, updated_at=now,
                notes="Cijfers uit het gesprekspakket besproken: volumes, doelrealisatie en wachttijden. "
                      "Afspraken staan hieronder als acties.")
    )  # fmt: skip
    demo = values(
        column("owner_side", String), column("owner_name", String), column("description", String),
        column("status", String), column("days", Integer), name="demo",
    ).data(list(DEMO_ACTIONS))  # fmt: skip
    a = ConversationAction.__table__  # type: ignore[attr-defined]
    chosen = (
        select(c.region_id, c.id, c.provider_id, demo.c.description, demo.c.owner_side, demo.c.owner_name,
               col(c.planned_on) + demo.c.days, demo.c.status, literal(""), literal(now), literal(now))
        .select_from(ContractConversation.__table__.join(demo, literal(True)))  # type: ignore[attr-defined]
        .where(col(c.region_id) == region_id, col(c.status) == "held",
               ~select(a.c.id).where(a.c.conversation_id == c.id).exists())
    )  # fmt: skip
    await session.execute(
        insert(a).from_select(["region_id", "conversation_id", "provider_id", "description", "owner_side",
                               "owner_name", "due_on", "status", "status_note", "created_at", "updated_at"], chosen)
    )  # fmt: skip
    return int(
        (await session.execute(select(func.count()).select_from(c).where(col(c.region_id) == region_id))).scalar_one()
    )
