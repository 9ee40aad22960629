"""The yearly tariff schedule: draft by indexation → consultation with providers (comments) → adoption.

Services never commit; every state change writes an audit event. Adoption puts the new periods through
`tariffs.put_period` under the same row lock as a single tariff change."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from catalogue.models import ArrangementType, Listing, Tariff, TariffComment, TariffDraftLine, TariffSchedule
from catalogue.services.tariffs import arrangement_types, lock_type, put_period, tariff_on
from catalogue.tariff_rules import (
    SCHEDULE_LABELS,
    first_day,
    format_percentage,
    index_amount,
    last_day_before,
    schedule_next,
)
from jeugdregio import audit
from jeugdregio.audit import Actor
from jeugdregio.clock import today
from jeugdregio.errors import Conflict, ErrorCollector, NotFound, ValidationFailed
from jeugdregio.templating import datum

COMMENT_MAX = 4000
NOTE_MAX = 1000
ONCE = "Voor {year} is al een tarieventabel opgesteld; die kan maar één keer worden opgesteld."


@dataclass(frozen=True)
class DraftLineView:
    arrangement_type_id: int
    code: str
    label: str
    previous_cents: int
    amount_cents: int
    override_basis_points: int | None

    def as_json(self) -> dict[str, Any]:
        return {"arrangement_type_id": self.arrangement_type_id, "code": self.code,
                "previous_cents": self.previous_cents, "amount_cents": self.amount_cents,
                "override_basis_points": self.override_basis_points}  # fmt: skip


@dataclass(frozen=True)
class CommentView:
    id: int
    provider_id: int
    provider_name: str
    arrangement_type_id: int | None
    code: str
    body: str
    created_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "provider_id": self.provider_id, "arrangement_type_id": self.arrangement_type_id,
                "code": self.code or None, "body": self.body, "created_at": self.created_at.isoformat()}  # fmt: skip


@dataclass(frozen=True)
class ScheduleView:
    schedule: TariffSchedule
    lines: list[DraftLineView] = field(default_factory=list)
    comments: list[CommentView] = field(default_factory=list)

    @property
    def status_label(self) -> str:
        return SCHEDULE_LABELS.get(self.schedule.status, self.schedule.status)

    @property
    def percentage(self) -> str:
        return format_percentage(self.schedule.indexation_basis_points)

    def as_json(self) -> dict[str, Any]:
        s = self.schedule
        return {
            "year": s.year, "status": s.status, "indexation_basis_points": s.indexation_basis_points,
            "rounding": s.rounding, "note": s.note,
            "consultation_until": s.consultation_until.isoformat() if s.consultation_until else None,
            "adopted_at": s.adopted_at.isoformat() if s.adopted_at else None,
            "lines": [ln.as_json() for ln in self.lines], "comments": [c.as_json() for c in self.comments],
        }  # fmt: skip


async def list_schedules(session: AsyncSession, region_id: int, *, provider: bool = False) -> list[TariffSchedule]:
    """The region's schedules, newest year first; a provider sees none in draft."""
    q = select(TariffSchedule).where(TariffSchedule.region_id == region_id)
    if provider:
        q = q.where(TariffSchedule.status != "draft")
    return list((await session.execute(q.order_by(col(TariffSchedule.year).desc()))).scalars())


async def _schedule(session: AsyncSession, region_id: int, year: int, *, lock: bool = False,
                    provider: bool = False) -> TariffSchedule:  # fmt: skip
    q = select(TariffSchedule).where(TariffSchedule.region_id == region_id, TariffSchedule.year == year)
    row = (await session.execute(q.with_for_update() if lock else q)).scalar_one_or_none()
    if row is None or (provider and row.status == "draft"):
        raise NotFound()
    return row


async def schedule_detail(
    session: AsyncSession, region_id: int, year: int, *, provider_id: int | None = None, provider: bool = False
) -> ScheduleView:
    """A schedule with its lines and comments. A provider (provider=True) never sees a draft and sees only the
    comments of its own organisation (`provider_id`); the team sees all comments."""
    schedule = await _schedule(session, region_id, year, provider=provider)
    rows = await arrangement_types(session, region_id, on=first_day(year))
    by_id = {r.id: r for r in rows}
    order = {r.id: n for n, r in enumerate(rows)}
    lines = (await session.execute(select(TariffDraftLine).where(TariffDraftLine.schedule_id == schedule.id))).scalars()
    views = sorted(
        (DraftLineView(ln.arrangement_type_id, by_id[ln.arrangement_type_id].code, by_id[ln.arrangement_type_id].label,
                       ln.previous_cents, ln.amount_cents, ln.override_basis_points) for ln in lines),
        key=lambda v: order[v.arrangement_type_id],
    )  # fmt: skip
    q = (
        select(TariffComment, Listing.name)
        .outerjoin(Listing, and_(Listing.provider_id == TariffComment.provider_id, Listing.region_id == region_id))
        .where(TariffComment.schedule_id == schedule.id)
        .order_by(col(TariffComment.created_at), col(TariffComment.id))
    )
    if provider:
        q = q.where(TariffComment.provider_id == (provider_id if provider_id is not None else -1))
    comments = [
        CommentView(c.id, c.provider_id, name or f"Aanbieder {c.provider_id}", c.arrangement_type_id,
                    by_id[c.arrangement_type_id].code if c.arrangement_type_id in by_id else "", c.body, c.created_at)
        for c, name in (await session.execute(q)).all()
    ]  # fmt: skip
    return ScheduleView(schedule, views, comments)


