"""What other domains (and the wiring) may use from contracts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.models import Provider


async def provider_id_by_agb(session: AsyncSession, region_id: int, agb: str) -> int | None:
    return (
        await session.execute(select(Provider.id).where(Provider.region_id == region_id, Provider.agb == agb))
    ).scalar_one_or_none()


async def seed_region_register(session: AsyncSession, region_id: int) -> int:
    """Give a new region the default requirements of the open-house register."""
    from contracts.defaults import seed_default_requirements

    return await seed_default_requirements(session, region_id)


async def link_applicant(session: AsyncSession, application_id: int, user_id: int) -> None:
    """Record which account follows an application (used when an account is made for an existing one)."""
    from sqlalchemy import update

    from contracts.models import Application

    await session.execute(update(Application).where(Application.id == application_id).values(applicant_user_id=user_id))


@dataclass(frozen=True)
class TeamOverview:
    """The figures on the regional team's start page."""

    applications: dict[str, int]
    providers: dict[str, int]
    evidence: dict[str, int]  # providers with expired / missing / expiring evidence
    contracts_ending: int  # live contracts whose term ends within 180 days


async def team_overview(session: AsyncSession, region_id: int, *, today: date) -> TeamOverview:
    from datetime import timedelta

    from sqlalchemy import func
    from sqlmodel import col

    from contracts.models import Application, FrameworkContract
    from contracts.services.evidence import evidence_problems

    apps: dict[Any, Any] = dict(
        (await session.execute(
            select(Application.status, func.count()).where(Application.region_id == region_id)
            .group_by(Application.status)
        )).all()
    )  # fmt: skip
    providers: dict[Any, Any] = dict(
        (await session.execute(
            select(Provider.status, func.count()).where(Provider.region_id == region_id).group_by(Provider.status)
        )).all()
    )  # fmt: skip
    problems = evidence_problems(region_id, today)
    evidence = (
        await session.execute(
            select(
                func.count().filter(problems.c.expired > 0),
                func.count().filter(problems.c.missing > 0),
                func.count().filter(problems.c.expiring > 0),
            )
            .select_from(problems)
            .join(Provider, Provider.id == problems.c.provider_id)
            .where(Provider.status != "ended")
        )
    ).one()
    ending = (
        await session.execute(
            select(func.count()).where(
                FrameworkContract.region_id == region_id,
                FrameworkContract.status != "terminated",
                col(FrameworkContract.ends_on) <= today + timedelta(days=180),
            )
        )
    ).scalar_one()
    return TeamOverview(
        applications={str(k): int(v) for k, v in apps.items()},
        providers={str(k): int(v) for k, v in providers.items()},
        evidence={"expired": int(evidence[0]), "missing": int(evidence[1]), "expiring": int(evidence[2])},
        contracts_ending=int(ending),
    )


# ---- arrangements, for invoicing and quality ---------------------------------------------------------------
# ARRANGEMENTS is a READ-ONLY handle on contracts_arrangement for set-based reads (settlement, budgets,
# indicators). Other domains never write it: every state change goes through the functions below, which lock
# the row, check the transition table and write the audit event. It holds no identity: youth_pseudonym only.

from contracts.arrangement_rules import (  # noqa: E402
    ARRANGEMENT_STATUS_LABELS,
    EARLY_END_REASONS,
    END_REASONS,
    GOAL_OUTCOMES,
    REFERRER_TYPES,
)
from contracts.models import ArrangementGoalResult as _GoalResult  # noqa: E402
from contracts.models import FamilyPlan as _FamilyPlan  # noqa: E402
from contracts.services.arrangements import (  # noqa: E402
    ARRANGEMENTS,
    ArrangementFacts,
    goals_of,
    mark_ended,
    mark_ended_many,
    mark_started,
    mark_started_many,
)
from contracts.services.arrangements import facts_of as _facts_of  # noqa: E402
from contracts.services.arrangements import load_arrangement as _load_arrangement  # noqa: E402

