"""The evidence vault after admission: current evidence per requirement with its state, uploads by the
provider, and the daily expiry reminders (queued once per evidence through the outbox)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from contracts.models import Evidence, Provider, Requirement
from contracts.queries import evidence_visible_to, providers_visible_to, scalar_or_not_found
from contracts.rules import add_months, evidence_state
from contracts.services import access_log
from jeugdregio import audit, outbox
from jeugdregio.auth import Principal
from jeugdregio.clock import today as today_of
from jeugdregio.documents import check_upload, get_document, store_document
from jeugdregio.errors import Conflict, ErrorCollector, NotFound, ValidationFailed
from jeugdregio.tables import Document, OutboxMessage

WARN_DAYS = 30
EVIDENCE_STATES = ("valid", "expiring", "expired", "missing", "optional")


def current_evidence(region_id: int | None = None) -> Any:
    """Subquery: the evidence that counts, one row per (provider, requirement): the newest not superseded."""
    q = (
        select(
            Evidence.id, Evidence.region_id, Evidence.provider_id, Evidence.requirement_id, Evidence.valid_until,
            Evidence.document_id, Evidence.original_name, Evidence.uploaded_at,
        )
        .where(col(Evidence.provider_id).is_not(None), col(Evidence.superseded_at).is_(None))
        .distinct(Evidence.provider_id, Evidence.requirement_id)
        .order_by(
            Evidence.provider_id, Evidence.requirement_id,
            col(Evidence.uploaded_at).desc(), col(Evidence.id).desc(),
        )
    )
    if region_id is not None:
        q = q.where(Evidence.region_id == region_id)
    return q.subquery("current_evidence")


def evidence_problems(region_id: int, today: date) -> Any:
    """Subquery per provider of the region: how many required items are missing, expired or expiring (in SQL)."""
    cur = current_evidence(region_id)
    return (
        select(
            Provider.id.label("provider_id"),  # type: ignore[union-attr]
            func.count().filter(and_(cur.c.id.is_(None), col(Requirement.evidence_required).is_(True))).label(
                "missing"
            ),
            func.count().filter(cur.c.valid_until < today).label("expired"),
            func.count()
            .filter(cur.c.valid_until.between(today, today + timedelta(days=WARN_DAYS)))
            .label("expiring"),
        )
        .select_from(Provider)
        .join(Requirement, and_(Requirement.region_id == Provider.region_id, col(Requirement.active).is_(True)))
        .outerjoin(cur, and_(cur.c.provider_id == Provider.id, cur.c.requirement_id == Requirement.id))
        .where(Provider.region_id == region_id)
        .group_by(Provider.id)
        .subquery("evidence_problems")
    )


@dataclass(frozen=True)
class VaultRow:
    """One requirement of the vault with the evidence that counts for it (if any) and its state."""

    requirement_id: int
    code: str
    title: str
    description: str
    evidence_required: bool
    validity_months: int | None
    state: str  # one of EVIDENCE_STATES
    evidence_id: int | None = None
    valid_until: date | None = None
    uploaded_at: datetime | None = None
    original_name: str = ""
    content_type: str = ""
    size: int = 0

    def as_json(self, provider_id: int) -> dict[str, Any]:
        return {
            "provider_id": provider_id, "requirement_id": self.requirement_id, "requirement_code": self.code,
            "requirement_title": self.title, "evidence_required": self.evidence_required, "state": self.state,
            "evidence": None if self.evidence_id is None else {
                "id": self.evidence_id, "valid_until": self.valid_until.isoformat() if self.valid_until else None,
                "uploaded_at": self.uploaded_at.isoformat() if self.uploaded_at else None,
                "original_name": self.original_name, "content_type": self.content_type, "size": self.size,
            },
        }  # fmt: skip


def row_state(evidence_id: int | None, valid_until: date | None, required: bool, today: date) -> str:
    if evidence_id is None:
        return "missing" if required else "optional"
    return evidence_state(valid_until, today, WARN_DAYS)


def _vault_query(region_id: int, provider_ids: Any) -> Any:
    """(provider id, requirement, current evidence columns, file type and size) for every active requirement
    of every provider in `provider_ids`: one query, however many providers."""
    cur = current_evidence(region_id)
    return (
        select(
            Provider.id, Requirement, cur.c.id, cur.c.valid_until, cur.c.uploaded_at, cur.c.original_name,
            Document.content_type, Document.size,
        )
        .select_from(Provider)
        .join(Requirement, and_(Requirement.region_id == Provider.region_id, col(Requirement.active).is_(True)))
        .outerjoin(cur, and_(cur.c.requirement_id == Requirement.id, cur.c.provider_id == Provider.id))
        .outerjoin(Document, Document.id == cur.c.document_id)
        .where(Provider.region_id == region_id, col(Provider.id).in_(provider_ids))
        .order_by(func.lower(Provider.name), Provider.id, Requirement.sort_order, Requirement.id)
    )


async def _vault_rows(session: AsyncSession, q: Any, today: date) -> list[tuple[int, VaultRow]]:
    out: list[tuple[int, VaultRow]] = []
    for provider_id, req, ev_id, valid_until, uploaded_at, name, content_type, size in await session.execute(q):
        state = row_state(ev_id, valid_until, req.evidence_required, today)
        row = VaultRow(
            req.id, req.code, req.title, req.description, req.evidence_required, req.validity_months, state,
            ev_id, valid_until, uploaded_at, name or "", content_type or "", size or 0,
        )  # fmt: skip
        out.append((provider_id, row))
    return out


async def provider_vault(session: AsyncSession, provider: Provider, *, today: date) -> list[VaultRow]:
    """Every active requirement of the region with the provider's current evidence and its state."""
    rows = await _vault_rows(session, _vault_query(provider.region_id, [provider.id]), today)
    return [row for _pid, row in rows]


