"""Demo family plans and arrangements with a fixed seed: about 2,000 arrangements over two years in every state
(proposed, agreed, started, ended, confirmed with results, disputed, cancelled, rejected), with goals, results
per goal, some changes of arrangement and some re-entries of the same youth. Written set-based.

Everything here is fictional: names are invented and BSNs are random numbers that pass the 11-check."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from catalogue.public import arrangement_types, list_profiles, tariff_on
from contracts.arrangement_rules import overall_result
from contracts.models import (
    Arrangement,
    ArrangementGoalResult,
    ContractLot,
    FamilyPlan,
    FamilyPlanGoal,
    FrameworkContract,
)
from jeugdregio.security import pseudonym
from jeugdregio.settings import get_settings

FIRST_NAMES = ["Sam", "Noor", "Milan", "Emma", "Daan", "Lotte", "Finn", "Sara", "Luuk", "Yara", "Bram", "Zoë",
               "Jesse", "Lina", "Mees", "Fenna", "Ravi", "Amira", "Thijs", "Isa"]  # fmt: skip
INITIALS = "ABCDEGHJKLMNPRSTVW"
GOALS = [
    "Naar school gaan zonder verzuim",
    "Rust en regelmaat in het gezin",
    "Ouders kunnen grenzen stellen",
    "Beter omgaan met boosheid",
    "Zelfstandig naar de dagbesteding",
    "Angstklachten verminderd",
    "Contact met vrienden opgebouwd",
    "Veilige thuissituatie",
    "Slaapritme hersteld",
    "Taal- en spraakontwikkeling op niveau",
]
END_REASON_MIX = [("31", 70), ("32", 8), ("33", 5), ("34", 10), ("35", 3), ("38", 4)]
RESULT_MIX = [("achieved", 62), ("partly", 23), ("not", 15)]


def demo_bsn(rng: random.Random) -> str:
    """A random 9-digit number passing the 11-check (fictional)."""
    while True:
        digits = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        last = sum(d * (9 - i) for i, d in enumerate(digits)) % 11
        if last < 10:
            return "".join(map(str, digits)) + str(last)


def _pick(rng: random.Random, mix: list[tuple[str, int]]) -> str:
    return rng.choices([m for m, _ in mix], weights=[w for _, w in mix])[0]


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=UTC)


@dataclass
class _Type:
    id: int
    code: str
    profile_id: int
    payment_model: str
    max_months: int | None


async def _types_by_profile(session: AsyncSession, region_id: int, day: date) -> dict[int, list[_Type]]:
    profile_ids = {p.number: p.id for p in await list_profiles(session, region_id)}
    out: dict[int, list[_Type]] = {}
    for t in await arrangement_types(session, region_id, on=day):
        if t.active and t.payment_model in ("result_50_50", "monthly"):
            pid = profile_ids[t.profile_number]
            out.setdefault(pid, []).append(_Type(t.id, t.code, pid, t.payment_model, t.max_months))
    return out


async def seed_arrangements_demo(
    session: AsyncSession,
    *,
    region_id: int,
    referrer_membership_id: int,
    referrer_user_id: int,
    municipality_ids: list[int],
    rng: random.Random,
    day: date,
    first_day: date,
    arrangements: int = 2000,
) -> int:
    """Seed plans and arrangements agreed between `first_day` (the first tariff day) and `day`. Returns the
    number of arrangements."""
    key = get_settings().pseudonym_key
    lots = await session.execute(
        select(FrameworkContract.provider_id, ContractLot.profile_id)
        .join(ContractLot, ContractLot.contract_id == FrameworkContract.id)
        .where(FrameworkContract.region_id == region_id, FrameworkContract.status == "active")
    )
    providers_by_profile: dict[int, list[int]] = {}
    for provider_id, profile_id in lots:
        providers_by_profile.setdefault(profile_id, []).append(provider_id)
    types = await _types_by_profile(session, region_id, day)
    profiles = sorted(p for p in types if p in providers_by_profile)
    weights = [40 if t[0].payment_model == "result_50_50" else 10 for t in (types[p] for p in profiles)]
    tariffs: dict[tuple[int, int], tuple[int, int]] = {}

    async def tariff(type_id: int, on: date) -> tuple[int, int] | None:
        if (type_id, on.year) not in tariffs:
            view = await tariff_on(session, type_id, on)
            if view is None:
                return None
            tariffs[(type_id, on.year)] = (view.id, view.amount_cents)
        return tariffs[(type_id, on.year)]

    span = (day - first_day).days
    plan_rows: list[dict[str, Any]] = []
    goal_rows: list[dict[str, Any]] = []
    arr_rows: list[dict[str, Any]] = []
    results: list[tuple[int, list[str]]] = []  # (arrangement index, outcome per goal)
    plan_goals: list[int] = []
    youths: list[tuple[str, str]] = []  # (bsn, pseudonym) for re-entries
    seq = 0
    while len(arr_rows) < arrangements:
        seq += 1
        reentry = youths and rng.random() < 0.08
        bsn, pseud = rng.choice(youths) if reentry else (lambda b: (b, pseudonym(key, b)))(demo_bsn(rng))
        if not reentry:
            youths.append((bsn, pseud))
        created = first_day + timedelta(days=int(span * rng.random() ** 0.8))
        profile_id = rng.choices(profiles, weights=weights)[0]
        n_goals = rng.randint(1, 4)
        plan_index = len(plan_rows)
        plan_rows.append({
            "region_id": region_id, "reference": f"GP-{created.year}-{seq:06d}",
            "referrer_membership_id": referrer_membership_id,
            "referrer_type": _pick(rng, [("01", 80), ("02", 8), ("03", 4), ("04", 6), ("05", 2)]),
            "bsn": bsn, "youth_pseudonym": pseud,
            "youth_name": f"{rng.choice(FIRST_NAMES)} {rng.choice(INITIALS)}. (fictief)",
            "birth_date": created - timedelta(days=rng.randint(365, 17 * 365)),
            "paying_municipality_id": rng.choice(municipality_ids),
            "residence_basis": "registered_address", "profile_id": profile_id,
            "situation": "Fictieve gezinssituatie (demodata).", "status": "open",
            "created_by": referrer_user_id, "created_at": _at(created, 9),
        })  # fmt: skip
        plan_goals.append(n_goals)
        for position, text in enumerate(rng.sample(GOALS, n_goals), start=1):
            goal_rows.append({"region_id": region_id, "plan_index": plan_index, "position": position,
                              "description": text})  # fmt: skip
        chain = 2 if rng.random() < 0.06 else 1  # a change of arrangement mid-way
        previous: int | None = None
        start_from = created + timedelta(days=rng.randint(3, 20))
        for link in range(chain):
            t = rng.choice(types[profile_id])
            provider_id = rng.choice(providers_by_profile[profile_id])
            plan_rows[plan_index]["invited_provider_id"] = provider_id  # the provider the family chose
            age = (day - start_from).days
            agreed_on = start_from - timedelta(days=rng.randint(1, 10))
            row: dict[str, Any] = {
                "region_id": region_id, "reference": f"AR-{created.year}-{len(arr_rows) + 1:06d}",
                "plan_index": plan_index, "provider_id": provider_id, "arrangement_type_id": t.id,
                "profile_id": profile_id, "payment_model": t.payment_model, "max_months": t.max_months,
                "paying_municipality_id": plan_rows[plan_index]["paying_municipality_id"],
                "youth_pseudonym": pseud, "status": "proposed", "planned_start": start_from, "subcontractors": [],
                "assigned_units": None, "created_by": referrer_user_id, "created_at": _at(agreed_on, 9),
                "updated_at": _at(min(day, start_from), 11), "link_kind": None, "previous_index": previous,
            }  # fmt: skip
            fixed = await tariff(t.id, agreed_on) if agreed_on >= first_day else None
            roll = rng.random()
            if age < 0 or fixed is None or roll < 0.025:
                row["status"] = "proposed" if roll < 0.015 or fixed is None else "rejected"
                if row["status"] == "rejected":
                    row["cancel_reason"] = "Het voorstel past niet bij de doelen van het gezinsplan."
                arr_rows.append(row)
                break
            row.update(_agreed(agreed_on, fixed, referrer_user_id))
            if roll < 0.04:
                row["status"] = "cancelled"
                row["cancel_reason"] = "De familie heeft besloten geen hulp te starten."
                arr_rows.append(row)
                break
            if age < 7:
                row["status"] = "agreed"
                arr_rows.append(row)
                break
            row["status"] = "started"
            row["start_date"] = start_from
            months = rng.randint(2, t.max_months + 2) if t.max_months else rng.randint(3, 14)
            end = start_from + timedelta(days=30 * months + rng.randint(-10, 10))
            if link + 1 < chain:  # changed mid-way: this one ends with reason 'change'
                end = start_from + timedelta(days=rng.randint(40, 120))
                if end >= day:
                    arr_rows.append(row)
                    break
                row.update(status="confirmed", end_date=end, end_reason="change", result=None,
                           ended_reported_at=_at(end), confirmed_at=_at(end))  # fmt: skip
                arr_rows.append(row)
                previous = len(arr_rows) - 1
                start_from = end + timedelta(days=1)
                continue
            if previous is not None:
                row["link_kind"] = "change"
            if end >= day - timedelta(days=3):
                arr_rows.append(row)
                break
            reason = _pick(rng, END_REASON_MIX)
            outcomes = [_pick(rng, RESULT_MIX) for _ in range(n_goals)]
            if reason in ("32", "33", "38"):
                outcomes = ["not" if o == "achieved" and rng.random() < 0.6 else o for o in outcomes]
                end = min(end, start_from + timedelta(days=rng.randint(20, 90)))
            reported = end + timedelta(days=rng.randint(1, 10))
            row.update(end_date=end, end_reason=reason, result=overall_result(outcomes),
                       ended_reported_at=_at(min(reported, day)))  # fmt: skip
            confirm_day = reported + timedelta(days=rng.randint(2, 20))
            if confirm_day >= day:
                row["status"] = "ended"
            elif rng.random() < 0.02:
                row["status"] = "disputed"
                row["dispute_reason"] = "De familie herkent het resultaat niet."
            else:
                row.update(status="confirmed", confirmed_at=_at(confirm_day), confirmed_by=referrer_user_id)
            results.append((len(arr_rows), outcomes))
            arr_rows.append(row)
            break

    plan_ids = await _insert_ids(session, FamilyPlan, plan_rows)
    goal_ids = await _insert_ids(
        session,
        FamilyPlanGoal,
        [{**{k: v for k, v in g.items() if k != "plan_index"}, "plan_id": plan_ids[g["plan_index"]]}
         for g in goal_rows],
    )
    goals_of_plan: dict[int, list[int]] = {}
    for g, gid in zip(goal_rows, goal_ids, strict=True):
        goals_of_plan.setdefault(g["plan_index"], []).append(gid)
    plan_index_of: dict[int, int] = {}
    for index, row in enumerate(arr_rows):
        plan_index_of[index] = row.pop("plan_index")
        row["plan_id"] = plan_ids[plan_index_of[index]]
    plain_rows = [{k: v for k, v in r.items() if k != "previous_index"} for r in arr_rows]
    arrangement_ids = await _insert_ids(session, Arrangement, plain_rows)
    for index, r in enumerate(arr_rows):
        if r.get("previous_index") is None:
            continue
        await session.execute(
            update(Arrangement)
            .where(Arrangement.id == arrangement_ids[index])
            .values(previous_arrangement_id=arrangement_ids[r["previous_index"]], link_kind="change")
        )
    result_rows = []
    for index, outcomes in results:
        for goal_id, outcome in zip(goals_of_plan[plan_index_of[index]], outcomes, strict=True):
            result_rows.append({"region_id": region_id, "arrangement_id": arrangement_ids[index],
                                "goal_id": goal_id, "outcome": outcome})  # fmt: skip
    if result_rows:
        await session.execute(insert(ArrangementGoalResult), result_rows)
    return len(arrangement_ids)


def _agreed(agreed_on: date, fixed: tuple[int, int], user_id: int) -> dict[str, Any]:
    at = _at(agreed_on, 14)
    return {
        "referrer_agreed_at": at, "referrer_agreed_by": user_id, "family_agreed_at": at,
        "family_agreed_note": "Ouder, in het gesprek over het gezinsplan (demo)", "provider_agreed_at": at,
        "agreed_on": agreed_on, "tariff_id": fixed[0], "tariff_cents": fixed[1],
    }  # fmt: skip


async def _insert_ids(session: AsyncSession, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """One multi-row INSERT; the new ids in the order of `rows`."""
    statement = insert(model).returning(model.id, sort_by_parameter_order=True)
    return list((await session.execute(statement, rows)).scalars())
