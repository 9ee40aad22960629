"""The public rating page's use cases and the team's moderation of free text.

A link works once: `submit_rating` claims the invitation with one conditional UPDATE (used_at IS NULL, not
expired) that row-locks it, so of any number of concurrent submits exactly one wins; the others find it used and
get 410. The unique (region_id, arrangement_id, informant) and (region_id, invitation_id) on the rating are the
backstop. A tampered, reused or expired link gives 410 (`Gone`) and is logged with the reason and, when known,
the invitation id: never the token."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.public import provider_names
from jeugdregio import audit
from jeugdregio.audit import Actor
from jeugdregio.auth import Principal
from jeugdregio.errors import ErrorCollector, Gone, NotFound, ValidationFailed
from jeugdregio.security import token_hash
from quality.models import HELP_AGAIN, Rating, RatingInvitation

log = logging.getLogger("quality.ratings")

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{22,100}$")  # URL-safe base64 of at least 128 bits
COMMENT_MAX = 2000
HELP_AGAIN_LABELS = {  # the national outcome set's answers, in B1 Dutch
    "01": "Ja, even zware of zwaardere hulp",
    "02": "Ja, lichtere hulp",
    "03": "Nu niet, misschien later",
    "04": "Nee",
}
assert tuple(HELP_AGAIN_LABELS) == HELP_AGAIN
MODERATORS = ("team_quality",)

GONE_MESSAGE = (
    "Deze link werkt niet (meer). Misschien heeft u het formulier al ingevuld, is de link verlopen of is hij "
    "niet helemaal goed overgenomen. Heeft u vragen? Neem dan contact op met uw jeugdprofessional."
)


@dataclass(frozen=True)
class OpenLink:
    invitation_id: int
    region_id: int
    informant: str
    provider_name: str
    expires_at: datetime


def _gone(reason: str, invitation_id: int | None = None) -> Gone:
    log.warning("rating link refused: %s (invitation %s)", reason, invitation_id if invitation_id else "-")
    return Gone(GONE_MESSAGE)


async def _invitation_by_token(session: AsyncSession, token: str) -> RatingInvitation | None:
    if not TOKEN_RE.match(token or ""):
        return None
    return (
        await session.execute(select(RatingInvitation).where(RatingInvitation.token_hash == token_hash(token)))
    ).scalar_one_or_none()


def _refusal(invitation: RatingInvitation | None, now: datetime) -> str | None:
    if invitation is None:
        return "unknown or tampered token"
    if invitation.used_at is not None:
        return "already used"
    if invitation.expires_at is None or invitation.expires_at <= now:
        return "expired"
    return None


async def open_link(session: AsyncSession, token: str, *, now: datetime) -> OpenLink:
    """The invitation behind a link, if it can still be used; Gone (410) otherwise."""
    invitation = await _invitation_by_token(session, token)
    reason = _refusal(invitation, now)
    if reason or invitation is None:
        raise _gone(reason or "unknown", invitation.id if invitation else None)
    names = await provider_names(session, invitation.region_id, [invitation.provider_id])
    assert invitation.id is not None and invitation.expires_at is not None
    return OpenLink(invitation.id, invitation.region_id, invitation.informant,
                    names.get(invitation.provider_id, "de aanbieder"), invitation.expires_at)  # fmt: skip


@dataclass(frozen=True)
class Answers:
    usefulness: int
    help_again: str
    comment: str


def check_answers(data: dict[str, Any]) -> Answers:
    """The form's or API's answers, or ValidationFailed naming each field in Dutch."""
    errors = ErrorCollector()
    raw = data.get("usefulness")
    usefulness = 0
    if isinstance(raw, bool) or raw is None or str(raw).strip() == "":
        errors.add("usefulness", "Kies een cijfer van 1 tot en met 10 voor hoe nuttig de hulp was.")
    else:
        try:
            usefulness = int(str(raw).strip())
        except ValueError:
            usefulness = 0
        if not 1 <= usefulness <= 10:
            errors.add("usefulness", "Het cijfer voor de hulp moet een heel getal van 1 tot en met 10 zijn.")
    help_again = str(data.get("help_again") or "").strip()
    if help_again not in HELP_AGAIN:
        errors.add("help_again", "Kies een antwoord op de vraag of u opnieuw hulp nodig denkt te hebben.")
    comment = str(data.get("comment") or "").strip()
    if len(comment) > COMMENT_MAX:
        errors.add("comment", f"Uw toelichting is te lang: gebruik maximaal {COMMENT_MAX} tekens.")
    errors.raise_if_any()
    return Answers(usefulness, help_again, comment)


async def submit_rating(session: AsyncSession, token: str, data: dict[str, Any], *, now: datetime) -> int:
    """Store one rating for the link's arrangement and informant; the link stops working. Returns the rating id.

    Order: a dead link is 410 before anything else; then the answers are checked (422 keeps the link usable);
    then the link is claimed atomically."""
    await open_link(session, token, now=now)  # 410 for a dead link, before judging the answers
    answers = check_answers(data)
    inv = RatingInvitation.__table__  # type: ignore[attr-defined]
    claimed = (
        await session.execute(
            update(inv)
            .where(
                inv.c.token_hash == token_hash(token),
                inv.c.used_at.is_(None),
                inv.c.expires_at > now,
            )
            .values(used_at=now)
            .returning(inv.c.id, inv.c.region_id, inv.c.arrangement_id, inv.c.provider_id, inv.c.profile_id,
                       inv.c.informant)
        )
    ).one_or_none()
    if claimed is None:  # another submit won the race (or the link expired just now)
        raise _gone("already used (concurrent submit)")
    rating = Rating.__table__  # type: ignore[attr-defined]
    rating_id = (
        await session.execute(
            insert(rating)
            .values(
                region_id=claimed.region_id, invitation_id=claimed.id, arrangement_id=claimed.arrangement_id,
                provider_id=claimed.provider_id, profile_id=claimed.profile_id, informant=claimed.informant,
                usefulness=answers.usefulness, help_again=answers.help_again, comment=answers.comment,
                comment_status="pending" if answers.comment else "none", submitted_at=now,
            )
            .on_conflict_do_nothing()
            .returning(rating.c.id)
        )
    ).scalar_one_or_none()  # fmt: skip
    if rating_id is None:
        raise _gone("this informant already rated the arrangement", claimed.id)
    actor = Actor(user_id=None, label="beoordelingslink", role="public", region_id=claimed.region_id)
    await audit.record(
        session, actor, object_type="rating", object_id=rating_id, action="submit", now=now,
        summary={"arrangement_id": claimed.arrangement_id, "informant": claimed.informant},
    )  # fmt: skip
    return int(rating_id)


# ---- moderation of free text (team_quality) ---------------------------------------------------------------


@dataclass(frozen=True)
class PendingComment:
    rating_id: int
    provider_name: str
    informant: str
    usefulness: int
    comment: str
    submitted_at: datetime


def _moderator(principal: Principal) -> None:
    if principal.role not in MODERATORS:
        raise NotFound()


async def pending_comments(session: AsyncSession, principal: Principal, *, now: datetime) -> list[PendingComment]:
    """Free text still waiting for moderation, oldest first (one audited list view: the text may hold personal
    data)."""
    _moderator(principal)
    rows = (
        await session.execute(
            select(Rating)
            .where(Rating.region_id == principal.region_id, Rating.comment_status == "pending")
            .order_by(Rating.submitted_at)  # type: ignore[arg-type]
            .limit(200)
        )
    ).scalars().all()
    names = await provider_names(session, principal.region_id, sorted({r.provider_id for r in rows}))
    await audit.record_read(
        session, principal.actor(f"regioteam {principal.region_id}"), object_type="rating", object_id="lijst",
        purpose="moderatie beoordelingen", now=now,
        summary={"filter": "te modereren", "aantal": len(rows), "ids": [r.id for r in rows]},
    )  # fmt: skip
    return [
        PendingComment(r.id or 0, names.get(r.provider_id, ""), r.informant, r.usefulness, r.comment, r.submitted_at)
        for r in rows
    ]


async def moderate_comment(
    session: AsyncSession, principal: Principal, rating_id: int, decision: str, *, actor: Actor, now: datetime
) -> None:
    """Approve (shown in reports) or reject (never shown) one pending comment."""
    _moderator(principal)
    if decision not in ("approve", "reject"):
        raise ValidationFailed.single("decision", "Kies goedkeuren of afwijzen.")
    status = "approved" if decision == "approve" else "rejected"
    done = (
        await session.execute(
            update(Rating)
            .where(
                Rating.region_id == principal.region_id,  # type: ignore[arg-type]
                Rating.id == rating_id,  # type: ignore[arg-type]
                Rating.comment_status == "pending",  # type: ignore[arg-type]
            )
            .values(comment_status=status, moderated_by=actor.user_id, moderated_at=now)
            .returning(Rating.id)  # type: ignore[arg-type]
        )
    ).scalar_one_or_none()
    if done is None:
        raise NotFound()
    await audit.record(session, actor, object_type="rating", object_id=rating_id, action=f"comment_{decision}",
                       now=now, summary={"status": status})  # fmt: skip
