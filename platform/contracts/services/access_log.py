"""Reads of personal data in the register, logged NEN 7513 style (who, on whose behalf, which object, for what
purpose, when) through `jeugdregio.audit.record_read`. The rule is in docs/architecture.md ("What is audited"):

- every document download (evidence, decision letter, contract PDF), whoever downloads it;
- every view of contact persons (name, e-mail, phone) by someone outside the organisation they belong to:
  the team's application and provider pages and API reads, the register lists that show contact e-mail.

A service calls `log_read` exactly once per access, after the object was found visible to the principal."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from jeugdregio import audit
from jeugdregio.auth import Principal

REVIEW = "beoordeling aanmelding"  # the team reviews and decides on an application
CONTRACT_MANAGEMENT = "contractbeheer"  # the team manages an admitted provider and its framework contract
OWN_APPLICATION = "eigen aanmelding"  # the applicant (or the provider it became) reads its own application
OWN_ORGANISATION = "eigen organisatie"  # a provider reads its own evidence or contract
REGISTER_LOOKUP = "raadplegen register"  # municipalities and referrers look up providers to refer children to


def acting_for(principal: Principal) -> str:
    """On whose behalf the principal reads: the organisation its membership binds it to."""
    if principal.is_team:
        return f"regioteam {principal.region_id}"
    if principal.provider_id is not None:
        return f"aanbieder {principal.provider_id}"
    if principal.municipality_id is not None:
        return f"gemeente {principal.municipality_id}"
    if principal.application_id is not None:
        return f"aanvrager (aanmelding {principal.application_id})"
    return principal.role


def application_purpose(principal: Principal) -> str:
    """Why the principal reads an application it may see: the team to review it, anyone else its own."""
    return REVIEW if principal.is_team else OWN_APPLICATION


def provider_purpose(principal: Principal, provider_id: int | None) -> str:
    if principal.is_team:
        return CONTRACT_MANAGEMENT
    if principal.provider_id is not None and principal.provider_id == provider_id:
        return OWN_ORGANISATION
    return REGISTER_LOOKUP


def is_own_provider(principal: Principal, provider_id: int | None) -> bool:
    return principal.role == "provider" and principal.provider_id is not None and principal.provider_id == provider_id


async def log_read(
    session: AsyncSession, principal: Principal, *, object_type: str, object_id: object, purpose: str,
    now: datetime, action: str = "view", summary: dict[str, Any] | None = None,
) -> None:  # fmt: skip
    await audit.record_read(
        session, principal.actor(on_behalf_of=acting_for(principal)), object_type=object_type, object_id=object_id,
        purpose=purpose, now=now, action=action, summary=summary, region_id=principal.region_id,
    )  # fmt: skip
