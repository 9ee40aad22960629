"""Creating accounts and memberships (used by the CLI, the demo and the register's applicant sign-up)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jeugdregio.errors import ErrorCollector, ValidationFailed
from jeugdregio.security import hash_password, password_problems
from jeugdregio.tables import ROLES, Membership, User

EMAIL_CHARS_MAX = 254


def check_email(email: str) -> str | None:
    import re

    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email) or len(email) > EMAIL_CHARS_MAX:
        return "Vul een geldig e-mailadres in, zoals naam@organisatie.nl."
    return None


async def create_user(
    session: AsyncSession,
    *,
    email: str,
    name: str,
    password: str,
    now: datetime,
    password_hash: str | None = None,
) -> User:
    email = email.strip().lower()
    errors = ErrorCollector()
    if problem := check_email(email):
        errors.add("email", problem)
    if not name.strip():
        errors.add("name", "Vul een naam in.")
    if password_hash is None and (problem := password_problems(password)):
        errors.add("password", problem)
    errors.raise_if_any()
    if (await session.execute(select(User.id).where(User.email == email))).first():
        raise ValidationFailed.single(
            "email", "Er bestaat al een account met dit e-mailadres. Log in of kies een ander adres."
        )
    user = User(
        email=email, name=name.strip(), password_hash=password_hash or hash_password(password),
        active=True, created_at=now,
    )  # fmt: skip
    session.add(user)
    await session.flush()
    return user


async def add_membership(
    session: AsyncSession,
    *,
    user_id: int,
    region_id: int,
    role: str,
    now: datetime,
    municipality_id: int | None = None,
    provider_id: int | None = None,
    application_id: int | None = None,
) -> Membership:
    if role not in ROLES:
        raise ValidationFailed.single("role", f"Onbekende rol '{role}'. Kies uit: {', '.join(ROLES)}.")
    if role == "municipality" and municipality_id is None:
        raise ValidationFailed.single("municipality", "Een gemeentegebruiker hoort bij één gemeente.")
    if role == "provider" and provider_id is None:
        raise ValidationFailed.single("provider", "Een aanbiedermedewerker hoort bij één aanbieder.")
    m = Membership(
        user_id=user_id, region_id=region_id, role=role, municipality_id=municipality_id,
        provider_id=provider_id, application_id=application_id, created_at=now,
    )  # fmt: skip
    session.add(m)
    await session.flush()
    return m