async def vaults_visible_to(
    session: AsyncSession, principal: Principal, *, today: date, provider_id: int | None = None,
    state: str = "",
) -> list[dict[str, Any]]:  # fmt: skip
    """The vault rows (JSON) of every provider the principal may see evidence of: the team all of its region,
    a provider only its own. A provider_id that is not visible gives 404."""
    if not (principal.is_team or principal.role == "provider"):
        raise NotFound()
    if state and state not in EVIDENCE_STATES:
        raise ValidationFailed.single("state", "Kies een status: " + ", ".join(EVIDENCE_STATES) + ".")
    ids = providers_visible_to(principal).with_only_columns(Provider.id)
    if provider_id is not None:
        ids = ids.where(Provider.id == provider_id)
        if (await session.execute(ids)).first() is None:
            raise NotFound()
    rows = await _vault_rows(session, _vault_query(principal.region_id, ids), today)
    return [row.as_json(pid) for pid, row in rows if not state or row.state == state]


async def evidence_document(
    session: AsyncSession, principal: Principal, evidence_id: int, *, now: datetime
) -> Document:
    """The stored file of one evidence row, through evidence_visible_to (404 when not visible). Every download
    is audited against its owner: the provider once admitted, the application before."""
    ev: Evidence = await scalar_or_not_found(session, evidence_visible_to(principal).where(Evidence.id == evidence_id))
    doc = await get_document(session, ev.document_id, principal.region_id)
    summary = {"document": "bewijsstuk", "bewijs": ev.id, "eis": ev.requirement_id, "document_id": doc.id}
    owner_id: int | None = ev.provider_id
    if owner_id is not None:
        owner, purpose = "provider", access_log.provider_purpose(principal, owner_id)
    else:
        owner, owner_id, purpose = "application", ev.application_id, access_log.application_purpose(principal)
    await access_log.log_read(
        session, principal, object_type=owner, object_id=owner_id, action="download", purpose=purpose, now=now,
        summary=summary,
    )  # fmt: skip
    return doc


async def upload_provider_evidence(
    session: AsyncSession,
    principal: Principal,
    *,
    requirement_id: object,
    valid_until: object,
    content: bytes | None,
    original_name: str,
    now: datetime,
) -> Evidence:
    """The provider replaces the evidence for one requirement. The previous row is superseded, not deleted."""
    provider = await _uploading_provider(session, principal)
    errors = ErrorCollector()
    requirement = await _requirement(session, errors, provider.region_id, requirement_id)
    content_type = ""
    try:
        content_type = check_upload("file", content or b"")
    except ValidationFailed as exc:
        errors.errors.extend(exc.errors)
    day = today_of(now)
    until = _valid_until(errors, valid_until, requirement, day)
    errors.raise_if_any()
    assert requirement is not None and requirement.id is not None and content is not None
    doc = await store_document(
        session, region_id=provider.region_id, kind="evidence", content=content, content_type=content_type,
        now=now, created_by=principal.user_id, stem=f"bewijs-{provider.id}-{requirement.code}-{now:%Y%m%d%H%M%S}",
    )  # fmt: skip
    assert doc.id is not None
    evidence = await replace_evidence(
        session, region_id=provider.region_id, provider_id=provider.id, requirement_id=requirement.id,
        document_id=doc.id, original_name=original_name.strip(), valid_until=until, uploaded_by=principal.user_id,
        now=now,
    )  # fmt: skip
    await audit.record(
        session, principal.actor(), object_type="provider", object_id=provider.id, action="evidence_upload",
        now=now, summary={"eis": requirement.code, "bewijs": evidence.id,
                          "geldig_tot": until.isoformat() if until else None},
    )  # fmt: skip
    return evidence


async def _uploading_provider(session: AsyncSession, principal: Principal) -> Provider:
    """The principal's own provider, locked; 404 for anyone else, 409 once its contract has ended."""
    if principal.role != "provider" or principal.provider_id is None:
        raise NotFound()
    provider = await session.get(Provider, principal.provider_id, with_for_update=True)
    if provider is None or provider.region_id != principal.region_id:
        raise NotFound()
    if provider.status == "ended":
        raise Conflict("Uw overeenkomst is beëindigd; u kunt geen bewijsstukken meer aanleveren.")
    return provider


