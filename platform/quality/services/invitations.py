"""Rating invitations (DOMAIN.md §6, QUALITY-BAR §3 "Rating links").

- `create_invitations`: the job's set-based step. Every confirmed arrangement gets one invitation per informant
  (the parent; the youth from the region's minimum age, see below). A rerun adds
  nothing: the unique (region_id, arrangement_id, informant) is the backstop, ON CONFLICT DO NOTHING the path.
- A link is issued when the invitation goes out: by e-mail through the outbox (`send_invitation_email`) or as a
  printable letter with a QR code (`invitation_letter`). The token has 256 random bits and is never stored: only
  its SHA-256. Issuing again (a lost letter, a new address) replaces the hash, so the older link stops working.
- Who may send: the regional team (whole region) and the referrer who confirmed the result (its own
  arrangements). Everyone else, and another region's arrangement: 404.

The youth's age at confirmation comes from contracts.public.PLAN_BIRTH_DATES, used only inside the query (the date
is never read into the application, shown or logged).

Known limits: the family's e-mail address is not kept here (it lives only in the queued mail); the mail body in
the outbox holds the link until it is sent."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, String, and_, func, literal, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.public import ARRANGEMENTS, PLAN_BIRTH_DATES, provider_names
from jeugdregio import audit, outbox
from jeugdregio.audit import Actor
from jeugdregio.auth import Principal
from jeugdregio.errors import ErrorCollector, InvalidTransition, NotFound, ValidationFailed
from jeugdregio.security import new_token, token_hash
from jeugdregio.tables import TEAM_ROLES, Region
from quality.models import INFORMANTS, RatingInvitation, RatingSettings

DEFAULT_LINK_VALID_DAYS = 30
DEFAULT_YOUTH_MIN_AGE = 12
TOKEN_BYTES = 32  # 256 random bits (at least 128 are required)
RATING_PATH = "/beoordelen/"
INFORMANT_LABELS = {"parent": "ouder of verzorger", "youth": "jongere"}
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")

A = ARRANGEMENTS.c


@dataclass(frozen=True)
class Settings:
    link_valid_days: int
    youth_min_age: int


async def rating_settings(session: AsyncSession, region_id: int) -> Settings:
    row = (
        await session.execute(select(RatingSettings).where(RatingSettings.region_id == region_id))
    ).scalar_one_or_none()
    if row is None:
        return Settings(DEFAULT_LINK_VALID_DAYS, DEFAULT_YOUTH_MIN_AGE)
    return Settings(row.link_valid_days, row.youth_min_age)


# ---- the job's step: one invitation per informant per confirmed arrangement ---------------------------------


async def create_invitations(
    session: AsyncSession, *, now: datetime, region_id: int | None = None, arrangement_id: int | None = None
) -> int:
    """Set-based: one INSERT … SELECT per informant over the confirmed arrangements without that invitation (all
    regions, or one). The youth is invited when aged at least the region's `youth_min_age` on the confirmation
    date. Returns the number of invitations added; a rerun adds none."""
    inv = RatingInvitation.__table__  # type: ignore[attr-defined]
    columns = ["region_id", "arrangement_id", "provider_id", "profile_id", "informant", "created_at"]
    added = 0
    for informant in INFORMANTS:
        source = select(
            A.region_id, A.id, A.provider_id, A.profile_id, literal(informant, String),
            literal(now, DateTime(timezone=True)),
        ).where(A.status == "confirmed")  # fmt: skip
        if region_id is not None:
            source = source.where(A.region_id == region_id)
        if arrangement_id is not None:
            source = source.where(A.id == arrangement_id)
        if informant == "youth":
            b = PLAN_BIRTH_DATES
            settings = RatingSettings.__table__  # type: ignore[attr-defined]
            min_age = func.coalesce(
                select(settings.c.youth_min_age).where(settings.c.region_id == A.region_id).scalar_subquery(),
                DEFAULT_YOUTH_MIN_AGE,
            )
            age = func.date_part("year", func.age(func.date(func.timezone("Europe/Amsterdam", A.confirmed_at)),
                                                  b.c.birth_date))  # fmt: skip
            source = source.join(b, and_(b.c.id == A.plan_id, b.c.region_id == A.region_id)).where(
                A.confirmed_at.is_not(None), age >= min_age
            )
        source = source.where(
            ~select(inv.c.id)
            .where(and_(inv.c.region_id == A.region_id, inv.c.arrangement_id == A.id, inv.c.informant == informant))
            .exists()
        )
        stmt = (
            insert(inv)
            .from_select(columns, source)
            .on_conflict_do_nothing(index_elements=["region_id", "arrangement_id", "informant"])
            .returning(inv.c.id)
        )
        added += len((await session.execute(stmt)).all())
    return added


# ---- who may see and send invitations -------------------------------------------------------------------------


def _visible_arrangement(principal: Principal, arrangement_id: int) -> Any:
    """The arrangement (confirmed) if the principal may send its invitations: the team, or the referrer who
    confirmed the result. Start from nothing and open up by role."""
    q = select(A.id, A.reference, A.provider_id, A.region_id, A.confirmed_at).where(
        A.region_id == principal.region_id, A.id == arrangement_id, A.status == "confirmed"
    )
    if principal.role in TEAM_ROLES:
        return q
    if principal.role == "referrer":
        return q.where(A.confirmed_by == principal.user_id)
    return q.where(False)


@dataclass(frozen=True)
class InvitationView:
    id: int
    informant: str
    informant_label: str
    channel: str | None
    issued_at: datetime | None
    expires_at: datetime | None
    used_at: datetime | None

    def state(self, now: datetime) -> str:
        if self.used_at is not None:
            return "gebruikt"
        if self.issued_at is None:
            return "nog niet verstuurd"
        if self.expires_at is not None and self.expires_at <= now:
            return "verlopen"
        return "verstuurd"


@dataclass(frozen=True)
class ArrangementInvitations:
    arrangement_id: int
    reference: str
    provider_name: str
    invitations: list[InvitationView]


async def invitations_for(session: AsyncSession, principal: Principal, arrangement_id: int) -> ArrangementInvitations:
    arrangement = (await session.execute(_visible_arrangement(principal, arrangement_id))).one_or_none()
    if arrangement is None:
        raise NotFound()
    rows = (
        await session.execute(
            select(RatingInvitation)
            .where(RatingInvitation.region_id == principal.region_id, RatingInvitation.arrangement_id == arrangement_id)
            .order_by(RatingInvitation.informant)  # type: ignore[arg-type]
        )
    ).scalars()
    names = await provider_names(session, principal.region_id, [arrangement.provider_id])
    views = [
        InvitationView(r.id or 0, r.informant, INFORMANT_LABELS[r.informant], r.channel, r.issued_at, r.expires_at,
                       r.used_at)
        for r in rows
    ]
    if not views:  # confirmed after the job last ran: the parent's invitation is made when it is first sent
        views = [InvitationView(0, "parent", INFORMANT_LABELS["parent"], None, None, None, None)]
    return ArrangementInvitations(arrangement.id, arrangement.reference, names.get(arrangement.provider_id, ""), views)


@dataclass(frozen=True)
class InvitationRow:
    arrangement_id: int
    reference: str
    provider_name: str
    informant_label: str
    state: str
    confirmed_at: datetime | None


async def invitation_list(
    session: AsyncSession, principal: Principal, *, now: datetime, open_only: bool = True, limit: int = 200
) -> list[InvitationRow]:
    """The invitations the principal may send (team: the region; referrer: the results it confirmed), newest
    confirmation first; `open_only`: not yet used and not sent, or expired."""
    scope = select(A.id, A.reference, A.provider_id, A.confirmed_at).where(
        A.region_id == principal.region_id, A.status == "confirmed"
    )
    if principal.role == "referrer":
        scope = scope.where(A.confirmed_by == principal.user_id)
    elif principal.role not in TEAM_ROLES:
        scope = scope.where(False)
    arr = scope.subquery()
    q = (
        select(RatingInvitation, arr.c.reference, arr.c.confirmed_at)
        .join(arr, arr.c.id == RatingInvitation.arrangement_id)
        .where(RatingInvitation.region_id == principal.region_id)
    )
    if open_only:
        q = q.where(
            RatingInvitation.used_at.is_(None),  # type: ignore[union-attr]
            (RatingInvitation.issued_at.is_(None)) | (RatingInvitation.expires_at <= now),  # type: ignore[union-attr, operator]
        )
    rows = (await session.execute(q.order_by(arr.c.confirmed_at.desc(), RatingInvitation.id).limit(limit))).all()
    names = await provider_names(session, principal.region_id, sorted({r[0].provider_id for r in rows}))
    out = []
    for invitation, reference, confirmed_at in rows:
        view = InvitationView(invitation.id or 0, invitation.informant, INFORMANT_LABELS[invitation.informant],
                              invitation.channel, invitation.issued_at, invitation.expires_at, invitation.used_at)
        out.append(InvitationRow(invitation.arrangement_id, reference, names.get(invitation.provider_id, ""),
                                 view.informant_label, view.state(now), confirmed_at))
    return out


SETTINGS_EDITORS = ("team_admin", "team_quality")


async def save_rating_settings(
    session: AsyncSession, principal: Principal, *, link_valid_days: str, youth_min_age: str, actor: Actor,
    now: datetime,
) -> Settings:
    """The region's link validity (1–365 days) and the youth's minimum age (0–18) for its own invitation."""
    if principal.role not in SETTINGS_EDITORS:
        raise NotFound()
    errors = ErrorCollector()
    values: dict[str, int] = {}
    for name, raw, low, high, message in (
        ("link_valid_days", link_valid_days, 1, 365, "Geldigheid: een heel aantal dagen van 1 tot en met 365."),
        ("youth_min_age", youth_min_age, 0, 18, "Leeftijd jongere: een hele leeftijd van 0 tot en met 18."),
    ):
        try:
            values[name] = int(str(raw).strip())
        except ValueError:
            values[name] = -1
        if not low <= values[name] <= high:
            errors.add(name, message)
    errors.raise_if_any()
    before = await rating_settings(session, principal.region_id)
    table = RatingSettings.__table__  # type: ignore[attr-defined]
    await session.execute(
        insert(table).values(region_id=principal.region_id, **values)
        .on_conflict_do_update(index_elements=["region_id"], set_=values)
    )  # fmt: skip
    await audit.record(
        session, actor, object_type="rating_settings", object_id=principal.region_id, action="update", now=now,
        summary=audit.changes({"link_valid_days": before.link_valid_days, "youth_min_age": before.youth_min_age},
                              values),
    )  # fmt: skip
    return Settings(values["link_valid_days"], values["youth_min_age"])


async def _issue_link(
    session: AsyncSession, principal: Principal, arrangement_id: int, informant: str, *, channel: str, actor: Actor,
    now: datetime,
) -> tuple[RatingInvitation, str]:  # fmt: skip
    """A new link for the invitation (the previous one stops working). Locks the invitation row."""
    if informant not in INFORMANTS:
        raise ValidationFailed.single("informant", "Kies ouder of jongere.")
    arrangement = (await session.execute(_visible_arrangement(principal, arrangement_id))).one_or_none()
    if arrangement is None:
        raise NotFound()
    # a result confirmed since the job last ran: make its invitations now (idempotent, as the job)
    await create_invitations(session, now=now, region_id=principal.region_id, arrangement_id=arrangement_id)
    invitation = (
        await session.execute(
            select(RatingInvitation)
            .where(
                RatingInvitation.region_id == principal.region_id,
                RatingInvitation.arrangement_id == arrangement_id,
                RatingInvitation.informant == informant,
            )
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if invitation is None:
        raise NotFound("Voor deze jeugdige is (nog) geen uitnodiging.")
    if invitation.used_at is not None:
        raise InvalidTransition("Deze uitnodiging is al gebruikt: er is al een beoordeling gegeven.")
    settings = await rating_settings(session, principal.region_id)
    token = new_token(TOKEN_BYTES)
    invitation.token_hash = token_hash(token)
    invitation.channel = channel
    invitation.issued_at = now
    invitation.issued_by = actor.user_id
    invitation.expires_at = now + timedelta(days=settings.link_valid_days)
    await session.flush()
    await audit.record(
        session, actor, object_type="rating_invitation", object_id=invitation.id, action="issue_link", now=now,
        summary={"arrangement_id": arrangement_id, "informant": informant, "kanaal": channel},
    )  # fmt: skip
    return invitation, token


def rating_link(base_url: str, token: str) -> str:
    return base_url.rstrip("/") + RATING_PATH + token


async def send_invitation_email(
    session: AsyncSession, principal: Principal, arrangement_id: int, *, informant: str, email: str, base_url: str,
    actor: Actor, now: datetime,
) -> RatingInvitation:  # fmt: skip
    """Queue the invitation mail with a fresh link. The address is used for this mail only, never stored here."""
    address = email.strip()
    if not EMAIL_RE.match(address) or len(address) > 254:
        raise ValidationFailed.single("email", "Vul een geldig e-mailadres in, bijvoorbeeld naam@voorbeeld.nl.")
    invitation, token = await _issue_link(
        session, principal, arrangement_id, informant, channel="email", actor=actor, now=now
    )
    names = await provider_names(session, principal.region_id, [invitation.provider_id])
    region = await session.get(Region, principal.region_id)
    body = _mail_body(
        provider=names.get(invitation.provider_id, "de aanbieder"),
        region=region.name if region else "uw regio",
        link=rating_link(base_url, token),
        expires_at=invitation.expires_at or now,
        informant=informant,
    )
    await outbox.enqueue(
        session, region_id=principal.region_id, to_address=address, subject="Wat vond u van de jeugdhulp?",
        body=body, now=now, dedupe_key=f"rating-invitation:{invitation.id}:{now.isoformat()}",
    )  # fmt: skip
    return invitation


def _mail_body(*, provider: str, region: str, link: str, expires_at: datetime, informant: str) -> str:
    from jeugdregio.clock import today

    you = "je" if informant == "youth" else "u"
    return (
        f"Beste {'jongere' if informant == 'youth' else 'ouder of verzorger'},\n\n"
        f"De hulp van {provider} is afgerond. Wij willen graag weten wat {you} ervan vond.\n"
        f"Het invullen duurt ongeveer 2 minuten. {'Je' if informant == 'youth' else 'Uw'} antwoorden helpen "
        f"andere gezinnen bij het kiezen.\n\n"
        f"Open deze link: {link}\n\n"
        f"De link werkt één keer en tot en met {today(expires_at):%d-%m-%Y}.\n\n"
        f"Met vriendelijke groet,\n{region}\n"
    )


async def invitation_letter(
    session: AsyncSession, principal: Principal, arrangement_id: int, *, informant: str, base_url: str, actor: Actor,
    now: datetime,
) -> bytes:  # fmt: skip
    """A printable letter (PDF) with the link and its QR code. The PDF is not stored: it holds the link."""
    import segno

    from jeugdregio.clock import today
    from jeugdregio.pdf import render_pdf

    invitation, token = await _issue_link(
        session, principal, arrangement_id, informant, channel="letter", actor=actor, now=now
    )
    names = await provider_names(session, principal.region_id, [invitation.provider_id])
    region = await session.get(Region, principal.region_id)
    link = rating_link(base_url, token)
    qr = segno.make(link, error="m")
    return render_pdf(
        "pdf/rating_letter.html",
        region=region,
        provider_name=names.get(invitation.provider_id, "de aanbieder"),
        informant=informant,
        link=link,
        qr_data_uri=qr.svg_data_uri(scale=4, border=2),
        letter_date=today(now),
        expires_on=today(invitation.expires_at or now),
    )
