"""Who is asking: principals from session cookies (pages) or Bearer tokens (API), guards, login and logout."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from jeugdregio import audit
from jeugdregio.db import driver
from jeugdregio.errors import Forbidden, RateLimited, ValidationFailed
from jeugdregio.security import new_token, token_hash, verify_password
from jeugdregio.settings import Settings
from jeugdregio.tables import TEAM_ROLES, ApiToken, LoginAttempt, Membership, User, WebSession

SESSION_COOKIE = "jr_session"


@dataclass(frozen=True)
class Principal:
    user_id: int
    membership_id: int
    region_id: int
    role: str
    name: str
    email: str
    municipality_id: int | None = None
    provider_id: int | None = None
    application_id: int | None = None
    via_token: bool = False
    request_id: str = ""
    token_id: int | None = None  # the API token used (via_token); Idempotency-Keys are recorded with it

    @property
    def is_team(self) -> bool:
        return self.role in TEAM_ROLES

    def actor(self, on_behalf_of: str = "") -> audit.Actor:
        return audit.Actor(
            user_id=self.user_id,
            label=self.email + (" (API)" if self.via_token else ""),
            role=self.role,
            region_id=self.region_id,
            on_behalf_of=on_behalf_of,
            request_id=self.request_id,
        )


def _principal(
    user: User, m: Membership, *, via_token: bool, request_id: str, token_id: int | None = None
) -> Principal:
    assert user.id is not None and m.id is not None
    return Principal(
        user_id=user.id,
        membership_id=m.id,
        region_id=m.region_id,
        role=m.role,
        name=user.name,
        email=user.email,
        municipality_id=m.municipality_id,
        provider_id=m.provider_id,
        application_id=m.application_id,
        via_token=via_token,
        request_id=request_id,
        token_id=token_id,
    )


# The hot path of every request: one prepared statement each, run straight on the asyncpg connection of an
# AUTOCOMMIT connection (no BEGIN/COMMIT round trips, no ORM, no SQLAlchemy result layer). Measured in bench/
# ("authenticated simple read").
_SESSION_LOOKUP = (
    "SELECT u.id, u.name, u.email, m.id, m.region_id, m.role, m.municipality_id, m.provider_id, m.application_id "
    "FROM jeugdregio_web_session s "
    "JOIN jeugdregio_user u ON u.id = s.user_id JOIN jeugdregio_membership m ON m.id = s.membership_id "
    "WHERE s.token_hash = $1 AND s.ended_at IS NULL AND s.expires_at > $2 AND u.active"
)
_TOKEN_LOOKUP = (
    "SELECT u.id, u.name, u.email, m.id, m.region_id, m.role, m.municipality_id, m.provider_id, m.application_id, "  # noqa: S105
    "t.id, t.last_used_at FROM jeugdregio_api_token t "
    "JOIN jeugdregio_membership m ON m.id = t.membership_id JOIN jeugdregio_user u ON u.id = m.user_id "
    "WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.active"
)
_TOKEN_USED = "UPDATE jeugdregio_api_token SET last_used_at = $1 WHERE id = $2"  # noqa: S105 - SQL


def _from_row(row: Any, *, via_token: bool, request_id: str, token_id: int | None = None) -> Principal:
    return Principal(
        user_id=row[0], name=row[1], email=row[2], membership_id=row[3], region_id=row[4], role=row[5],
        municipality_id=row[6], provider_id=row[7], application_id=row[8], via_token=via_token,
        request_id=request_id, token_id=token_id,
    )  # fmt: skip


async def principal_from_session(
    conn: AsyncConnection | AsyncSession, cookie: str, *, now: datetime, request_id: str = ""
) -> Principal | None:
    row = await (await driver(conn)).fetchrow(_SESSION_LOOKUP, token_hash(cookie), now)
    return None if row is None else _from_row(row, via_token=False, request_id=request_id)


async def principal_from_token(
    conn: AsyncConnection | AsyncSession, token: str, *, now: datetime, request_id: str = ""
) -> Principal | None:
    pg = await driver(conn)
    row = await pg.fetchrow(_TOKEN_LOOKUP, token_hash(token))
    if row is None:
        return None
    token_id, last_used = row[9], row[10]
    if last_used is None or last_used < now - timedelta(minutes=1):  # at most one write a minute per token
        await pg.execute(_TOKEN_USED, now, token_id)
    return _from_row(row, via_token=True, request_id=request_id, token_id=token_id)


async def check_login_rate(session: AsyncSession, settings: Settings, *, email: str, ip: str, now: datetime) -> None:
    """Too many failures for this e-mail address (from anywhere) or from this client address → refuse."""
    since = now - timedelta(minutes=settings.login_window_minutes)
    failures = select(func.count()).where(LoginAttempt.success.is_(False), LoginAttempt.at > since)  # type: ignore[attr-defined]
    by_email = (await session.execute(failures.where(LoginAttempt.email == email))).scalar_one()
    by_ip = (await session.execute(failures.where(LoginAttempt.ip == ip))).scalar_one()
    if by_email >= settings.login_max_failures or by_ip >= settings.login_max_failures * 4:
        raise RateLimited(
            "Te veel mislukte inlogpogingen. Probeer het over een kwartier opnieuw.",
            retry_after=settings.login_window_minutes * 60,
        )


async def login(
    session: AsyncSession,
    settings: Settings,
    *,
    email: str,
    password: str,
    ip: str,
    now: datetime,
    request_id: str = "",
) -> tuple[str, Principal]:
    """Verify the password and open a new server-side session (always a fresh id). Returns (cookie, principal)."""
    email = email.strip().lower()
    if not email or not password:
        raise ValidationFailed.single("email", "Vul uw e-mailadres en wachtwoord in.")
    await check_login_rate(session, settings, email=email, ip=ip, now=now)
    user = (await session.execute(select(User).where(User.email == email))).scalar_one_or_none()
    ok = verify_password(user.password_hash if user else None, password) and user is not None and user.active
    session.add(LoginAttempt(email=email, ip=ip, at=now, success=bool(ok)))
    if not ok or user is None:
        await session.flush()
        raise ValidationFailed.single("email", "Het e-mailadres of wachtwoord klopt niet.")
    membership = (
        await session.execute(select(Membership).where(Membership.user_id == user.id).order_by(Membership.id))  # type: ignore[arg-type]
    ).scalars().first()
    if membership is None:
        raise Forbidden("Dit account heeft (nog) geen rol in een regio.")
    cookie = new_token()
    session.add(
        WebSession(
            token_hash=token_hash(cookie),
            user_id=user.id,  # type: ignore[arg-type]
            membership_id=membership.id,  # type: ignore[arg-type]
            created_at=now,
            expires_at=now + timedelta(hours=settings.session_hours),
        )
    )
    principal = _principal(user, membership, via_token=False, request_id=request_id)
    await audit.record(session, principal.actor(), object_type="user", object_id=user.id, action="login", now=now)
    return cookie, principal


async def logout(session: AsyncSession, cookie: str, *, now: datetime) -> None:
    await session.execute(
        update(WebSession).where(WebSession.token_hash == token_hash(cookie)).values(ended_at=now)
    )


async def create_api_token(
    session: AsyncSession, principal: Principal, *, name: str, now: datetime
) -> tuple[str, ApiToken]:
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationFailed.single("name", "Geef het token een naam van 1 tot 100 tekens.")
    token = "jr_" + new_token()
    row = ApiToken(
        region_id=principal.region_id,
        membership_id=principal.membership_id,
        name=name,
        token_hash=token_hash(token),
        prefix=token[:10],
        created_at=now,
        created_by=principal.user_id,
    )
    session.add(row)
    await session.flush()
    await audit.record(
        session, principal.actor(), object_type="api_token", object_id=row.id, action="create",
        now=now, summary={"naam": name},
    )  # fmt: skip
    return token, row


def tokens_visible_to(principal: Principal) -> Any:
    """Tokens of the principal's own organisation: a provider's tokens, or the principal's own."""
    q = select(ApiToken).join(Membership, Membership.id == ApiToken.membership_id)  # type: ignore[arg-type]
    q = q.where(ApiToken.region_id == principal.region_id)
    if principal.provider_id is not None:
        return q.where(Membership.provider_id == principal.provider_id)
    return q.where(ApiToken.membership_id == principal.membership_id)


async def list_api_tokens(session: AsyncSession, principal: Principal) -> list[ApiToken]:
    q = tokens_visible_to(principal).order_by(ApiToken.id.desc())  # type: ignore[union-attr]
    return list((await session.execute(q)).scalars())


async def revoke_api_token(session: AsyncSession, principal: Principal, token_id: int, *, now: datetime) -> None:
    from jeugdregio.errors import NotFound

    row = (await session.execute(tokens_visible_to(principal).where(ApiToken.id == token_id))).scalar_one_or_none()
    if row is None:
        raise NotFound()
    if row.revoked_at is None:
        row.revoked_at = now
        await audit.record(
            session, principal.actor(), object_type="api_token", object_id=token_id, action="revoke", now=now
        )
