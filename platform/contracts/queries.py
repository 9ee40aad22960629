"""Row scoping for the register: every read goes through one of these `*_visible_to(principal)` builders.

Team roles see their region; an applicant its own applications; a provider its own organisation;
municipalities and referrers see the register of admitted providers (no applications, no evidence)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from contracts.models import Application, ContractLot, Evidence, FrameworkContract, Provider
from jeugdregio.auth import Principal
from jeugdregio.errors import NotFound


def applications_visible_to(principal: Principal) -> Any:
    q = select(Application).where(Application.region_id == principal.region_id)
    if principal.is_team:
        return q
    if principal.role == "applicant":
        return q.where(Application.applicant_user_id == principal.user_id)
    if principal.role == "provider" and principal.provider_id is not None:
        return q.where(
            or_(Application.provider_id == principal.provider_id, Application.applicant_user_id == principal.user_id)
        )
    return q.where(false())


def providers_visible_to(principal: Principal) -> Any:
    q = select(Provider).where(Provider.region_id == principal.region_id)
    if principal.is_team or principal.role in ("municipality", "referrer"):
        return q
    if principal.role == "provider" and principal.provider_id is not None:
        return q.where(Provider.id == principal.provider_id)
    return q.where(false())


def contracts_visible_to(principal: Principal) -> Any:
    q = select(FrameworkContract).where(FrameworkContract.region_id == principal.region_id)
    if principal.is_team or principal.role in ("municipality", "referrer"):
        return q
    if principal.role == "provider" and principal.provider_id is not None:
        return q.where(FrameworkContract.provider_id == principal.provider_id)
    return q.where(false())


def evidence_visible_to(principal: Principal) -> Any:
    """Evidence documents: the team, the provider itself, the applicant for its own application."""
    q = select(Evidence).where(Evidence.region_id == principal.region_id)
    if principal.is_team:
        return q
    own_applications = select(Application.id).where(
        Application.region_id == principal.region_id, Application.applicant_user_id == principal.user_id
    )
    if principal.role == "provider" and principal.provider_id is not None:
        return q.where(
            or_(Evidence.provider_id == principal.provider_id, col(Evidence.application_id).in_(own_applications))
        )
    if principal.role == "applicant":
        return q.where(col(Evidence.application_id).in_(own_applications))
    return q.where(false())


# ---- shared fragments -----------------------------------------------------------------------------------


def lots_per_contract(region_id: int) -> Any:
    """Subquery: (contract_id, profile_ids) with the lots of every contract of the region as one array."""
    return (
        select(ContractLot.contract_id, func.array_agg(ContractLot.profile_id).label("profile_ids"))
        .where(ContractLot.region_id == region_id)
        .group_by(ContractLot.contract_id)
        .subquery("lots")
    )


def contains_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, its wildcards escaped (backslash, the PostgreSQL default)."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def scalar_or_not_found(session: AsyncSession, q: Any) -> Any:
    """The one value (or row object) `q` selects; NotFound (404) when there is none, e.g. not visible."""
    value = (await session.execute(q)).scalar_one_or_none()
    if value is None:
        raise NotFound()
    return value


# ---- arrangements (the conversation model) --------------------------------------------------------------


def arrangements_visible_to(principal: Principal) -> Any:
    """Team: the region; provider: its own; municipality: its residents' (the paying municipality); referrer:
    the arrangements on its own family plans; others: nothing."""
    from contracts.models import Arrangement, FamilyPlan

    q = select(Arrangement).where(Arrangement.region_id == principal.region_id)
    if principal.is_team:
        return q
    if principal.role == "provider" and principal.provider_id is not None:
        return q.where(Arrangement.provider_id == principal.provider_id)
    if principal.role == "municipality" and principal.municipality_id is not None:
        return q.where(Arrangement.paying_municipality_id == principal.municipality_id)
    if principal.role == "referrer":
        own = select(FamilyPlan.id).where(
            FamilyPlan.region_id == principal.region_id, FamilyPlan.referrer_membership_id == principal.membership_id
        )
        return q.where(col(Arrangement.plan_id).in_(own))
    return q.where(false())
