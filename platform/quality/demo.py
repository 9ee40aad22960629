"""Demo data for quality: rating invitations with parents' ratings and the catalogue publication, and the
contract-conversation schedule with held conversations and their actions. Runs after arrangements and
settlement, because ratings follow confirmed results and the conversation pack reads the ledger."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from quality.services.conversation_demo import seed_conversations_demo
from quality.services.rating_demo import seed_ratings_demo


async def seed_quality_demo(session: AsyncSession, *, region_id: int, now: datetime) -> dict[str, Any]:
    ratings = await seed_ratings_demo(session, region_id=region_id, now=now)
    conversations = await seed_conversations_demo(session, region_id, now=now)
    return {**ratings, "conversations": conversations}
