"""Declarations (declaraties): start, end with results, a month of care, P×Q units — checked at once against the
arrangement, its dates, the tariff and what was already declared. Refused declarations are never stored: the
sender gets the Dutch reason; an accepted one carries its status and plain-Dutch status_reason.

At most once per arrangement (start, end) and per month (month, pxq): checked here under a row lock on the
arrangement, and — whatever the race — by the partial unique indexes on invoicing_declaration; the loser's
IntegrityError becomes a 409. The declaration row is inserted BEFORE the arrangement's transition, so with the
application lock switched off (APP_LOCK = False, tests only) the unique index is still what decides."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import false, func, not_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from contracts.public import (
    ARRANGEMENTS,
    END_REASONS,
    GOAL_OUTCOMES,
    ArrangementFacts,
    arrangement_facts,
    mark_ended,
    mark_started,
)
from invoicing.models import Declaration
from invoicing.rules import halves, month_start, monthly_due, pxq_cents
from jeugdregio import audit
from jeugdregio.audit import Actor
from jeugdregio.auth import Principal
from jeugdregio.clock import today
from jeugdregio.db import sqlstate
from jeugdregio.errors import Conflict, ErrorCollector, FieldError, NotFound, ValidationFailed

APP_LOCK = True  # tests switch it off to show the database constraint alone still holds (M1)

KINDS: dict[str, str] = {"start": "start", "end": "einde", "month": "maand", "pxq": "pxq"}
KIND_BY_DUTCH: dict[str, str] = {"start": "start", "einde": "end", "maand": "month", "pxq": "pxq",
                                 "end": "end", "month": "month"}  # fmt: skip
KIND_LABELS: dict[str, str] = {"start": "Start", "end": "Einde met resultaat", "month": "Maand zorg",
                               "pxq": "P×Q-levering"}  # fmt: skip
STATUS_LABELS: dict[str, str] = {"accepted": "Geaccepteerd", "settled": "Afgerekend", "paid": "Betaald",
                                 "not_payable": "Niet betaalbaar", "withdrawn": "Ingetrokken"}  # fmt: skip
OUTCOME_BY_DUTCH: dict[str, str] = {"behaald": "achieved", "deels": "partly", "niet": "not",
                                    "achieved": "achieved", "partly": "partly", "not": "not"}  # fmt: skip
DECLARABLE_MODELS = ("result_50_50", "monthly", "pxq")
PER_PAGE = 50


def euro(cents: int) -> str:
    """€ 1.234,56 (Dutch notation) for messages."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return f"{sign}€ {whole:,}".replace(",", ".") + f",{rest:02d}"


def nl_date(day: date) -> str:
    return day.strftime("%d-%m-%Y")


@dataclass
class DeclarationIn:
    """One declaration as sent (form, API or a CSV row), already typed; `day` is the start/end date or any day
    of the month of care."""

    kind: str
    day: date
    arrangement_id: int | None = None
    reference: str | None = None
    units: int | None = None
    amount_cents: int | None = None
    end_reason: str = ""
    outcomes: dict[int, str] = field(default_factory=dict)  # goal position -> achieved | partly | not
    external_ref: str = ""


def parse_outcomes(raw: str, errors: ErrorCollector, field_name: str = "resultaten", row: int | None = None
                   ) -> dict[int, str]:  # fmt: skip
    """'1:behaald|2:deels' → {1: 'achieved', 2: 'partly'}."""
    out: dict[int, str] = {}
    for part in [p for p in (raw or "").replace(",", "|").split("|") if p.strip()]:
        pos, _, value = part.partition(":")
        outcome = OUTCOME_BY_DUTCH.get(value.strip().lower())
        if not pos.strip().isdigit() or outcome is None:
            errors.add(field_name, f"Resultaten: '{part.strip()[:30]}' is onleesbaar; schrijf doel:uitkomst, "
                       "bijvoorbeeld 1:behaald|2:deels (uitkomst: behaald, deels of niet).", row)
            continue
        out[int(pos)] = outcome
    return out


def expected_amount(facts: ArrangementFacts, kind: str, units: int | None) -> int:
    """What a declaration is worth under the arrangement's tariff (fixed on the agreement date)."""
    tariff = facts.tariff_cents or 0
    if facts.payment_model == "result_50_50":
        first, second = halves(tariff)
        return first if kind == "start" else second if kind == "end" else 0
    if facts.payment_model == "monthly":
        return tariff if kind == "month" else 0
    if facts.payment_model == "pxq":
        return pxq_cents(max(units or 0, 0), tariff) if kind == "pxq" else 0
    return 0