async def replace_evidence(
    session: AsyncSession, *, region_id: int, requirement_id: int, document_id: int, original_name: str,
    valid_until: date | None, uploaded_by: int | None, now: datetime, application_id: int | None = None,
    provider_id: int | None = None,
) -> Evidence:  # fmt: skip
    """A new evidence row for one owner (the application, or else the provider) and requirement; the owner's
    earlier evidence for that requirement is superseded, never deleted."""
    if application_id is not None:
        owner = Evidence.application_id == application_id
    else:
        owner = Evidence.provider_id == provider_id
    await session.execute(
        update(Evidence)
        .where(owner, Evidence.requirement_id == requirement_id, col(Evidence.superseded_at).is_(None))
        .values(superseded_at=now)
    )
    evidence = Evidence(
        region_id=region_id, application_id=application_id, provider_id=provider_id, requirement_id=requirement_id,
        document_id=document_id, original_name=original_name[:200], valid_until=valid_until, uploaded_by=uploaded_by,
        uploaded_at=now,
    )  # fmt: skip
    session.add(evidence)
    await session.flush()
    return evidence


async def _requirement(
    session: AsyncSession, errors: ErrorCollector, region_id: int, raw: object
) -> Requirement | None:
    try:
        requirement_id = int(str(raw).strip())
    except ValueError:
        errors.add("requirement_id", "Kies voor welke eis dit bewijs is.")
        return None
    requirement = (
        await session.execute(
            select(Requirement).where(
                Requirement.id == requirement_id, Requirement.region_id == region_id,
                col(Requirement.active).is_(True),
            )
        )
    ).scalar_one_or_none()
    if requirement is None:
        errors.add("requirement_id", "Kies een eis uit de lijst.")
    return requirement


def _valid_until(errors: ErrorCollector, raw: object, requirement: Requirement | None, today: date) -> date | None:
    text = str(raw or "").strip()
    if not text:
        if requirement is None or requirement.validity_months is None:
            return None
        return add_months(today, requirement.validity_months)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        errors.add("valid_until", "Gebruik een datum als 2026-01-31.")
        return None
    if day < today:
        errors.add("valid_until", "De geldigheidsdatum mag niet in het verleden liggen.")
    return day


# ---- the daily job: expiry reminders ---------------------------------------------------------------------


def reminder_key(evidence_id: int, valid_until: date, *, expired: bool) -> str:
    return f"evidence-expiry:{evidence_id}:{valid_until.isoformat()}" + (":expired" if expired else "")


async def queue_expiry_reminders(session: AsyncSession, *, now: datetime) -> dict[str, int]:
    """For every region: one reminder per current provider evidence that expires within 30 days, and one
    notice once it has expired. One query finds the candidates (already queued ones are left out); the
    outbox's unique dedupe key makes reruns and concurrent workers harmless."""
    day = today_of(now)
    cur = current_evidence()
    until = func.to_char(cur.c.valid_until, "YYYY-MM-DD")
    key = func.concat(literal("evidence-expiry:"), cur.c.id, literal(":"), until)
    dedupe = case((cur.c.valid_until < day, func.concat(key, literal(":expired"))), else_=key)  # = reminder_key()
    q = (
        select(cur.c.id, cur.c.region_id, cur.c.valid_until, Provider.name, Provider.contact_email, Requirement.title)
        .join(Provider, Provider.id == cur.c.provider_id)
        .join(Requirement, Requirement.id == cur.c.requirement_id)
        .where(
            col(Provider.status).in_(("active", "suspended")),
            col(Requirement.active).is_(True),
            cur.c.valid_until <= day + timedelta(days=WARN_DAYS),
            ~select(OutboxMessage.id)
            .where(OutboxMessage.region_id == cur.c.region_id, OutboxMessage.dedupe_key == dedupe)
            .exists(),
        )
        .order_by(cur.c.id)
    )
    counts = {"reminders": 0, "expired": 0}
    for ev_id, region_id, valid_until, name, email, title in await session.execute(q):
        is_expired = valid_until < day
        subject, body = _mail(name, title, valid_until, expired=is_expired)
        if await outbox.enqueue(
            session, region_id=region_id, to_address=email, subject=subject, body=body, now=now,
            dedupe_key=reminder_key(ev_id, valid_until, expired=is_expired),
        ):
            counts["expired" if is_expired else "reminders"] += 1
    return counts


def _mail(provider_name: str, title: str, valid_until: date, *, expired: bool) -> tuple[str, str]:
    from jeugdregio.templating import datum

    if expired:
        subject = f"Bewijsstuk verlopen: {title}"
        lead = f"het bewijsstuk voor de eis '{title}' is op {datum(valid_until)} verlopen."
    else:
        subject = f"Bewijsstuk verloopt binnenkort: {title}"
        lead = f"het bewijsstuk voor de eis '{title}' is geldig tot en met {datum(valid_until)}."
    body = (
        f"Beste {provider_name},\n\n{lead}\n"
        "Lever een nieuw bewijsstuk aan via uw portaal (Mijn organisatie → Bewijsstukken) om in het register "
        "te blijven voldoen aan de kwaliteitseisen.\n\nMet vriendelijke groet,\nHet regionale inkoopteam"
    )
    return subject, body
