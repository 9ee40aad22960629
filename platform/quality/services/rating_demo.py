"""Demo ratings: invitations for every confirmed demo arrangement and a rating for about six in ten of them, then
the catalogue's monthly publication, so the public pages show figures (some suppressed, as they would be).

Set-based and deterministic (scores come from hashtext of ids, no random state), idempotent: a second run adds
nothing. Demo data only: called by the wiring's demo after the arrangements exist."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from jeugdregio.clock import today
from quality.services.invitations import create_invitations
from quality.services.publication_batch import publish_region

DEMO_COMMENTS = (
    "Fijn dat we zelf mochten meedenken over de doelen.",
    "De begeleider was altijd op tijd en luisterde goed.",
    "Het duurde lang voordat de hulp begon.",
)

_RATE = text(
    """
    WITH rated AS (
        INSERT INTO quality_rating (region_id, invitation_id, arrangement_id, provider_id, profile_id, informant,
                                    usefulness, help_again, comment, comment_status, submitted_at)
        SELECT i.region_id, i.id, i.arrangement_id, i.provider_id, i.profile_id, i.informant,
               -- a provider-level tendency (6-8) plus a little spread per family (-1..+1), within 1-10
               LEAST(10, GREATEST(1, 6 + abs(hashtext('p' || i.provider_id)) % 3
                                       + abs(hashtext('u' || i.id)) % 3 - 1)),
               '0' || (1 + abs(hashtext('h' || i.id)) % 4),
               CASE WHEN abs(hashtext('c' || i.id)) % 12 = 0
                    THEN (ARRAY[:c1, :c2, :c3])[1 + abs(hashtext('t' || i.id)) % 3] ELSE '' END,
               CASE WHEN abs(hashtext('c' || i.id)) % 12 = 0 THEN 'pending' ELSE 'none' END,
               LEAST(a.confirmed_at + make_interval(days => 2 + abs(hashtext('d' || i.id)) % 20), :now)
        FROM quality_rating_invitation i
        JOIN contracts_arrangement a ON a.id = i.arrangement_id
        WHERE i.region_id = :region_id AND i.used_at IS NULL AND a.confirmed_at IS NOT NULL
          AND abs(hashtext('r' || i.id)) % 10 < 6
        ON CONFLICT DO NOTHING
        RETURNING invitation_id, submitted_at
    )
    UPDATE quality_rating_invitation i SET used_at = rated.submitted_at, channel = 'letter',
           issued_at = rated.submitted_at
    FROM rated WHERE i.id = rated.invitation_id
    """
)


async def seed_ratings_demo(session: AsyncSession, *, region_id: int, now: datetime) -> dict[str, Any]:
    """Invitations, ratings and the catalogue publication for the demo region."""
    invited = await create_invitations(session, now=now, region_id=region_id)
    result: Any = await session.execute(
        _RATE,
        {"region_id": region_id, "now": now, "c1": DEMO_COMMENTS[0], "c2": DEMO_COMMENTS[1],
         "c3": DEMO_COMMENTS[2]},
    )  # fmt: skip
    published = await publish_region(session, region_id, month=today(now).strftime("%Y-%m"), now=now)
    return {"invited": invited, "rated": result.rowcount, "published": published}