async def draft_schedule(
    session: AsyncSession, *, region_id: int, year: int, basis_points: int, overrides: Mapping[int, int] | None = None,
    note: str = "", actor: Actor, now: datetime,
) -> TariffSchedule:  # fmt: skip
    """Next year's table: every arrangement type's open tariff indexed by `basis_points` (or its own percentage
    in `overrides`, type id -> basis points), rounded half up to cents. One schedule per year (409 otherwise)."""
    overrides = dict(overrides or {})
    errors = ErrorCollector()
    if not today(now).year <= year <= today(now).year + 2:
        errors.add("year", f"Kies een jaar van {today(now).year} tot en met {today(now).year + 2}.")
    if len(note) > NOTE_MAX:
        errors.add("note", f"De toelichting mag maximaal {NOTE_MAX} tekens zijn.")
    errors.raise_if_any()
    if (await session.execute(select(TariffSchedule.id).where(
            TariffSchedule.region_id == region_id, TariffSchedule.year == year))).first():  # fmt: skip
        raise Conflict(ONCE.format(year=year))
    open_tariffs = {
        t.arrangement_type_id: t
        for t in (await session.execute(
            select(Tariff).join(ArrangementType, ArrangementType.id == Tariff.arrangement_type_id)
            .where(Tariff.region_id == region_id, col(Tariff.valid_until).is_(None), col(ArrangementType.active))
        )).scalars()
    }  # fmt: skip
    unknown = sorted(set(overrides) - set(open_tariffs))
    if unknown:
        raise ValidationFailed.single("overrides", "Een eigen percentage kan alleen voor een arrangementtype met een "
                                      f"geldend tarief (onbekend: {', '.join(map(str, unknown))}).")  # fmt: skip
    late = [t for t in open_tariffs.values() if t.valid_from >= first_day(year)]
    if late:
        raise ValidationFailed.single("year", f"Er gelden al tarieven vanaf {datum(late[0].valid_from)}; "
                                      f"kies een later jaar dan {year}.")  # fmt: skip
    schedule = TariffSchedule(region_id=region_id, year=year, status="draft", indexation_basis_points=basis_points,
                              note=note.strip(), created_by=actor.user_id, created_at=now)  # fmt: skip
    try:
        async with session.begin_nested():  # two drafts at once: the unique (region, year) decides
            session.add(schedule)
            await session.flush()
    except IntegrityError:
        raise Conflict(ONCE.format(year=year)) from None
    assert schedule.id is not None
    for type_id, t in sorted(open_tariffs.items()):
        bp = overrides.get(type_id)
        session.add(TariffDraftLine(
            region_id=region_id, schedule_id=schedule.id, arrangement_type_id=type_id, previous_cents=t.amount_cents,
            amount_cents=index_amount(t.amount_cents, basis_points if bp is None else bp), override_basis_points=bp,
        ))  # fmt: skip
    await session.flush()
    await audit.record(
        session, actor, object_type="tariff_schedule", object_id=schedule.id, action="draft", now=now,
        summary={"jaar": year, "indexatie_bp": basis_points, "regels": len(open_tariffs),
                 "eigen_percentages": {str(k): v for k, v in overrides.items()}},
    )  # fmt: skip
    return schedule


async def update_draft_line(
    session: AsyncSession, *, region_id: int, year: int, arrangement_type_id: int, amount_cents: int | None = None,
    basis_points: int | None = None, actor: Actor, now: datetime,
) -> DraftLineView:  # fmt: skip
    """Change one draft line: an own percentage (the amount follows the rounding rule) or an amount in cents."""
    schedule = await _schedule(session, region_id, year, lock=True)
    schedule_next(schedule.status, "edit")
    line = (await session.execute(select(TariffDraftLine).where(
        TariffDraftLine.schedule_id == schedule.id, TariffDraftLine.arrangement_type_id == arrangement_type_id,
    ))).scalar_one_or_none()  # fmt: skip
    if line is None:
        raise NotFound()
    before = {"bedrag_cent": line.amount_cents, "eigen_bp": line.override_basis_points}
    if basis_points is not None:
        line.override_basis_points, line.amount_cents = basis_points, index_amount(line.previous_cents, basis_points)
    elif amount_cents is not None:
        if amount_cents < 0:
            raise ValidationFailed.single("amount", "Het tarief mag niet negatief zijn.")
        line.override_basis_points, line.amount_cents = None, amount_cents
    else:
        raise ValidationFailed.single("amount", "Vul een bedrag of een eigen percentage in.")
    await session.flush()
    await audit.record(
        session, actor, object_type="tariff_schedule", object_id=schedule.id, action="edit_line", now=now,
        summary={"arrangement_type": arrangement_type_id,
                 **audit.changes(before, {"bedrag_cent": line.amount_cents, "eigen_bp": line.override_basis_points})},
    )  # fmt: skip
    return DraftLineView(
        arrangement_type_id, "", "", line.previous_cents, line.amount_cents, line.override_basis_points
    )