def status_reason_for(facts: ArrangementFacts, kind: str, amount: int, units: int | None) -> str:
    if kind == "start":
        if facts.payment_model == "result_50_50":
            return f"Start geaccepteerd: de eerste 50 % ({euro(amount)}) wordt bij de volgende afrekening betaald."
        return "Start geaccepteerd; betaling volgt per maand of per levering."
    if kind == "end":
        if facts.payment_model == "result_50_50":
            return ("Einde geaccepteerd: de tweede 50 % volgt als verwijzer en gezin het resultaat bevestigen en het "
                    "beleid van de regio dit resultaat betaalt.")  # fmt: skip
        return "Einde geaccepteerd; bij deze bekostiging hoort geen resultaatbetaling."
    if kind == "month":
        return f"Maand geaccepteerd: {euro(amount)} wordt bij de afrekening van deze maand betaald."
    return f"{units} eenheden geaccepteerd: {euro(amount)} wordt bij de afrekening betaald."


def _check_amount(errors: ErrorCollector, given: int | None, expected: int, row: int | None = None) -> None:
    if given is not None and given != expected:
        errors.add("bedrag_cent", f"Bedrag: u declareert {euro(given)}, maar het tarief van dit arrangement geeft "
                                  f"{euro(expected)}.", row)  # fmt: skip


async def _count(session: AsyncSession, region_id: int, arrangement_id: int, kind: str) -> tuple[int, int]:
    """(declarations, units) of this kind for the arrangement, withdrawn ones not counted."""
    n, units = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(Declaration.units), 0)).where(
                Declaration.region_id == region_id, Declaration.arrangement_id == arrangement_id,
                Declaration.kind == kind, not_(col(Declaration.withdrawn)))
        )
    ).one()  # fmt: skip
    return int(n), int(units)


async def _exists(session: AsyncSession, region_id: int, arrangement_id: int, kind: str, period: date | None
                  ) -> Declaration | None:  # fmt: skip
    q = select(Declaration).where(Declaration.region_id == region_id, Declaration.arrangement_id == arrangement_id,
                                  Declaration.kind == kind, not_(col(Declaration.withdrawn)))  # fmt: skip
    if period is not None:
        q = q.where(Declaration.period == period)
    return (await session.execute(q.limit(1))).scalar_one_or_none()


def _duplicate_message(kind: str, facts: ArrangementFacts, period: date | None) -> str:
    if kind == "start":
        return f"Arrangement {facts.reference} is al gestart: de start is al gedeclareerd."
    if kind == "end":
        return f"Het einde van arrangement {facts.reference} is al gedeclareerd."
    label = f"{period:%m-%Y}" if period else ""
    if kind == "month":
        return f"De maand {label} van arrangement {facts.reference} is al gedeclareerd."
    return f"Voor {label} is al een P×Q-levering van arrangement {facts.reference} gedeclareerd."


