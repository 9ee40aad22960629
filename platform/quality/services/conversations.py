"""Contract conversations (contractgesprekken, DOMAIN.md §5): the schedule per provider, the notes and the agreed
actions that are carried into the provider's next pack.

- The schedule is made by a worker job (`plan_conversations_job`): per region, one conversation per provider per
  period — quarterly for high-complex providers, yearly for the others (region settings,
  `quality_conversation_settings`) — in ONE set-based INSERT … SELECT … ON CONFLICT DO NOTHING on the unique
  (region_id, provider_id, period_label): a rerun creates nothing new.
- "High-complex provider": a lot for a profile whose catalogue complexity is 'high' on its live framework
  contract (contracts.public.provider_lot_profiles), or arrangements (not cancelled/rejected) for such a profile.
- Row scoping: the team roles that hold conversations see the region; a provider sees only its own (read-only,
  except the status of the actions it owns); anyone else sees nothing. Foreign objects → 404."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, false, func, literal, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from catalogue.public import list_profiles
from contracts.public import ARRANGEMENTS, PROVIDERS, provider_lot_profiles
from jeugdregio import audit
from jeugdregio.auth import Principal
from jeugdregio.clock import today
from jeugdregio.errors import ErrorCollector, InvalidTransition, NotFound, ValidationFailed
from jeugdregio.tables import Region
from quality.models import (
    ACTION_OWNERS,
    ACTION_STATUSES,
    CONVERSATION_FREQUENCIES,
    ContractConversation,
    ConversationAction,
)
from quality.services.conversation_settings import settings_of

TEAM_CONVERSATION_ROLES = ("team_admin", "team_contracts", "team_quality")
FREQUENCY_LABELS = {"quarter": "per kwartaal", "half_year": "per half jaar", "year": "per jaar"}
STATUS_LABELS = {"planned": "Gepland", "held": "Gehouden", "cancelled": "Geannuleerd"}
ACTION_STATUS_LABELS = {"open": "Open", "done": "Afgerond", "dropped": "Vervallen"}
OWNER_LABELS = {"team": "Regioteam", "provider": "Aanbieder"}
TEXT_MAX = 5000
NAME_MAX = 200



# ---- pure rules ----------------------------------------------------------------------------------------------


def period_of(day: date, frequency: str) -> tuple[str, date, date]:
    """The period containing `day`: (label, first day, last day). Labels: 2026-K1, 2026-H2, 2026."""
    if frequency not in CONVERSATION_FREQUENCIES:
        raise ValueError(f"unknown frequency {frequency!r}")
    if frequency == "year":
        return str(day.year), date(day.year, 1, 1), date(day.year, 12, 31)
    months = 3 if frequency == "quarter" else 6
    index = (day.month - 1) // months
    start = date(day.year, index * months + 1, 1)
    end_month = start.month + months
    end = (date(day.year + 1, 1, 1) if end_month > 12 else date(day.year, end_month, 1)) - timedelta(days=1)
    label = f"{day.year}-{'K' if frequency == 'quarter' else 'H'}{index + 1}"
    return label, start, end


def planned_date(period_end: date, days_after: int) -> date:
    """The conversation is planned a few weeks after its period ends (the figures are then complete); a weekend
    moves to the Monday after."""
    day = period_end + timedelta(days=days_after)
    return day + timedelta(days=(7 - day.weekday()) % 7) if day.weekday() >= 5 else day


# ---- the schedule job ----------------------------------------------------------------------------------------


async def high_complex_profile_ids(session: AsyncSession, region_id: int) -> list[int]:
    return [p.id for p in await list_profiles(session, region_id) if p.complexity == "high"]


async def plan_conversations(session: AsyncSession, region_id: int, *, actor: audit.Actor, now: datetime) -> int:
    """Create the current period's conversation for every provider of the region that is not ended (one
    set-based insert per frequency); existing ones are left alone. Returns the number created."""
    settings = await settings_of(session, region_id)
    high = set(await high_complex_profile_ids(session, region_id))
    lots = await provider_lot_profiles(session, region_id)
    by_lots = [pid for pid, profiles in lots.items() if high & set(profiles)]
    a = ARRANGEMENTS
    by_arrangements = (
        select(literal(1))
        .where(a.c.region_id == region_id, a.c.provider_id == PROVIDERS.c.id, a.c.profile_id.in_(high or [-1]),
               a.c.status.notin_(("cancelled", "rejected")))
        .exists()
    )  # fmt: skip
    is_high = or_(PROVIDERS.c.id.in_(by_lots or [-1]), by_arrangements)
    created = 0
    for frequency, high_flag in ((settings.high_complex, True), (settings.other, False)):
        label, start, end = period_of(today(now), frequency)
        chosen = (
            select(
                literal(region_id), PROVIDERS.c.id, literal(frequency), literal(label), literal(start),
                literal(end), literal(planned_date(end, settings.plan_days_after_period)), literal("planned"),
                literal(now), literal(now),
            )
            .where(PROVIDERS.c.region_id == region_id, PROVIDERS.c.status != "ended",
                   is_high if high_flag else ~is_high)
        )  # fmt: skip
        t = ContractConversation.__table__  # type: ignore[attr-defined]
        stmt = (
            insert(t)
            .from_select(["region_id", "provider_id", "frequency", "period_label", "period_start", "period_end",
                          "planned_on", "status", "created_at", "updated_at"], chosen)
            .on_conflict_do_nothing(index_elements=["region_id", "provider_id", "period_label"])
            .returning(t.c.id)
        )  # fmt: skip
        created += len((await session.execute(stmt)).all())
    if created:
        await audit.record(session, actor, object_type="contract_conversation_schedule", object_id=region_id,
                           action="plan", now=now, summary={"aangemaakt": created}, region_id=region_id)  # fmt: skip
    return created


async def plan_conversations_job(session: AsyncSession, *, now: datetime) -> dict[str, Any]:
    """Worker job: the schedule for every region (idempotent; the scheduler holds the (job, period) lock)."""
    region_ids = (await session.execute(select(Region.id).order_by(col(Region.id)))).scalars().all()
    created = 0
    for region_id in region_ids:
        created += await plan_conversations(
            session, region_id, actor=audit.Actor.system("plan_conversations", region_id), now=now
        )
    return {"regions": len(region_ids), "created": created}


# ---- reading -------------------------------------------------------------------------------------------------


def conversations_visible_to(principal: Principal) -> Any:
    q = select(ContractConversation).where(col(ContractConversation.region_id) == principal.region_id)
    if principal.role in TEAM_CONVERSATION_ROLES:
        return q
    if principal.role == "provider" and principal.provider_id is not None:
        return q.where(col(ContractConversation.provider_id) == principal.provider_id)
    return q.where(false())


@dataclass(frozen=True)
class ConversationRow:
    id: int
    provider_id: int
    provider_name: str
    frequency: str
    period_label: str
    period_start: date
    period_end: date
    planned_on: date
    status: str
    held_on: date | None
    open_actions: int


@dataclass(frozen=True)
class Filters:
    status: str = ""
    provider_id: int | None = None
    period: str = ""

    def as_form(self) -> dict[str, str]:
        return {"status": self.status, "provider_id": str(self.provider_id or ""), "period": self.period}


def parse_filters(params: Any) -> tuple[Filters, dict[str, str]]:
    """Query-string filters; unknown values are reported (and left out), never a 500."""
    errors: dict[str, str] = {}
    status = str(params.get("status", "") or "")
    if status and status not in STATUS_LABELS:
        errors["status"] = "Kies een bestaande status."
        status = ""
    provider_raw = str(params.get("provider_id", "") or "")
    provider_id = int(provider_raw) if provider_raw.isdigit() and len(provider_raw) < 10 else None
    if provider_raw and provider_id is None:
        errors["provider_id"] = "Kies een aanbieder uit de lijst."
    period = str(params.get("period", "") or "")[:10].strip().upper()
    return Filters(status, provider_id, period), errors


async def list_conversations(
    session: AsyncSession, principal: Principal, filters: Filters = Filters(), *, limit: int = 500
) -> list[ConversationRow]:
    c = ContractConversation
    open_actions = (
        select(func.count()).select_from(ConversationAction)
        .where(col(ConversationAction.conversation_id) == c.id, col(ConversationAction.status) == "open")
        .scalar_subquery()
    )  # fmt: skip
    q = (
        conversations_visible_to(principal)
        .add_columns(PROVIDERS.c.name, open_actions)
        .join(PROVIDERS, PROVIDERS.c.id == c.provider_id)
        .order_by(col(c.planned_on).desc(), PROVIDERS.c.name)
        .limit(limit)
    )
    if filters.status:
        q = q.where(col(c.status) == filters.status)
    if filters.provider_id:
        q = q.where(col(c.provider_id) == filters.provider_id)
    if filters.period:
        q = q.where(col(c.period_label) == filters.period)
    rows = (await session.execute(q)).all()
    return [
        ConversationRow(r[0].id, r[0].provider_id, r[1], r[0].frequency, r[0].period_label, r[0].period_start,
                        r[0].period_end, r[0].planned_on, r[0].status, r[0].held_on, int(r[2]))
        for r in rows
    ]


async def provider_options(session: AsyncSession, region_id: int) -> list[tuple[int, str]]:
    rows = await session.execute(
        select(PROVIDERS.c.id, PROVIDERS.c.name).where(PROVIDERS.c.region_id == region_id).order_by(PROVIDERS.c.name)
    )
    return [(int(r[0]), str(r[1])) for r in rows]


async def load_conversation(session: AsyncSession, principal: Principal, conversation_id: int) -> ContractConversation:
    q = conversations_visible_to(principal).where(col(ContractConversation.id) == conversation_id)
    row = (await session.execute(q)).scalar_one_or_none()
    if row is None:
        raise NotFound()
    return row  # type: ignore[no-any-return]


async def provider_name(session: AsyncSession, region_id: int, provider_id: int) -> str:
    name = (
        await session.execute(
            select(PROVIDERS.c.name).where(PROVIDERS.c.region_id == region_id, PROVIDERS.c.id == provider_id)
        )
    ).scalar_one_or_none()
    return str(name or "")


async def actions_of(session: AsyncSession, conversation: ContractConversation) -> list[ConversationAction]:
    rows = await session.execute(
        select(ConversationAction)
        .where(col(ConversationAction.region_id) == conversation.region_id,
               col(ConversationAction.conversation_id) == conversation.id)
        .order_by(col(ConversationAction.due_on), col(ConversationAction.id))
    )  # fmt: skip
    return list(rows.scalars())


async def carried_actions(session: AsyncSession, conversation: ContractConversation) -> list[ConversationAction]:
    """The open actions from the provider's earlier conversations: carried into this one's pack and page."""
    earlier = select(ContractConversation.id).where(
        col(ContractConversation.region_id) == conversation.region_id,
        col(ContractConversation.provider_id) == conversation.provider_id,
        col(ContractConversation.period_start) < conversation.period_start,
    )
    rows = await session.execute(
        select(ConversationAction)
        .where(col(ConversationAction.region_id) == conversation.region_id,
               col(ConversationAction.conversation_id).in_(earlier), col(ConversationAction.status) == "open")
        .order_by(col(ConversationAction.due_on), col(ConversationAction.id))
    )  # fmt: skip
    return list(rows.scalars())


@dataclass(frozen=True)
class ConversationDetail:
    conversation: ContractConversation
    provider_name: str
    actions: list[ConversationAction]
    carried: list[ConversationAction]


async def conversation_detail(session: AsyncSession, principal: Principal, conversation_id: int) -> ConversationDetail:
    c = await load_conversation(session, principal, conversation_id)
    return ConversationDetail(
        c, await provider_name(session, c.region_id, c.provider_id), await actions_of(session, c),
        await carried_actions(session, c),
    )  # fmt: skip


# ---- writing: notes, status, actions -------------------------------------------------------------------------


def _parse_date(raw: str, field: str, label: str, errors: ErrorCollector) -> date | None:
    raw = raw.strip()
    if not raw:
        errors.add(field, f"Vul de {label} in.")
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors.add(field, f"De {label} is geen geldige datum (jjjj-mm-dd).")
        return None


async def record_conversation(
    session: AsyncSession, principal: Principal, conversation_id: int, *, outcome: str, held_on: str, notes: str,
    cancel_reason: str = "", actor: audit.Actor, now: datetime,
) -> ContractConversation:  # fmt: skip
    """The team writes the notes: `outcome` 'held' (with the date), 'cancelled' (with a reason) or 'planned'
    (notes only, e.g. the agenda). A cancelled conversation cannot be changed any more."""
    if principal.role not in TEAM_CONVERSATION_ROLES:
        raise NotFound()
    c = await load_conversation(session, principal, conversation_id)
    if c.status == "cancelled":
        raise InvalidTransition("Dit contractgesprek is geannuleerd en kan niet meer worden gewijzigd.")
    errors = ErrorCollector()
    if outcome not in STATUS_LABELS:
        errors.add("uitkomst", "Kies: gepland, gehouden of geannuleerd.")
    if len(notes) > TEXT_MAX:
        errors.add("verslag", f"Het verslag is langer dan {TEXT_MAX} tekens.")
    day = None
    if outcome == "held":
        day = _parse_date(held_on, "gehouden_op", "gespreksdatum", errors)
        if day is not None and day > today(now):
            errors.add("gehouden_op", "De gespreksdatum ligt in de toekomst.")
    if outcome == "cancelled" and not cancel_reason.strip():
        errors.add("reden", "Geef een reden voor het annuleren.")
    errors.raise_if_any()
    before = {"status": c.status, "gehouden_op": str(c.held_on or "")}
    c.status, c.notes, c.updated_at = outcome, notes.strip(), now
    c.held_on = day if outcome == "held" else c.held_on
    c.cancel_reason = cancel_reason.strip()[:TEXT_MAX] if outcome == "cancelled" else c.cancel_reason
    await audit.record(session, actor, object_type="contract_conversation", object_id=c.id, action="record",
                       now=now, summary=audit.changes(before, {"status": c.status,
                                                              "gehouden_op": str(c.held_on or "")}))  # fmt: skip
    return c


async def add_action(
    session: AsyncSession, principal: Principal, conversation_id: int, *, description: str, owner_side: str,
    owner_name: str, due_on: str, actor: audit.Actor, now: datetime,
) -> ConversationAction:  # fmt: skip
    if principal.role not in TEAM_CONVERSATION_ROLES:
        raise NotFound()
    c = await load_conversation(session, principal, conversation_id)
    if c.status == "cancelled":
        raise InvalidTransition("Bij een geannuleerd contractgesprek horen geen acties.")
    errors = ErrorCollector()
    if not description.strip():
        errors.add("omschrijving", "Beschrijf de actie.")
    elif len(description) > TEXT_MAX:
        errors.add("omschrijving", f"De omschrijving is langer dan {TEXT_MAX} tekens.")
    if owner_side not in ACTION_OWNERS:
        errors.add("eigenaar", "Kies wie de actie uitvoert: het regioteam of de aanbieder.")
    if not owner_name.strip():
        errors.add("naam", "Vul de naam in van wie de actie uitvoert.")
    elif len(owner_name) > NAME_MAX:
        errors.add("naam", f"De naam is langer dan {NAME_MAX} tekens.")
    due = _parse_date(due_on, "deadline", "deadline", errors)
    errors.raise_if_any()
    assert due is not None
    action = ConversationAction(
        region_id=c.region_id, conversation_id=c.id, provider_id=c.provider_id, description=description.strip(),
        owner_side=owner_side, owner_name=owner_name.strip(), due_on=due, created_at=now, updated_at=now,
    )  # fmt: skip
    session.add(action)
    await session.flush()
    summary = {"gesprek": c.id, "eigenaar": owner_side, "deadline": due.isoformat()}
    await audit.record(session, actor, object_type="conversation_action", object_id=action.id, action="create",
                       now=now, summary=summary)  # fmt: skip
    return action


async def set_action_status(
    session: AsyncSession, principal: Principal, conversation_id: int, *, action_id: str, status: str, note: str,
    actor: audit.Actor, now: datetime,
) -> ConversationAction:  # fmt: skip
    """Team: any action of a conversation it sees (also carried ones of the same provider). Provider: only the
    actions it owns (owner_side 'provider') of its own conversations; another's → 404."""
    c = await load_conversation(session, principal, conversation_id)
    if not action_id.isdigit() or len(action_id) > 12:
        raise NotFound()
    if status not in ACTION_STATUSES:
        raise ValidationFailed.single("status", "Kies: open, afgerond of vervallen.")
    if len(note) > TEXT_MAX:
        raise ValidationFailed.single("toelichting", f"De toelichting is langer dan {TEXT_MAX} tekens.")
    a = ConversationAction
    conditions = [col(a.id) == int(action_id), col(a.region_id) == c.region_id, col(a.provider_id) == c.provider_id]
    if principal.role == "provider":
        conditions.append(col(a.owner_side) == "provider")
    elif principal.role not in TEAM_CONVERSATION_ROLES:
        raise NotFound()
    row = (await session.execute(select(a).where(and_(*conditions)).with_for_update())).scalar_one_or_none()
    if row is None:
        raise NotFound()
    before = row.status
    row.status, row.status_note, row.updated_at = status, note.strip(), now
    await audit.record(session, actor, object_type="conversation_action", object_id=row.id, action="status",
                       now=now, summary={"voor": before, "na": status})  # fmt: skip
    return row


__all__ = [
    "add_action",
    "conversation_detail",
    "conversations_visible_to",
    "list_conversations",
    "plan_conversations",
    "plan_conversations_job",
    "record_conversation",
    "set_action_status",
]