async def open_consultation(
    session: AsyncSession, *, region_id: int, year: int, until: date, actor: Actor, now: datetime
) -> TariffSchedule:
    """Put the draft out for consultation: providers see it and may comment until `until` (inclusive)."""
    schedule = await _schedule(session, region_id, year, lock=True)
    new_status = schedule_next(schedule.status, "consult")
    if until < today(now):
        raise ValidationFailed.single(
            "consultation_until", "De einddatum van de consultatie mag niet in het verleden liggen."
        )
    schedule.status, schedule.consultation_until = new_status, until
    await session.flush()
    await audit.record(session, actor, object_type="tariff_schedule", object_id=schedule.id, action="consult", now=now,
                       summary={"jaar": year, "reageren_tot": until.isoformat()})  # fmt: skip
    return schedule


async def add_comment(
    session: AsyncSession, *, region_id: int, year: int, provider_id: int, arrangement_type_id: int | None, body: str,
    actor: Actor, now: datetime,
) -> CommentView:  # fmt: skip
    """A provider's comment on the whole table (arrangement_type_id None) or one line, while consultation is open."""
    schedule = await _schedule(session, region_id, year, provider=True)
    schedule_next(schedule.status, "comment")
    if schedule.consultation_until is not None and today(now) > schedule.consultation_until:
        raise Conflict(f"De consultatie is gesloten op {datum(schedule.consultation_until)}.")
    errors = ErrorCollector()
    text = (body or "").strip()
    if not text:
        errors.add("body", "Schrijf uw reactie.")
    elif len(text) > COMMENT_MAX:
        errors.add("body", f"Uw reactie mag maximaal {COMMENT_MAX} tekens zijn.")
    code = ""
    if arrangement_type_id is not None:
        found = (await session.execute(
            select(ArrangementType.code)
            .join(TariffDraftLine, TariffDraftLine.arrangement_type_id == ArrangementType.id)
            .where(TariffDraftLine.schedule_id == schedule.id, ArrangementType.id == arrangement_type_id)
        )).scalar_one_or_none()  # fmt: skip
        if found is None:
            errors.add("arrangement_type_id", "Kies een arrangementtype uit de tabel, of reageer op de hele tabel.")
        code = found or ""
    errors.raise_if_any()
    comment = TariffComment(region_id=region_id, schedule_id=schedule.id, provider_id=provider_id,
                            arrangement_type_id=arrangement_type_id, body=text, author_user_id=actor.user_id,
                            created_at=now)  # fmt: skip
    session.add(comment)
    await session.flush()
    assert comment.id is not None
    await audit.record(session, actor, object_type="tariff_comment", object_id=comment.id, action="create", now=now,
                       summary={"jaar": year, "aanbieder": provider_id,
                                "arrangement_type": arrangement_type_id})  # fmt: skip
    return CommentView(comment.id, provider_id, "", arrangement_type_id, code, text, now)


async def adopt_schedule(
    session: AsyncSession, *, region_id: int, year: int, actor: Actor, now: datetime
) -> TariffSchedule:
    """Adopt after consultation: per line the open tariff ends on 31 December of the previous year and the new
    one starts on 1 January, all in the caller's transaction (each type locked; the trigger is the backstop)."""
    schedule = await _schedule(session, region_id, year, lock=True)
    new_status = schedule_next(schedule.status, "adopt")
    lines = (await session.execute(select(TariffDraftLine).where(TariffDraftLine.schedule_id == schedule.id)
                                   .order_by(col(TariffDraftLine.arrangement_type_id)))).scalars().all()  # fmt: skip
    for line in lines:
        await lock_type(session, region_id, line.arrangement_type_id)
        current = await tariff_on(session, line.arrangement_type_id, last_day_before(year))
        if current is None or current.valid_until is not None:
            raise Conflict(f"Arrangementtype {line.arrangement_type_id} heeft geen doorlopend tarief op "
                           f"{datum(last_day_before(year))}; de tabel kan niet worden vastgesteld.")  # fmt: skip
        await put_period(session, region_id=region_id, type_id=line.arrangement_type_id,
                         amount_cents=line.amount_cents, valid_from=first_day(year), schedule_id=schedule.id,
                         now=now)  # fmt: skip
    schedule.status, schedule.adopted_by, schedule.adopted_at = new_status, actor.user_id, now
    await session.flush()
    await audit.record(session, actor, object_type="tariff_schedule", object_id=schedule.id, action="adopt", now=now,
                       summary={"jaar": year, "regels": len(lines)})  # fmt: skip
    return schedule