async def declare(
    session: AsyncSession,
    *,
    region_id: int,
    provider_id: int,
    data: DeclarationIn,
    channel: str,
    actor: Actor,
    now: datetime,
    batch_id: int | None = None,
) -> Declaration:
    """Check one declaration against its arrangement and store it as accepted (or raise: NotFound for an
    arrangement that is not this provider's, ValidationFailed with Dutch field errors, Conflict for a second
    start/end/month)."""
    kind = data.kind
    if kind not in KINDS:
        raise ValidationFailed.single("soort", f"Onbekende soort '{kind[:20]}'. Kies start, einde, maand of pxq.")
    if data.arrangement_id is None and not (data.reference or "").strip():
        raise ValidationFailed.single("referentie", "Referentie: geef het arrangement op.")
    facts = await arrangement_facts(
        session, region_id=region_id, arrangement_id=data.arrangement_id,
        reference=(data.reference or "").strip() or None, provider_id=provider_id, lock=APP_LOCK,
    )  # fmt: skip
    period = data.day if kind in ("start", "end") else month_start(data.day)
    errors = ErrorCollector()
    if facts.payment_model not in DECLARABLE_MODELS:
        raise ValidationFailed.single("referentie", f"Arrangement {facts.reference} wordt niet per kind betaald "
                                      "(lumpsum of populatiebekostiging): declareren is niet nodig.")
    if APP_LOCK and await _exists(session, region_id, facts.id, kind, None if kind in ("start", "end") else period):
        raise Conflict(_duplicate_message(kind, facts, period))
    if kind == "start":
        if facts.status != "agreed":
            raise Conflict(f"Arrangement {facts.reference} is al gestart." if facts.start_date else
                           f"Arrangement {facts.reference} is nog niet akkoord; starten kan pas na akkoord.")
    elif kind == "end":
        if facts.status != "started":
            raise Conflict(f"Arrangement {facts.reference} is niet gestart." if facts.start_date is None else
                           f"Het einde van arrangement {facts.reference} is al gemeld.")  # fmt: skip
        assert facts.start_date is not None
        if data.day < facts.start_date:
            errors.add("datum", f"Einddatum {nl_date(data.day)} ligt vóór de startdatum {nl_date(facts.start_date)}.")
        if data.end_reason not in END_REASONS or data.end_reason == "change":
            errors.add("reden_einde", "Reden einde: kies een iJw-code: "
                                      + ", ".join(c for c in END_REASONS if c != "change") + ".")  # fmt: skip
        for pos, outcome in data.outcomes.items():
            if outcome not in GOAL_OUTCOMES:
                errors.add("resultaten", f"Doel {pos}: kies behaald, deels of niet.")
    else:
        await _check_period(session, facts, kind, period, data, errors, today(now))
    amount = expected_amount(facts, kind, data.units)
    _check_amount(errors, data.amount_cents, amount)
    errors.raise_if_any()
    decl = Declaration(
        region_id=region_id, provider_id=provider_id, arrangement_id=facts.id, municipality_id=facts.municipality_id,
        kind=kind, period=period, units=data.units if kind == "pxq" else None, amount_cents=amount,
        status="accepted", status_reason=status_reason_for(facts, kind, amount, data.units), channel=channel,
        batch_id=batch_id, external_ref=(data.external_ref or "")[:40], received_at=now, checked_at=now,
        created_by=actor.user_id,
    )  # fmt: skip
    session.add(decl)
    try:
        await session.flush()  # the unique index decides a race (QUALITY-BAR §2.2)
    except IntegrityError as exc:
        if sqlstate(exc) == "23505":
            raise Conflict(_duplicate_message(kind, facts, period)) from exc
        raise
    try:
        if kind == "start":
            await mark_started(session, region_id=region_id, provider_id=provider_id, arrangement_id=facts.id,
                               start_date=data.day, actor=actor, now=now)  # fmt: skip
        elif kind == "end":
            await mark_ended(session, region_id=region_id, provider_id=provider_id, arrangement_id=facts.id,
                             end_date=data.day, end_reason=data.end_reason, outcomes=data.outcomes, actor=actor,
                             now=now)  # fmt: skip
    except ValidationFailed as exc:  # contracts names its own fields; the declaration's date field is 'datum'
        raise ValidationFailed([FieldError("datum" if e.field in ("startdatum", "einddatum") else e.field,
                                           e.message, e.row) for e in exc.errors], exc.message) from exc  # fmt: skip
    await audit.record(session, actor, object_type="declaration", object_id=decl.id, action="declare", now=now,
                       summary={"arrangement": facts.reference, "soort": KINDS[kind], "periode": period.isoformat(),
                                "bedrag_cent": amount, "kanaal": channel})  # fmt: skip
    return decl


async def _check_period(session: AsyncSession, facts: ArrangementFacts, kind: str, period: date, data: DeclarationIn,
                        errors: ErrorCollector, today_: date) -> None:  # fmt: skip
    wanted = "monthly" if kind == "month" else "pxq"
    if facts.payment_model != wanted:
        errors.add("soort", f"Soort {KINDS[kind]}: arrangement {facts.reference} wordt niet "
                            f"{'per maand' if kind == 'month' else 'per eenheid (P×Q)'} betaald.")  # fmt: skip
        return
    if facts.start_date is None:
        raise Conflict(f"Arrangement {facts.reference} is nog niet gestart: declareer eerst de start.")
    if period > month_start(today_):
        errors.add("datum", f"Maand {period:%m-%Y} ligt in de toekomst; declareer na afloop van de zorg.")
    months_done, units_done = await _count(session, facts.region_id, facts.id, kind)
    if kind == "month":
        if not monthly_due(period, facts.start_date, facts.end_date, 0, None):
            errors.add("datum", _outside(facts, period))
        elif facts.max_months is not None and months_done >= facts.max_months:
            errors.add("datum", f"Arrangement {facts.reference} heeft het maximum van {facts.max_months} maanden "
                                "al bereikt.")  # fmt: skip
    else:
        if not monthly_due(period, facts.start_date, facts.end_date, 0, None):
            errors.add("datum", _outside(facts, period))
        if data.units is None:
            errors.add("eenheden", "Eenheden: vul het aantal geleverde eenheden in.")
        elif data.units < 0:
            errors.add("eenheden", f"Eenheden: {data.units} is negatief; declareer nul of meer eenheden.")
        elif facts.assigned_units is not None and units_done + data.units > facts.assigned_units:
            errors.add("eenheden", f"Eenheden: met deze {data.units} komt het totaal op {units_done + data.units}, "
                                   f"meer dan de toegewezen {facts.assigned_units}.")  # fmt: skip