# Read-only handles for set-based reads by invoicing and quality (never written outside contracts):
# GOAL_RESULTS: contracts_arrangement_goal_result (region_id, arrangement_id, goal_id, outcome)
GOAL_RESULTS = _GoalResult.__table__  # type: ignore[attr-defined]
# PLAN_REFERRERS: (id, region_id, referrer_type) of family plans; join on ARRANGEMENTS.c.plan_id. No identity.
PLAN_REFERRERS = select(_FamilyPlan.id, _FamilyPlan.region_id, _FamilyPlan.referrer_type).subquery("plan_referrers")
# PLAN_BIRTH_DATES: (id, region_id, birth_date) of family plans, ONLY to compute the youth's age (e.g. whether the
# youth gets its own rating link). Never show, log or export the date; the BSN and name are never exposed.
PLAN_BIRTH_DATES = select(_FamilyPlan.id, _FamilyPlan.region_id, _FamilyPlan.birth_date).subquery("plan_birth_dates")
# PROVIDERS: (id, region_id, name, status) of the register's providers (public facts only)
PROVIDERS = select(Provider.id, Provider.region_id, Provider.name, Provider.status).subquery("providers")


async def provider_names(session: AsyncSession, region_id: int, provider_ids: list[int]) -> dict[int, str]:
    """id → name for the region's providers among `provider_ids` (unknown ids are left out)."""
    if not provider_ids:
        return {}
    rows = await session.execute(
        select(Provider.id, Provider.name).where(
            Provider.region_id == region_id, Provider.id.in_(provider_ids)  # type: ignore[union-attr]
        )
    )
    return {int(i): str(n) for i, n in rows}


async def provider_lot_profiles(session: AsyncSession, region_id: int) -> dict[int, list[int]]:
    """provider id → the care profile ids of the lots of its live (not terminated) framework contract."""
    from contracts.models import ContractLot, FrameworkContract

    rows = await session.execute(
        select(FrameworkContract.provider_id, ContractLot.profile_id)
        .join(ContractLot, ContractLot.contract_id == FrameworkContract.id)
        .where(FrameworkContract.region_id == region_id, FrameworkContract.status != "terminated")
        .order_by(FrameworkContract.provider_id, ContractLot.profile_id)
    )
    out: dict[int, list[int]] = {}
    for pid, profile in rows:
        out.setdefault(int(pid), []).append(int(profile))
    return out

__all__ = [
    "ARRANGEMENTS",
    "ARRANGEMENT_STATUS_LABELS",
    "EARLY_END_REASONS",
    "END_REASONS",
    "GOAL_OUTCOMES",
    "GOAL_RESULTS",
    "PLAN_BIRTH_DATES",
    "PLAN_REFERRERS",
    "PROVIDERS",
    "REFERRER_TYPES",
    "ArrangementFacts",
    "TeamOverview",
    "arrangement_facts",
    "goals_of",
    "link_applicant",
    "mark_ended",
    "mark_ended_many",
    "mark_started",
    "mark_started_many",
    "provider_id_by_agb",
    "provider_lot_profiles",
    "provider_names",
    "seed_region_register",
    "team_overview",
]


async def arrangement_facts(
    session: AsyncSession,
    *,
    region_id: int,
    arrangement_id: int | None = None,
    reference: str | None = None,
    provider_id: int | None = None,
    lock: bool = False,
) -> ArrangementFacts:
    """One arrangement by id or reference; NotFound when it is not in the region or (provider_id given) not
    that provider's. `lock`: SELECT … FOR UPDATE (hold it until the end of the caller's transaction)."""
    row = await _load_arrangement(
        session, region_id=region_id, arrangement_id=arrangement_id, reference=reference,
        provider_id=provider_id, lock=lock,
    )  # fmt: skip
    return _facts_of(row)