def _outside(facts: ArrangementFacts, period: date) -> str:
    assert facts.start_date is not None
    end = f" tot en met {nl_date(facts.end_date)}" if facts.end_date else ""
    return (f"Maand {period:%m-%Y} valt buiten de looptijd van arrangement {facts.reference} "
            f"(vanaf {nl_date(facts.start_date)}{end}).")  # fmt: skip


# ---- reading ---------------------------------------------------------------------------------------------------


def declarations_visible_to(principal: Principal) -> Any:
    """Row scoping: the team sees the region, a municipality its own children's declarations (as the paying
    municipality), a provider its own; everyone else nothing."""
    cond: Any = false()
    if principal.is_team:
        cond = true()
    elif principal.role == "provider" and principal.provider_id is not None:
        cond = Declaration.provider_id == principal.provider_id
    elif principal.role == "municipality" and principal.municipality_id is not None:
        cond = Declaration.municipality_id == principal.municipality_id
    return (
        select(Declaration, ARRANGEMENTS.c.reference)
        .join(ARRANGEMENTS, ARRANGEMENTS.c.id == Declaration.arrangement_id)
        .where(Declaration.region_id == principal.region_id, cond)
    )


@dataclass(frozen=True)
class DeclarationView:
    id: int
    reference: str
    kind: str
    period: date
    units: int | None
    amount_cents: int
    status: str
    status_reason: str
    channel: str
    external_ref: str
    received_at: datetime
    checked_at: datetime
    settled_at: datetime | None
    paid_at: datetime | None
    batch_id: int | None

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "arrangement_reference": self.reference, "kind": self.kind,
            "period": self.period.isoformat(), "units": self.units, "amount_cents": self.amount_cents,
            "status": self.status, "status_reason": self.status_reason, "channel": self.channel,
            "external_ref": self.external_ref, "batch_id": self.batch_id,
            "received_at": self.received_at.isoformat(), "checked_at": self.checked_at.isoformat(),
            "settled_at": self.settled_at.isoformat() if self.settled_at else None,
            "paid_at": self.paid_at.isoformat() if self.paid_at else None,
        }  # fmt: skip


def _view(d: Declaration, reference: str) -> DeclarationView:
    assert d.id is not None
    return DeclarationView(d.id, reference, d.kind, d.period, d.units, d.amount_cents, d.status, d.status_reason,
                           d.channel, d.external_ref, d.received_at, d.checked_at, d.settled_at, d.paid_at,
                           d.batch_id)  # fmt: skip


async def list_declarations(
    session: AsyncSession, principal: Principal, *, status: str = "", kind: str = "", batch_id: int | None = None,
    page: int = 1,
) -> tuple[list[DeclarationView], int]:  # fmt: skip
    q = declarations_visible_to(principal)
    if status:
        if status not in STATUS_LABELS:
            raise ValidationFailed.single("status", f"Onbekende status '{status[:20]}'. Kies uit: "
                                                    + ", ".join(STATUS_LABELS) + ".")  # fmt: skip
        q = q.where(Declaration.status == status)
    if kind:
        kind = KIND_BY_DUTCH.get(kind, kind)
        if kind not in KINDS:
            raise ValidationFailed.single("soort", "Onbekende soort. Kies start, einde, maand of pxq.")
        q = q.where(Declaration.kind == kind)
    if batch_id is not None:
        q = q.where(Declaration.batch_id == batch_id)
    total = (await session.execute(select(func.count()).select_from(q.subquery()))).scalar_one()
    rows = (await session.execute(q.order_by(Declaration.id.desc()).limit(PER_PAGE)  # type: ignore[union-attr]
                                  .offset((max(page, 1) - 1) * PER_PAGE))).all()  # fmt: skip
    return [_view(d, ref) for d, ref in rows], int(total)


async def declaration_detail(session: AsyncSession, principal: Principal, declaration_id: int) -> DeclarationView:
    row = (await session.execute(declarations_visible_to(principal).where(Declaration.id == declaration_id))).first()
    if row is None:
        raise NotFound()
    return _view(row[0], row[1])
